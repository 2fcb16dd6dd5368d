// The trial's last phase: its checkers over the history and events the earlier phases recorded, then the journal entry.
import { nsToMs } from '../clock.ts';
import { checkAvailability } from '../checkers/availability.ts';
import { bindCheck, mergeFigures, runChecks, type BoundCheck } from '../checkers/compose.ts';
import { checkConvergedAfterHeal } from '../checkers/converged-after-heal.ts';
import { checkFailedWrites } from '../checkers/failed-writes.ts';
import { checkFailoverTime } from '../checkers/failover-time.ts';
import { checkLatency, latencyResult, latencyWindows, type LatencyWindows } from '../checkers/latency.ts';
import { attributedLossOfFold, AvailabilityFold, LatencyFold, NewMasterAckFold, WriteFold, type LostSpec } from '../checkers/history-fold.ts';
import { foldHistoryFile } from '../report/history-file.ts';
import { SummaryFold, type HistorySummary } from '../report/history-summary.ts';
import { checkWriteLossAttributed } from '../checkers/loss-attribution.ts';
import { checkNoFailover } from '../checkers/no-failover.ts';
import { checkPhases, failoverPhases } from '../checkers/phases.ts';
import { podLifecycleFigures } from '../checkers/pod-lifecycle.ts';
import { checkRejoin } from '../checkers/rejoin.ts';
import { restoredAway } from '../checkers/restore-point.ts';
import { evictedAway } from '../checkers/eviction.ts';
import { checkSplitBrain } from '../checkers/split-brain.ts';
import { invariantChecks } from '../checkers/invariants.ts';
import type { ScheduleRecord } from '../model/schedule.ts';
import { describeSteps, scheduleRecord } from './composed.ts';
import { trialVerdict, type TrialEnd } from '../checkers/trial-verdict.ts';
import { alertWindows } from '../model/alerts.ts';
import type { CheckResult, Figures, TrialInput } from '../model/check.ts';
import type { TrialResult } from '../report/journal.ts';
import type { Topology } from '../targets/convergence.ts';
import { addr } from '../targets/target.ts';
import type { Op, ReadBack } from '../model/history.ts';
import { CLIENT_DEFAULTS } from '../workload/sentinel-client.ts';
import { durationMs } from './scenario.ts';
import { MAIN_CLIENT, type Converged, type Healed, type Injected, type Observed, type Settled, type Steady, type TrialEnv } from './trial-phases.ts';

/** The results of the phases that finished; a trial that stopped early has only the first few. */
export interface PhaseResults {
  topology?: Topology;
  converge?: Converged;
  steady?: Steady;
  inject?: Injected;
  observe?: Observed;
  heal?: Healed;
  settle?: Settled;
  readBack?: ReadBack;
}

/**
 * A streamed trial's history, read back from its file after the read-back: pass 1 folds what write loss, availability
 * and the latency windows need; pass 2 the latency figures (windows known) and the report's summary.
 */
export interface FoldedHistory {
  file: string;
  writes: WriteFold;
  main: AvailabilityFold;
  latency: Figures;
  /** Set when a phase's latency quantiles come from the fold's histogram (LatencyFold.note). */
  latencyNote: string | null;
  windows: LatencyWindows;
  summary: HistorySummary;
  /** A bounded sample of the operations, for the report's scatter and write strip. */
  sample: Op[];
  /** The fold's own cost: both passes, ms. */
  foldMs: number;
}

export interface TrialOutcome {
  result: TrialResult;
  /** Every operation; a streamed trial's only in its file (`streamed`) and a sample here. */
  history: Op[];
  streamed?: { file: string; sample: Op[] };
  /** How the trial ended (the phase that threw, when one did). */
  end: TrialEnd;
  /** A safeguard (a haltOn probe) halted the trial: which, when (run clock) and why. */
  halted?: { by: string; ns: number; reason: string };
}

/** When the fault was injected (the step that started it), else when it landed: where loss attribution starts. */
function injectNsOf(env: TrialEnv, done: PhaseResults): number | null {
  return env.timeline.firstMark('fault', 'inject')?.ns ?? done.inject?.fault.landedNs ?? null;
}

/** Pass 1 over a streamed trial's file: write loss (told as the operations come, against the read-back), availability. */
export interface FirstPass {
  file: string;
  writes: WriteFold;
  main: AvailabilityFold;
  ack: NewMasterAckFold;
  fromNs: number;
  toNs: number;
  /** The fault's landing and the master before it, as the pass took them. */
  faultNs: number | null;
  oldMaster: string | null;
  ms: number;
}

