// Every scenario of the fault catalogue on real processes, in one deployment, with down-after shortened to 1500 ms.
// (1000 ms is below what Sentinel tolerates: it reconnects to a new master on its 1 s ping period, so a
// just-promoted master can be declared down before its first PONG and failed over a second time.)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal, ScenarioResult, TrialResult } from '../../src/report/journal.ts';
import { runSuite, RUN_DEFAULTS, type RunResult } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const SCENARIOS = [
  'replica-kill',
  'master-pause',
  'network-partition',
  'network-partition-sentinels',
  'sentinel-quorum-loss',
  'manual-failover',
  'manual-failover-coordinated',
  'node-drain',
  'rolling-upgrade',
];

describe('the fault catalogue on the local target (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let result: RunResult;
  let journal: Journal;
  const scenario = (name: string): ScenarioResult => journal.scenarios.find((s) => s.name === name)!;
  const trial = (name: string): TrialResult => scenario(name).trials[0]!;
  const check = (name: string, check: string) => trial(name).checks.find((c) => c.name === check);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-cat-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    result = await runSuite({
      scenarios: await resolveScenarios(SCENARIOS),
      trials: 1,
      target: 'local',
      manifestsDir: RUN_DEFAULTS.manifestsDir,
      reportDir: path.join(tmp, 'reports'),
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
      subnet: 213,
    });
    journal = result.journal;
  }, 600_000);

  afterAll(() => {
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('passes every scenario within its declared bounds', () => {
    const failing = journal.scenarios.filter((s) => s.verdict !== 'pass').map((s) => `${s.name}: ${s.verdict} ${s.trials[0]?.message ?? ''}`);
    expect(failing).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it('replica-kill: no failover, no failed or late write, the replica rejoins', () => {
    const t = trial('replica-kill');
    expect(check('replica-kill', 'no-failover')?.valid).toBe(true);
    expect(t.figures.writes_not_acked_in_time).toBe(0);
    expect(t.figures.writes_lost).toBe(0);
    expect(t.figures.rejoin_ms).not.toBeNull();
  });

  it('master-pause: fails over, the thawed master claims master until Sentinel demotes it', () => {
    const t = trial('master-pause');
    expect(t.figures.sentinel_failover_ms).toBeGreaterThan(1500);
    expect(t.figures.split_brain_ms).toBeGreaterThan(0);
    expect(t.figures.demoted_ms).toBeGreaterThan(t.figures.sentinel_failover_ms!);
    expect(t.warnings?.some((w) => w.includes('more than one node claimed master'))).toBe(true);
  });

  it('network-partition: the isolated master acknowledges writes that are lost, all attributed to it', () => {
    const t = trial('network-partition');
    expect(t.figures.isolated_client_acked).toBeGreaterThan(0);
    expect(t.figures.writes_lost).toBeGreaterThan(0);
    expect(t.figures.writes_lost_old_master).toBe(t.figures.writes_lost);
    expect(t.figures.split_brain_dual_write_ms).toBeGreaterThan(0);
    expect(t.warnings?.some((w) => w.includes('acknowledged by the old master'))).toBe(true);
    expect(t.events.some((e) => e.kind === 'fault' && e.type === 'landed' && e.detail.includes('drop'))).toBe(true);
  });

  it('network-partition-sentinels: the sentinels fail over a master they cannot see, which keeps serving', () => {
    const t = trial('network-partition-sentinels');
    expect(t.figures.sentinel_failover_ms).not.toBeNull();
    expect(t.figures.split_brain_ms).toBeGreaterThan(0);
  });

  it('sentinel-quorum-loss: nothing is promoted without quorum; the failover follows the restore', () => {
    const t = trial('sentinel-quorum-loss');
    expect(check('sentinel-quorum-loss', 'no-failover-without-quorum')?.valid).toBe(true);
    expect(t.figures.promotions_without_quorum).toBe(0);
    expect(t.figures.sentinel_failover_ms).toBeLessThan(10_000);
    expect(t.figures.writes_lost).toBe(0);
  });

  it('manual-failover: a second SENTINEL FAILOVER answers INPROG, and the failover completes', () => {
    expect(check('manual-failover', 'manual-failover-inprog')?.valid).toBe(true);
    expect(trial('manual-failover').figures.sentinel_failover_ms).toBeLessThan(5000);
  });

  it('manual-failover-coordinated: the hand-over loses nothing, and the paused old master takes no write', () => {
    const t = trial('manual-failover-coordinated');
    expect(t.figures.writes_lost).toBe(0);
    expect(t.figures.split_brain_dual_write_ms).toBe(0);
    expect(t.figures.sentinel_failover_ms).toBeLessThan(5000);
  });

  it('node-drain: the PDB refuses a second eviction, at least 2 pods stay ready, no write is lost', () => {
    const t = trial('node-drain');
    expect(check('node-drain', 'pdb-refuses-second-eviction')?.valid).toBe(true);
    expect(t.figures.min_ready_pods).toBeGreaterThanOrEqual(2);
    expect(t.figures.writes_lost).toBe(0);
    expect(t.events.some((e) => e.kind === 'pod' && e.type === 'eviction-refused')).toBe(true);
  });

  it('rolling-upgrade: every pod restarted highest ordinal first, all on the binary, nothing lost', () => {
    const t = trial('rolling-upgrade');
    expect(check('rolling-upgrade', 'upgrade-versions')?.valid).toBe(true);
    const order = t.events.filter((e) => e.kind === 'fault' && e.type === 'upgrade' && /: terminate\b/.test(e.detail)).map((e) => e.detail.split(':')[0]);
    expect(order).toEqual(['redis-2', 'redis-1', 'redis-0']);
    expect(t.figures.writes_lost).toBe(0);
  });

  it('reports split_brain_ms and outage_ms for every trial in JUnit', () => {
    const junit = readFileSync(path.join(result.runDir, 'junit.xml'), 'utf8');
    for (const p of ['failover_ms', 'sentinel_failover_ms', 'outage_ms', 'writes_acked', 'writes_lost', 'split_brain_ms']) {
      expect(junit.match(new RegExp(`name="${p}"`, 'g'))?.length ?? 0, p).toBeGreaterThanOrEqual(SCENARIOS.length - 1);
    }
  });

  it('heals everything: no nft table, process or state left', () => {
    // This run's tables only: other harness runs may share the machine.
    const ours = `sentinel_chaos_${journal.run.id.replace(/[^A-Za-z0-9]/g, '_')}_`;
    expect(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })).not.toContain(ours);
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
