// One trial of a scenario: converge, write, inject the fault, measure, heal, verify, read back, check.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { nsToMs, type Clock } from '../clock.ts';
import { checkAvailability } from '../checkers/availability.ts';
import { bindCheck, mergeFigures, overall, runChecks, type BoundCheck } from '../checkers/compose.ts';
import { checkFailoverTime } from '../checkers/failover-time.ts';
import { checkWriteLossAttributed } from '../checkers/loss-attribution.ts';
import { checkPhases, failoverPhases, isSwitchMaster } from '../checkers/phases.ts';
import { checkSplitBrain } from '../checkers/split-brain.ts';
import { podLifecycleFigures } from '../checkers/pod-lifecycle.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';
import { isHarnessError, skipReason } from '../errors.ts';
import type { InjectedFault } from '../faults/fault.ts';
import { injectFault, isolatedClientWanted } from '../faults/index.ts';
import type { TrialEvent } from '../model/events.ts';
import { RoleSampler } from '../observers/role-sampler.ts';
import { SentinelObserver } from '../observers/sentinel-events.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import type { TrialResult, Verdict } from '../report/journal.ts';
import type { Progress } from '../report/progress.ts';
import { inspectTopology, waitForConvergence, type Topology } from '../targets/convergence.ts';
import { addr, hasNetwork, type Pod, type StartedDeployment } from '../targets/target.ts';
import type { Op, ReadBack } from '../model/history.ts';
import { CLIENT_DEFAULTS, directClient, sentinelClient, type ClientOptions } from '../workload/sentinel-client.ts';
import { TrackedWriter } from '../workload/tracked-writer.ts';
import { restoredAway } from '../checkers/restore-point.ts';
import { durationMs, type Duration, type Scenario } from './scenario.ts';
import { TrialWorkloads } from './workloads.ts';

/** The Sentinel-aware application client whose view defines failover time and availability. */
const MAIN_CLIENT = 'sentinel-client';

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
}

export interface TrialOutcome {
  result: TrialResult;
  history: Op[];
}

/** Poll `cond` every `pollMs` until true; false on timeout. */
async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 5): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

async function currentMaster(d: StartedDeployment, exclude?: Pod): Promise<string | null> {
  for (const p of d.pods) {
    if (p === exclude) continue;
    try {
      const a = (await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (s) => s.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName))) as string[] | null;
      if (a) return `${a[0]}:${a[1]}`;
    } catch {
      // try the next sentinel
    }
  }
  return null;
}

/** Whether `pod` is a replica of the current master with its replication link up. */
async function hasRejoined(d: StartedDeployment, pod: Pod): Promise<boolean> {
  const master = await currentMaster(d, pod);
  if (!master) return false;
  try {
    const info = parseInfo(await withProbe(pod.redis, { password: d.password, connectTimeoutMs: 200 }, (r) => r.info('replication')));
    return info.role === 'slave' && `${info.master_host}:${info.master_port}` === master && info.master_link_status === 'up';
  } catch {
    return false;
  }
}

/**
 * Replication offsets just before the fault, each from the node itself (the master's view of its
 * replicas comes from REPLCONF ACKs up to a second old): they explain what a failover can lose.
 */
async function replicationSnapshot(d: StartedDeployment, topology: Topology): Promise<Record<string, number | null>> {
  const offset = async (pod: Pod, field: string) => {
    try {
      return Number(parseInfo(await withProbe(pod.redis, { password: d.password, connectTimeoutMs: 300 }, (r) => r.info('replication')))[field]);
    } catch {
      return NaN;
    }
  };
  const [masterOffset, ...replicaOffsets] = await Promise.all([
    offset(topology.master, 'master_repl_offset'),
    ...topology.replicas.map((p) => offset(p, 'slave_repl_offset')),
  ]);
  const lag = Math.max(...replicaOffsets.map((o) => masterOffset! - o));
  return {
    repl_offset_master_at_fault: Number.isFinite(masterOffset) ? masterOffset! : null,
    repl_lag_bytes_at_fault: Number.isFinite(lag) ? lag : null,
  };
}

