// A short real soak (down-after 1500 ms): a seeded schedule over the registry's soak kinds while the workload
// writes, invariants checked at quiescent points and at the end; its journal replays to the same steps; nothing is left.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleFromJournal, soak, type SoakFlags } from '../../src/cli/soak.ts';
import type { Journal, TrialResult } from '../../src/report/journal.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { defaultMix, generateSchedule, SOAK_DEFAULTS } from '../../src/runner/soak-schedule.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const SUBNET = 179;
const nftTables = (): string[] =>
  execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('sentinel_chaos_'));

const FLAGS: SoakFlags = {
  duration: 30_000,
  seed: 1717,
  mix: 'kill-pod=3,pause=2,kill-sentinel=2,partition=2',
  interval: [3000, 6000],
  hold: [1000, 3000],
  maxConcurrent: 2,
  rate: 100,
  converge: 20_000,
  shrinkRuns: 0,
  target: 'local',
  reportDir: '',
};

describe('soak on the local target (30 s, down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let code: number;
  let journal: Journal;
  let trial: TrialResult;
  let tablesBefore: string[];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-soak-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    tablesBefore = nftTables();
    const reportDir = path.join(tmp, 'reports');
    code = await soak(
      { ...FLAGS, reportDir },
      {
        target: 'local',
        manifestsDir: RUN_DEFAULTS.manifestsDir,
        reportDir,
        overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
        subnet: SUBNET,
      },
    );
    journal = JSON.parse(readFileSync(path.join(reportDir, 'latest', 'result.json'), 'utf8')) as Journal;
    trial = journal.scenarios[0]!.trials[0]!;
  }, 240_000);

  afterAll(() => {
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the seeded schedule: same steps as the generator draws, each landed and healed, or skipped with its reason', () => {
    expect([0, 1]).toContain(code);
    const sch = trial.schedule!;
    expect(sch.seed).toBe(1717);
    const mix = FLAGS.mix!.split(',').map((e) => ({ kind: e.split('=')[0]!, weight: Number(e.split('=')[1]) }));
    expect(mix.map((m) => m.kind).every((k) => defaultMix().some((d) => d.kind === k))).toBe(true);
    const expected = generateSchedule({
      seed: 1717,
      durationMs: 30_000,
      mix,
      intervalMs: [3000, 6000],
      holdMs: [1000, 3000],
      maxConcurrent: 2,
      settleMs: SOAK_DEFAULTS.settleMs,
      replicas: 2,
    });
    expect(sch.steps).toEqual(expected);
    expect(sch.realised.map((r) => r.step)).toEqual(expected.map((_, i) => i));
    for (const r of sch.realised) {
      expect(r.error, `step ${r.step + 1}`).toBeUndefined();
      if (r.skipped) continue;
      expect(r.victim).toMatch(/\((master|replica)\)$/);
      expect(r.landedMs!).toBeGreaterThanOrEqual(r.startMs);
      expect(r.healedMs!).toBeGreaterThanOrEqual(r.landedMs!);
    }
    expect(sch.realised.filter((r) => r.landedMs !== undefined).length).toBeGreaterThanOrEqual(3);
    expect(sch.checkpoints).toBeGreaterThanOrEqual(1);
  });

  it('checks every invariant, and its verdict follows from the violations it records', () => {
    const names = trial.checks.filter((c) => c.name.startsWith('invariant/')).map((c) => c.name);
    expect(names).toEqual(['invariant/single-master', 'invariant/convergence', 'invariant/sentinels-agree', 'invariant/no-lost-writes']);
    for (const c of trial.checks.filter((x) => x.name.startsWith('invariant/'))) {
      const mine = trial.schedule!.violations.filter((v) => `invariant/${v.invariant}` === c.name);
      expect(c.valid, c.explanation).toBe(mine.length === 0);
    }
    expect(trial.figures.writes_acked).toBeGreaterThan(500);
    expect(code).toBe(trial.verdict === 'pass' ? 0 : 1);
  });

  it('streams its history and events to the run dir and checks from the file; the journal keeps a bounded summary', () => {
    const dir = path.join(tmp, 'reports', 'latest');
    const lines = (rel: string) =>
      readFileSync(path.join(dir, rel), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { ns: number; type: string });
    const ops = lines(trial.historyFile!);
    expect(trial.historyFile).toBe('history/soak-1.jsonl');
    expect(ops.length).toBe(trial.figures.history_ops);
    expect(ops.filter((o) => o.type === 'invoke').length).toBe(trial.figures.writes_invoked);
    expect(lines('events/soak-1.jsonl').length).toBeGreaterThanOrEqual(trial.events.length - 5);
    const summary = trial.historySummary!;
    expect(summary.ops).toBe(ops.length);
    expect(summary.rate.points.length).toBeLessThanOrEqual(1000);
    expect(summary.windows.at(-1)!.label).toBe('outside every window');
    expect(summary.windows.length).toBe(trial.schedule!.realised.filter((r) => r.landedMs !== undefined).length + 1);
  });

  it('keeps the schedule replayable from the journal', async () => {
    const dir = path.join(tmp, 'reports', 'latest');
    expect((await scheduleFromJournal(dir)).steps).toEqual(trial.schedule!.steps);
  });

  it('leaves no process, state file, data dir or nft table behind', () => {
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
    expect(nftTables().filter((t) => !tablesBefore.includes(t))).toEqual([]);
  });
});