/**
 * The first pass over a streamed trial's history, once per trial: the schedule's final check asks for it first, with
 * its own selection of lost writes (`also`), and the trial's checks take the same. Null when the history is in memory.
 */
export function firstPass(env: TrialEnv, done: PhaseResults, also: LostSpec['also'] = []): Promise<FirstPass | null> {
  let p = firstPasses.get(env);
  if (!p) firstPasses.set(env, (p = foldFirst(env, done, also)));
  return p;
}

const firstPasses = new WeakMap<TrialEnv, Promise<FirstPass | null>>();

async function foldFirst(env: TrialEnv, done: PhaseResults, also: LostSpec['also']): Promise<FirstPass | null> {
  const streamed = env.workload.streamed();
  if (!streamed) return null;
  env.workload.closeStream(env.own.ops());
  const started = performance.now();
  const faultNs = done.inject?.fault.landedNs ?? null;
  const oldMaster = done.topology ? addr(done.topology.master.redis) : null;
  const rb = done.readBack;
  // With the read-back known, the lost writes are told as they come and a key costs a byte of flags.
  const writes = rb ? new WriteFold({ lost: { present: rb.present, sinceNs: injectNsOf(env, done), oldMaster, also } }) : new WriteFold({ details: false });
  const main = new AvailabilityFold();
  const ack = new NewMasterAckFold(faultNs, oldMaster);
  let fromNs = Infinity;
  let toNs = -Infinity;
  await foldHistoryFile(streamed.file, (op) => {
    writes.add(op);
    if (op.ns < fromNs) fromNs = op.ns;
    if (op.ns > toNs) toNs = op.ns;
    if (op.process !== MAIN_CLIENT) return;
    main.add(op);
    ack.add(op);
  });
  return { file: streamed.file, writes, main, ack, fromNs, toNs, faultNs, oldMaster, ms: performance.now() - started };
}

/** Read a streamed trial's history file in two passes (none of it held beyond the folds); null when the history is in memory. */
export async function foldStreamed(env: TrialEnv, done: PhaseResults): Promise<FoldedHistory | null> {
  const first = await firstPass(env, done);
  if (!first) return null;
  const started = performance.now();
  const { writes, main, ack, fromNs, toNs, faultNs, oldMaster } = first;
  const windows = latencyWindows({ ...inputOf(env, done, []), faultNs, oldMaster }, ack.first);
  const latency = new LatencyFold(windows);
  const present = done.readBack?.present;
  // Lost: acknowledged (the fold's flags) and absent from the read-back; no set of the lost keys is built.
  const isLost = (k: string) => present !== undefined && !present.has(k) && writes.ackedKey(k);
  const sch = env.schedule;
  const stepWindows = sch?.monitor
    ? sch.monitor.windows(env.ctx.clock.nowNs()).map((w) => {
        const r = sch.run.realised.find((x) => x.step === w.step);
        return {
          label: `step ${w.step + 1} ${sch.spec.steps[w.step]?.fault.kind ?? '?'}${r?.victim ? ` on ${r.victim}` : ''}`,
          startNs: w.startNs,
          endNs: w.endNs,
        };
      })
    : faultNs !== null
      ? [{ label: 'fault', startNs: faultNs, endNs: env.timeline.firstMark('fault', 'healed')?.ns ?? toNs }]
      : [];
  const summary = new SummaryFold({ fromNs, toNs, originNs: faultNs ?? fromNs, isLost, windows: stepWindows });
  await foldHistoryFile(first.file, (op) => {
    summary.add(op);
    if (op.process === MAIN_CLIENT) latency.add(op);
  });
  const { sample, summary: s } = summary.finish();
  return {
    file: first.file,
    writes,
    main,
    latency: latency.figures(),
    latencyNote: latency.note(),
    windows,
    summary: s,
    sample,
    foldMs: Math.round(first.ms + performance.now() - started),
  };
}

/** The checkers' input as far as the trial got (`history`: all of it, or for a streamed trial what the writers kept). */
function inputOf(env: TrialEnv, done: PhaseResults, history: Op[]): TrialInput {
  return {
    history,
    events: env.timeline.all(),
    readBack: done.readBack ?? null,
    faultNs: done.inject?.fault.landedNs ?? null,
    oldMaster: done.topology ? addr(done.topology.master.redis) : null,
    masterName: env.ctx.deployment.model.masterName,
    ...(done.converge?.evictions ? { evictions: done.converge.evictions.record() } : {}),
  };
}

