// Conformance group "monitoring": the exporter sidecars (--monitoring) scraped by a Prometheus the harness starts
// on loopback with the repo's alert rules (monitoring/alerts.yaml). No alert in steady state; across a master
// kill (the scenarios' kill-pod fault and its heal) the expected alerts fire within a bound and clear after the heal.
import { setTimeout as sleep } from 'node:timers/promises';
import { createClock, nsToMs, type Clock } from '../clock.ts';
import { EXPORTERS, hasMonitoring } from '../config/monitoring.ts';
import { HarnessError } from '../errors.ts';
import type { FaultSpec } from '../faults/index.ts';
import type { ConformanceEvent } from '../model/conformance.ts';
import { ALERT_RULES_FILE, startPrometheus, type ActiveAlert, type RunningPrometheus } from '../observers/prometheus.ts';
import { withProbe } from '../redis/clients.ts';
import { waitForConvergence } from '../targets/convergence.ts';
import { addr, type StartedDeployment } from '../targets/target.ts';
import { conformanceFaultContext, HealStack, injectStep } from './disruption.ts';
import type { ConformanceCheck, DisruptiveStep } from './types.ts';

export type MonitoringCheck = ConformanceCheck & { group: 'monitoring' };

export interface MonitoringOptions {
  rulesFile: string;
  /** Prometheus's address: default 127.0.<the pods' subnet>.230. */
  prometheusHost?: string;
  prometheusPort: number;
  /** Every exporter scraped healthy within this. */
  scrapeTimeoutMs: number;
  /** The steady-state window in which no alert may fire (or be pending). */
  steadyMs: number;
  /** An expected alert fires within down-after + this after the kill landed. */
  fireSlackMs: number;
  /** Every alert clears within this after the heal (the pod started again). */
  clearBoundMs: number;
  pollMs: number;
  log: (line: string) => void;
}

export const MONITORING_DEFAULTS: MonitoringOptions = {
  rulesFile: ALERT_RULES_FILE,
  prometheusPort: 9090,
  scrapeTimeoutMs: 20_000,
  steadyMs: 15_000,
  fireSlackMs: 10_000,
  clearBoundMs: 30_000,
  pollMs: 200,
  log: () => {},
};

/**
 * What a master kill must set off (the old master's pod, both exporters with it, is gone; the replicas
 * lose their link; no master until the promotion; the promoted one has 1 replica until the pod rejoins),
 * what it may (the sentinels' sdown / odown window lasts about a second: a 1 s scrape may miss it), and
 * what it must not (quorum holds with 2 of 3 sentinels; nothing about memory).
 */
export const MASTER_KILL_ALERTS = {
  must: ['RedisDown', 'SentinelDown', 'RedisReplicaLinkDown', 'RedisNoMaster', 'RedisReplicasMissing', 'SentinelReplicasMissing'],
  may: ['SentinelMasterNotOk'],
  mustNot: ['SentinelNoMasterMonitored', 'SentinelQuorumUnreachable', 'SentinelTilt', 'RedisMemoryNearMax', 'RedisEvictedKeysRising'],
} as const;

const MASTER_KILL: FaultSpec = { kind: 'kill-pod', target: 'master', holdMs: 0 };

export const MONITORING_STEPS: readonly DisruptiveStep[] = [
  {
    action: "SIGKILL every container of the master's pod (its exporters with it) while Prometheus evaluates the alert rules",
    heal: 'start the pod again once the expected alerts fired (or their bound passed), then wait for convergence',
    fault: MASTER_KILL,
  },
];

const check = (c: Omit<MonitoringCheck, 'group'>): MonitoringCheck => ({ group: 'monitoring', ...c });

/** Per alert name: when it was first seen firing and when it was last seen firing, on the group's clock. */
interface AlertWindow {
  firstFiringNs: number;
  lastFiringNs: number;
  /** First poll at which it no longer fired after having fired. */
  clearedNs: number | null;
  instances: Set<string>;
}

