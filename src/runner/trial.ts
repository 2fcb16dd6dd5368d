// One trial of a scenario: converge, write, inject the fault, measure, heal, verify, read back, check.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { nsToMs, type Clock } from '../clock.ts';
import { checkAvailability } from '../checkers/availability.ts';
import { bindCheck, mergeFigures, overall, runChecks, type BoundCheck } from '../checkers/compose.ts';
import { checkFailoverTime } from '../checkers/failover-time.ts';
import { checkPhases, failoverPhases, isSwitchMaster } from '../checkers/phases.ts';
import type { CheckResult, TrialInput } from '../checkers/types.ts';
import { checkWriteLoss } from '../checkers/write-loss.ts';
import { isHarnessError } from '../errors.ts';
import type { InjectedFault } from '../faults/fault.ts';
import { killPod } from '../faults/kill-pod.ts';
import type { TrialEvent } from '../observers/events.ts';
import { SentinelObserver } from '../observers/sentinel-events.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import type { TrialResult, Verdict } from '../report/journal.ts';
import { waitForConvergence, type Topology } from '../targets/convergence.ts';
import { addr, type Pod, type StartedDeployment } from '../targets/target.ts';
import type { Op, ReadBack } from '../workload/history.ts';
import { CLIENT_DEFAULTS, sentinelClient, type ClientOptions } from '../workload/sentinel-client.ts';
import { TrackedWriter } from '../workload/tracked-writer.ts';
import type { Scenario } from './scenario.ts';

export interface TrialContext {
  deployment: StartedDeployment;
  scenario: Scenario;
  /** 1-based. */
  index: number;
  clock: Clock;
  runId: string;
  client?: Partial<ClientOptions>;
  convergeTimeoutMs: number;
  /** Progress lines for a human. */
  log(line: string): void;
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

export async function runTrial(ctx: TrialContext): Promise<TrialOutcome> {
  const { deployment: d, scenario: s, clock } = ctx;
  const startedNs = clock.nowNs();
  const events: TrialEvent[] = [];
  const note = (kind: 'fault' | 'phase', type: string, detail: string) => events.push({ ns: clock.nowNs(), kind, source: 'harness', type, detail });
  const extra: CheckResult[] = [];
  const figures: Record<string, number | null> = {};
  let topology: Topology | null = null;
  let fault: InjectedFault | null = null;
  let observer: SentinelObserver | null = null;
  let client: Redis | null = null;
  let writer: TrackedWriter | null = null;
  let rb: ReadBack | null = null;
  let error: string | undefined;

  try {
    topology = await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: ctx.convergeTimeoutMs });
    note('phase', 'converged', `master ${topology.master.name}`);
    observer = new SentinelObserver(d.pods.map((p) => ({ name: `${p.name}/sentinel`, endpoint: p.sentinel })), clock);
    await observer.start();
    client = sentinelClient({ sentinels: d.pods.map((p) => p.sentinel), masterName: d.model.masterName, password: d.password, client: ctx.client });
    await client.ping();
    writer = new TrackedWriter({
      name: 'sentinel-client',
      client,
      clock,
      keyPrefix: `sc:${ctx.runId}:${s.name}:${ctx.index}`,
      rateHz: s.workload.rateHz,
      maxInFlight: 100_000,
      timeoutMs: { ...CLIENT_DEFAULTS, ...ctx.client }.commandTimeoutMs,
    });
    writer.start();
    note('phase', 'workload-start', `${s.workload.rateHz} writes/s`);
    await sleep(s.workload.warmupMs);
    if (!(await until(() => writer!.acked > 0, 5000))) throw new Error('the workload got no write acknowledged before the fault');

