// The trial's phases, in order: converge (and start recording) ► steady ► inject ► observe ► heal ► converge after heal ► read back.
// Each takes the earlier phases' typed results and returns its own; the trial runs them (trial.ts).
import { HarnessError } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { nsToMs, type Clock } from '../clock.ts';
import { isSwitchMaster } from '../checkers/phases.ts';
import type { CheckResult, Figures } from '../model/check.ts';
import type { FaultContext, InjectedFault } from '../faults/fault.ts';
import { injectFault, isolatedClientWanted } from '../faults/index.ts';
import type { Progress } from '../report/progress.ts';
import type { Topology } from '../targets/convergence.ts';
import { addr, hasServices, type StartedDeployment } from '../targets/target.ts';
import type { ReadBack } from '../model/history.ts';
import type { TrialWorkloads } from './workloads.ts';
import { CLIENT_DEFAULTS } from '../workload/sentinel-client.ts';
import type { ClientOptions } from '../workload/sentinel-client.ts';
import type { TrackedWriter } from '../workload/tracked-writer.ts';
import type { WorkloadContext } from '../workload/registry.ts';
import { appLogins } from '../workload/app-login.ts';
import { healWhenLanded, TrialStopped, until, type CleanupStack } from './phase.ts';
import type { EvictionSource, RoleSource, SentinelEventSource, TrialIo } from './trial-io.ts';
import type { Timeline, TrialWorkload } from './trial-record.ts';
import type { TrialProbes } from './trial-probes.ts';
import { AlertWatcher, type AlertSource } from '../observers/alerts.ts';
import { durationMs, haltConditionsOf, type Duration, type Scenario } from './scenario.ts';
import type { ComposedSpec } from './composed-schema.ts';
import { currentTopology, describeSteps, injectComposed, sentinelMasters, startComposed, type ComposedRun } from './composed.ts';
import { ScheduleMonitor } from './schedule-monitor.ts';

/** The Sentinel-aware application client whose view defines failover time and availability. */
export const MAIN_CLIENT = 'sentinel-client';

/** Limits of the phases that have no bounded wait of their own, and the margin over those that do. */
export const PHASE_LIMITS = {
  /** Added to a phase's own bounded waits before it counts as hung, ms. */
  marginMs: 60_000,
  /** Injecting a fault and proving it landed (a rolling upgrade restarts every pod), ms. */
  injectMs: 30 * 60_000,
  /** The fault's heal (a scale-in removes pods one settled pod at a time), ms. */
  healMs: 30 * 60_000,
  readBackMs: 10 * 60_000,
  /** How long the cleanup waits for an injection still under way (its phase timed out), to heal it, ms. */
  lateInjectMs: 30_000,
  /** With --monitoring: how long the trial waits, after the read-back, for every alert to clear, ms. */
  alertsClearMs: 30_000,
};

/** How often a trial polls the run's Prometheus for its alerts (it scrapes and evaluates every 1 s). */
export const ALERT_POLL_MS = 200;

export type PhaseLimits = typeof PHASE_LIMITS;

/** The longest the settle phase waits for the own workloads' observation window after convergence (within PHASE_LIMITS.marginMs). */
const OBSERVE_BOUND_MS = 50_000;

export interface TrialContext {
  deployment: StartedDeployment;
  scenario: Scenario;
  /** 1-based. */
  index: number;
  clock: Clock;
  runId: string;
  client?: Partial<ClientOptions>;
  convergeTimeoutMs: number;
  /** Live progress: the trial's phase and its write counts. */
  progress?: Pick<Progress, 'phase' | 'writes'>;
  /** Phase limits other than the scenario's timeouts (unit tests shorten them). */
  limits?: Partial<PhaseLimits>;
  /** The run's Prometheus (--monitoring): its alerts are recorded on the trial's timeline. */
  alerts?: AlertSource;
  /**
   * Stream the history to this JSON-lines file as it happens (long runs): the writers keep only the last
   * `keepMs`, and the checks read the file at the end. Absent: the history is kept in memory.
   */
  historyStream?: { file: string; redact: (text: string) => string; keepMs?: number; eventsFile?: string };
}

