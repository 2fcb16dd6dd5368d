// Writes one run's reports (result.json, junit.xml, histories) into its own directory and points `latest` at it.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HarnessError } from '../errors.ts';
import type { Journal } from './journal.ts';
import { renderJunit } from './junit.ts';
import type { Redactor } from './redact.ts';

const RESULT_FILE = 'result.json';
const JUNIT_FILE = 'junit.xml';

/**
 * Writes `<reportDir>/<run id>/` with result.json, junit.xml and every history (keyed by its path relative
 * to the run dir), all redacted, then atomically repoints the relative symlink `<reportDir>/latest` at it.
 * Returns absolute paths. Throws a HarnessError REPORT_DIR_UNWRITABLE when the files cannot be written.
 */
export async function writeReports(opts: {
  reportDir: string;
  journal: Journal;
  histories: Map<string, string>;
  redactor: Redactor;
}): Promise<{ runDir: string; files: string[] }> {
  const { journal, histories, redactor } = opts;
  const reportDir = resolve(opts.reportDir);
  const runId = journal.run.id;
  if (runId === '' || runId === '.' || runId === '..' || /[/\\]/.test(runId)) {
    throw new Error(`invalid run id ${JSON.stringify(runId)}: it must be a single path segment`);
  }
  const runDir = join(reportDir, runId);
  const historyFiles = [...histories].map(([rel, content]): [string, string] => [historyPath(runDir, rel), content]);

  const redacted = redactor.value(journal);
  const files: [string, string][] = [
    ...historyFiles.map(([path, content]): [string, string] => [path, redactor.text(content)]),
    [join(runDir, JUNIT_FILE), renderJunit(redacted)],
    // Last, so that a run dir holding result.json is complete.
    [join(runDir, RESULT_FILE), `${JSON.stringify(redacted, null, 2)}\n`],
  ];

  try {
    await mkdir(reportDir, { recursive: true });
    // Not recursive: an existing run dir means an id collision, and mixing two runs' files would mislead.
    await mkdir(runDir);
    for (const [path, content] of files) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, { flag: 'wx' });
    }
    await pointLatest(reportDir, runId);
  } catch (cause) {
    throw new HarnessError(
      'REPORT_DIR_UNWRITABLE',
      `cannot write reports to ${reportDir}: ${cause instanceof Error ? cause.message : String(cause)}; ` +
        'choose a writable directory with --report-dir',
      { cause },
    );
  }
  return { runDir, files: files.map(([path]) => path) };
}

// A symlink renamed over the old one, so readers of `latest` never see it missing or half-made.
async function pointLatest(reportDir: string, runId: string): Promise<void> {
  const temp = join(reportDir, `.latest-${process.pid}-${randomBytes(4).toString('hex')}`);
  await symlink(runId, temp);
  try {
    await rename(temp, join(reportDir, 'latest'));
  } catch (e) {
    await rm(temp, { force: true }).catch(() => {});
    throw e;
  }
}

function historyPath(runDir: string, rel: string): string {
  const path = resolve(runDir, rel);
  const inside = relative(runDir, path);
  if (isAbsolute(rel) || inside === '' || inside.startsWith(`..${sep}`) || inside === '..') {
    throw new Error(`history path ${JSON.stringify(rel)} must be relative and inside the run directory`);
  }
  if (inside === RESULT_FILE || inside === JUNIT_FILE) {
    throw new Error(`history path ${JSON.stringify(rel)} would overwrite ${inside}`);
  }
  return path;
}
