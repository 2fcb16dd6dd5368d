// The app-path checks on real processes and real client libraries (down-after 1500 ms): the bundled manifests pass across a master kill; a Service selecting every pod is caught.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CLIENTS, appPathChecks, appPathTable, type AppPathCheck } from '../../src/conformance/app-paths.ts';
import { loadDeployment } from '../../src/config/manifests.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import { hasServices, type StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const OVERRIDES = { sentinel: { 'down-after-milliseconds': '1500' } };
const QUICK = { warmupMs: 500, afterMs: 500, rateHz: 50 };

async function setUp(prefix: string, edit?: (manifests: string) => void) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  const stateDir = path.join(tmp, 'state');
  process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
  const manifests = path.join(tmp, 'manifests');
  cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
  edit?.(manifests);
  return { tmp, stateDir, manifests };
}

const byName = (checks: readonly AppPathCheck[], name: string) => {
  const c = checks.find((x) => x.name === name);
  expect(c, `no check ${name}`).toBeDefined();
  return c!;
};

describe('app paths on the bundled manifests', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  let d: StartedDeployment | undefined;
  let checks: AppPathCheck[];

  beforeAll(async () => {
    env = await setUp('sc-ap-');
    d = await startLocalDeployment({ model: await loadDeployment(env.manifests), runId: 'ap', subnet: 113, overrides: OVERRIDES });
    checks = await appPathChecks(d, { ...QUICK, resumeTimeoutMs: 20_000, restart: true });
    console.log(`app paths across a master kill (bundled manifests):\n${appPathTable(checks)}`);
  }, 150_000);

  afterAll(async () => {
    await d?.down();
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(env.tmp, { recursive: true, force: true });
  });

  it('passes every app-path check across a master kill, each with expected and observed', () => {
    const failed = checks.filter((c) => c.valid !== true);
    expect(failed.map((c) => `${c.name}: expected ${c.expected}; observed ${c.observed}`)).toEqual([]);
    const names = checks.map((c) => c.name);
    for (const a of APP_CLIENTS)
      for (const w of ['keeps-writing', 'readonly', 'lost-writes', ...(a.reads ? ['reads'] : [])]) expect(names).toContain(`${a.name}.${w}`);
    for (const n of ['service.routes-to-master', 'failover-time', 'service.label-follows-master']) expect(names).toContain(n);
    for (const c of checks) {
      expect(c.group).toBe('app-paths');
      expect(c.expected.length, c.name).toBeGreaterThan(5);
      expect(c.observed.length, c.name).toBeGreaterThan(5);
    }
  });

  it('measures the failover through the Service and through Sentinel, and the label lag, all after down-after', () => {
    const f = byName(checks, 'failover-time').figures!;
    for (const k of ['service_failover_ms', 'sentinel_failover_ms', 'promoted_ms', 'label_ms', 'label_lag_ms']) expect(f[k], k).not.toBeNull();
    // Nothing can be detected before down-after: a smaller figure would be a measuring error.
    expect(f.service_failover_ms!).toBeGreaterThan(1500);
    expect(f.sentinel_failover_ms!).toBeGreaterThan(1500);
    for (const a of APP_CLIENTS) {
      const c = byName(checks, `${a.name}.keeps-writing`);
      const k = c.figures!;
      expect(k.writes_after_fault_acked!, a.name).toBeGreaterThan(0);
      expect(k.readonly_errors, a.name).toBe(0);
      expect(k.failover_ms!, a.name).toBeGreaterThan(1500);
      // The real library and its version, from the driver's hello line, reach the report.
      expect(c.explanation, a.name).toMatch(/^Library \S+ \d+\.\d+/);
      expect(byName(checks, 'failover-time').figures![`${a.name}_failover_ms`], a.name).toBe(k.failover_ms);
    }
  });

  it('reads back through the real clients: every session read on the master path saw its write, replica reads counted', () => {
    for (const a of APP_CLIENTS.filter((x) => x.reads)) {
      const f = byName(checks, `${a.name}.reads`).figures!;
      expect(f.master_reads! - f.master_reads_unconstrained!, a.name).toBeGreaterThan(0);
      // Violations across the fault (a write the killed master took along) are accepted; any other fails the check.
      expect(f.ryw_violations! - f.ryw_violations_across_fault!, a.name).toBe(0);
    }
    for (const n of ['redis-py-sentinel', 'node-redis-sentinel', 'ioredis-sentinel'])
      expect(byName(checks, `${n}.reads`).figures!.replica_reads!, n).toBeGreaterThan(0);
    expect(checks.some((c) => c.name === 'redis-rb-sentinel.reads')).toBe(false);
  });

  it('leaves the master labelled and routed to after the old master came back, and nothing running after down()', async () => {
    expect(hasServices(d!)).toBe(true);
    expect(d!.describe().service_addresses).toBe('redis=127.0.113.250:6379 redis-sentinel=127.0.113.251:26379');
    expect(d!.services!.endpoint('redis', 6379)).toEqual({ host: '127.0.113.250', port: 6379 });
    expect(() => d!.services!.endpoint('redis', 26379)).toThrow(/no Service redis with port 26379/);
    const labelled = d!.pods.filter((p) => d!.services!.podLabels(p.name)['redis.io/role'] === 'master');
    expect(labelled).toHaveLength(1);
    await d!.down();
    expect(processesUnder(env.stateDir)).toEqual([]);
    expect(entriesIn(env.stateDir)).toEqual([]);
  });
});

describe('app paths with a redis Service that selects every pod', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  let d: StartedDeployment | undefined;
  let checks: AppPathCheck[];

  beforeAll(async () => {
    env = await setUp('sc-ap-all-', (dir) => {
      const f = path.join(dir, '06-services.yaml');
      const text = readFileSync(f, 'utf8');
      const master = '    app.kubernetes.io/name: redis\n    redis.io/role: master\n';
      expect(text.split(master)).toHaveLength(2);
      writeFileSync(f, text.replace(master, '    app.kubernetes.io/name: redis\n'));
    });
    d = await startLocalDeployment({ model: await loadDeployment(env.manifests), runId: 'ap-all', subnet: 114, overrides: OVERRIDES });
    checks = await appPathChecks(d, { ...QUICK, resumeTimeoutMs: 6000, restart: false });
    console.log(`app paths with a Service selecting every pod:\n${appPathTable(checks)}`);
  }, 150_000);

  afterAll(async () => {
    await d?.down();
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(env.tmp, { recursive: true, force: true });
  });

  it('fails the routing check: two new connections in three reach a replica (READONLY)', () => {
    const c = byName(checks, 'service.routes-to-master');
    expect(c.valid).toBe(false);
    expect(c.figures).toEqual({ probe_connections: 9, probe_readonly: 6 });
    expect(c.observed).toContain('6 READONLY');
  });

  it('fails READONLY for the plain clients that landed on a replica, not for the Sentinel-aware ones', () => {
    const plain = APP_CLIENTS.filter((a) => a.path === 'service').map((a) => byName(checks, `${a.name}.readonly`));
    expect(plain.filter((c) => c.valid === false).length).toBeGreaterThanOrEqual(2);
    for (const c of plain.filter((x) => x.valid === false)) expect(c.figures!.readonly_errors!).toBeGreaterThan(0);
    for (const a of APP_CLIENTS.filter((x) => x.path === 'sentinel')) expect(byName(checks, `${a.name}.readonly`).valid).toBe(true);
  });
});