/** What every phase works with: the trial's context, its IO, its two recordings and its cleanup stack. */
export interface TrialEnv {
  ctx: TrialContext;
  io: TrialIo;
  timeline: Timeline;
  workload: TrialWorkload;
  /** The scenario's own workloads (`workloads:`, `--workload-exec`), beside the trial's clients. */
  own: TrialWorkloads;
  cleanup: CleanupStack;
  limits: PhaseLimits;
  /** The scenario's steady-state probes. */
  probes: TrialProbes;
  /** Aborted when a safeguard halts the trial: the phase under way stops at once and the cleanup heals. */
  halt: AbortController;
  /** Which safeguard halted the trial, when, and why. */
  halted: { by: string; ns: number; reason: string } | null;
  /** A composed fault's schedule as it runs, and its invariant monitor (when the composition asks for one). */
  schedule?: { spec: ComposedSpec; run: ComposedRun; monitor: ScheduleMonitor | null };
  /** The run's alerts, watched from the start of the recording (--monitoring); null without a Prometheus. */
  alerts: AlertWatcher | null;
}

export interface Converged {
  topology: Topology;
  observer: SentinelEventSource;
  sampler: RoleSource;
  main: TrackedWriter;
  /** The client pinned to the isolated pod, when the fault wants one. */
  isolated: TrackedWriter | null;
  /** The memory policy's evictions of the trial's keys, when the IO observes them. */
  evictions: EvictionSource | null;
}

export interface Steady {
  /** host:port of the master the fault is about to hit. */
  oldMaster: string;
  /** Replication offsets just before the fault. */
  replication: Figures;
}

export interface Injected {
  fault: InjectedFault;
  /** The fault's own checks and figures as it returned them. */
  checks: CheckResult[];
  figures: Figures;
}

export interface Observed {
  /** performance.now() by which the failover must have come. */
  failoverDeadline: number;
  /** When the hold ended (the window in which no failover may happen, for faults that expect none). */
  endNs: number;
}

export interface Healed {
  healNs: number;
  /** The pod that had to rejoin, and when it did (null: not within timeoutMs). */
  rejoin: { pod: string; rejoinMs: number | null; timeoutMs: number } | null;
}

export interface Settled {
  convergenceMs: number | null;
  /** Why the last look found the deployment not converged, or "converged". */
  lastReason: string;
  timeoutMs: number;
  isolatedAcked: number | null;
}

/** The deployment converged: one master, replicas in sync, sentinels agreeing. */
export async function converge(env: TrialEnv): Promise<Topology> {
  const { ctx, io, timeline } = env;
  const topology = await io.converge(ctx.deployment, ctx.convergeTimeoutMs);
  timeline.note('phase', 'converged', `master ${topology.master.name}`);
  return topology;
}

/** The observers recording and the workload's clients connected (not writing yet); still part of the converge phase. */
export async function startRecording(env: TrialEnv, topology: Topology): Promise<Converged> {
  const { ctx, io, timeline, workload, cleanup } = env;
  const { deployment: d, clock } = ctx;
  const observer = io.sentinelEvents(d, clock);
  cleanup.defer(() => observer.stop());
  timeline.follow(() => observer.events);
  await observer.start();
  const unwatch = d.podEvents?.subscribe((e) => timeline.pod(e.type, e.detail));
  if (unwatch) cleanup.defer(unwatch);
  const sampler = io.roleSampler(d, clock);
  cleanup.defer(() => sampler.stop());
  timeline.follow(() => sampler.events);
  sampler.start();
  if (ctx.alerts) {
    const alerts = (env.alerts = new AlertWatcher(ctx.alerts, clock, ALERT_POLL_MS));
    cleanup.defer(() => alerts.stop());
    timeline.follow(() => alerts.events);
    await alerts.pollOnce();
    alerts.start();
  }
  // Only the trial's own keys are kept (a --dataset's evictions are counted, not listed).
  const prefix = `sc:${ctx.runId}:`;
  const evictions = io.evictions?.(d, clock, (k) => k.startsWith(prefix)) ?? null;
  if (evictions) {
    cleanup.defer(() => evictions.stop());
    await evictions.start();
  }
  cleanup.defer(() => workload.close());
  const main = await workload.add(MAIN_CLIENT, io.sentinelClient(d, ctx.client));
  const f = ctx.scenario.fault;
  const victim = f.kind !== 'composed' && isolatedClientWanted(f) && 'target' in f ? (f.target === 'master' ? topology.master : topology.replicas[0]!) : null;
  const isolated = victim ? await workload.add('isolated-client', io.directClient(d, victim, ctx.client)) : null;
  return { topology, observer, sampler, main, isolated, evictions };
}

