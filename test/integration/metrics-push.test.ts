// run --push: the metrics.prom text PUT to Debian's real prometheus-pushgateway (on 127.0.110.1), read back
// through its API; a push to nothing is a warning, a bad --push is exit 2.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushMetrics, renderOpenMetrics } from '../../src/report/metrics.ts';
import { sampleJournal } from '../unit/report/sample-journal.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HOST = '127.0.110.1';
const PORT = 19_091;
const BASE = `http://${HOST}:${PORT}`;
let tmp: string;
let gateway: ChildProcess | undefined;

beforeAll(async () => {
  if (spawnSync('sh', ['-c', 'command -v prometheus-pushgateway']).status !== 0)
    throw new Error('prometheus-pushgateway is not installed: run scripts/setup.sh');
  tmp = mkdtempSync(path.join(tmpdir(), 'sc-push-'));
  gateway = spawn('prometheus-pushgateway', [`--web.listen-address=${HOST}:${PORT}`, `--persistence.file=${path.join(tmp, 'pushgateway.data')}`], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ready = await fetch(`${BASE}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline || gateway.exitCode !== null) throw new Error(`the pushgateway did not become ready on ${BASE}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 20_000);

afterAll(async () => {
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((r) => gateway!.once('exit', r));
    gateway.kill('SIGTERM');
    await exited;
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface ApiGroup {
  labels: Record<string, string>;
  [family: string]: unknown;
}

describe('pushing metrics to a Pushgateway', () => {
  it("the run's series land in the group job=sentinel-chaos, run_id=<id>, with their labels and values", async () => {
    const j = sampleJournal();
    expect(await pushMetrics(BASE, j.run.id, renderOpenMetrics(j))).toBeNull();
    const api = (await (await fetch(`${BASE}/api/v1/metrics`)).json()) as { status: string; data: ApiGroup[] };
    expect(api.status).toBe('success');
    const group = api.data.find((g) => g.labels.run_id === j.run.id)!;
    expect(group.labels).toMatchObject({ job: 'sentinel-chaos', run_id: j.run.id });
    const text = await (await fetch(`${BASE}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('sentinel_chaos_failover_ms{') && l.includes('trial="2"'));
    expect(line).toBeDefined();
    for (const l of [
      'instance=""',
      'job="sentinel-chaos"',
      'profile="seed"',
      'redis_version="8.2.1"',
      `run_id="${j.run.id}"`,
      'scenario="master-kill"',
      'target="local"',
      'trial="2"',
    ])
      expect(line).toContain(l);
    expect(line!.endsWith(' 17204.9')).toBe(true);
    expect(text).toMatch(/sentinel_chaos_trial_passed\{[^}]*trial="1"[^}]*\} 1/);
  });

  it('a Pushgateway that is not there: a one-line warning, no throw', async () => {
    const w = await pushMetrics(`http://${HOST}:${PORT + 1}`, 'r1', '# EOF\n', 3000);
    expect(w).toMatch(/^pushing metrics to http:\/\/127\.0\.110\.1:19092\/metrics\/job\/sentinel-chaos\/run_id\/r1 failed: ECONNREFUSED$/);
  });

  it('run --push with a bad URL: exit 2 naming the flag, before anything starts', () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    const r = spawnSync(
      'node',
      ['src/cli/main.ts', 'run', '--scenario', 'master-kill', '--subnet', '110', '--push', 'pushgateway:9091', '--report-dir', path.join(tmp, 'reports')],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('sentinel-chaos: --push pushgateway:9091: not an http(s) URL');
  });
});