/** Polls /api/v1/alerts in the background and keeps each alert's firing window. */
function watchAlerts(p: RunningPrometheus, clock: Clock, pollMs: number) {
  const windows = new Map<string, AlertWindow>();
  const pending = new Set<string>();
  let errors = 0;
  let stopped = false;
  let lastPollNs = 0;
  const loop = (async () => {
    while (!stopped) {
      let alerts: ActiveAlert[] | null = null;
      try {
        alerts = await p.alerts();
      } catch {
        errors++;
      }
      const now = clock.nowNs();
      if (alerts) {
        lastPollNs = now;
        const firing = new Set(alerts.filter((a) => a.state === 'firing').map((a) => a.name));
        for (const a of alerts) if (a.state === 'pending') pending.add(a.name);
        for (const a of alerts.filter((x) => x.state === 'firing')) {
          const w = windows.get(a.name) ?? { firstFiringNs: now, lastFiringNs: now, clearedNs: null, instances: new Set<string>() };
          w.lastFiringNs = now;
          w.clearedNs = null;
          if (a.labels.instance) w.instances.add(a.labels.instance);
          windows.set(a.name, w);
        }
        for (const [name, w] of windows) if (!firing.has(name) && w.clearedNs === null) w.clearedNs = now;
      }
      await sleep(pollMs);
    }
  })();
  return {
    windows,
    pending,
    errors: () => errors,
    firingNow: () => [...windows].filter(([, w]) => w.clearedNs === null).map(([n]) => n),
    lastPollNs: () => lastPollNs,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** The master the sentinels name (first that answers), as "host:port". */
async function sentinelMasterAddr(d: StartedDeployment): Promise<string | null> {
  for (const p of d.pods) {
    try {
      const r = (await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (c) => c.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName))) as
        [string, string] | null;
      if (r) return `${r[0]}:${r[1]}`;
    } catch {
      // next sentinel
    }
  }
  return null;
}

const skippedAll = (reason: string): MonitoringCheck[] => [
  check({
    name: 'monitoring',
    valid: 'skipped',
    reason,
    expected: 'a deployment whose pods run the exporter sidecars, reachable by address',
    observed: `skipped: ${reason}`,
    explanation: 'The alert rules can only be exercised against exporters Prometheus can scrape.',
  }),
];

/** Step 1: every exporter scraped healthy. */
async function scrapeCheck(prom: RunningPrometheus, d: StartedDeployment, clock: Clock, o: MonitoringOptions): Promise<MonitoringCheck> {
  const t0 = clock.nowNs();
  let targets = await prom.targets().catch(() => []);
  const want = EXPORTERS.length * d.pods.length;
  while (!(targets.length === want && targets.every((t) => t.health === 'up')) && nsToMs(clock.nowNs() - t0) < o.scrapeTimeoutMs) {
    await sleep(250);
    targets = await prom.targets().catch(() => []);
  }
  const upCount = targets.filter((t) => t.health === 'up').length;
  const scraped = upCount === want;
  return check({
    name: 'scrape.every-exporter',
    valid: scraped,
    expected: `${want} exporters (${EXPORTERS.map((e) => `${e.name} :${e.port}`).join(', ')} on each of ${d.pods.length} pods) scraped healthy within ${o.scrapeTimeoutMs} ms`,
    observed: `${upCount} of ${targets.length} up after ${nsToMs(clock.nowNs() - t0)} ms${targets
      .filter((t) => t.health !== 'up')
      .map((t) => `; ${t.job} ${t.instance}: ${t.health} ${t.lastError}`)
      .join('')}`,
    explanation: 'An alert on a metric nobody scrapes never fires: the exporters must be up before the alerts mean anything.',
    figures: { exporters_up: upCount, scrape_ready_ms: nsToMs(clock.nowNs() - t0) },
  });
}

