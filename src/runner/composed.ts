// A composed fault run as a schedule: each step starts at its offset (or on a Sentinel event), is proven landed,
// held its duration and healed; every step's heal is on the trial's cleanup stack from the moment it is injected.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import type { CheckResult } from '../model/check.ts';
import { HarnessError, skipReason } from '../errors.ts';
import type { FaultContext, InjectedFault } from '../faults/fault.ts';
import { injectFault, type FaultSpec } from '../faults/index.ts';
import { durationMs, type Duration } from '../model/duration.ts';
import type { TrialEvent } from '../model/events.ts';
import type { RealisedStep, ScheduleRecord } from '../model/schedule.ts';
import { withProbe } from '../redis/clients.ts';
import type { Topology } from '../targets/convergence.ts';
import { addr, type StartedDeployment } from '../targets/target.ts';
import type { ComposedSpec, StepSpec } from './composed-schema.ts';
import { healWhenLanded, until } from './phase.ts';

/** What the schedule needs from the trial: the deployment, its clock, a fault context per step, the events, the cleanup stack. */
export interface ComposedEnv {
  deployment: StartedDeployment;
  clock: Clock;
  /** A FaultContext whose topology is `topology` (the step's, looked up when it starts). */
  faultCtx(topology: Topology): FaultContext;
  /** Everything observed so far (the `after` triggers and failovers are looked for here). */
  events(): readonly TrialEvent[];
  mark(type: string, detail: string): void;
  /** Put an undo action on the trial's cleanup stack. */
  defer(step: () => unknown): void;
  /** The trial's topology, used when no sentinel names a master. */
  topology: Topology;
  /** The topology when a step starts (real: the sentinels' master; tests pass a fake's). */
  currentTopology(fallback: Topology): Promise<Topology>;
  restart: boolean;
  lateInjectMs: number;
  /** How long a step whose heal must follow a failover waits for one. */
  failoverWaitMs: number;
  /** Aborted when the trial halts or stops. */
  signal: AbortSignal;
  /** The invariant monitor: told when a step starts, called at every quiescent point (no step active). */
  monitor?: { stepStarted(step: number): void; quiescent(): void };
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The master as the sentinels name it (the first that answers), and the others as replicas in name order; `fallback` when none answers. */
export async function currentTopology(d: StartedDeployment, fallback: Topology): Promise<Topology> {
  const pods = [...d.pods].sort((a, b) => a.name.localeCompare(b.name));
  for (const p of pods) {
    const a = await withProbe(p.sentinel, { connectTimeoutMs: 300, commandTimeoutMs: 1000 }, (s) =>
      s.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName),
    ).catch(() => null);
    const master = Array.isArray(a) ? pods.find((x) => addr(x.redis) === `${a[0]}:${a[1]}`) : undefined;
    if (master) return { master, replicas: pods.filter((x) => x !== master) };
  }
  return fallback;
}

/** The step's topology: its `replica` first among the replicas, so that a fault aimed at "replica" hits that one. */
export function stepTopology(t: Topology, replica: number): Topology {
  if (t.replicas.length === 0) return t;
  const i = replica % t.replicas.length;
  return { master: t.master, replicas: [t.replicas[i]!, ...t.replicas.filter((_, j) => j !== i)] };
}

/** Which pod a step's fault hits on topology `t`: its target's, or the master for kinds without one. */
function victimOf(fault: FaultSpec, t: Topology): { pod: string; role: string } {
  const target = 'target' in fault ? fault.target : 'master';
  const pod = target === 'replica' ? t.replicas[0] : t.master;
  return { pod: pod?.name ?? t.master.name, role: target === 'replica' ? 'replica' : 'master' };
}

/** A composition in progress: what happened so far, its first landing, its end, and the heal that stops it. */
export interface ComposedRun {
  realised: RealisedStep[];
  startNs: number;
  firstLanded: Promise<InjectedFault | null>;
  done: Promise<void>;
  /** Stop the steps not started yet and heal every landed one (idempotent). */
  heal(): Promise<void>;
  /** The pods under a step now, by name, with the step's index. */
  active(): ReadonlyMap<string, number>;
  /** The steps' own checks (e.g. INPROG of a manual failover), named step-<n>/<check>, as they land. */
  checks: CheckResult[];
}

