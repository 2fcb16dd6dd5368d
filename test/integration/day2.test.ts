// Day-2 operations on real processes, in one deployment with down-after shortened to 1500 ms; then
// empty-volume once more against a copy of the manifests without the start-up protection, to show the
// scenario catches the loss it guards against.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal, TrialResult } from '../../src/report/journal.ts';
import { runSuite, RUN_DEFAULTS, type RunResult } from '../../src/runner/run.ts';
import { loadScenarioFile, resolveScenarios } from '../../src/runner/scenario.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

// full-restart first: it starts from the first boot's master, redis-0.
const SCENARIOS = ['full-restart', 'full-restart-reordered', 'aof-damage', 'backup-restore', 'empty-volume', 'scale-out'];
const OVERRIDES = { sentinel: { 'down-after-milliseconds': '1500' } };
const PROTECTION = /if \[ "\$master" = "\$POD_HOST" \] && ! has_data/;

describe('day-2 operations on the local target (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let result: RunResult;
  let journal: Journal;
  let unprotected: RunResult;
  const trial = (name: string): TrialResult => journal.scenarios.find((s) => s.name === name)!.trials[0]!;
  const check = (t: TrialResult, name: string) => t.checks.find((c) => c.name === name);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-day2-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    result = await runSuite({
      scenarios: await resolveScenarios(SCENARIOS),
      trials: 1,
      target: 'local',
      manifestsDir: RUN_DEFAULTS.manifestsDir,
      reportDir: path.join(tmp, 'reports'),
      overrides: OVERRIDES,
      subnet: 160,
    });
    journal = result.journal;

    // The same scenario against manifests whose start-redis.sh lacks the empty-data-dir protection.
    const manifests = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
    const scripts = path.join(manifests, '04-configmap-scripts.yaml');
    const text = readFileSync(scripts, 'utf8');
    expect(text).toMatch(PROTECTION);
    writeFileSync(scripts, text.replace(PROTECTION, 'if false && [ "$master" = "$POD_HOST" ] && ! has_data'));
    const scenarioFile = path.join(tmp, 'empty-volume-unprotected.yaml');
    writeFileSync(
      scenarioFile,
      readFileSync(path.join(path.dirname(RUN_DEFAULTS.manifestsDir), 'scenarios', 'empty-volume.yaml'), 'utf8').replace(
        'failoverMs: 30000',
        'failoverMs: 5000\n  rejoinMs: 5000',
      ),
    );
    unprotected = await runSuite({
      scenarios: [await loadScenarioFile(scenarioFile)],
      trials: 1,
      target: 'local',
      manifestsDir: manifests,
      reportDir: path.join(tmp, 'reports'),
      overrides: OVERRIDES,
      subnet: 160,
    });
  }, 600_000);

  afterAll(() => {
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('passes every day-2 scenario within its declared bounds', () => {
    const failing = journal.scenarios.filter((s) => s.verdict !== 'pass').map((s) => `${s.name}: ${s.verdict} ${s.trials[0]?.message ?? ''}`);
    expect(failing).toEqual([]);
    expect(result.exitCode).toBe(0);
  });

  it.each(['full-restart', 'full-restart-reordered'])('%s: one master, dataset and every acknowledged write back, never two masters', (name) => {
    const t = trial(name);
    expect(t.figures.keys_recovered).toBe(t.figures.keys_expected);
    expect(t.figures.keys_expected).toBeGreaterThan(0);
    expect(t.figures.writes_lost).toBe(0);
    expect(t.figures.split_brain_ms).toBe(0);
    expect(t.figures.time_to_writable_ms).not.toBeNull();
    expect(t.figures.aof_delayed_fsync).toBeGreaterThanOrEqual(0);
    expect(check(t, 'no-failover')?.valid).toBe(true);
    expect(check(t, 'convergence')?.valid).toBe(true);
  });

  it('full-restart-reordered: the pods were started highest ordinal first', () => {
    const order = trial('full-restart-reordered')
      .events.filter((e) => e.kind === 'fault' && e.type === 'start')
      .map((e) => e.detail);
    expect(order).toEqual(['redis-2', 'redis-1', 'redis-0']);
  });

  it('aof-damage: the replica starts on its cut AOF, rejoins, and no client notices', () => {
    const t = trial('aof-damage');
    expect(check(t, 'starts-with-truncated-aof')?.valid).toBe(true);
    expect(t.figures.aof_bytes_cut).toBe(7);
    expect(t.figures.rejoin_ms).not.toBeNull();
    expect(t.figures.writes_not_acked_in_time).toBe(0);
    expect(t.figures.keys_recovered).toBe(t.figures.keys_expected);
  });

  it('backup-restore: the dataset is back and writable; only writes after the backup may be gone', () => {
    const t = trial('backup-restore');
    expect(t.figures.keys_recovered).toBe(t.figures.keys_expected);
    expect(t.figures.time_to_writable_ms).not.toBeNull();
    expect(t.figures.writes_lost).toBe(0);
    expect(t.figures.writes_acked_after_backup).toBeGreaterThanOrEqual(t.figures.writes_lost_after_backup!);
    expect(t.events.some((e) => e.kind === 'fault' && e.type === 'backup' && e.detail.includes('appendonlydir/'))).toBe(true);
  });

  it('empty-volume: a replica is promoted instead of the empty pod, and nothing is lost', () => {
    const t = trial('empty-volume');
    expect(t.figures.keys_recovered).toBe(t.figures.keys_expected);
    expect(t.figures.writes_lost).toBe(0);
    expect(t.figures.sentinel_failover_ms).not.toBeNull();
    expect(t.figures.rejoin_ms).not.toBeNull();
  });

  it('scale-out: 5 sentinels with quorum 3 fail the master over, the old master rejoins, and 3 pods remain', () => {
    const t = trial('scale-out');
    expect(t.figures.sentinels).toBe(5);
    expect(t.figures.quorum).toBe(3);
    expect(t.figures.sentinel_failover_ms).not.toBeNull();
    expect(t.figures.writes_lost).toBe(0);
    expect(check(t, 'rejoin')?.valid).toBe(true);
    expect(t.events.some((e) => e.kind === 'fault' && e.type === 'quorum' && e.detail.includes('accepted by 5 of 5'))).toBe(true);
    expect(t.events.find((e) => e.kind === 'fault' && e.type === 'healed')?.detail).toBe('3 pods, quorum 2');
  });

  it('empty-volume without the protection: the scenario fails on the wiped dataset', () => {
    const t = unprotected.journal.scenarios[0]!.trials[0]!;
    expect(unprotected.exitCode).toBe(1);
    expect(t.verdict).toBe('fail');
    expect(t.figures.keys_recovered).toBe(0);
    expect(t.figures.writes_lost).toBeGreaterThan(0);
    expect(check(t, 'dataset-survives-empty-volume')?.valid).toBe(false);
  });

  it('reports the day-2 figures in JUnit', () => {
    const junit = readFileSync(path.join(result.runDir, 'junit.xml'), 'utf8');
    for (const p of ['time_to_writable_ms', 'keys_recovered', 'keys_expected', 'writes_lost', 'writes_lost_after_backup'])
      expect(junit, p).toMatch(new RegExp(`name="${p}" value="\\d`));
  });

  it('leaves no process or state behind', () => {
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