/** Step 2: steady state, nothing fires, nothing pending. */
async function steadyCheck(prom: RunningPrometheus, clock: Clock, o: MonitoringOptions): Promise<MonitoringCheck> {
  // Rules can be evaluated before the first scrape of every series they read (absent() is true then): a freshly
  // started Prometheus settles first (bounded by the steady window's own length), then the window is watched.
  const settleUntil = performance.now() + o.steadyMs;
  while (performance.now() < settleUntil && (await prom.alerts().catch(() => [])).length > 0) await sleep(o.pollMs);
  const steady = watchAlerts(prom, clock, o.pollMs);
  await sleep(o.steadyMs);
  await steady.stop();
  const noisy = [...new Set([...steady.windows.keys(), ...steady.pending])];
  return check({
    name: 'steady-state.silent',
    valid: steady.lastPollNs() === 0 ? 'unknown' : noisy.length === 0,
    expected: `no alert firing or pending over ${o.steadyMs} ms of a converged deployment`,
    observed: noisy.length ? `seen: ${noisy.join(', ')}` : `none (${steady.errors()} failed polls)`,
    explanation: 'An alert that fires on a healthy deployment is noise operators learn to ignore.',
    figures: { steady_window_ms: o.steadyMs, alerts_seen: noisy.length },
  });
}

