// Live conformance on real processes (down-after 1500 ms): the bundled manifests pass every static and live
// check; a deliberately misconfigured copy (quorum 3, appendonly no, maxmemory 1gb) fails exactly the checks
// that describe those three parameters.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { runGroups, selectGroups } from '../../src/conformance/run.ts';
import type { ConformanceGroupResult } from '../../src/conformance/types.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const OVERRIDES = { sentinel: { 'down-after-milliseconds': '1500' } };

async function conformanceOn(manifests: string, subnet: number, runId: string): Promise<{ results: ConformanceGroupResult[]; passwords: readonly string[] }> {
  const model = await loadDeployment(manifests);
  let d: StartedDeployment | undefined;
  try {
    d = await startLocalDeployment({ model, runId, subnet, overrides: OVERRIDES });
    const results = await runGroups(selectGroups(['static', 'live']), { model, deployment: d, overrides: OVERRIDES, convergeTimeoutMs: 30_000 });
    return { results, passwords: d.passwords };
  } finally {
    await d?.down();
  }
}

const failed = (r: ConformanceGroupResult | undefined) =>
  (r?.checks ?? [])
    .filter((c) => c.valid !== true)
    .map((c) => c.name)
    .sort();

describe('live conformance on the local target', () => {
  let tmp: string;
  let stateDir: string;
  let good: { results: ConformanceGroupResult[]; passwords: readonly string[] };
  let bad: { results: ConformanceGroupResult[]; passwords: readonly string[] };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-conf-live-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    good = await conformanceOn(RUN_DEFAULTS.manifestsDir, 220, 'conf-good');
    const broken = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, broken, { recursive: true });
    const edit = (file: string, from: RegExp, to: string) => {
      const p = path.join(broken, file);
      const text = readFileSync(p, 'utf8');
      expect(text).toMatch(from);
      writeFileSync(p, text.replace(from, to));
    };
    edit('03-configmap-sentinel.yaml', /(sentinel monitor mymaster \S+ 6379) 2$/m, '$1 3');
    edit('02-configmap-redis.yaml', /^(\s+)appendonly yes$/m, '$1appendonly no');
    edit('02-configmap-redis.yaml', /^(\s+)maxmemory 2gb$/m, '$1maxmemory 1gb');
    bad = await conformanceOn(broken, 220, 'conf-bad');
  }, 120_000);

  afterAll(() => {
    const left = processesUnder(stateDir);
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('the bundled manifests pass every static and live check', () => {
    expect(good.results.map((g) => [g.group, g.verdict])).toEqual([
      ['static', 'pass'],
      ['live', 'pass'],
    ]);
    const live = good.results[1]!;
    expect(live.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'replication.master-role',
        'replication.connected-replicas',
        'sentinel.masters',
        'sentinel.sentinels',
        'sentinel.replicas',
        'sentinel.agree-master',
        'sentinel.agree-config-epoch',
        'sentinel.ckquorum',
        'sentinel.no-tilt',
        'config.redis.requirepass',
        'auth.unauthenticated-refused',
        'auth.wrong-password-refused',
      ]),
    );
    expect(live.checks.find((c) => c.name === 'config.sentinel.down-after-milliseconds')?.observed).toBe('1500 on all 3');
    expect(live.checks.find((c) => c.name === 'config.redis.maxmemory')?.observed).toBe('2147483648 on all 3');
  });

  it('the misconfigured copy fails exactly the quorum, appendonly and maxmemory checks, statically and live', () => {
    const [st, live] = bad.results;
    expect(failed(live)).toEqual(['config.redis.appendonly', 'config.redis.maxmemory', 'config.sentinel.quorum']);
    expect(failed(st)).toEqual([
      'pdb.keeps-quorum',
      'redis.appendonly',
      'redis.maxmemory',
      'sentinel.failover-with-one-pod-down',
      'sentinel.quorum',
      'sentinel.quorum-majority',
    ]);
    const q = live!.checks.find((c) => c.name === 'config.sentinel.quorum')!;
    expect(q.expected).toBe('2 (seed design; the manifests declare 3)');
    expect(q.observed).toBe('3 on all 3');
    // CKQUORUM is satisfied (3 sentinels reach quorum 3): only the parameter check catches it.
    expect(live!.checks.find((c) => c.name === 'sentinel.ckquorum')?.valid).toBe(true);
  });

  it('never puts a password in a check', () => {
    const text = JSON.stringify([good.results, bad.results]);
    for (const p of [...good.passwords, ...bad.passwords]) expect(text.includes(p)).toBe(false);
  });

  it('leaves no process or state behind', () => {
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir).filter((e) => !e.startsWith('.'))).toEqual([]);
  });
});
