// One trial of a scenario as a sequence of named phases: converge ► warm-up (steady) ► fault (inject) ►
// failover (observe) ► heal ► converge after heal ► read back ► check. Each phase has its own limit and
// hands a typed result to the next; whatever phase stops the trial, the cleanup stack heals and closes.
import type { TrialEnd } from '../checkers/trial-verdict.ts';
import { isHarnessError, skipReason } from '../errors.ts';
import type { TrialResult } from '../report/journal.ts';
import type { Clock } from '../clock.ts';
import { sampleProbe } from '../probes/index.ts';
import { CleanupStack, PhaseFailed, runPhase, TrialStopped } from './phase.ts';
import type { LostSelection } from './schedule-monitor.ts';
import { checkTrial, firstPass, foldStreamed, type PhaseResults, type TrialOutcome } from './trial-check.ts';
import { REDIS_IO, type TrialIo } from './trial-io.ts';
import {
  alertsClear,
  converge,
  haltTrial,
  heal,
  inject,
  observe,
  PHASE_LIMITS,
  readBack,
  settle,
  startRecording,
  steady,
  type TrialContext,
  type TrialEnv,
} from './trial-phases.ts';
import { TrialProbes } from './trial-probes.ts';
import { Timeline, TrialWorkload } from './trial-record.ts';
import { haltConditionsOf } from './scenario.ts';
import { TrialWorkloads } from './workloads.ts';
import { CLIENT_DEFAULTS } from '../workload/sentinel-client.ts';

export type { TrialContext } from './trial-phases.ts';

/**
 * A streamed trial's writers keep this much of the history in memory (what faults and phases look back at: a step's
 * "first write acknowledged since", polled). At 2000 writes/s 2 minutes of it was the most of the harness's heap.
 */
const STREAM_KEEP_MS = 30_000;
export type { TrialOutcome } from './trial-check.ts';

/** Run the phases in order, each result feeding the next; stop at the first that throws or outlasts its limit, or when a safeguard halts the trial. */
async function runPhases(env: TrialEnv, done: PhaseResults): Promise<void> {
  const { ctx, limits, probes, cleanup } = env;
  const { scenario: s } = ctx;
  const signal = env.halt.signal;
  const enter = (name: string) => ctx.progress?.phase(name);
  const margin = limits.marginMs;
  const phase = <T>(name: string, timeoutMs: number, announce: typeof enter | undefined, work: () => Promise<T>) =>
    runPhase(name, timeoutMs, announce, work, signal);
  const probeLimit = (mode: 'before' | 'after') => Math.max(0, ...(s.probes ?? []).filter((p) => p.mode === mode).map((p) => p.timeoutMs)) + margin;
  const topology = (done.topology = await phase('converge', ctx.convergeTimeoutMs + margin, enter, () => converge(env)));
  const c = (done.converge = await phase('converge', margin, undefined, () => startRecording(env, topology)));
  const stopContinuous = probes.poll('continuous');
  cleanup.defer(stopContinuous);
  const st = (done.steady = await phase('warm-up', s.workload.warmupMs + 5000 + margin, enter, () => steady(env, c)));
  if (probes.has('before')) {
    const broken = await phase('probes before the fault', probeLimit('before'), enter, () => probes.once('before', signal));
    if (broken.length)
      throw new PhaseFailed('probes before the fault', new TrialStopped(`probe ${broken.map((p) => p.name).join(', ')} failed before the fault: not injected`));
  }
  const inj = (done.inject = await phase(`fault: ${s.fault.kind}`, limits.injectMs, enter, () => inject(env, c)));
  const stopDuring = probes.poll('during');
  cleanup.defer(stopDuring);
  const holdMs = Math.max(0, ((inj.fault.holdUntilNs ?? 0) - ctx.clock.nowNs()) / 1e6);
  const obs = (done.observe = await phase('failover', s.timeouts.failoverMs + holdMs + margin, enter, () => observe(env, c, st, inj)));
  await stopDuring();
  const healLimit = limits.healMs + s.timeouts.failoverMs + s.timeouts.rejoinMs + margin;
  const h = (done.heal = await phase('heal', healLimit, enter, () => heal(env, c, st, inj, obs)));
  done.settle = await phase('converge after heal', s.timeouts.convergeMs + 3000 + margin, enter, () => settle(env, c, h, inj.fault.landedNs));
  if (probes.has('after')) await phase('probes after convergence', probeLimit('after'), enter, () => probes.once('after', signal));
  done.readBack = await phase('read back', limits.readBackMs, enter, () => readBack(env));
  const monitor = env.schedule?.monitor;
  if (monitor) {
    const settled = done.settle;
    const rb = done.readBack ?? null;
    // A streamed run's lost writes come from the first pass over its file, told with the final check's selection.
    const lostOf = env.workload.streamed() ? async (sel: LostSelection) => (await firstPass(env, done, [sel]))!.writes.lostWrites(rb!.present, sel) : undefined;
    await phase('invariants', limits.readBackMs, enter, () =>
      monitor.final(ctx.clock.nowNs(), rb, settled ? { ok: settled.convergenceMs !== null, reason: settled.lastReason } : null, lostOf),
    );
  }
  if (env.alerts) await phase('alerts clear', limits.alertsClearMs + margin, enter, () => alertsClear(env));
  await stopContinuous();
}

