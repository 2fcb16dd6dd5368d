// Conformance group "monitoring": the exporter sidecars (--monitoring) scraped by a Prometheus the harness starts
// on loopback with the repo's alert rules (monitoring/alerts.yaml). No alert in steady state; across a master
// kill (the scenarios' kill-pod fault and its heal) the expected alerts fire within a bound and clear after the heal.
import { setTimeout as sleep } from 'node:timers/promises';
import { createClock, nsToMs, type Clock } from '../clock.ts';
import { EXPORTERS, hasMonitoring } from '../config/monitoring.ts';
import { EXPORTER_USER } from '../config/secure.ts';
import { HarnessError } from '../errors.ts';
import type { FaultSpec } from '../faults/index.ts';
import type { ConformanceEvent } from '../model/conformance.ts';
import { AlertWatcher, settleAlerts, type AlertSpan } from '../observers/alerts.ts';
import {
  ALERT_RULES_FILE,
  assertMonitoringPortsFree,
  besidePods,
  PROMETHEUS_DEFAULTS,
  SCRAPABLE_TARGETS,
  startDeploymentPrometheus,
  waitForTargets,
  type RunningPrometheus,
} from '../observers/prometheus.ts';
import { withProbe } from '../redis/clients.ts';
import { waitForConvergence } from '../targets/convergence.ts';
import { addr, type StartedDeployment } from '../targets/target.ts';
import { readAclLogs, type AclLogs } from './app-acl.ts';
import { conformanceFaultContext, HealStack, injectStep } from './disruption.ts';
import { EXPORTER_PROBE_NAME } from './security/live-checks.ts';
import type { ConformanceCheck, DisruptiveStep } from './types.ts';

export type MonitoringCheck = ConformanceCheck & { group: 'monitoring' };

export interface MonitoringOptions {
  rulesFile: string;
  /** Prometheus's address: default 127.0.<the pods' subnet>.230 (beside the pods' addresses, local and docker alike). */
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
  prometheusPort: PROMETHEUS_DEFAULTS.port,
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
async function scrapeCheck(prom: RunningPrometheus, d: StartedDeployment, o: MonitoringOptions): Promise<MonitoringCheck> {
  const want = EXPORTERS.length * d.pods.length;
  const { targets, waitedMs } = await waitForTargets(prom, want, o.scrapeTimeoutMs);
  const upCount = targets.filter((t) => t.health === 'up').length;
  return check({
    name: 'scrape.every-exporter',
    valid: upCount === want,
    expected: `${want} exporters (${EXPORTERS.map((e) => `${e.name} :${e.port}`).join(', ')} on each of ${d.pods.length} pods) scraped healthy within ${o.scrapeTimeoutMs} ms`,
    observed: `${upCount} of ${targets.length} up after ${waitedMs} ms${targets
      .filter((t) => t.health !== 'up')
      .map((t) => `; ${t.job} ${t.instance}: ${t.health} ${t.lastError}`)
      .join('')}`,
    explanation: 'An alert on a metric nobody scrapes never fires: the exporters must be up before the alerts mean anything.',
    figures: { exporters_up: upCount, scrape_ready_ms: waitedMs },
  });
}

/** Step 2: steady state, nothing fires, nothing pending. */
async function steadyCheck(prom: RunningPrometheus, clock: Clock, o: MonitoringOptions): Promise<MonitoringCheck> {
  await settleAlerts(prom, o.steadyMs, o.pollMs);
  const steady = new AlertWatcher(prom, clock, o.pollMs).start();
  await sleep(o.steadyMs);
  await steady.stop();
  const noisy = [...new Set([...steady.fired(), ...steady.pending])];
  return check({
    name: 'steady-state.silent',
    valid: steady.lastPollNs() === 0 ? 'unknown' : noisy.length === 0,
    expected: `no alert firing or pending over ${o.steadyMs} ms of a converged deployment`,
    observed: noisy.length ? `seen: ${noisy.join(', ')}` : `none (${steady.failedPolls()} failed polls)`,
    explanation: 'An alert that fires on a healthy deployment is noise operators learn to ignore.',
    figures: { steady_window_ms: o.steadyMs, alerts_seen: noisy.length },
  });
}

/** What step 3 saw: the alerts across the kill, when the kill landed, the heal ended and every alert had cleared (group clock). */
interface KillWindow {
  watch: AlertWatcher;
  killNs: number;
  healedNs: number;
  clearedAllNs: number | null;
}

/** Step 3: kill the master, heal once the expected alerts fired and the sentinels failed over (or their bound passed), wait for every alert to clear. */
async function masterKill(d: StartedDeployment, prom: RunningPrometheus, clock: Clock, o: MonitoringOptions): Promise<KillWindow> {
  const topology = await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 });
  const oldMaster = topology.master;
  const faultCtx = conformanceFaultContext(d, topology, clock);
  const heals = new HealStack(faultCtx);
  const watch = new AlertWatcher(prom, clock, o.pollMs).start();
  const out: KillWindow = { watch, killNs: 0, healedNs: 0, clearedAllNs: null };
  try {
    o.log(`monitoring: killing ${oldMaster.name} (master)`);
    out.killNs = (await injectStep(faultCtx, heals, MASTER_KILL, { restart: true })).landedNs;
    let failedOver = false;
    while (nsToMs(clock.nowNs() - out.killNs) < d.downAfterMs + o.fireSlackMs) {
      const fired = MASTER_KILL_ALERTS.must.every((n) => watch.span(n) !== undefined);
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
    out.healedNs = clock.nowNs();
    if (await watch.quiet(out.healedNs, o.clearBoundMs)) out.clearedAllNs = watch.lastPollNs();
  } finally {
    await heals.unwind();
    await watch.stop();
  }
  return out;
}

