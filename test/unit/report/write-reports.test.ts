// writeReports: the run directory's files, the `latest` symlink, redaction on disk and an unwritable report dir.
import { mkdtemp, readFile, readdir, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HarnessError, isHarnessError } from '../../../src/errors.ts';
import type { Journal } from '../../../src/report/journal.ts';
import { createRedactor } from '../../../src/process/redact.ts';
import { writeReports } from '../../../src/report/write-reports.ts';
import { sampleHistory, sampleJournal } from './sample-journal.ts';

const PW = 'Tr0ub4dor&3"horse';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sentinel-chaos-report-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const histories = (): Map<string, string> =>
  new Map([
    ['history/master-kill-1.jsonl', sampleHistory(1)],
    ['history/master-kill-2.jsonl', sampleHistory(2)],
  ]);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('writeReports', () => {
  it('writes result.json, junit.xml, index.html, summary.md, metrics.prom and the histories into the run dir', async () => {
    const reportDir = join(tmp, 'reports');
    const journal = sampleJournal();
    const { runDir, files } = await writeReports({ reportDir, journal, histories: histories(), redactor: createRedactor([]) });

    expect(runDir).toBe(join(reportDir, journal.run.id));
    expect([...files].sort()).toEqual(
      ['history/master-kill-1.jsonl', 'history/master-kill-2.jsonl', 'index.html', 'junit.xml', 'metrics.prom', 'result.json', 'summary.md'].map((f) =>
        join(runDir, f),
      ),
    );
    expect((await filesUnder(runDir)).sort()).toEqual([...files].sort());
    const result = await readFile(join(runDir, 'result.json'), 'utf8');
    expect(JSON.parse(result)).toEqual(journal);
    expect(result).toContain('\n  "schema": "sentinel-chaos/result@1"');
    expect(await readFile(join(runDir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml[^]*<testcase name="master-kill #2"/);
    expect(await readFile(join(runDir, 'history/master-kill-2.jsonl'), 'utf8')).toBe(sampleHistory(2));
    const html = await readFile(join(runDir, 'index.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // The histories are parsed for the timelines: each trial has its write strip.
    expect(html).toContain('id="timeline-master-kill-1"');
    expect(html.match(/>sentinel-client</g)).toHaveLength(2);
    expect(await readFile(join(runDir, 'summary.md'), 'utf8')).toMatch(/^## ❌ sentinel-chaos: FAIL\n/);
  });

  it('points a relative `latest` symlink at the run dir and replaces it on the next run', async () => {
    const reportDir = join(tmp, 'reports');
    const first = await writeReports({ reportDir, journal: sampleJournal(), histories: new Map(), redactor: createRedactor([]) });
    expect(await readlink(join(reportDir, 'latest'))).toBe('20261125T183012Z-3f9a');
    expect(await realpath(join(reportDir, 'latest'))).toBe(await realpath(first.runDir));

    const journal = sampleJournal();
    journal.run.id = '20261125T190000Z-0b1c';
    const second = await writeReports({ reportDir, journal, histories: new Map(), redactor: createRedactor([]) });
    expect(await readlink(join(reportDir, 'latest'))).toBe('20261125T190000Z-0b1c');
    expect(await realpath(join(reportDir, 'latest'))).toBe(await realpath(second.runDir));
    expect(JSON.parse(await readFile(join(reportDir, 'latest', 'result.json'), 'utf8')).run.id).toBe(journal.run.id);
    expect((await readdir(reportDir)).sort()).toEqual(['20261125T183012Z-3f9a', '20261125T190000Z-0b1c', 'latest']);
  });

  it('never writes the password, in any encoding, to any file', async () => {
    const journal: Journal = sampleJournal();
    journal.run.argv.push('--password', PW);
    journal.deployment.sentinelUrl = `redis://default:${encodeURIComponent(PW)}@127.0.0.1:26379`;
    journal.target.details[`auth:${PW}`] = Buffer.from(PW).toString('base64');
    const trial = journal.scenarios[0]!.trials[1]!;
    trial.checks[0]!.explanation = `expected failover_ms <= 15000, observed 17204.9 (AUTH ${PW})`;
    trial.events[0]!.detail = `connect redis://:${PW}@127.0.0.1:6379`;
    trial.phases[0]!.name = `+sdown ${PW}`;
    trial.figures[`lost_${PW}`] = 1;
    const history = new Map([['history/master-kill-2.jsonl', `${JSON.stringify({ process: 'c', type: 'fail', error: `WRONGPASS ${PW}` })}\n`]]);

    const { files } = await writeReports({ reportDir: join(tmp, 'reports'), journal, histories: history, redactor: createRedactor([PW]) });

    const all = await filesUnder(tmp);
    expect(all.sort()).toEqual([...files].sort());
    const forms = [PW, JSON.stringify(PW).slice(1, -1), encodeURIComponent(PW), Buffer.from(PW).toString('base64'), 'Tr0ub4dor&amp;3'];
    for (const file of all) {
      const content = await readFile(file, 'utf8');
      for (const form of forms) expect(content, `${file} contains ${form}`).not.toContain(form);
    }
    const result = JSON.parse(await readFile(join(tmp, 'reports', journal.run.id, 'result.json'), 'utf8'));
    expect(result.run.argv.at(-1)).toBe('***');
    expect(await readFile(join(tmp, 'reports', journal.run.id, 'junit.xml'), 'utf8')).toContain('(AUTH ***)');
  });

  it('throws REPORT_DIR_UNWRITABLE naming the directory and --report-dir when it cannot create it', async () => {
    // Tests run as root, whom permissions do not stop; a regular file in the path does.
    await writeFile(join(tmp, 'not-a-dir'), '');
    const reportDir = join(tmp, 'not-a-dir', 'reports');
    const error: unknown = await writeReports({
      reportDir,
      journal: sampleJournal(),
      histories: histories(),
      redactor: createRedactor([]),
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(HarnessError);
    expect(isHarnessError(error)).toBe(true);
    const e = error as HarnessError;
    expect(e.code).toBe('REPORT_DIR_UNWRITABLE');
    expect(e.exitCode).toBe(2);
    expect(e.name).toBe('HarnessError');
    expect(e.message).toContain(reportDir);
    expect(e.message).toContain('--report-dir');
    expect(e.cause).toMatchObject({ code: 'ENOTDIR' });
  });

  it('refuses a history path that would overwrite a report', async () => {
    for (const name of ['index.html', 'summary.md', 'junit.xml', 'result.json']) {
      await expect(
        writeReports({ reportDir: join(tmp, 'reports'), journal: sampleJournal(), histories: new Map([[name, '']]), redactor: createRedactor([]) }),
      ).rejects.toThrow(`would overwrite ${name}`);
    }
  });

  it('refuses history paths outside the run dir', async () => {
    const bad = new Map([['../escape.jsonl', '']]);
    await expect(writeReports({ reportDir: join(tmp, 'reports'), journal: sampleJournal(), histories: bad, redactor: createRedactor([]) })).rejects.toThrow(
      /inside the run directory/,
    );
    expect(await readdir(tmp)).toEqual([]);
  });
});

describe('writeReports with a journal the HTML and Markdown views cannot render', () => {
  it('still writes result.json and junit.xml, with stand-ins saying why', async () => {
    const tmp2 = await mkdtemp(join(tmpdir(), 'sentinel-chaos-report-'));
    try {
      const journal = sampleJournal();
      // Trials without a checks array: the views throw, the JSON does not care.
      (journal.scenarios[0]!.trials[0] as unknown as { checks: unknown }).checks = null;
      const { runDir } = await writeReports({ reportDir: tmp2, journal, histories: histories(), redactor: createRedactor([]) });
      expect(JSON.parse(await readFile(join(runDir, 'result.json'), 'utf8')).run.id).toBe(journal.run.id);
      expect(await readFile(join(runDir, 'index.html'), 'utf8')).toMatch(/index\.html could not be rendered \(.+\); see result\.json and junit\.xml/);
      expect(await readFile(join(runDir, 'summary.md'), 'utf8')).toMatch(/summary\.md could not be rendered/);
    } finally {
      await rm(tmp2, { recursive: true, force: true });
    }
  });
});
