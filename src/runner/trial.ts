// One trial of a scenario as a sequence of named phases: converge ► warm-up (steady) ► fault (inject) ►
// failover (observe) ► heal ► converge after heal ► read back ► check. Each phase has its own limit and
// hands a typed result to the next; whatever phase stops the trial, the cleanup stack heals and closes.
import type { TrialEnd } from '../checkers/trial-verdict.ts';
import { isHarnessError, skipReason } from '../errors.ts';
import type { TrialResult } from '../report/journal.ts';
import type { Clock } from '../clock.ts';
import { CleanupStack, PhaseFailed, runPhase } from './phase.ts';
import { checkTrial, type PhaseResults, type TrialOutcome } from './trial-check.ts';
import { REDIS_IO, type TrialIo } from './trial-io.ts';
import { converge, heal, inject, observe, PHASE_LIMITS, readBack, settle, startRecording, steady, type TrialContext, type TrialEnv } from './trial-phases.ts';
import { Timeline, TrialWorkload } from './trial-record.ts';
import { TrialWorkloads } from './workloads.ts';
import { CLIENT_DEFAULTS } from '../workload/sentinel-client.ts';

export type { TrialContext } from './trial-phases.ts';
export type { TrialOutcome } from './trial-check.ts';

/** Run the phases in order, each result feeding the next; stop at the first that throws or outlasts its limit. */
async function runPhases(env: TrialEnv, done: PhaseResults): Promise<void> {
  const { ctx, limits } = env;
  const { scenario: s } = ctx;
  const enter = (name: string) => ctx.progress?.phase(name);
  const margin = limits.marginMs;
  const topology = (done.topology = await runPhase('converge', ctx.convergeTimeoutMs + margin, enter, () => converge(env)));
  const c = (done.converge = await runPhase('converge', margin, undefined, () => startRecording(env, topology)));
  const st = (done.steady = await runPhase('warm-up', s.workload.warmupMs + 5000 + margin, enter, () => steady(env, c)));
  const inj = (done.inject = await runPhase(`fault: ${s.fault.kind}`, limits.injectMs, enter, () => inject(env, c)));
  const holdMs = Math.max(0, ((inj.fault.holdUntilNs ?? 0) - ctx.clock.nowNs()) / 1e6);
  const obs = (done.observe = await runPhase('failover', s.timeouts.failoverMs + holdMs + margin, enter, () => observe(env, c, st, inj)));
  const healLimit = limits.healMs + s.timeouts.failoverMs + s.timeouts.rejoinMs + margin;
  const h = (done.heal = await runPhase('heal', healLimit, enter, () => heal(env, c, st, inj, obs)));
  done.settle = await runPhase('converge after heal', s.timeouts.convergeMs + 3000 + margin, enter, () => settle(env, c, h));
  done.readBack = await runPhase('read back', limits.readBackMs, enter, () => readBack(env));
}

/** How a phase's failure ends the trial: skipped when the target lacks an ability, otherwise an error naming it. */
function endOf(e: unknown): TrialEnd {
  const phase = e instanceof PhaseFailed ? e.phase : 'check';
  const cause = e instanceof PhaseFailed ? e.cause : e;
  const skipped = skipReason(cause);
  if (skipped !== undefined) return { kind: 'skipped', reason: skipped };
  return { kind: 'error', phase, error: isHarnessError(cause) ? cause.message : `${(cause as Error).message}` };
}

/**
 * One trial. The phases' IO (convergence, observers, workload clients, read-back) goes through `io`,
 * real redis unless a test passes a fake.
 */
export async function runTrial(ctx: TrialContext, io: TrialIo = REDIS_IO): Promise<TrialOutcome> {
  const { clock, scenario: s } = ctx;
  const startedNs = clock.nowNs();
  const env: TrialEnv = {
    ctx,
    io,
    timeline: new Timeline(clock),
    workload: new TrialWorkload({
      clock,
      keyPrefix: `sc:${ctx.runId}:${s.name}:${ctx.index}`,
      rateHz: s.workload.rateHz,
      timeoutMs: { ...CLIENT_DEFAULTS, ...ctx.client }.commandTimeoutMs,
    }),
    own: new TrialWorkloads(s.workloads ?? []),
    cleanup: new CleanupStack(),
    limits: { ...PHASE_LIMITS, ...ctx.limits },
  };
  env.cleanup.defer(() => env.own.stop());
  const ticker = setInterval(() => ctx.progress?.writes(env.workload.okCount(), env.workload.notOkCount()), 200);
  env.cleanup.defer(() => clearInterval(ticker));
  const done: PhaseResults = {};
  try {
    await runPhases(env, done);
    return checkTrial(env, done, { kind: 'completed' }, startedNs);
  } catch (e) {
    return checkTrial(env, done, endOf(e), startedNs);
  } finally {
    await env.cleanup.run();
  }
}

/** The journal entry of a trial an interrupt cut short in `phase` (the last one the trial announced). */
export function unfinishedTrial(index: number, phase: string, startedNs: number, clock: Clock): TrialResult {
  return {
    index,
    verdict: 'unknown',
    startedAt: clock.wallIso(startedNs),
    durationMs: Math.round((clock.nowNs() - startedNs) / 1e6),
    figures: {},
    phases: [],
    checks: [],
    events: [],
    message: `interrupted during ${phase || 'start'}: the trial did not finish`,
  };
}
