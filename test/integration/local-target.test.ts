// The local target on real processes: the manifests drive what runs, pods die and come back as replicas, down() leaves nothing.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { pairs, parseInfo, withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { inspectTopology, waitForConvergence } from '../../src/targets/convergence.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const PASSWORD = 'local-target-secret-9Qw';

describe('local target', () => {
  let tmp: string;
  let stateDir: string;
  let d: StartedDeployment;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-lt-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    const manifests = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
    // Edit the ConfigMap and the Secret themselves: the running cluster must follow them.
    const sentinelCm = path.join(manifests, '03-configmap-sentinel.yaml');
    writeFileSync(sentinelCm, readFileSync(sentinelCm, 'utf8').replace('down-after-milliseconds mymaster 5000', 'down-after-milliseconds mymaster 1234'));
    const secret = path.join(manifests, '01-secret.yaml');
    writeFileSync(secret, readFileSync(secret, 'utf8').replace('REPLACE_WITH_OPENSSL_RAND_BASE64_32', PASSWORD));
    d = await startLocalDeployment({ model: await loadDeployment(manifests), runId: 'lt', subnet: 212 });
  }, 60_000);

  afterAll(async () => {
    await d?.down();
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs what the ConfigMap says: every sentinel uses the edited down-after', async () => {
    for (const p of d.pods) {
      const m = pairs(await withProbe(p.sentinel, {}, (s) => s.call('SENTINEL', 'master', 'mymaster')));
      expect(m['down-after-milliseconds']).toBe('1234');
      expect(m.quorum).toBe('2');
    }
  });

  it('uses the password from the Secret and refuses clients without it', async () => {
    expect(d.password).toBe(PASSWORD);
    const master = d.pods[0]!.redis;
    await expect(withProbe(master, {}, (r) => r.set('k', 'v'))).rejects.toThrow(/NOAUTH/);
    expect(await withProbe(master, { password: PASSWORD }, (r) => r.set('k', 'v'))).toBe('OK');
  });

  it('starts converged, with redis-0 as the first master and each pod on its own loopback address', async () => {
    const r = await inspectTopology({ pods: d.pods, password: d.password, masterName: 'mymaster' });
    expect(r.ok).toBe(true);
    expect(r.ok && r.topology.master.name).toBe('redis-0');
    expect(new Set(d.pods.map((p) => p.redis.host)).size).toBe(3);
    for (const p of d.pods) expect(p.redis.host).toMatch(/^127\.0\.212\.\d+$/);
  });

  it('brings a killed replica pod back as a replica of the same master, found through the sentinels', async () => {
    const victim = d.pods[2]!;
    await d.podControl.kill(victim.name);
    expect(d.podControl.isRunning(victim.name)).toBe(false);
    await expect(withProbe(victim.redis, { password: PASSWORD, connectTimeoutMs: 200 }, (r) => r.ping())).rejects.toThrow();
    await d.podControl.start(victim.name);
    let info: Record<string, string> = {};
    for (let i = 0; i < 200 && info.master_link_status !== 'up'; i++) {
      info = parseInfo(await withProbe(victim.redis, { password: PASSWORD }, (r) => r.info('replication')));
      await sleep(25);
    }
    expect(info.role).toBe('slave');
    expect(`${info.master_host}:${info.master_port}`).toBe(`${d.pods[0]!.redis.host}:6379`);
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: 'mymaster' }, { timeoutMs: 20_000 });
  });

  it('down() stops every process and removes the run directory', async () => {
    const runDir = d.describe().run_dir!;
    // redis, sentinel and role-labeller per pod, plus whatever the labellers' loops run at this instant (sleep, redis-cli, curl).
    expect(processesUnder(runDir).length).toBeGreaterThanOrEqual(9);
    await d.down();
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