/** Start the composition's steps; each one is recorded in `realised` as it starts, lands, heals or is skipped. */
export function startComposed(env: ComposedEnv, spec: ComposedSpec): ComposedRun {
  const { clock } = env;
  const startNs = clock.nowNs();
  const stop = new AbortController();
  const signal = AbortSignal.any([stop.signal, env.signal]);
  const ms = (x: Duration) => durationMs(x, env.deployment.downAfterMs);
  const rel = (ns: number) => Math.round((ns - startNs) / 1e6);
  const realised: RealisedStep[] = [];
  const active = new Map<string, number>();
  const landed = spec.steps.map(() => deferred<number>());
  const ended = spec.steps.map(() => deferred<number>());
  const faults: InjectedFault[] = [];
  const first = deferred<InjectedFault | null>();
  const checks: CheckResult[] = [];

  const sleepUntil = (ns: number) => sleep(Math.max(0, (ns - clock.nowNs()) / 1e6), undefined, { signal });

  async function reference(i: number, st: StepSpec): Promise<number> {
    let refNs = spec.mode === 'parallel' || i === 0 ? startNs : await (st.after ? landed[i - 1]!.promise : ended[i - 1]!.promise);
    if (st.after) {
      const since = refNs;
      const seen = () => env.events().find((e) => e.kind === 'sentinel' && e.type === st.after && e.ns > since);
      if (!(await until(() => seen() !== undefined, spec.afterTimeoutMs, 5, signal))) {
        if (signal.aborted) throw signal.reason;
        throw new HarnessError('FAULT_FAILED', `step ${i + 1}: no ${st.after} within ${spec.afterTimeoutMs} ms`);
      }
      refNs = seen()!.ns;
    }
    return refNs + ms(st.at) * 1e6;
  }

  async function hold(f: InjectedFault, st: StepSpec, wasMaster: boolean): Promise<void> {
    await sleepUntil(Math.max(f.landedNs + ms(st.durationMs) * 1e6, f.holdUntilNs ?? 0));
    // A killed master is restarted only after its replacement took over (as a single kill-pod trial does).
    if (f.healAfterFailover && wasMaster) {
      const switched = () => env.events().some((e) => e.kind === 'sentinel' && e.type === '+switch-master' && e.ns > f.landedNs);
      await until(switched, env.failoverWaitMs, 20, signal);
    }
  }

  async function runStep(i: number): Promise<void> {
    const st = spec.steps[i]!;
    const rec: RealisedStep = { step: i, kind: st.fault.kind, startMs: 0 };
    try {
      await sleepUntil(await reference(i, st));
      const t = stepTopology(await env.currentTopology(env.topology), st.replica);
      const v = victimOf(st.fault, t);
      Object.assign(rec, { startMs: rel(clock.nowNs()), victim: `${v.pod} (${v.role})` });
      realised.push(rec);
      const busy = active.get(v.pod);
      if (spec.skipUnable && busy !== undefined) {
        rec.skipped = `${v.pod} is under step ${busy + 1}`;
        return;
      }
      active.set(v.pod, i);
      env.monitor?.stepStarted(i);
      env.mark('step', `step ${i + 1}: ${st.fault.kind} on ${rec.victim}`);
      const otherSteps = () => new Set([...active].flatMap(([pod, j]) => (j === i ? [] : [pod])));
      const injecting = injectFault({ ...env.faultCtx(t), otherSteps }, st.fault, { restart: env.restart });
      env.defer(() => healWhenLanded(injecting, env.lateInjectMs));
      let f: InjectedFault;
      try {
        f = await injecting;
      } catch (e) {
        active.delete(v.pod);
        const reason = skipReason(e);
        if (spec.skipUnable && reason !== undefined) {
          rec.skipped = reason;
          return;
        }
        // A soak's step that cannot be put in place beside the others (SENTINEL FAILOVER without a good replica,
        // an eviction the PDB refuses) is recorded and the schedule goes on; a scenario's composition fails.
        if (spec.skipUnable) {
          rec.error = e instanceof Error ? e.message : String(e);
          env.mark('step-failed', `step ${i + 1}: ${rec.error}`);
          return;
        }
        throw e;
      }
      faults.push(f);
      checks.push(...f.checks.map((c) => ({ ...c, name: `step-${i + 1}/${c.name}` })));
      rec.landedMs = rel(f.landedNs);
      first.resolve(f);
      landed[i]!.resolve(f.landedNs);
      try {
        await hold(f, st, v.role === 'master');
      } finally {
        await f.heal();
        rec.healedMs = rel(clock.nowNs());
        active.delete(v.pod);
        if (active.size === 0) env.monitor?.quiescent();
      }
    } catch (e) {
      if (signal.aborted) return;
      rec.error = e instanceof Error ? e.message : String(e);
      if (!realised.includes(rec)) realised.push(rec);
      stop.abort(e);
      throw e;
    } finally {
      landed[i]!.resolve(clock.nowNs());
      ended[i]!.resolve(clock.nowNs());
    }
  }

  const done = Promise.all(spec.steps.map((_, i) => runStep(i))).then(() => {
    first.resolve(null);
  });
  done.catch(() => first.resolve(null));
  const settled = done.catch(() => {});
  return {
    realised,
    startNs,
    firstLanded: first.promise,
    done,
    active: () => active,
    checks,
    async heal() {
      stop.abort(new HarnessError('FAULT_FAILED', 'the composition was stopped'));
      await settled;
      for (const f of [...faults].reverse()) await f.heal().catch(() => {});
    },
  };
}