/** The group's checks (exported for the integration test, which also runs it with a broken rules file). */
// eslint-disable-next-line max-lines-per-function -- over 120 lines only as Prettier wraps it; left for a split of its own
export async function monitoringChecks(d: StartedDeployment, options: Partial<MonitoringOptions> = {}): Promise<MonitoringCheck[]> {
  const o = { ...MONITORING_DEFAULTS, ...options };
  if (!hasMonitoring(d.model)) return skippedAll('the deployment runs without the exporter sidecars (pass --monitoring)');
  if (d.target !== 'local')
    return skippedAll(`target ${d.target}: the exporters' ports are not reachable from the harness (only the local target gives each pod a loopback address)`);
  const host = o.prometheusHost ?? d.pods[0]!.redis.host.replace(/\.\d+$/, '.230');
  const clock = createClock();
  const out: MonitoringCheck[] = [];
  const prom = await startPrometheus({
    host,
    port: o.prometheusPort,
    rulesFile: o.rulesFile,
    jobs: EXPORTERS.map((e) => ({ job: e.of, targets: d.pods.map((p) => `${p.redis.host}:${e.port}`) })),
  });
  o.log(`monitoring: prometheus on ${prom.url}, rules ${o.rulesFile}`);
  try {
    const scrape = await scrapeCheck(prom, d, clock, o);
    out.push(scrape);
    const scraped = scrape.valid === true;
    if (!scraped) return out;

    out.push(await steadyCheck(prom, clock, o));

    // 3. A master kill: the expected alerts fire, then clear after the heal.
    const topology = await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 });
    const oldMaster = topology.master;
    const faultCtx = conformanceFaultContext(d, topology, clock);
    const heals = new HealStack(faultCtx);
    const watch = watchAlerts(prom, clock, o.pollMs);
    let killNs = 0;
    let healedNs = 0;
    let clearedAllNs: number | null = null;
    try {
      o.log(`monitoring: killing ${oldMaster.name} (master)`);
      const fault = await injectStep(faultCtx, heals, MASTER_KILL, { restart: true });
      killNs = fault.landedNs;
      const fireBoundMs = d.downAfterMs + o.fireSlackMs;
      let failedOver = false;
      while (nsToMs(clock.nowNs() - killNs) < fireBoundMs) {
        const fired = MASTER_KILL_ALERTS.must.every((n) => watch.windows.has(n));
        if (!failedOver) {
          const now = await sentinelMasterAddr(d);
          failedOver = now !== null && now !== addr(oldMaster.redis);
        }
        if (fired && failedOver) break;
        await sleep(o.pollMs);
      }
      o.log(`monitoring: healing (starting ${oldMaster.name} again)`);
      const failed = await heals.unwind();
      if (failed.length) throw new HarnessError('FAULT_FAILED', `could not heal the master kill: ${failed.join('; ')}`);
      healedNs = clock.nowNs();
      while (nsToMs(clock.nowNs() - healedNs) < o.clearBoundMs) {
        await sleep(o.pollMs);
        if (watch.lastPollNs() > healedNs && watch.firingNow().length === 0) {
          clearedAllNs = watch.lastPollNs();
          break;
        }
      }
    } finally {
      await heals.unwind();
      await watch.stop();
    }
    const fireBoundMs = d.downAfterMs + o.fireSlackMs;
    const rel = (ns: number | null | undefined, from: number) => (ns === null || ns === undefined ? null : nsToMs(ns - from));
    const eventsOf = (name: string, w: AlertWindow | undefined): ConformanceEvent[] =>
      w
        ? [
            { kind: 'alert', type: 'fire', name, atMs: nsToMs(w.firstFiringNs - killNs), detail: [...w.instances].join(', ') },
            ...(w.clearedNs !== null ? [{ kind: 'alert' as const, type: 'clear' as const, name, atMs: nsToMs(w.clearedNs - killNs), detail: '' }] : []),
          ]
        : [];
    for (const name of [...MASTER_KILL_ALERTS.must, ...MASTER_KILL_ALERTS.may]) {
      const w = watch.windows.get(name);
      const fireMs = rel(w?.firstFiringNs, killNs);
      const clearMs = w && w.clearedNs !== null ? rel(w.clearedNs, healedNs) : null;
      const must = (MASTER_KILL_ALERTS.must as readonly string[]).includes(name);
      const firedOk = fireMs !== null && fireMs <= fireBoundMs;
      const clearedOk = w !== undefined && w.clearedNs !== null && (clearMs ?? 0) <= o.clearBoundMs;
      out.push(
        check({
          name: `alert.${name}`,
          valid: must ? firedOk && clearedOk : w === undefined || clearedOk,
          expected: must
            ? `fires within ${fireBoundMs} ms of the master kill (down-after ${d.downAfterMs} + ${o.fireSlackMs}) and clears within ${o.clearBoundMs} ms of the heal`
            : `may fire (its window is about a second, a 1 s scrape can miss it); if it fires it clears within ${o.clearBoundMs} ms of the heal`,
          observed:
            w === undefined
              ? 'never fired'
              : `fired ${fireMs} ms after the kill${w.instances.size ? ` (${[...w.instances].join(', ')})` : ''}; ${w.clearedNs === null ? 'still firing' : `cleared ${rel(w.clearedNs, killNs)} ms after the kill, ${Math.abs(clearMs ?? 0)} ms ${(clearMs ?? 0) < 0 ? 'before' : 'after'} the heal`}`,
          explanation: must
            ? 'An operator must be told the master died, a replica lost its link and the deployment runs short of replicas; and told it is over once the pod is back.'
            : "Sentinel's sdown/odown state only lasts from down-after to the promotion.",
          figures: {
            fire_ms: fireMs,
            clear_ms: clearMs,
            fire_after_kill_ms: fireMs,
            clear_after_kill_ms: w && w.clearedNs !== null ? rel(w.clearedNs, killNs) : null,
          },
          events: eventsOf(name, w),
        }),
      );
    }
    const wrongly = MASTER_KILL_ALERTS.mustNot.filter((n) => watch.windows.has(n));
    const unexpected = [...watch.windows.keys()].filter(
      (n) => ![...MASTER_KILL_ALERTS.must, ...MASTER_KILL_ALERTS.may, ...MASTER_KILL_ALERTS.mustNot].includes(n as never),
    );
    out.push(
      check({
        name: 'master-kill.no-other-alerts',
        valid: wrongly.length === 0,
        expected: `none of ${MASTER_KILL_ALERTS.mustNot.join(', ')} fires across a master kill (quorum holds with 2 of 3 sentinels)`,
        observed: wrongly.length || unexpected.length ? `fired: ${[...wrongly, ...unexpected].join(', ')}` : 'none of them fired',
        explanation: 'An alert that fires on a routine failover points operators at the wrong problem.',
        events: [...wrongly, ...unexpected].flatMap((n) => eventsOf(n, watch.windows.get(n))),
      }),
    );
    out.push(
      check({
        name: 'master-kill.all-clear',
        valid: clearedAllNs !== null,
        expected: `no alert firing within ${o.clearBoundMs} ms of the heal`,
        observed: clearedAllNs === null ? `still firing: ${watch.firingNow().join(', ') || '?'}` : `all clear ${rel(clearedAllNs, healedNs)} ms after the heal`,
        explanation: 'Alerts that do not resolve once the deployment is healthy again hide the next incident.',
        figures: { all_clear_ms: rel(clearedAllNs, healedNs), heal_after_kill_ms: rel(healedNs, killNs) },
      }),
    );
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 60_000 });
    return out;
  } finally {
    await prom.stop();
  }
}