/** The workload writing, at least one write acknowledged, replication offsets taken just before the fault. */
export async function steady(env: TrialEnv, converged: Converged): Promise<Steady> {
  const { ctx, io, timeline, workload } = env;
  const s = ctx.scenario;
  workload.start();
  const d = ctx.deployment;
  const timeoutMs = { ...CLIENT_DEFAULTS, ...ctx.client }.commandTimeoutMs;
  await env.own.start((name) => ({
    sentinels: d.pods.map((p) => p.sentinel),
    masterName: d.model.masterName,
    password: d.password,
    clock: ctx.clock,
    keyPrefix: `sc:${ctx.runId}:${s.name}:${ctx.index}:${name}`,
    rateHz: s.workload.rateHz,
    timeoutMs,
    durationMs: 600_000,
    ...(ctx.client ? { client: ctx.client } : {}),
    ...(hasServices(d) ? { service: d.services.endpoint('redis', d.model.redisPort) } : {}),
    ...(d.dns?.resolvConf ? { resolvConf: d.dns.resolvConf } : {}),
    ...appLoginsOf(d),
  }));
  timeline.note(
    'phase',
    'workload-start',
    `${workload.size} client(s), ${s.workload.rateHz} writes/s each${s.workloads?.length ? ` and ${s.workloads.length} workload(s)` : ''}`,
  );
  await sleep(s.workload.warmupMs, undefined, { signal: env.halt.signal });
  if (!(await until(() => converged.main.acked > 0, 5000, 5, env.halt.signal)))
    throw new HarnessError('FAULT_FAILED', 'the workload got no write acknowledged before the fault');
  const replication = await io.replicationSnapshot(ctx.deployment, converged.topology);
  return { oldMaster: addr(converged.topology.master.redis), replication };
}

/** The fault context of the trial's fault (or of one step of a composed fault) against `topology`. */
function faultContext(env: TrialEnv, converged: Converged, topology: Topology): FaultContext {
  const { ctx, timeline, workload } = env;
  const { deployment: d, clock } = ctx;
  return {
    deployment: d,
    topology,
    clock,
    ms: (x: Duration) => durationMs(x, d.downAfterMs),
    mark: (t, detail) => timeline.note('fault', t, detail),
    podEvent: (t, detail) => timeline.pod(t, detail),
    events: () => timeline.all(),
    history: () => workload.history(),
    setClientPassword: (p) => {
      workload.setPassword(p);
      converged.sampler.setPassword(p);
      converged.evictions?.setPassword(p);
    },
  };
}

/** The fault in place and proven landed. Its heal is on the cleanup stack from the start, even if the injection outlasts its phase. */
export async function inject(env: TrialEnv, converged: Converged): Promise<Injected> {
  const { ctx, timeline, cleanup, limits } = env;
  const { scenario: s } = ctx;
  const f = s.fault;
  const injecting =
    f.kind === 'composed' ? injectSchedule(env, converged, f) : injectFault(faultContext(env, converged, converged.topology), f, { restart: s.restart });
  cleanup.defer(() => healWhenLanded(injecting, limits.lateInjectMs));
  const fault = await injecting;
  timeline.follow(() => fault.events?.() ?? []);
  // A composed fault's steps add their checks as they land.
  return { fault, checks: fault.done ? fault.checks : [...fault.checks], figures: { ...fault.figures } };
}

/** A safeguard stops the trial: the phase under way ends at once and the cleanup heals (once; the first reason stands). */
export function haltTrial(env: TrialEnv, by: string, reason: string): void {
  if (env.halted) return;
  env.halted = { by, ns: env.ctx.clock.nowNs(), reason };
  env.timeline.note('phase', 'halted', `${by}: ${reason}`);
  env.halt.abort(new TrialStopped(`halted by ${by}`));
}

