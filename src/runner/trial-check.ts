// The trial's last phase: its checkers over the history and events the earlier phases recorded, then the journal entry.
import { nsToMs } from '../clock.ts';
import { checkAvailability } from '../checkers/availability.ts';
import { bindCheck, mergeFigures, runChecks, type BoundCheck } from '../checkers/compose.ts';
import { checkConvergedAfterHeal } from '../checkers/converged-after-heal.ts';
import { checkFailedWrites } from '../checkers/failed-writes.ts';
import { checkFailoverTime } from '../checkers/failover-time.ts';
import { checkLatency } from '../checkers/latency.ts';
import { checkWriteLossAttributed } from '../checkers/loss-attribution.ts';
import { checkNoFailover } from '../checkers/no-failover.ts';
import { checkPhases, failoverPhases } from '../checkers/phases.ts';
import { podLifecycleFigures } from '../checkers/pod-lifecycle.ts';
import { checkRejoin } from '../checkers/rejoin.ts';
import { restoredAway } from '../checkers/restore-point.ts';
import { checkSplitBrain } from '../checkers/split-brain.ts';
import { trialVerdict, type TrialEnd } from '../checkers/trial-verdict.ts';
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

export interface TrialOutcome {
  result: TrialResult;
  history: Op[];
  /** How the trial ended (the phase that threw, when one did). */
  end: TrialEnd;
  /** A safeguard (a haltOn probe) halted the trial: which, when (run clock) and why. */
  halted?: { by: string; ns: number; reason: string };
}

/** Keys acknowledged but absent from the read-back (at most 10 000, for the report's write strip). */
function lostKeys(history: readonly Op[], rb: ReadBack): string[] {
  const acked = new Set(history.filter((o) => o.type === 'ok').map((o) => o.key));
  return [...acked].filter((k) => !rb.present.has(k)).slice(0, 10_000);
}

/** The checks of the steps the trial reached, in the journal's order after the fault's own: no failover, rejoin, convergence. */
function stepChecks(env: TrialEnv, done: PhaseResults): BoundCheck[] {
  const s = env.ctx.scenario;
  const checks: BoundCheck[] = [];
  if (done.observe && !s.expect.failover) checks.push(bindCheck('no-failover', checkNoFailover, { untilNs: done.observe.endNs }));
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
): { results: CheckResult[]; warnings: string[]; restoredFigures: Figures } {
  const { scenario: s, deployment: d, client } = env.ctx;
  const warnings: string[] = [];
  const fault = done.inject?.fault;
  // Failover and availability are what the application behind Sentinel sees; a client pinned to an
  // isolated master would mask its outage. Loss and split brain look at every client.
  const mainInput: TrialInput = { ...input, history: input.history.filter((o) => o.process === MAIN_CLIENT) };
  const maxSplitBrainMs = durationMs(s.expect.maxSplitBrainMs, d.downAfterMs);
  const injectNs = env.timeline.firstMark('fault', 'inject')?.ns ?? input.faultNs;
  const restored = restoredAway(input, fault?.restorePointNs);
  if (restored.warning) warnings.push(restored.warning);
  const loss = checkWriteLossAttributed(restored.input, {
    maxLost: s.expect.maxLostWrites,
    acceptLossFromOldMaster: s.expect.acceptLossFromOldMaster,
    maxLostFromOldMaster: s.expect.maxLostFromOldMaster,
    sinceNs: injectNs,
  });
  if (loss.warning) warnings.push(loss.warning);
  const mainChecks: BoundCheck[] = [
    ...(s.expect.failover ? [bindCheck('failover-time', checkFailoverTime, { sloMs: s.expect.failoverMs })] : []),
    ...(s.expect.failover && !fault?.failoverRequested ? [bindCheck('failover-phases', checkPhases, { failoverTimeoutMs: d.model.failoverTimeoutMs })] : []),
    bindCheck('availability', checkAvailability, s.expect.maxOutageMs === undefined ? {} : { maxOutageMs: durationMs(s.expect.maxOutageMs, d.downAfterMs) }),
    bindCheck('latency', checkLatency, { bounds: s.latency ?? {} }),
  ];
  const commandTimeoutMs = { ...CLIENT_DEFAULTS, ...client }.commandTimeoutMs;
  const results = [
    ...runChecks(mainInput, mainChecks),
    ...runChecks(input, [bindCheck('split-brain', checkSplitBrain, { maxSplitBrainMs })]),
    loss.check,
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
  return { results, warnings, restoredFigures: restored.figures };
}

/** The scenario's own workloads, held to the scenario's expectations with their own histories. */
function ownWorkloadChecks(env: TrialEnv, input: TrialInput, sinceNs: number | null): CheckResult[] {
  const { scenario: s, deployment: d } = env.ctx;
  const e = s.expect;
  return env.own.checks(
    input,
    {
      failover: e.failover,
      failoverMs: e.failoverMs,
      maxLostWrites: e.maxLostWrites,
      acceptLossFromOldMaster: e.acceptLossFromOldMaster,
      ...(e.maxLostFromOldMaster === undefined ? {} : { maxLostFromOldMaster: e.maxLostFromOldMaster }),
      ...(e.maxOutageMs === undefined ? {} : { maxOutageMs: durationMs(e.maxOutageMs, d.downAfterMs) }),
    },
    sinceNs,
  );
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

/** Check the trial as far as it got and build its journal entry; the verdict comes from the checks and how the trial ended. */
export function checkTrial(env: TrialEnv, done: PhaseResults, end: TrialEnd, startedNs: number): TrialOutcome {
  const { ctx, timeline, workload } = env;
  const { scenario: s, deployment: d, clock } = ctx;
  const fault = done.inject?.fault;
  const faultNs = fault?.landedNs ?? null;
  const h = workload.history();
  const evs = timeline.all();
  const rb = done.readBack ?? null;
  const input: TrialInput = {
    history: h,
    events: evs,
    readBack: rb,
    faultNs,
    oldMaster: done.topology ? addr(done.topology.master.redis) : null,
    masterName: d.model.masterName,
  };
  const { results, warnings, restoredFigures } = runTrialChecks(env, done, input, end.kind === 'completed');
  const phases =
    faultNs === null || !s.expect.failover ? { phases: [], figures: {} } : failoverPhases({ ...input, history: h.filter((o) => o.process === MAIN_CLIENT) });
  const figures: Figures = {
    ...mergeFigures(results),
    ...restoredFigures,
    ...phases.figures,
    ...(faultNs !== null && fault ? podLifecycleFigures(evs, fault.victim.name, faultNs) : {}),
    ...phaseFigures(done),
    trial_ms: nsToMs(clock.nowNs() - startedNs),
    writes_skipped: workload.skipped(),
  };
  const { verdict, message } = trialVerdict(results, end);
  const [lo, hi] = s.expect.failoverBandMs;
  const fo = figures.failover_ms;
  if (s.expect.failover && typeof fo === 'number' && (fo < lo || fo > hi))
    warnings.push(`client-observed failover ${fo} ms is outside the expected band ${lo}-${hi} ms`);
  return {
    history: [...h, ...env.own.ops()].sort((a, b) => a.ns - b.ns),
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
      ...(rb ? { lostKeys: lostKeys(h, rb) } : {}),
      faultBackend: ctx.deployment.faultBackend ?? ctx.deployment.target,
    },
  };
}
