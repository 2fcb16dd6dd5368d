// The peer suite (redis's own sentinel tests where they apply) on real processes at down-after 1500 ms:
// every applicable check passes, each names its upstream test, the deployment ends converged on its
// original password, and no password used on the way appears in any check.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { PEER_CHECK_NAMES, peerChecks } from '../../src/conformance/peer.ts';
import type { ConformanceCheck } from '../../src/conformance/types.ts';
import { withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { inspectTopology } from '../../src/targets/convergence.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';
import { processesUnder } from '../support/leftovers.ts';

describe('peer conformance on the local target (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let d: StartedDeployment;
  let original: string;
  let checks: ConformanceCheck[];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-conf-peer-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    const model = await loadDeployment(RUN_DEFAULTS.manifestsDir);
    d = await startLocalDeployment({ model, runId: 'conf-peer', subnet: 224, overrides: { sentinel: { 'down-after-milliseconds': '1500' } } });
    original = d.password;
    checks = await peerChecks({ model, deployment: d, convergeTimeoutMs: 30_000 });
  }, 150_000);

  afterAll(async () => {
    await d?.down();
    const left = processesUnder(stateDir);
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('runs every declared check, in order, each naming its upstream test', () => {
    expect(checks.map((c) => c.name)).toEqual(PEER_CHECK_NAMES);
    for (const c of checks) {
      expect(c.group).toBe('peer');
      expect(c.upstream, c.name).toMatch(/^tests\/sentinel\/tests\/(0\d|1[0-3])-[a-z-]+\.tcl: ".+"$/);
    }
  });

  it('passes every applicable check; only the master-reboot check is skipped, with its reason', () => {
    const notPassed = checks.filter((c) => c.valid !== true);
    expect(notPassed.map((c) => `${c.name}: ${c.valid} ${c.observed} ${c.reason ?? ''}`)).toEqual([
      expect.stringMatching(/^master-reboot\.loading: skipped not run .*key-load-delay/),
    ]);
    // The failovers really happened and were measured.
    for (const name of [
      'base.failover-master-down',
      'conf-update.failover-with-sentinel-crashed',
      'slaves-reconf.failover-with-replica-down',
      'manual.failover',
    ]) {
      expect(checks.find((c) => c.name === name)?.figures?.failover_ms, name).toBeGreaterThan(0);
    }
    expect(checks.find((c) => c.name === 'manual.second-call-inprog')?.observed).toMatch(/^INPROG/);
    expect(checks.find((c) => c.name === 'ckquorum.detects-no-failover-authorization')?.observed).toMatch(/^NOQUORUM/);
  });

  it('ends converged, on the original password, with the temporary one recorded for redaction and refused', async () => {
    expect(d.password === original).toBe(true);
    expect(d.passwords.length).toBe(2);
    const temporary = d.passwords.find((p) => p !== original)!;
    const r = await inspectTopology({ pods: d.pods, password: d.password, masterName: d.model.masterName });
    expect(r.ok, r.ok ? '' : r.reason).toBe(true);
    for (const p of d.pods) {
      expect(await withProbe(p.redis, {}, (c) => c.call('AUTH', original)).then(String, (e: Error) => e.message)).toBe('OK');
      expect(await withProbe(p.redis, {}, (c) => c.call('AUTH', temporary)).then(String, (e: Error) => e.message)).toMatch(/^WRONGPASS/);
    }
  });

  it('never puts a password in a check', () => {
    const text = JSON.stringify(checks);
    for (const p of d.passwords) expect(text.includes(p)).toBe(false);
  });
});