/** Keys acknowledged but absent from the read-back (at most 10 000, for the report's write strip). */
function lostKeys(history: readonly Op[], rb: ReadBack): string[] {
  const acked = new Set(history.filter((o) => o.type === 'ok').map((o) => o.key));
  return [...acked].filter((k) => !rb.present.has(k)).slice(0, 10_000);
}

/** How much of the run its fault windows cover and the writes acknowledged inside and outside them (see WindowCoverage). */
export function coverageFigures(summary: HistorySummary): Figures {
  const c = summary.coverage;
  if (!c) return {};
  return {
    fault_window_coverage: c.faultWindowCoverage,
    writes_acked_in_windows: c.ackedInside,
    writes_acked_outside_windows: c.ackedOutside,
    writes_lost_in_windows: c.lostInside,
    lost_share_in_windows: c.lostShareInside,
  };
}

/** A streamed trial's lost keys for the journal: a sample (the first and last LOST_SAMPLE by acknowledgement) and the count. */
function lostSample(writes: WriteFold, rb: ReadBack): Pick<TrialResult, 'lostKeys' | 'lostKeysSample'> {
  const lost = writes.lostWrites(rb.present);
  return {
    lostKeys: lost.sample.map((o) => o.key),
    lostKeysSample: { total: lost.count, kept: lost.sample.length, rule: `the first and last ${lost.sampleSize} by first acknowledgement` },
  };
}

/** The checks of the steps the trial reached, in the journal's order after the fault's own: no failover, rejoin, convergence. */
function stepChecks(env: TrialEnv, done: PhaseResults): BoundCheck[] {
  const s = env.ctx.scenario;
  const checks: BoundCheck[] = [];
  if (done.observe && s.expect.failover === false) checks.push(bindCheck('no-failover', checkNoFailover, { untilNs: done.observe.endNs }));
  if (done.heal?.rejoin) checks.push(bindCheck('rejoin', checkRejoin, done.heal.rejoin));
  if (done.settle) checks.push(bindCheck('convergence', checkConvergedAfterHeal, done.settle));
  return checks;
}

/** Every check of the trial, in the journal's order, and the warnings they raise. */
function runTrialChecks(
  env: TrialEnv,
  done: PhaseResults,
  input: TrialInput,
  completed: boolean,
  folded: FoldedHistory | null,
): { results: CheckResult[]; warnings: string[]; restoredFigures: Figures } {
  const { scenario: s, deployment: d, client } = env.ctx;
  const warnings: string[] = [];
  const fault = done.inject?.fault;
  // Failover and availability are what the application behind Sentinel sees; a client pinned to an
  // isolated master would mask its outage. Loss and split brain look at every client.
  const mainInput: TrialInput = { ...input, history: input.history.filter((o) => o.process === MAIN_CLIENT) };
  const maxSplitBrainMs = durationMs(s.expect.maxSplitBrainMs, d.downAfterMs);
  const injectNs = injectNsOf(env, done);
  // A streamed history is judged from its folds; restore points and evictions set writes aside only in memory.
  const unchanged = { input, figures: {}, warning: null };
  const restored = folded ? unchanged : restoredAway(input, fault?.restorePointNs);
  if (restored.warning) warnings.push(restored.warning);
  const evicted = folded ? unchanged : evictedAway(restored.input, injectNs);
  if (evicted.warning) warnings.push(evicted.warning);
  // No soak kind restores a backup or evicts today; should one, its writes would count as lost: say so, not silently.
  if (folded && fault?.restorePointNs !== undefined)
    warnings.push('a streamed history does not set aside the writes after the restore point: they count as lost here');
  if (folded && (input.evictions?.keys.length ?? 0) > 0)
    warnings.push('a streamed history does not set aside the writes the memory policy evicted: they count as lost here');
  const lossConfig = {
    maxLost: s.expect.maxLostWrites,
    acceptLossFromOldMaster: s.expect.acceptLossFromOldMaster,
    maxLostFromOldMaster: s.expect.maxLostFromOldMaster,
    sinceNs: injectNs,
  };
  const loss = folded ? attributedLossOfFold(folded.writes, input, lossConfig) : checkWriteLossAttributed(evicted.input, lossConfig);
  if (loss.warning && !env.schedule?.monitor) warnings.push(loss.warning);
  const availability = s.expect.maxOutageMs === undefined ? {} : { maxOutageMs: durationMs(s.expect.maxOutageMs, d.downAfterMs) };
  const latency = { bounds: s.latency ?? {} };
  const mainChecks: BoundCheck[] = [
    ...(s.expect.failover === true ? [bindCheck('failover-time', checkFailoverTime, { sloMs: s.expect.failoverMs })] : []),
    ...(s.expect.failover === true && !fault?.failoverRequested
      ? [bindCheck('failover-phases', checkPhases, { failoverTimeoutMs: d.model.failoverTimeoutMs })]
      : []),
    folded ? bindCheck('availability', (i, c) => folded.main.check(i.faultNs, c), availability) : bindCheck('availability', checkAvailability, availability),
    folded
      ? bindCheck('latency', (_i, c) => latencyResult(folded.latency, folded.windows, c, folded.latencyNote), latency)
      : bindCheck('latency', checkLatency, latency),
  ];
  const commandTimeoutMs = { ...CLIENT_DEFAULTS, ...client }.commandTimeoutMs;
  // A schedule with invariants judges two masters and lost writes against its steps' windows instead.
  const monitor = env.schedule?.monitor;
  const results = [
    ...runChecks(mainInput, mainChecks),
    ...(monitor
      ? scheduleInvariantChecks(env, input, loss.check)
      : [...runChecks(input, [bindCheck('split-brain', checkSplitBrain, { maxSplitBrainMs })]), loss.check]),
    ...(done.inject?.checks ?? []),
    ...runChecks(input, stepChecks(env, done)),
    ...(s.expect.maxFailedWrites === undefined
      ? []
      : runChecks(input, [bindCheck('failed-writes', checkFailedWrites, { maxFailedWrites: s.expect.maxFailedWrites, commandTimeoutMs })])),
    ...ownWorkloadChecks(env, input, injectNs),
    ...env.probes.checks(completed),
  ];
  const split = results.find((r) => r.name === 'split-brain');
  if (split?.valid === true && (split.figures.split_brain_ms ?? 0) > 0) {
    warnings.push(`more than one node claimed master for ${split.figures.split_brain_ms} ms (accepted up to ${maxSplitBrainMs} ms): ${split.explanation}`);
  }
  return { results, warnings, restoredFigures: { ...restored.figures, ...evicted.figures } };
}