/** How a phase's failure ends the trial: skipped when the target lacks an ability, stopped on purpose, otherwise an error naming it. */
function endOf(e: unknown, env: TrialEnv): TrialEnd {
  const phase = e instanceof PhaseFailed ? e.phase : 'check';
  const cause = e instanceof PhaseFailed ? e.cause : e;
  if (env.halted) return { kind: 'stopped', phase, reason: `halted by ${env.halted.by}: ${env.halted.reason}` };
  if (cause instanceof TrialStopped) return { kind: 'stopped', phase, reason: cause.message };
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
  const timeline = new Timeline(clock);
  const env: TrialEnv = {
    ctx,
    io,
    timeline,
    workload: new TrialWorkload({
      clock,
      keyPrefix: `sc:${ctx.runId}:${s.name}:${ctx.index}`,
      rateHz: s.workload.rateHz,
      timeoutMs: { ...CLIENT_DEFAULTS, ...ctx.client }.commandTimeoutMs,
      ...(ctx.deployment.nodeIdentity ? { nodeIdentity: ctx.deployment.nodeIdentity } : {}),
      ...(ctx.historyStream ? { stream: { keepMs: STREAM_KEEP_MS, ...ctx.historyStream } } : {}),
    }),
    own: new TrialWorkloads(s.workloads ?? [], ctx.deployment.nodeIdentity),
    cleanup: new CleanupStack(),
    limits: { ...PHASE_LIMITS, ...ctx.limits },
    halt: new AbortController(),
    halted: null,
    alerts: null,
    probes: new TrialProbes({
      specs: s.probes ?? [],
      haltOn: new Set(haltConditionsOf(s).flatMap((c) => (c.kind === 'probe' ? [c.probe] : []))),
      timeline,
      password: () => ctx.deployment.password,
      sample: io.sampleProbe ?? sampleProbe,
      onHalt: (by, reason) => haltTrial(env, by, reason),
    }),
  };
  env.cleanup.defer(() => env.own.stop());
  env.cleanup.defer(() => env.probes.stopAll());
  env.cleanup.defer(() => env.workload.closeStream([]));
  if (ctx.historyStream?.eventsFile) {
    timeline.streamTo(ctx.historyStream.eventsFile, ctx.historyStream.redact);
    env.cleanup.defer(() => timeline.closeStream());
  }
  const ticker = setInterval(() => ctx.progress?.writes(env.workload.okCount(), env.workload.notOkCount()), 200);
  env.cleanup.defer(() => clearInterval(ticker));
  const done: PhaseResults = {};
  try {
    await runPhases(env, done);
    return checkTrial(env, done, { kind: 'completed' }, startedNs, await foldStreamed(env, done));
  } catch (e) {
    // Stop polling before the checks read the probes: the trial's last word on each. A halted trial heals
    // (and closes) before its checks, so that its timeline shows the heal the safeguard brought.
    await env.probes.stopAll();
    if (env.halted) await env.cleanup.run();
    // A trial that stopped early is checked from what its history file holds (or what the writers kept, if unreadable).
    const folded = await foldStreamed(env, done).catch(() => null);
    return checkTrial(env, done, endOf(e, env), startedNs, folded);
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