/** The schedule as the journal keeps it, from the composed spec and what became of it. */
export function scheduleRecord(spec: ComposedSpec, run: Pick<ComposedRun, 'realised'>, extra: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    mode: spec.mode,
    steps: spec.steps.map((s) => ({ fault: s.fault, at: s.at, durationMs: s.durationMs, replica: s.replica, ...(s.after ? { after: s.after } : {}) })),
    realised: [...run.realised].sort((a, b) => a.step - b.step),
    violations: [],
    checkpoints: 0,
    ...extra,
  };
}

/**
 * The composition as one InjectedFault for the trial: it lands with its first step (failover figures start
 * there), holds until its last step healed (`done`), and its heal stops and heals whatever is left.
 */
export async function injectComposed(
  env: Pick<ComposedEnv, 'deployment' | 'topology' | 'defer' | 'failoverWaitMs'>,
  spec: ComposedSpec,
  run: ComposedRun,
): Promise<InjectedFault> {
  env.defer(() => run.heal());
  const firstFault = await run.firstLanded;
  const estimate = spec.steps.reduce(
    (n, s) =>
      (spec.mode === 'parallel' ? Math.max(n, durationMs(s.at, env.deployment.downAfterMs)) : n + durationMs(s.at, env.deployment.downAfterMs)) +
      (spec.mode === 'parallel' ? 0 : durationMs(s.durationMs, env.deployment.downAfterMs) + (s.after ? spec.afterTimeoutMs : 0)),
    0,
  );
  if (!firstFault) await run.done;
  return {
    victim: firstFault?.victim ?? env.topology.master,
    landedNs: firstFault?.landedNs ?? run.startNs,
    holdUntilNs: run.startNs + (estimate + spec.steps.length * env.failoverWaitMs) * 1e6,
    healAfterFailover: false,
    ...(firstFault?.failoverRequested ? { failoverRequested: true as const } : {}),
    checks: run.checks,
    figures: {},
    done: run.done,
    heal: () => run.heal(),
  };
}

/** The master each sentinel names (null when it does not answer), by sentinel. */
export async function sentinelMasters(d: StartedDeployment): Promise<Array<{ sentinel: string; master: string | null }>> {
  return Promise.all(
    d.pods.map(async (p) => {
      const a = await withProbe(p.sentinel, { connectTimeoutMs: 300, commandTimeoutMs: 1000 }, (s) =>
        s.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName),
      ).catch(() => null);
      return { sentinel: `${p.name}/sentinel`, master: Array.isArray(a) ? `${a[0]}:${a[1]}` : null };
    }),
  );
}

/** Steps as a violation names them: "step 3 (kill-pod on redis-1 (master) at 12000 ms), step 4 (…)". */
export function describeSteps(spec: Pick<ComposedSpec, 'steps'>, realised: readonly RealisedStep[], steps: readonly number[]): string {
  if (steps.length === 0) return 'no step';
  return steps
    .map((i) => {
      const r = realised.find((x) => x.step === i);
      return `step ${i + 1} (${spec.steps[i]?.fault.kind ?? '?'}${r?.victim ? ` on ${r.victim}` : ''}${r ? ` at ${r.startMs} ms` : ''})`;
    })
    .join(', ');
}