/** The schedule's invariants, carrying the whole run's split-brain and loss figures (windows or not) for the reports. */
function scheduleInvariantChecks(env: TrialEnv, input: TrialInput, loss: CheckResult): CheckResult[] {
  const { spec, run, monitor } = env.schedule!;
  const split = runChecks(input, [bindCheck('split-brain', checkSplitBrain, { maxSplitBrainMs: 0 })])[0]!;
  return invariantChecks(monitor!.violations, monitor!.checkpoints, (steps) => describeSteps(spec, run.realised, steps)).map((c) =>
    c.name === 'invariant/single-master'
      ? { ...c, figures: { ...c.figures, ...split.figures } }
      : c.name === 'invariant/no-lost-writes'
        ? { ...c, figures: { ...c.figures, ...loss.figures } }
        : c,
  );
}

/** The scenario's own workloads, held to the scenario's expectations with their own histories. */
function ownWorkloadChecks(env: TrialEnv, input: TrialInput, sinceNs: number | null): CheckResult[] {
  const { scenario: s, deployment: d } = env.ctx;
  const e = s.expect;
  return env.own.checks(
    input,
    {
      failover: e.failover === true,
      failoverMs: e.failoverMs,
      maxLostWrites: e.maxLostWrites,
      acceptLossFromOldMaster: e.acceptLossFromOldMaster,
      ...(e.maxLostFromOldMaster === undefined ? {} : { maxLostFromOldMaster: e.maxLostFromOldMaster }),
      ...(e.maxOutageMs === undefined ? {} : { maxOutageMs: durationMs(e.maxOutageMs, d.downAfterMs) }),
    },
    sinceNs,
  );
}

/** The schedule for the journal: steps, seed, what became of each step, violations. */
function scheduleOf(sch: NonNullable<TrialEnv['schedule']>): ScheduleRecord {
  return scheduleRecord(sch.spec, sch.run, {
    ...(sch.spec.seed !== undefined ? { seed: sch.spec.seed } : {}),
    violations: [...(sch.monitor?.violations ?? [])].sort((a, b) => a.atMs - b.atMs),
    checkpoints: sch.monitor?.checkpoints ?? 0,
  });
}

/** The figures the phases measured themselves, in the journal's order. */
function phaseFigures(done: PhaseResults): Figures {
  return {
    ...done.steady?.replication,
    ...done.inject?.figures,
    ...(done.heal?.rejoin ? { rejoin_ms: done.heal.rejoin.rejoinMs } : {}),
    ...(done.settle ? { convergence_ms: done.settle.convergenceMs } : {}),
    ...(done.settle && done.settle.isolatedAcked !== null ? { isolated_client_acked: done.settle.isolatedAcked } : {}),
  };
}

