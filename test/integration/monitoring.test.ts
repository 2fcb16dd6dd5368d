// The monitoring group on real processes (down-after 1500 ms): the exporter sidecars, a Prometheus on loopback and
// monitoring/alerts.yaml pass across a master kill; a copy of the rules with a wrong metric name fails the group.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMonitoring } from '../../src/config/monitoring.ts';
import { loadDeployment } from '../../src/config/manifests.ts';
import { groupVerdict } from '../../src/conformance/types.ts';
import { MASTER_KILL_ALERTS, monitoringChecks, type MonitoringCheck } from '../../src/conformance/monitoring.ts';
import { ALERT_RULES_FILE } from '../../src/observers/prometheus.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';

const OVERRIDES = { sentinel: { 'down-after-milliseconds': '1500' } };
const QUICK = { steadyMs: 8000, log: (l: string) => process.stderr.write(`${l}\n`) };

describe('monitoring group on the bundled manifests with --monitoring', () => {
  let tmp: string;
  let d: StartedDeployment | undefined;
  let good: MonitoringCheck[];
  let broken: MonitoringCheck[];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-mon-'));
    process.env.SENTINEL_CHAOS_STATE_DIR = path.join(tmp, 'state');
    const brokenRules = path.join(tmp, 'alerts-broken.yaml');
    writeFileSync(
      brokenRules,
      readFileSync(ALERT_RULES_FILE, 'utf8').replaceAll('redis_master_link_up', 'redis_master_link_is_up').replaceAll('up{job="redis"} == 0 or ', ''),
      { mode: 0o600 },
    );
    const model = applyMonitoring(await loadDeployment(RUN_DEFAULTS.manifestsDir), true);
    d = await startLocalDeployment({ model, runId: 'mon', subnet: 115, overrides: OVERRIDES });
    good = await monitoringChecks(d, QUICK);
    broken = await monitoringChecks(d, { ...QUICK, rulesFile: brokenRules });
  }, 240_000);

  afterAll(async () => {
    await d?.down();
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('passes with the shipped rules: silent in steady state, each expected alert fires and clears', () => {
    for (const c of good) process.stderr.write(`${c.valid} ${c.name}: ${c.observed}\n`);
    expect(good.filter((c) => c.valid !== true).map((c) => `${c.name}: expected ${c.expected}; observed ${c.observed}`)).toEqual([]);
    for (const n of MASTER_KILL_ALERTS.must) {
      const c = good.find((x) => x.name === `alert.${n}`)!;
      expect(c.figures?.fire_ms, n).toBeTypeOf('number');
      expect(c.figures?.clear_ms, n).toBeTypeOf('number');
      expect(
        c.events?.map((e) => `${e.kind}:${e.type}`),
        n,
      ).toEqual(['alert:fire', 'alert:clear']);
    }
    expect(groupVerdict(good)).toBe('pass');
  });

  it('fails with a broken copy of the rules (a wrong metric name never fires)', () => {
    expect(groupVerdict(broken)).toBe('fail');
    expect(broken.find((c) => c.name === 'alert.RedisReplicaLinkDown')?.valid).toBe(false);
  });

  it('leaves no prometheus and no storage dir behind', () => {
    const running = readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .filter((e) => {
        try {
          return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('sc-prometheus-');
        } catch {
          return false;
        }
      });
    expect(running).toEqual([]);
    expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith('sc-prometheus-'))).toEqual([]);
  });
});
