// `trend` and `compare --baseline last-pass` end to end on synthetic run directories (no redis needed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runJournal, writeRuns } from '../support/run-series.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let tmp: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'sc-trend-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync('node', ['src/cli/main.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}

const QUIET = [6010, 5950, 6040, 5990, 6060, 5970, 6020, 5940, 6000];

describe('sentinel-chaos trend', () => {
  it('ten runs in a history directory, a regression injected into the tenth: exit 1, trend.html and trend.md name it', () => {
    const history = path.join(tmp, 'reports');
    writeRuns(
      history,
      [...QUIET, 7500].map((f, i) => runJournal(i, { scenarios: { 'master-kill': [f] } })),
    );
    const out = path.join(tmp, 'out');
    const r = cli('trend', history, '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('regression: master-kill failover_ms: 7500 ms is 1500 ms above the median 6000 ms of 9 earlier runs');
    expect(readFileSync(path.join(out, 'trend.md'), 'utf8')).toContain('❌ regression');
    expect(readFileSync(path.join(out, 'trend.html'), 'utf8')).toContain('<svg class="spark"');
  });

  it('the same runs named one by one, the tenth within the noise: exit 0', () => {
    const dirs = writeRuns(
      path.join(tmp, 'reports'),
      [...QUIET, 6080].map((f, i) => runJournal(i, { scenarios: { 'master-kill': [f] } })),
    );
    const r = cli('trend', ...dirs.reverse(), '--last', '10', '--out', path.join(tmp, 'out'));
    expect(r.stderr).toContain('trend over 10 runs: no regression');
    expect(r.status).toBe(0);
  });

  it('bad input: exit 2 in one line', () => {
    expect(cli('trend', path.join(tmp, 'nope')).stderr.trim()).toMatch(/^sentinel-chaos: .*nope: no such run or history directory$/);
    const r = cli('trend', tmp, '--last', '0');
    expect(r.status).toBe(2);
  });
});

describe('sentinel-chaos compare --baseline last-pass', () => {
  it('picks the newest passing run before CURRENT', () => {
    const reports = path.join(tmp, 'reports');
    const dirs = writeRuns(reports, [
      runJournal(0, { scenarios: { 'master-kill': [6000] } }),
      runJournal(1, { scenarios: { 'master-kill': [6100] } }),
      runJournal(2, { scenarios: { 'master-kill': [9000] }, verdict: 'fail' }),
      runJournal(3, { scenarios: { 'master-kill': [7000] } }),
    ]);
    const r = cli('compare', '--baseline', 'last-pass', '--report-dir', reports, dirs[3]!);
    expect(r.stderr).toContain(`baseline: ${path.basename(dirs[1]!)}`);
    expect(r.stdout).toContain(`Base run ${path.basename(dirs[1]!)}`.replace(/_/g, '\\_'));
    expect(r.status).toBe(1);
    const none = cli('compare', '--baseline', 'last-pass', '--report-dir', reports, dirs[0]!);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no passing run with scenarios before');
    expect(cli('compare', '--baseline', 'last-pass', dirs[0]!, dirs[1]!).status).toBe(2);
  });
});