/** A schedule's counts: steps scheduled, landed, skipped; quiescent checkpoints; violations. */
function scheduleFigures(sch: TrialEnv['schedule']): Figures {
  if (!sch) return {};
  const r = sch.run.realised;
  return {
    schedule_steps: sch.spec.steps.length,
    schedule_steps_landed: r.filter((x) => x.landedMs !== undefined).length,
    schedule_steps_skipped: r.filter((x) => x.skipped !== undefined).length,
    ...(sch.monitor ? { schedule_checkpoints: sch.monitor.checkpoints, invariant_violations: sch.monitor.violations.length } : {}),
  };
}

/** Check the trial as far as it got and build its journal entry; the verdict comes from the checks and how the trial ended. */
export function checkTrial(env: TrialEnv, done: PhaseResults, end: TrialEnd, startedNs: number, folded: FoldedHistory | null = null): TrialOutcome {
  const { ctx, timeline, workload } = env;
  const { scenario: s, clock } = ctx;
  const fault = done.inject?.fault;
  const faultNs = fault?.landedNs ?? null;
  // Streamed: what the writers kept (the last minutes) for the phase checks; the rest comes from the folds.
  const h = workload.history();
  const evs = timeline.all();
  const input: TrialInput = { ...inputOf(env, done, h), events: evs };
  const rb = input.readBack;
  const { results, warnings, restoredFigures } = runTrialChecks(env, done, input, end.kind === 'completed', folded);
  const phases =
    faultNs === null || s.expect.failover !== true
      ? { phases: [], figures: {} }
      : failoverPhases({ ...input, history: h.filter((o) => o.process === MAIN_CLIENT) });
  const figures: Figures = {
    ...mergeFigures(results),
    ...restoredFigures,
    ...phases.figures,
    ...(faultNs !== null && fault ? podLifecycleFigures(evs, fault.victim.name, faultNs) : {}),
    ...phaseFigures(done),
    ...scheduleFigures(env.schedule),
    trial_ms: nsToMs(clock.nowNs() - startedNs),
    writes_skipped: workload.skipped(),
    ...(folded ? { history_ops: folded.summary.ops, history_fold_ms: folded.foldMs, ...coverageFigures(folded.summary) } : {}),
  };
  const dropped = env.schedule?.monitor ? workload.liveWrites().dropped : 0;
  if (dropped > 0) {
    figures.checkpoint_acks_unchecked = dropped;
    warnings.push(`${dropped} acknowledgements came while the checkpoints held their most and were left to the final check (no checkpoint for a long stretch)`);
  }
  const { verdict, message } = trialVerdict(results, end);
  const alerts = env.alerts ? alertWindows(evs, faultNs ?? startedNs, timeline.firstMark('fault', 'healed')?.ns ?? null) : null;
  for (const a of alerts ?? [])
    if (a.clearedMs === null) warnings.push(`alert ${a.name} was still firing when the trial ended (it fired ${a.firedMs} ms after the fault)`);
  const [lo, hi] = s.expect.failoverBandMs;
  const fo = figures.failover_ms;
  if (s.expect.failover === true && typeof fo === 'number' && (fo < lo || fo > hi))
    warnings.push(`client-observed failover ${fo} ms is outside the expected band ${lo}-${hi} ms`);
  return {
    history: folded ? [] : [...h, ...env.own.ops()].sort((a, b) => a.ns - b.ns),
    ...(folded ? { streamed: { file: folded.file, sample: folded.sample } } : {}),
    end,
    ...(env.halted ? { halted: env.halted } : {}),
    result: {
      index: ctx.index,
      verdict,
      startedAt: clock.wallIso(startedNs),
      durationMs: nsToMs(clock.nowNs() - startedNs),
      figures,
      phases: phases.phases,
      checks: results,
      events: evs,
      ...(warnings.length ? { warnings } : {}),
      ...(message ? { message } : {}),
      ...(faultNs !== null ? { clockStartNs: faultNs } : {}),
      ...(alerts ? { alerts } : {}),
      ...(rb ? (folded ? lostSample(folded.writes, rb) : { lostKeys: lostKeys(h, rb) }) : {}),
      ...(folded ? { historySummary: folded.summary } : {}),
      faultBackend: ctx.deployment.faultBackend ?? ctx.deployment.target,
      ...(env.schedule ? { schedule: scheduleOf(env.schedule) } : {}),
    },
  };
}