/** A composed fault: its steps started on their schedule, its invariants (when asked) checked at every quiescent point. */
function injectSchedule(env: TrialEnv, converged: Converged, spec: ComposedSpec): Promise<InjectedFault> {
  const { ctx, timeline, io, cleanup, limits } = env;
  const { deployment: d, scenario: s, clock } = ctx;
  const monitorRef: { m: ScheduleMonitor | null } = { m: null };
  const run = startComposed(
    {
      deployment: d,
      clock,
      faultCtx: (t) => faultContext(env, converged, t),
      events: () => timeline.all(),
      mark: (t, detail) => timeline.note('fault', t, detail),
      defer: (step) => cleanup.defer(step),
      topology: converged.topology,
      currentTopology: (fallback) => (io.currentTopology ?? currentTopology)(d, fallback),
      restart: s.restart,
      lateInjectMs: limits.lateInjectMs,
      failoverWaitMs: s.timeouts.failoverMs,
      signal: env.halt.signal,
      monitor: { stepStarted: () => monitorRef.m?.stepStarted(), quiescent: () => monitorRef.m?.quiescent() },
    },
    spec,
  );
  const haltOnViolation = haltConditionsOf(s).some((c) => c.kind === 'invariants');
  if (spec.invariants) {
    monitorRef.m = new ScheduleMonitor({
      clock,
      startNs: run.startNs,
      realised: () => run.realised,
      events: () => timeline.all(),
      writes: env.workload.liveWrites(),
      convergeMs: spec.invariants.convergeMs,
      signal: env.halt.signal,
      io: {
        inspect: () => io.inspect(d),
        readBack: (keys) => io.readBack(d, keys, clock),
        sentinelMasters: () => (io.sentinelMasters ?? sentinelMasters)(d),
      },
      onViolation: (v) => {
        timeline.note('phase', 'violation', `invariant/${v.invariant}: ${v.detail}`);
        if (haltOnViolation) haltTrial(env, `invariant/${v.invariant}`, `${v.detail} (at ${v.atMs} ms, after ${describeSteps(spec, run.realised, v.steps)})`);
      },
    });
  }
  env.schedule = { spec, run, monitor: monitorRef.m };
  return injectComposed(
    {
      deployment: d,
      topology: converged.topology,
      defer: (step) => cleanup.defer(step),
      failoverWaitMs: s.timeouts.failoverMs,
    },
    spec,
    run,
  );
}

/** Whether the failover came: a +switch-master after the fault and the main client's write acknowledged by another node. */
export function failoverSeen(env: TrialEnv, converged: Converged, steadyState: Steady, faultNs: number): boolean {
  const { model, nodeIdentity = (n: string) => n } = env.ctx.deployment;
  return (
    converged.observer.events.some((e) => e.ns > faultNs && isSwitchMaster(e, model.masterName)) &&
    converged.main.history.some((o) => o.type === 'ok' && o.ns > faultNs && o.node !== undefined && nodeIdentity(o.node) !== steadyState.oldMaster)
  );
}

/** Wait for the failover when the heal must come after it (bounded by the scenario's failover timeout); hold the fault its duration. */
export async function observe(env: TrialEnv, converged: Converged, steadyState: Steady, injected: Injected): Promise<Observed> {
  const { ctx } = env;
  const s = ctx.scenario;
  const { fault } = injected;
  const failoverDeadline = performance.now() + s.timeouts.failoverMs;
  if (s.expect.failover === true && fault.healAfterFailover) {
    await until(() => failoverSeen(env, converged, steadyState, fault.landedNs), s.timeouts.failoverMs, 5, env.halt.signal);
  }
  // A composed fault holds until its last step healed.
  if (fault.done) await fault.done;
  // Faults with a duration end on their own clock, whether or not the failover is done by then.
  const holdEnd = fault.done ? ctx.clock.nowNs() : (fault.holdUntilNs ?? fault.landedNs);
  const holdLeftMs = () => (holdEnd - ctx.clock.nowNs()) / 1e6;
  if (holdLeftMs() > 0) await until(() => holdLeftMs() <= 0, holdLeftMs() + 100, 2, env.halt.signal);
  return { failoverDeadline, endNs: ctx.clock.nowNs() };
}