/** Read every key the workload invoked back from the current master. */
async function readBack(d: StartedDeployment, keys: readonly string[], clock: Clock): Promise<ReadBack> {
  const master = await currentMaster(d);
  if (!master) throw new Error('read-back: no sentinel reports a master');
  const [host, port] = master.split(':');
  const present = new Set<string>();
  await withProbe({ host: host!, port: Number(port) }, { password: d.password, commandTimeoutMs: 10_000 }, async (r: Redis) => {
    for (let i = 0; i < keys.length; i += 5000) {
      const chunk = keys.slice(i, i + 5000);
      const pipe = r.pipeline();
      for (const k of chunk) pipe.exists(k);
      const res = (await pipe.exec()) ?? [];
      res.forEach(([err, n], j) => {
        if (err) throw err;
        if (n === 1) present.add(chunk[j]!);
      });
    }
  });
  return { ns: clock.nowNs(), present, node: master };
}

/** Keys acknowledged but absent from the read-back (at most 10 000, for the report's write strip). */
function lostKeys(history: readonly Op[], rb: ReadBack): string[] {
  const acked = new Set(history.filter((o) => o.type === 'ok').map((o) => o.key));
  return [...acked].filter((k) => !rb.present.has(k)).slice(0, 10_000);
}

export async function runTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const { deployment: d, scenario: s, clock } = ctx;
  const startedNs = clock.nowNs();
  const events: TrialEvent[] = [];
  const note = (kind: 'fault' | 'phase', type: string, detail: string) => events.push({ ns: clock.nowNs(), kind, source: 'harness', type, detail });
  const extra: CheckResult[] = [];
  const warnings: string[] = [];
  const figures: Record<string, number | null> = {};
  const clients: Redis[] = [];
  const writers: TrackedWriter[] = [];
  const own = new TrialWorkloads(s.workloads ?? []);
  const clientOptions = { ...CLIENT_DEFAULTS, ...ctx.client };
  let topology: Topology | null = null;
  let fault: InjectedFault | null = null;
  let observer: SentinelObserver | null = null;
  let sampler: RoleSampler | null = null;
  let rb: ReadBack | null = null;
  let error: string | undefined;
  let skipped: string | undefined;
  let healNs: number | null = null;
  let unwatchPods: (() => void) | undefined;

  const allEvents = () => [...events, ...(observer?.events ?? []), ...(sampler?.events ?? []), ...(fault?.events?.() ?? [])].sort((a, b) => a.ns - b.ns);
  const history = () => writers.flatMap((w) => w.history).sort((a, b) => a.ns - b.ns);
  const newWriter = (name: string, client: Redis) => {
    clients.push(client);
    const w = new TrackedWriter({
      name,
      client,
      clock,
      keyPrefix: `sc:${ctx.runId}:${s.name}:${ctx.index}:${name}`,
      rateHz: s.workload.rateHz,
      maxInFlight: 100_000,
      timeoutMs: clientOptions.commandTimeoutMs,
    });
    writers.push(w);
    return w;
  };

  const phase = (name: string) => ctx.progress?.phase(name);
  const ticker = setInterval(() => {
    ctx.progress?.writes(
      writers.reduce((n, w) => n + w.okCount, 0),
      writers.reduce((n, w) => n + w.notOkCount, 0),
    );
  }, 200);
  try {
    phase('converge');
    topology = await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: ctx.convergeTimeoutMs });
    note('phase', 'converged', `master ${topology.master.name}`);
    observer = new SentinelObserver(d.pods.map((p) => ({ name: `${p.name}/sentinel`, endpoint: p.sentinel })), clock);
    await observer.start();
    unwatchPods = d.podEvents?.subscribe((e) => events.push({ ns: clock.nowNs(), kind: 'pod', source: e.detail.split(':')[0]!, type: e.type, detail: e.detail }));
    sampler = new RoleSampler(d.pods.map((p) => p.redis), d.password, clock);
    sampler.start();

    // The Sentinel-aware client stands on the majority side when the target can partition.
    const majority = sentinelClient({
      sentinels: d.pods.map((p) => p.sentinel),
      masterName: d.model.masterName,
      password: d.password,
      client: ctx.client,
      ...(hasNetwork(d) ? { localAddress: d.network.majorityClientAddress } : {}),
    });
    await majority.ping();
    const main = newWriter(MAIN_CLIENT, majority);
    let isolated: TrackedWriter | null = null;
    if (isolatedClientWanted(s.fault) && 'target' in s.fault) {
      const victim = s.fault.target === 'master' ? topology.master : topology.replicas[0]!;
      const direct = directClient(victim.redis, d.password, ctx.client);
      await direct.ping();
      isolated = newWriter('isolated-client', direct);
    }
    phase('warm-up');
    for (const w of writers) w.start();
    await own.start((name) => ({ sentinels: d.pods.map((p) => p.sentinel), masterName: d.model.masterName, password: d.password, clock, keyPrefix: `sc:${ctx.runId}:${s.name}:${ctx.index}:${name}`, rateHz: s.workload.rateHz, timeoutMs: clientOptions.commandTimeoutMs, durationMs: 600_000, ...(ctx.client ? { client: ctx.client } : {}) }));
    note('phase', 'workload-start', `${writers.length} client(s), ${s.workload.rateHz} writes/s each${s.workloads?.length ? ` and ${s.workloads.length} workload(s)` : ''}`);
    await sleep(s.workload.warmupMs);
    if (!(await until(() => main.acked > 0, 5000))) throw new Error('the workload got no write acknowledged before the fault');

    Object.assign(figures, await replicationSnapshot(d, topology));
    const oldMaster = addr(topology.master.redis);
    const faultCtx = {
      deployment: d,
      topology,
      clock,
      ms: (x: Duration) => durationMs(x, d.downAfterMs),
      mark: (t: string, detail: string) => note('fault', t, detail),
      podEvent: (t: string, detail: string) => events.push({ ns: clock.nowNs(), kind: 'pod', source: detail.split(':')[0]!, type: t, detail }),
      events: allEvents,
      history,
      setClientPassword: (p: string) => {
        for (const c of clients) c.options.password = p;
        sampler?.setPassword(p);
      },
    };
    phase(`fault: ${s.fault.kind}`);
    fault = await injectFault(faultCtx, s.fault, { restart: s.restart });
    phase('failover');
    const injected = fault;
    const faultNs = injected.landedNs;
    extra.push(...injected.checks);
    Object.assign(figures, injected.figures);

    const obs = observer;
    const failoverSeen = () =>
      obs.events.some((e) => e.ns > faultNs && isSwitchMaster(e, d.model.masterName)) &&
      main.history.some((o) => o.type === 'ok' && o.ns > faultNs && o.node !== undefined && o.node !== oldMaster);
    const failoverDeadline = performance.now() + s.timeouts.failoverMs;
    const holdEnd = injected.holdUntilNs ?? faultNs;
    const holdLeftMs = () => (holdEnd - clock.nowNs()) / 1e6;
    if (s.expect.failover && injected.healAfterFailover) {
      await until(failoverSeen, s.timeouts.failoverMs);
    }
    // Faults with a duration end on their own clock, whether or not the failover is done by then.
    if (holdLeftMs() > 0) await until(() => holdLeftMs() <= 0, holdLeftMs() + 100, 2);
    if (!s.expect.failover) {
      const switches = obs.events.filter((e) => e.ns > faultNs && isSwitchMaster(e, d.model.masterName));
      extra.push({
        name: 'no-failover',
        valid: switches.length === 0,
        figures: {},
        explanation: switches.length === 0 ? 'no +switch-master while the fault was in place, as expected' : `unexpected failover: ${switches[0]!.source} ${switches[0]!.detail}`,
      });
    }

    phase('heal');
    healNs = clock.nowNs();
    await injected.heal();
    if (s.expect.failover && !injected.healAfterFailover && !failoverSeen()) {
      await until(failoverSeen, Math.max(0, failoverDeadline - performance.now()));
    }
    if (injected.mustRejoin) {
      const pod = injected.mustRejoin;
      const rejoined = await until(() => hasRejoined(d, pod), s.timeouts.rejoinMs, 20);
      figures.rejoin_ms = rejoined ? nsToMs(clock.nowNs() - healNs) : null;
      note('phase', rejoined ? 'rejoined' : 'rejoin-timeout', pod.name);
      extra.push({
        name: 'rejoin',
        valid: rejoined,
        figures: { rejoin_ms: figures.rejoin_ms },
        explanation: rejoined
          ? `${pod.name} is a replica of the current master with its link up ${figures.rejoin_ms} ms after the heal`
          : `${pod.name} was not a replica of the current master with its link up within ${s.timeouts.rejoinMs} ms of the heal`,
      });
    }
    phase('converge after heal');
    let last = 'not checked';
    const converged = await until(
      async () => {
        const r = await inspectTopology({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { strict: false });
        last = r.ok ? 'converged' : r.reason;
        return r.ok;
      },
      s.timeouts.convergeMs,
      50,
    );
    figures.convergence_ms = converged ? nsToMs(clock.nowNs() - healNs) : null;
    note('phase', converged ? 'converged-after-heal' : 'convergence-timeout', last);
    extra.push({
      name: 'convergence',
      valid: converged,
      figures: { convergence_ms: figures.convergence_ms },
      explanation: converged
        ? `converged ${figures.convergence_ms} ms after the heal: one master, replicas online and in sync, sentinels agree on master and epoch, no TILT`
        : `not converged ${s.timeouts.convergeMs} ms after the heal: ${last}`,
    });

    await sampler.settle(clock.nowNs(), 1000);
    await Promise.all([...writers.map((w) => w.stop(2000)), own.stop()]);
    if (s.workloads?.length) note('phase', 'workload-stop', own.describe());
    note('phase', 'workload-stop', `${writers.map((w) => `${w.acked} acknowledged by ${w.history[0]?.process ?? 'client'}`).join(', ')}`);
    if (isolated) figures.isolated_client_acked = isolated.acked;
    phase('read back');
    rb = await readBack(d, writers.flatMap((w) => w.keys()), clock);
    if (s.workloads?.length) own.readBack = await readBack(d, own.keys(), clock);
    return finish(faultNs, oldMaster);
  } catch (e) {
    skipped = skipReason(e);
    if (skipped === undefined) error = isHarnessError(e) ? e.message : `${(e as Error).message}`;
    return finish(fault?.landedNs ?? null, topology ? addr(topology.master.redis) : null);
  } finally {
    clearInterval(ticker);
    unwatchPods?.();
    if (fault) await fault.heal().catch(() => {});
    await Promise.all([...writers.map((w) => w.stop(0)), own.stop()]);
    for (const c of clients) c.disconnect();
    await observer?.stop();
    await sampler?.stop();
  }

  function finish(faultNs: number | null, oldMaster: string | null): TrialOutcome {
    const h = history();
    const evs = allEvents();
    const input: TrialInput = { history: h, events: evs, readBack: rb, faultNs, oldMaster, masterName: d.model.masterName };
    // Failover and availability are what the application behind Sentinel sees; a client pinned to an
    // isolated master would mask its outage. Loss and split brain look at every client.
    const mainInput: TrialInput = { ...input, history: h.filter((o) => o.process === MAIN_CLIENT) };
    const checks: BoundCheck[] = [bindCheck('split-brain', checkSplitBrain, { maxSplitBrainMs: durationMs(s.expect.maxSplitBrainMs, d.downAfterMs) })];
    const injectNs = events.find((e) => e.kind === 'fault' && e.type === 'inject')?.ns ?? faultNs;
    const restored = restoredAway(input, fault?.restorePointNs);
    if (restored.warning) warnings.push(restored.warning);
    const loss = checkWriteLossAttributed(restored.input, { maxLost: s.expect.maxLostWrites, acceptLossFromOldMaster: s.expect.acceptLossFromOldMaster, maxLostFromOldMaster: s.expect.maxLostFromOldMaster, sinceNs: injectNs });
    if (loss.warning) warnings.push(loss.warning);
    const mainChecks: BoundCheck[] = [
      bindCheck('availability', checkAvailability, s.expect.maxOutageMs === undefined ? {} : { maxOutageMs: durationMs(s.expect.maxOutageMs, d.downAfterMs) }),
    ];
    if (s.expect.failover) {
      mainChecks.unshift(bindCheck('failover-time', checkFailoverTime, { sloMs: s.expect.failoverMs }));
      if (!fault?.failoverRequested) mainChecks.splice(1, 0, bindCheck('failover-phases', checkPhases, { failoverTimeoutMs: d.model.failoverTimeoutMs }));
    }
    const results = [...runChecks(mainInput, mainChecks), ...runChecks(input, checks), loss.check, ...extra];
    const e = s.expect;
    results.push(...own.checks(input, { failover: e.failover, failoverMs: e.failoverMs, maxLostWrites: e.maxLostWrites, acceptLossFromOldMaster: e.acceptLossFromOldMaster, ...(e.maxLostFromOldMaster === undefined ? {} : { maxLostFromOldMaster: e.maxLostFromOldMaster }), ...(e.maxOutageMs === undefined ? {} : { maxOutageMs: durationMs(e.maxOutageMs, d.downAfterMs) }) }, injectNs));
    const split = results.find((r) => r.name === 'split-brain');
    if (split?.valid === true && (split.figures.split_brain_ms ?? 0) > 0) {
      warnings.push(`more than one node claimed master for ${split.figures.split_brain_ms} ms (accepted up to ${durationMs(s.expect.maxSplitBrainMs, d.downAfterMs)} ms): ${split.explanation}`);
    }
    if (s.expect.maxFailedWrites !== undefined) {
      const refused = new Set(h.filter((o) => o.type === 'fail' || o.type === 'info').map((o) => o.key));
      results.push({
        name: 'failed-writes',
        valid: refused.size <= s.expect.maxFailedWrites,
        figures: { writes_not_acked_in_time: refused.size },
        explanation: `${refused.size} writes failed or were not acknowledged within ${clientOptions.commandTimeoutMs} ms (bound ${s.expect.maxFailedWrites})`,
      });
    }
    const phases = faultNs === null || !s.expect.failover ? { phases: [], figures: {} } : failoverPhases(mainInput);
    const merged: Record<string, number | null> = {
      ...mergeFigures(results),
      ...restored.figures,
      ...phases.figures,
      ...(faultNs !== null && fault ? podLifecycleFigures(evs, fault.victim.name, faultNs) : {}),
      ...figures,
      trial_ms: nsToMs(clock.nowNs() - startedNs),
      writes_skipped: writers.reduce((n, w) => n + w.skipped, 0),
    };
    const validity = error ? 'unknown' : overall(results);
    const verdict: Verdict = skipped ? 'skipped' : validity === true ? 'pass' : validity === false ? 'fail' : 'unknown';
    const failing = results.filter((r) => r.valid !== true).map((r) => `${r.name}: ${r.explanation}`);
    const [lo, hi] = s.expect.failoverBandMs;
    const fo = merged.failover_ms;
    if (s.expect.failover && typeof fo === 'number' && (fo < lo || fo > hi)) warnings.push(`client-observed failover ${fo} ms is outside the expected band ${lo}-${hi} ms`);
    const message = skipped
      ? `skipped: ${skipped}`
      : error
        ? `trial could not complete: ${error}`
        : failing.length
          ? failing.join('; ')
          : undefined;
    return {
      history: [...h, ...own.ops()].sort((a, b) => a.ns - b.ns),
      result: {
        index: ctx.index,
        verdict,
        startedAt: clock.wallIso(startedNs),
        durationMs: nsToMs(clock.nowNs() - startedNs),
        figures: merged,
        phases: phases.phases,
        checks: results,
        events: evs,
        ...(warnings.length ? { warnings } : {}),
        ...(message ? { message } : {}),
        ...(faultNs !== null ? { clockStartNs: faultNs } : {}),
        ...(rb ? { lostKeys: lostKeys(h, rb) } : {}),
      },
    };
  }
}