    const w = writer;
    const obs = observer;
    fault = await killPod({ deployment: d, topology, clock, mark: (t, detail) => note('fault', t, detail) }, s.fault.target);
    const oldMaster = addr(topology.master.redis);
    const faultNs = fault.landedNs;
    ctx.log(`  fault landed: ${fault.victim.name} killed`);
    if (s.expect.failover) {
      const seen = await until(
        () =>
          obs.events.some((e) => e.ns > faultNs && isSwitchMaster(e, d.model.masterName)) &&
          w.history.some((o) => o.type === 'ok' && o.ns > faultNs && o.node !== undefined && o.node !== oldMaster),
        s.timeouts.failoverMs,
      );
      if (!seen) ctx.log(`  no complete failover within ${s.timeouts.failoverMs} ms`);
    }
    if (s.restart) {
      const healStart = clock.nowNs();
      await fault.heal();
      const victim = fault.victim;
      const rejoined = await until(() => hasRejoined(d, victim), s.timeouts.rejoinMs, 20);
      figures.rejoin_ms = rejoined ? nsToMs(clock.nowNs() - healStart) : null;
      note('phase', rejoined ? 'rejoined' : 'rejoin-timeout', victim.name);
      extra.push({
        name: 'rejoin',
        valid: rejoined,
        figures: { rejoin_ms: figures.rejoin_ms },
        explanation: rejoined
          ? `${victim.name} rejoined as a replica of the new master ${figures.rejoin_ms} ms after restart`
          : `${victim.name} did not rejoin as a replica with its link up within ${s.timeouts.rejoinMs} ms`,
      });
    }
    await w.stop(2000);
    note('phase', 'workload-stop', `${w.acked} writes acknowledged`);
    rb = await readBack(d, w.keys(), clock);
    return finish(faultNs, oldMaster);
  } catch (e) {
    error = isHarnessError(e) ? e.message : `${(e as Error).message}`;
    return finish(fault?.landedNs ?? null, topology ? addr(topology.master.redis) : null);
  } finally {
    if (fault) await fault.heal().catch(() => {});
    await writer?.stop(0);
    client?.disconnect();
    await observer?.stop();
  }

  function finish(faultNs: number | null, oldMaster: string | null): TrialOutcome {
    const history = writer?.history ?? [];
    const allEvents = [...events, ...(observer?.events ?? [])].sort((a, b) => a.ns - b.ns);
    const input: TrialInput = { history, events: allEvents, readBack: rb, faultNs, oldMaster, masterName: d.model.masterName };
    const checks: BoundCheck[] = [
      bindCheck('failover-phases', checkPhases, { failoverTimeoutMs: d.model.failoverTimeoutMs }),
      bindCheck('availability', checkAvailability, {}),
      bindCheck('write-loss', checkWriteLoss, { maxLost: s.expect.maxLostWrites }),
    ];
    if (s.expect.failover) checks.unshift(bindCheck('failover-time', checkFailoverTime, { sloMs: s.expect.failoverMs }));
    const results = [...runChecks(input, checks), ...extra];
    const phases = faultNs === null ? { phases: [], figures: {} } : failoverPhases(input);
    const merged: Record<string, number | null> = { ...mergeFigures(results), ...phases.figures, ...figures, trial_ms: nsToMs(clock.nowNs() - startedNs), writes_skipped: writer?.skipped ?? 0 };
    const validity = error ? 'unknown' : overall(results);
    const verdict: Verdict = validity === true ? 'pass' : validity === false ? 'fail' : 'unknown';
    const failing = results.filter((r) => r.valid !== true).map((r) => r.explanation);
    const [lo, hi] = s.expect.failoverBandMs;
    const fo = merged.failover_ms;
    if (verdict === 'pass' && typeof fo === 'number' && (fo < lo || fo > hi)) failing.push(`client-observed failover ${fo} ms is outside the expected band ${lo}-${hi} ms`);
    return {
      history,
      result: {
        index: ctx.index,
        verdict,
        startedAt: clock.wallIso(startedNs),
        durationMs: nsToMs(clock.nowNs() - startedNs),
        figures: merged,
        phases: phases.phases,
        checks: results,
        events: allEvents,
        ...(error ? { message: `trial could not complete: ${error}` } : failing.length ? { message: failing.join('; ') } : {}),
      },
    };
  }
}