/** The fault undone; the failover awaited (if the heal did not wait for it) until its deadline; the victim rejoined, or its wait ran out. */
export async function heal(env: TrialEnv, converged: Converged, steadyState: Steady, injected: Injected, observed: Observed): Promise<Healed> {
  const { ctx, io, timeline } = env;
  const { scenario: s, clock } = ctx;
  const { fault } = injected;
  const healNs = clock.nowNs();
  await fault.heal();
  const seen = () => failoverSeen(env, converged, steadyState, fault.landedNs);
  if (s.expect.failover === true && !fault.healAfterFailover && !seen()) {
    await until(seen, Math.max(0, observed.failoverDeadline - performance.now()), 5, env.halt.signal);
  }
  const pod = fault.mustRejoin;
  if (!pod) return { healNs, rejoin: null };
  const rejoined = await until(() => io.hasRejoined(ctx.deployment, pod), s.timeouts.rejoinMs, 20, env.halt.signal);
  const rejoinMs = rejoined ? nsToMs(clock.nowNs() - healNs) : null;
  timeline.note('phase', rejoined ? 'rejoined' : 'rejoin-timeout', pod.name);
  return { healNs, rejoin: { pod: pod.name, rejoinMs, timeoutMs: s.timeouts.rejoinMs } };
}

/** The deployment converged again (or its wait ran out), the last ROLE changes recorded, the workload stopped. */
export async function settle(env: TrialEnv, converged: Converged, healed: Healed, faultNs?: number): Promise<Settled> {
  const { ctx, io, timeline, workload } = env;
  const { clock } = ctx;
  const timeoutMs = ctx.scenario.timeouts.convergeMs;
  let lastReason = 'not checked';
  const ok = await until(
    async () => {
      const r = await io.inspect(ctx.deployment);
      lastReason = r.ok ? 'converged' : r.reason;
      return r.ok;
    },
    timeoutMs,
    50,
    env.halt.signal,
  );
  const convergenceMs = ok ? nsToMs(clock.nowNs() - healed.healNs) : null;
  timeline.note('phase', ok ? 'converged-after-heal' : 'convergence-timeout', lastReason);
  await converged.sampler.settle(clock.nowNs(), 1000);
  // Pub/sub workloads observe their window after the fault before they stop (bounded within the phase's margin).
  if (faultNs !== undefined) await env.own.observeAfterFault(faultNs, () => clock.nowNs(), OBSERVE_BOUND_MS, env.halt.signal);
  await Promise.all([workload.stop(2000), env.own.stop()]);
  if (ctx.scenario.workloads?.length) timeline.note('phase', 'workload-stop', env.own.describe());
  timeline.note('phase', 'workload-stop', workload.describeAcked());
  return { convergenceMs, lastReason, timeoutMs, isolatedAcked: converged.isolated ? converged.isolated.acked : null };
}

/** With --monitoring: every alert the fault set off cleared (or the wait ran out; the report shows it still firing). */
export async function alertsClear(env: TrialEnv): Promise<void> {
  const { alerts } = env;
  if (!alerts) return;
  const cleared = await alerts.quiet(env.ctx.clock.nowNs(), env.limits.alertsClearMs, env.halt.signal);
  env.timeline.note('phase', cleared ? 'alerts-clear' : 'alerts-still-firing', cleared ? 'no alert firing' : alerts.firingNow().join(', '));
}

/** Every key the workload invoked, looked up on the current master. */
export async function readBack(env: TrialEnv): Promise<ReadBack> {
  const rb = await env.io.readBack(env.ctx.deployment, env.workload.keys(), env.ctx.clock);
  // The own workloads' keys are read apart, so that neither history sees the other's keys as unexpected; each in its db
  // (under the secure profile an application's driver writes in its application's).
  if (env.ctx.scenario.workloads?.length) {
    const parts: ReadBack[] = [];
    for (const [db, keys] of env.own.keysByDb()) parts.push(await env.io.readBack(env.ctx.deployment, keys, env.ctx.clock, db));
    env.own.readBack = parts.length ? { ...parts.at(-1)!, present: new Set(parts.flatMap((p) => [...p.present])) } : null;
  }
  return rb;
}

/** Under the secure profile, the applications' logins for the real-client drivers. */
function appLoginsOf(d: StartedDeployment): Partial<Pick<WorkloadContext, 'appLogin'>> {
  const f = appLogins(d);
  return f ? { appLogin: f } : {};
}