const rel = (ns: number | null | undefined, from: number) => (ns === null || ns === undefined ? null : nsToMs(ns - from));

/** An alert's window as conformance events (ms after the kill), for the report's timeline. */
function eventsOf(name: string, w: AlertSpan | undefined, killNs: number): ConformanceEvent[] {
  if (!w) return [];
  return [
    { kind: 'alert', type: 'fire', name, atMs: nsToMs(w.firstFiringNs - killNs), detail: [...w.instances].join(', ') },
    ...(w.clearedNs !== null ? [{ kind: 'alert' as const, type: 'clear' as const, name, atMs: nsToMs(w.clearedNs - killNs), detail: '' }] : []),
  ];
}

/** One check per alert that must or may fire: fired within its bound, cleared after the heal. */
function alertCheck(name: string, k: KillWindow, d: StartedDeployment, o: MonitoringOptions): MonitoringCheck {
  const fireBoundMs = d.downAfterMs + o.fireSlackMs;
  const w = k.watch.span(name);
  const fireMs = rel(w?.firstFiringNs, k.killNs);
  const clearMs = w && w.clearedNs !== null ? rel(w.clearedNs, k.healedNs) : null;
  const must = (MASTER_KILL_ALERTS.must as readonly string[]).includes(name);
  const firedOk = fireMs !== null && fireMs <= fireBoundMs;
  const clearedOk = w !== undefined && w.clearedNs !== null && (clearMs ?? 0) <= o.clearBoundMs;
  return check({
    name: `alert.${name}`,
    valid: must ? firedOk && clearedOk : w === undefined || clearedOk,
    expected: must
      ? `fires within ${fireBoundMs} ms of the master kill (down-after ${d.downAfterMs} + ${o.fireSlackMs}) and clears within ${o.clearBoundMs} ms of the heal`
      : `may fire (its window is about a second, a 1 s scrape can miss it); if it fires it clears within ${o.clearBoundMs} ms of the heal`,
    observed:
      w === undefined
        ? 'never fired'
        : `fired ${fireMs} ms after the kill${w.instances.size ? ` (${[...w.instances].join(', ')})` : ''}; ${w.clearedNs === null ? 'still firing' : `cleared ${rel(w.clearedNs, k.killNs)} ms after the kill, ${Math.abs(clearMs ?? 0)} ms ${(clearMs ?? 0) < 0 ? 'before' : 'after'} the heal`}`,
    explanation: must
      ? 'An operator must be told the master died, a replica lost its link and the deployment runs short of replicas; and told it is over once the pod is back.'
      : "Sentinel's sdown/odown state only lasts from down-after to the promotion.",
    figures: {
      fire_ms: fireMs,
      clear_ms: clearMs,
      fire_after_kill_ms: fireMs,
      clear_after_kill_ms: w && w.clearedNs !== null ? rel(w.clearedNs, k.killNs) : null,
    },
    events: eventsOf(name, w, k.killNs),
  });
}

/** The checks of step 3: each expected alert, none of the others, all clear after the heal. */
function masterKillChecks(k: KillWindow, d: StartedDeployment, o: MonitoringOptions): MonitoringCheck[] {
  const out = [...MASTER_KILL_ALERTS.must, ...MASTER_KILL_ALERTS.may].map((name) => alertCheck(name, k, d, o));
  const fired = k.watch.fired();
  const wrongly = MASTER_KILL_ALERTS.mustNot.filter((n) => fired.includes(n));
  const known: readonly string[] = [...MASTER_KILL_ALERTS.must, ...MASTER_KILL_ALERTS.may, ...MASTER_KILL_ALERTS.mustNot];
  const unexpected = fired.filter((n) => !known.includes(n));
  out.push(
    check({
      name: 'master-kill.no-other-alerts',
      valid: wrongly.length === 0,
      expected: `none of ${MASTER_KILL_ALERTS.mustNot.join(', ')} fires across a master kill (quorum holds with 2 of 3 sentinels)`,
      observed: wrongly.length || unexpected.length ? `fired: ${[...wrongly, ...unexpected].join(', ')}` : 'none of them fired',
      explanation: 'An alert that fires on a routine failover points operators at the wrong problem.',
      events: [...wrongly, ...unexpected].flatMap((n) => eventsOf(n, k.watch.span(n), k.killNs)),
    }),
    check({
      name: 'master-kill.all-clear',
      valid: k.clearedAllNs !== null,
      expected: `no alert firing within ${o.clearBoundMs} ms of the heal`,
      observed:
        k.clearedAllNs === null ? `still firing: ${k.watch.firingNow().join(', ') || '?'}` : `all clear ${rel(k.clearedAllNs, k.healedNs)} ms after the heal`,
      explanation: 'Alerts that do not resolve once the deployment is healthy again hide the next incident.',
      figures: { all_clear_ms: rel(k.clearedAllNs, k.healedNs), heal_after_kill_ms: rel(k.healedNs, k.killNs) },
    }),
  );
  return out;
}

