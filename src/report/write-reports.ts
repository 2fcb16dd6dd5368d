// Writes one run's reports (result.json, junit.xml, index.html, summary.md, histories) into its own directory and points `latest` at it.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HarnessError } from '../errors.ts';
import type { Op } from '../model/history.ts';
import { renderHtml } from './html.ts';
import type { Journal } from './journal.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { METRICS_FILE, renderOpenMetrics } from './metrics.ts';
import { ensureReportDir } from './report-dir.ts';
import { parseOpLine } from './history-file.ts';
import type { Redactor } from '../process/redact.ts';

const RESULT_FILE = 'result.json';
export const JUNIT_FILE = 'junit.xml';
export const HTML_FILE = 'index.html';
export const SUMMARY_FILE = 'summary.md';
const REPORT_FILES = new Set([RESULT_FILE, JUNIT_FILE, HTML_FILE, SUMMARY_FILE, METRICS_FILE]);

/**
 * Writes `<reportDir>/<run id>/` with result.json, junit.xml, index.html (the self-contained evidence
 * report), summary.md (for a CI step summary or PR comment), metrics.prom (every trial's figures as OpenMetrics text) and every history (keyed by its path relative
 * to the run dir), all redacted, then atomically repoints the relative symlink `<reportDir>/latest` at it.
 * The reports are rendered from the redacted journal and histories, and the rendered text is redacted
 * once more: an escaped form of a secret (`&amp;` in HTML) must not slip through.
 * Returns absolute paths. Throws a HarnessError REPORT_DIR_UNWRITABLE when the files cannot be written.
 */
export async function writeReports(opts: {
  reportDir: string;
  journal: Journal;
  histories: Map<string, string>;
  /** Histories already on disk (streamed as the run went): the bounded sample of each that the HTML draws, by path. */
  samples?: Map<string, Op[]>;
  redactor: Redactor;
  /**
   * The run dir may exist already: an interrupted run's report is written while the deployment's
   * teardown copies the containers' logs into <run dir>/logs.
   */
  runDirMayExist?: boolean;
}): Promise<{ runDir: string; files: string[] }> {
  const { journal, histories, redactor } = opts;
  const reportDir = resolve(opts.reportDir);
  const runId = journal.run.id;
  if (runId === '' || runId === '.' || runId === '..' || /[/\\]/.test(runId)) {
    throw new HarnessError('INTERNAL', `invalid run id ${JSON.stringify(runId)}: it must be a single path segment`);
  }
  const runDir = join(reportDir, runId);
  const historyFiles = [...histories].map(([rel, content]): [string, string] => [historyPath(runDir, rel), content]);

  const redacted = redactor.value(journal);
  const redactedHistories = historyFiles.map(([path, content]): [string, string] => [path, redactor.text(content)]);
  const ops = new Map<string, Op[]>();
  for (const [i, [rel]] of [...histories].entries()) ops.set(rel, parseHistory(redactedHistories[i]![1]));
  for (const [rel, sample] of opts.samples ?? []) ops.set(rel, sample);
  const files: [string, string][] = [
    ...redactedHistories,
    [join(runDir, JUNIT_FILE), redactor.text(renderJunit(redacted))],
    [
      join(runDir, SUMMARY_FILE),
      redactor.text(
        orFallback(
          () => renderMarkdown(redacted),
          (m) => `## sentinel-chaos: ${redacted.verdict}\n\nsummary.md could not be rendered (${m}); see result.json.\n`,
        ),
      ),
    ],
    [join(runDir, HTML_FILE), redactor.text(orFallback(() => renderHtml(redacted, ops), fallbackHtml))],
    [
      join(runDir, METRICS_FILE),
      redactor.text(
        orFallback(
          () => renderOpenMetrics(redacted),
          (m) => `# metrics.prom could not be rendered (${m.replace(/\n/g, ' ')}); see result.json\n# EOF\n`,
        ),
      ),
    ],
    // Last, so that a run dir holding result.json is complete.
    [join(runDir, RESULT_FILE), `${JSON.stringify(redacted, null, 2)}\n`],
  ];

  await ensureReportDir(reportDir);
  try {
    // Not recursive: an existing run dir means an id collision, and mixing two runs' files would mislead.
    await mkdir(runDir, { recursive: opts.runDirMayExist === true });
    for (const [path, content] of files) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, { flag: 'wx' });
    }
    await pointLatest(reportDir, runId);
  } catch (cause) {
    throw new HarnessError(
      'REPORT_DIR_UNWRITABLE',
      `cannot write reports to ${reportDir}: ${cause instanceof Error ? cause.message : String(cause)}; ` + 'choose a writable directory with --report-dir',
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
    throw new HarnessError('INTERNAL', `history path ${JSON.stringify(rel)} must be relative and inside the run directory`);
  }
  if (REPORT_FILES.has(inside)) {
    throw new HarnessError('INTERNAL', `history path ${JSON.stringify(rel)} would overwrite ${inside}`);
  }
  return path;
}

/** JSON-lines history text as operations; a line that is not a JSON object is skipped (the report shows what it can). */
export function parseHistory(text: string): Op[] {
  const ops: Op[] = [];
  for (const line of text.split('\n')) {
    const op = parseOpLine(line);
    if (op) ops.push(op);
  }
  return ops;
}

/**
 * The rendered report, or a stand-in saying why it is missing: a bug in a human-facing view must not cost
 * the run its result.json and junit.xml.
 */
function orFallback(render: () => string, fallback: (message: string) => string): string {
  try {
    return render();
  } catch (e) {
    return fallback(e instanceof Error ? e.message : String(e));
  }
}

function fallbackHtml(message: string): string {
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>sentinel-chaos report</title></head><body><p>index.html could not be rendered (${text}); see result.json and junit.xml.</p></body></html>\n`;
}
