// Bring your own workload: examples/exec-workload/writer.py beside the harness's client across a master kill (run exits 0, its checks and figures under its name); writer-broken.py's fake acknowledgements are caught as lost (exit 1).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/report/journal.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'sc-exec-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** `npm run chaos -- run --scenario master-kill --workload-exec …`, bounded; the CLI's exit code and its journal. */
async function run(script: string, name: string): Promise<{ code: number | null; out: string; journal: Journal }> {
  const reportDir = path.join(tmp, name);
  const env: NodeJS.ProcessEnv = { ...process.env, SENTINEL_CHAOS_STATE_DIR: path.join(tmp, `${name}-state`) };
  delete env.NODE_OPTIONS;
  const argv = [
    'src/cli/main.ts',
    'run',
    '--scenario',
    'master-kill',
    '--workload-exec',
    `/usr/bin/python3 examples/exec-workload/${script}`,
    '--conformance',
    'none',
    '--subnet',
    '114',
    '--set',
    'sentinel.down-after-milliseconds=1500',
    '--report-dir',
    reportDir,
  ];
  const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGINT'), 150_000);
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  clearTimeout(timer);
  const journal = JSON.parse(readFileSync(path.join(reportDir, 'latest', 'result.json'), 'utf8')) as Journal;
  return { code, out, journal };
}

describe('an exec workload beside the harness across a master kill', () => {
  it('writer.py passes: its write-loss, failover-time and availability checks under its name, figures prefixed', async () => {
    const { code, out, journal } = await run('writer.py', 'good');
    const t = journal.scenarios[0]!.trials[0]!;
    const mine = t.checks.filter((c) => c.name.startsWith('writer.'));
    console.log(mine.map((c) => `${c.name}: ${c.valid} — ${c.explanation}`).join('\n'));
    expect(code, out.slice(-3000)).toBe(0);
    expect(mine.map((c) => c.name).sort()).toEqual(['writer.availability', 'writer.failover-time', 'writer.write-loss']);
    for (const c of mine) expect(c.valid, c.name).toBe(true);
    expect(t.figures['writer.failover_ms']!).toBeGreaterThan(1500);
    expect(t.figures['writer.writes_lost']).toBe(0);
    expect(mine.find((c) => c.name === 'writer.write-loss')!.explanation).toMatch(/all \d{3,} acknowledged writes present/);
    expect(t.figures.failover_ms).not.toBeNull();
  }, 180_000);

  it('writer-broken.py, acknowledging every 10th write without sending it, is caught as lost: exit 1', async () => {
    const { code, out, journal } = await run('writer-broken.py', 'broken');
    const t = journal.scenarios[0]!.trials[0]!;
    const loss = t.checks.find((c) => c.name === 'writer-broken.write-loss')!;
    console.log(`${loss.name}: ${loss.valid} — ${loss.explanation}`);
    expect(code, out.slice(-3000)).toBe(1);
    expect(loss.valid).toBe(false);
    // Every 10th acknowledged write (keys 0, 10, 20 …) never reached redis: at 200 writes/s over the trial, dozens.
    expect(t.figures['writer-broken.writes_lost']!).toBeGreaterThan(20);
    // The harness's own client is not blamed.
    expect(t.checks.find((c) => c.name === 'write-loss')!.valid).toBe(true);
  }, 180_000);
});