/** The ACL user the redis exporter sidecar logs in as (its REDIS_USER), or null without one. */
export function exporterLogin(d: Pick<StartedDeployment, 'model'>): string | null {
  return d.model.sidecars.find((c) => c.name === EXPORTERS[0].name)?.env.find((e) => e.name === 'REDIS_USER')?.value ?? null;
}

/**
 * Under ACLs (the secure profile): the redis exporters log in as the exporter user and nothing they sent was refused.
 * A node keeps its refusals in its ACL LOG (the last 128), so the entries of the user the exporters log in as, on
 * every node, cover each node's life so far: the steady window, the kill, the restarted pod's exporter. The security
 * group's exporter probe names its connection (EXPORTER_PROBE_NAME): its deliberate refusals are not the sidecars'.
 */
export function exporterAclCheck(logs: AclLogs, login: string | null): MonitoringCheck {
  const user = login ?? '(none)';
  const mine = logs.denials.filter((x) => x.username === login && x.clientName !== EXPORTER_PROBE_NAME);
  const n = mine.reduce((s, x) => s + x.count, 0);
  const valid = login === EXPORTER_USER && mine.length === 0 ? (logs.unread.length ? 'unknown' : true) : false;
  return check({
    name: `acl.${EXPORTER_USER}`,
    valid,
    expected: `the redis exporters log in as ${EXPORTER_USER}; 0 ACL LOG entries of it on every node: nothing redis_exporter sends on a scrape is refused`,
    observed:
      `they log in as ${user}; ACL LOG of ${logs.read.join(', ') || 'no node'} read${logs.unread.length ? ` (not read: ${logs.unread.join('; ')})` : ''}: ` +
      (mine.length
        ? `${n} refusals of ${user}: ${mine
            .slice(0, 6)
            .map((x) => `${x.node}: ${x.reason} \`${x.object}\`${x.count > 1 ? ` ×${x.count}` : ''}`)
            .join('; ')}`
        : `0 entries of ${user}`),
    explanation:
      'The exporter sidecar logs in as its own ACL user with only what it needs; a refused command is a metric missing on every scrape and noise in the ACL LOG operators audit.',
    figures: { acl_log_entries: n, acl_nodes_read: logs.read.length },
  });
}

/** The group's checks (exported for the integration test, which also runs it with a broken rules file). */
export async function monitoringChecks(d: StartedDeployment, options: Partial<MonitoringOptions> = {}): Promise<MonitoringCheck[]> {
  const o = { ...MONITORING_DEFAULTS, ...options };
  if (!hasMonitoring(d.model)) return skippedAll('the deployment runs without the exporter sidecars (pass --monitoring)');
  if (!SCRAPABLE_TARGETS.includes(d.target))
    return skippedAll(
      `target ${d.target}: the exporters' ports are not reachable from the harness (only the ${SCRAPABLE_TARGETS.join(' and ')} targets give each pod a loopback address)`,
    );
  await assertMonitoringPortsFree(o.prometheusPort);
  const clock = createClock();
  const prom = await startDeploymentPrometheus(d, {
    host: o.prometheusHost ?? (await besidePods(d, 230)),
    port: o.prometheusPort,
    rulesFile: o.rulesFile,
  });
  o.log(`monitoring: prometheus on ${prom.url}, rules ${o.rulesFile}`);
  try {
    const scrape = await scrapeCheck(prom, d, o);
    if (scrape.valid !== true) return [scrape];
    const steady = await steadyCheck(prom, clock, o);
    const kill = await masterKill(d, prom, clock, o);
    const out = [scrape, steady, ...masterKillChecks(kill, d, o)];
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 60_000 });
    if (d.model.security?.acl) {
      const login = exporterLogin(d);
      out.push(exporterAclCheck(await readAclLogs(d, d.pods, new Set(login ? [login] : [])), login));
    }
    return out;
  } finally {
    await prom.stop();
  }
}
