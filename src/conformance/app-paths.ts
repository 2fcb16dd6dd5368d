// Conformance group "app-paths": the seed's applications keep writing across a master kill, through the paths they are configured with.
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClock, nsToMs, type Clock } from '../clock.ts';
import { firstNewMasterAckNs } from '../checkers/phases.ts';
import { probeClient, withProbe } from '../redis/clients.ts';
import { waitForConvergence } from '../targets/convergence.ts';
import { addr, hasServices, type Endpoint, type Pod, type StartedDeployment } from '../targets/target.ts';
import type { Op } from '../model/history.ts';
import { SentinelLookupClient } from '../workload/sentinel-lookup-client.ts';
import { sentinelClient } from '../workload/sentinel-client.ts';
import { TrackedWriter, type WriterClient } from '../workload/tracked-writer.ts';

/** One app-path check, shaped like the conformance suite's checks (group, verdict, expected vs observed, why). */
export interface AppPathCheck {
  name: string;
  group: 'app-paths';
  valid: boolean | 'skipped';
  expected: string;
  observed: string;
  explanation: string;
  figures?: Record<string, number | null>;
}

export interface AppPathOptions {
  /** The Service applications connect to, and its port (the seed: redis:6379). */
  clientService: string;
  /** Pod label and value the master carries (reported with the label lag). */
  roleLabel: string;
  masterRole: string;
  /** Fresh connections opened through the Service to see where they land. */
  probeConnections: number;
  /** Writes per second per client. */
  rateHz: number;
  /** Writing before the fault. */
  warmupMs: number;
  /** The longest a client may take to resume after the fault before it is declared stuck. */
  resumeTimeoutMs: number;
  /** Writing after every client resumed. */
  afterMs: number;
  /** The application's command timeout (see TrackedWriter). */
  commandTimeoutMs: number;
  /** Start the killed pod again at the end and wait for convergence. */
  restart: boolean;
  log: (line: string) => void;
}

export const APP_PATH_DEFAULTS: AppPathOptions = {
  clientService: 'redis',
  roleLabel: 'redis.io/role',
  masterRole: 'master',
  probeConnections: 9,
  rateHz: 50,
  warmupMs: 1000,
  resumeTimeoutMs: 30_000,
  afterMs: 1000,
  commandTimeoutMs: 1000,
  restart: true,
  log: () => {},
};

/** The seed's applications and how each reaches redis (docs: "Application Connection Strings"). */
export const APP_CLIENTS = [
  { name: 'synapse', path: 'service', db: 0, how: 'plain client to redis.matrix.svc.cluster.local:6379, dbid 0 (homeserver.yaml)' },
  { name: 'livekit', path: 'service', db: 1, how: 'plain client to redis:6379, db 1 (livekit.yaml)' },
  { name: 'django-sessions', path: 'service', db: 2, how: 'plain client to redis://redis.matrix.svc.cluster.local:6379/2 (Django RedisCache)' },
  { name: 'ioredis-sentinel', path: 'sentinel', db: 0, how: 'ioredis in Sentinel mode over the three pods\' sentinels, failover detector off (ioredis\'s default)' },
  { name: 'redis-py-sentinel', path: 'sentinel', db: 3, how: 'SENTINEL get-master-addr-by-name, direct connection, asks again after an error or READONLY (redis-py master_for)' },
] as const;

type AppClient = (typeof APP_CLIENTS)[number];

const ms = (v: number | null): string => (v === null ? 'not measured (a client never resumed)' : `${v} ms`);
const check = (c: Omit<AppPathCheck, 'group'>): AppPathCheck => ({ group: 'app-paths', ...c });

/** The master the sentinels name (first one that answers). */
async function sentinelMaster(d: StartedDeployment): Promise<Pod | undefined> {
  for (const p of d.pods) {
    try {
      const r = (await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (c) => c.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName))) as [string, string] | null;
      const found = r ? d.pods.find((x) => x.redis.host === r[0] && x.redis.port === Number(r[1])) : undefined;
      if (found) return found;
    } catch {
      // next sentinel
    }
  }
  return undefined;
}

/** Open `n` fresh connections through the Service, write once on each: where do new connections land? */
export async function probeServiceRouting(e: Endpoint, password: string, n: number): Promise<{ ok: number; readonly: number; other: string[]; roles: Record<string, number> }> {
  const out = { ok: 0, readonly: 0, other: [] as string[], roles: {} as Record<string, number> };
  for (let i = 0; i < n; i++) {
    try {
      await withProbe(e, { password, connectTimeoutMs: 500 }, async (c) => {
        const role = String(((await c.role()) as unknown[])[0]);
        out.roles[role] = (out.roles[role] ?? 0) + 1;
        await c.set(`app-paths:probe:${i}`, '1', 'PX', 60_000);
      });
      out.ok++;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (msg.startsWith('READONLY')) out.readonly++;
      else out.other.push(msg.slice(0, 80));
    }
  }
  return out;
}

/** Nanoseconds of the first acknowledgement of a write invoked after `faultNs` (a write the dead master cannot have taken). */
export function firstAckInvokedAfter(history: readonly Op[], faultNs: number): number | null {
  const invokedAt = new Map<string, number>();
  let first: number | null = null;
  for (const op of history) {
    if (op.type === 'invoke') invokedAt.set(op.key, op.ns);
    else if (op.type === 'ok' && (invokedAt.get(op.key) ?? -1) > faultNs && (first === null || op.ns < first)) first = op.ns;
  }
  return first;
}

interface Running {
  app: AppClient;
  writer: TrackedWriter;
  close: () => void;
  /** Figures of the redis-py style client's lookups. */
  lookup?: SentinelLookupClient;
}

function plainClient(e: Endpoint, password: string, db: number): Redis {
  // As an application's plain client: reconnects (5 ms, like the harness's Sentinel client) but keeps a
  // connection that answers READONLY (no reconnectOnError: the libraries' default).
  const c = new Redis({ host: e.host, port: e.port, password, db, connectTimeout: 500, retryStrategy: () => 5, maxRetriesPerRequest: null, enableOfflineQueue: true });
  c.on('error', () => {});
  return c;
}

/**
 * Every app-path check: the Service sends new connections to the master only; then each application
 * client writes across a kill of the master's pod and must resume, without READONLY and without losing
 * acknowledged writes; figures compare the failover time through the Service with the Sentinel path's.
 */
export async function appPathChecks(d: StartedDeployment, options: Partial<AppPathOptions> = {}): Promise<AppPathCheck[]> {
  const o = { ...APP_PATH_DEFAULTS, ...options };
  const out: AppPathCheck[] = [];
  const clock: Clock = createClock();
  const port = d.model.redisPort;
  let service: Endpoint | null = null;
  let noService = '';
  if (!hasServices(d)) noService = `target ${d.target} does not expose the manifests' Services`;
  else {
    try {
      service = d.services.endpoint(o.clientService, port);
    } catch (e) {
      noService = e instanceof Error ? e.message : String(e);
    }
  }
  const apps = APP_CLIENTS.filter((a) => a.path === 'sentinel' || service !== null);
  for (const a of APP_CLIENTS.filter((x) => !apps.includes(x))) {
    for (const what of ['keeps-writing', 'readonly', 'lost-writes']) {
      out.push(check({ name: `${a.name}.${what}`, valid: 'skipped', expected: '(needs the Service path)', observed: `skipped: ${noService}`, explanation: a.how }));
    }
  }

  // 1. Where new connections through the Service land, before any fault.
  if (service) {
    const r = await probeServiceRouting(service, d.password, o.probeConnections);
    out.push(check({
      name: 'service.routes-to-master', valid: r.readonly === 0 && r.ok === o.probeConnections,
      expected: `${o.probeConnections} of ${o.probeConnections} new connections through ${o.clientService}:${port} accept a write (0 READONLY)`,
      observed: `${r.ok} accepted, ${r.readonly} READONLY${r.other.length ? `, ${r.other.length} other errors (${r.other[0]})` : ''}; ROLE seen: ${Object.entries(r.roles).map(([k, v]) => `${k}×${v}`).join(', ') || 'none'}`,
      explanation: 'Each new connection goes to one of the pods the Service selects: a selector matching every pod sends two in three to a replica, which refuses writes (READONLY).',
      figures: { probe_connections: o.probeConnections, probe_readonly: r.readonly },
    }));
  } else {
    out.push(check({ name: 'service.routes-to-master', valid: 'skipped', expected: `new connections through ${o.clientService}:${port} reach the master`, observed: `skipped: ${noService}`, explanation: 'The Service path needs the target to expose Services.' }));
  }

  const oldMaster = await sentinelMaster(d);
  if (!oldMaster) {
    out.push(check({ name: 'failover', valid: false, expected: 'a master named by the sentinels', observed: 'no sentinel named a master', explanation: 'The app paths are exercised across a kill of the master; there is none to kill.' }));
    return out;
  }

  // 2. Every application client writes across a kill of the master's pod.
  const running: Running[] = apps.map((app) => {
    let client: Redis | WriterClient;
    let close: () => void;
    let lookup: SentinelLookupClient | undefined;
    if (app.path === 'service') {
      const c = plainClient(service!, d.password, app.db);
      client = c;
      close = () => c.disconnect();
    } else if (app.name === 'ioredis-sentinel') {
      // ioredis 5.11's failover detector can end the client for good: a +switch-master that arrives while
      // the client is asking a sentinel (it does so every 5 ms while the old master is dead) makes the
      // pending connect fail with "Connection is closed." and ioredis then stops reconnecting (status end).
      // Applications get ioredis's default, the detector off; a killed master closes the socket anyway.
      const c = sentinelClient({ sentinels: d.pods.map((p) => p.sentinel), masterName: d.model.masterName, password: d.password, client: { failoverDetector: false } });
      client = c;
      close = () => c.disconnect();
    } else {
      lookup = new SentinelLookupClient({ sentinels: d.pods.map((p) => p.sentinel), masterName: d.model.masterName, password: d.password, db: app.db });
      client = lookup;
      close = () => lookup!.disconnect();
    }
    const writer = new TrackedWriter({ name: app.name, client, clock, keyPrefix: `app-paths:${app.name}:${Date.now()}`, rateHz: o.rateHz, maxInFlight: 200, timeoutMs: o.commandTimeoutMs });
    return { app, writer, close, ...(lookup ? { lookup } : {}) };
  });
  const perfToNs = (atMs: number) => clock.nowNs() - (performance.now() - atMs) * 1e6;
  let faultNs = 0;
  let promotedNs: number | null = null;
  let newMaster: Pod | undefined;
  const pollers: Array<{ p: Pod; c: Redis }> = [];
  try {
    for (const r of running) r.writer.start();
    await sleep(o.warmupMs);
    pollers.push(...d.pods.filter((x) => x !== oldMaster).map((p) => ({ p, c: probeClient(p.redis, { password: d.password, connectTimeoutMs: 500, commandTimeoutMs: 500 }) })));
    await Promise.all(pollers.map(({ c }) => c.connect().catch(() => {})));
    o.log(`killing ${oldMaster.name} (master) with ${running.length} clients writing at ${o.rateHz}/s each`);
    await d.podControl.kill(oldMaster.name);
    faultNs = clock.nowNs();
    // When a replica answers ROLE master: the promotion, the instant the label can follow from. Open
    // connections polled together, so the instant is not late by a connection set-up.
    try {
      const deadline = performance.now() + o.resumeTimeoutMs;
      const resumed = () => running.every((r) => firstAckInvokedAfter(r.writer.history, faultNs) !== null);
      while (performance.now() < deadline && (promotedNs === null || !resumed())) {
        if (promotedNs === null) {
          // Sentinel's promotion kills the promoted replica's client connections: open a new one when a poller's ended.
          for (const x of pollers) {
            if (x.c.status === 'end') {
              x.c = probeClient(x.p.redis, { password: d.password, connectTimeoutMs: 500, commandTimeoutMs: 500 });
              x.c.connect().catch(() => {});
            }
          }
          const roles = await Promise.all(pollers.map(({ c }) => (c.status === 'ready' ? c.role() : Promise.reject(new Error(c.status))).catch(() => null)));
          const i = roles.findIndex((r) => r !== null && (r as unknown[])[0] === 'master');
          if (i >= 0) {
            promotedNs = clock.nowNs();
            newMaster = pollers[i]!.p;
          }
        }
        await sleep(promotedNs === null ? 2 : 10);
      }
    } finally {
      for (const { c } of pollers) c.disconnect();
    }
    await sleep(o.afterMs);
  } finally {
    await Promise.all(running.map((r) => r.writer.stop(2000)));
    for (const r of running) r.close();
  }

  // 3. Read every acknowledged key back from the master after the failover.
  const finalMaster = (await sentinelMaster(d)) ?? newMaster;
  const masterAddr = addr(oldMaster.redis);
  const figuresOf: Record<string, Record<string, number | null>> = {};
  for (const r of running) {
    const h = r.writer.history;
    const invokeNs = new Map(h.filter((x) => x.type === 'invoke').map((x) => [x.key, x.ns]));
    const acked = [...new Set(h.filter((x) => x.type === 'ok').map((x) => x.key))];
    let present: Set<string> | null = null;
    if (finalMaster) {
      present = await withProbe(finalMaster.redis, { password: d.password, commandTimeoutMs: 5000 }, async (c) => {
        await c.select(r.app.db);
        const found = new Set<string>();
        for (let i = 0; i < acked.length; i += 500) {
          const chunk = acked.slice(i, i + 500);
          const res = (await c.pipeline(chunk.map((k) => ['exists', k])).exec()) ?? [];
          chunk.forEach((k, j) => res[j]?.[1] === 1 && found.add(k));
        }
        return found;
      }).catch(() => null);
    }
    const lost = present === null ? null : acked.filter((k) => !present.has(k));
    const lostAfter = lost === null ? null : lost.filter((k) => (invokeNs.get(k) ?? 0) > faultNs).length;
    const firstAck = firstAckInvokedAfter(h, faultNs);
    const firstErr = h.find((x) => x.ns > faultNs && (x.type === 'fail' || x.type === 'info'))?.ns ?? null;
    const after = h.filter((x) => x.type === 'invoke' && x.ns > faultNs).length;
    const afterAcked = h.filter((x) => x.type === 'ok' && (invokeNs.get(x.key) ?? 0) > faultNs).length;
    const readonly = h.filter((x) => x.type === 'fail' && x.error?.startsWith('READONLY')).length;
    const f: Record<string, number | null> = {
      failover_ms: firstAck === null ? null : nsToMs(firstAck - faultNs),
      // The harness's own measure (first ack by a node other than the old master); through a Service every ack comes from the Service address.
      new_master_ack_ms: (() => {
        const ns = firstNewMasterAckNs({ history: h, events: [], readBack: null, faultNs, oldMaster: masterAddr, masterName: d.model.masterName });
        return ns === null ? null : nsToMs(ns - faultNs);
      })(),
      first_error_ms: firstErr === null ? null : nsToMs(firstErr - faultNs),
      writes_invoked: h.filter((x) => x.type === 'invoke').length,
      writes_acked: acked.length,
      writes_after_fault: after,
      writes_after_fault_acked: afterAcked,
      readonly_errors: readonly,
      lost_acked: lost === null ? null : lost.length,
      lost_acked_after_fault: lostAfter,
      ...(r.lookup ? { sentinel_lookups: r.lookup.lookups, master_switches: r.lookup.switches } : {}),
    };
    figuresOf[r.app.name] = f;
    const name = r.app.name;
    // The writes of the last `afterMs` must be acknowledged: a client stuck on a replica resumes nothing.
    const tailFrom = h.length ? h[h.length - 1]!.ns - o.afterMs * 1e6 : 0;
    const tail = h.filter((x) => x.type === 'invoke' && x.ns > Math.max(tailFrom, faultNs));
    const tailAcked = tail.filter((x) => h.some((y) => y.type === 'ok' && y.key === x.key)).length;
    out.push(check({
      name: `${name}.keeps-writing`, valid: firstAck !== null && tail.length > 0 && tailAcked === tail.length,
      expected: `writes acknowledged again after the kill of ${oldMaster.name} (within ${o.resumeTimeoutMs} ms), and every write of the last ${o.afterMs} ms`,
      observed: firstAck === null
        ? `no write invoked after the fault was acknowledged (${after} invoked, ${readonly} READONLY)`
        : `first acknowledged ${f.failover_ms} ms after the fault; ${afterAcked} of ${after} writes after the fault acknowledged; last ${o.afterMs} ms: ${tailAcked} of ${tail.length}`,
      explanation: `${r.app.how}. The application must keep writing across a failover without a restart.`,
      figures: f,
    }));
    out.push(check({
      name: `${name}.readonly`, valid: readonly === 0,
      expected: '0 writes refused with READONLY', observed: `${readonly} of ${f.writes_invoked} writes refused with READONLY`,
      explanation: 'A write answered READONLY reached a replica: the path does not lead to the master.',
      figures: { readonly_errors: readonly },
    }));
    out.push(check({
      name: `${name}.lost-writes`, valid: lostAfter === 0,
      expected: `0 writes acknowledged after the fault missing from the master (db ${r.app.db})`,
      observed: lost === null ? 'could not read back (no master answered)'
        : `${lostAfter} acknowledged after the fault missing; ${lost.length - lostAfter!} acknowledged before it missing (of ${acked.length} acknowledged)`,
      explanation: 'Read back from the master after the failover. Writes the old master acknowledged just before its kill may be lost to asynchronous replication (reported); a write acknowledged after the fault must be on the new master.',
      figures: { lost_acked: f.lost_acked ?? null, lost_acked_after_fault: lostAfter },
    }));
  }

  // 4. The failover time through the Service against the Sentinel path, and how far the label trailed the promotion.
  const serviceMs = running.filter((r) => r.app.path === 'service').map((r) => figuresOf[r.app.name]!.failover_ms ?? null);
  const sentinelMs = running.filter((r) => r.app.path === 'sentinel').map((r) => figuresOf[r.app.name]!.failover_ms ?? null);
  const maxOf = (xs: (number | null)[]) => (xs.length === 0 || xs.some((x) => x === null) ? null : Math.max(...(xs as number[])));
  const labelFigures: Record<string, number | null> = { promoted_ms: promotedNs === null ? null : nsToMs(promotedNs - faultNs), label_ms: null, label_lag_ms: null };
  let labelText = 'no Service labels on this target';
  if (hasServices(d) && newMaster) {
    const labelled = d.services.labelHistory().find((c) => c.pod === newMaster!.name && c.labels[o.roleLabel] === o.masterRole && perfToNs(c.atMs) > faultNs);
    if (labelled) {
      const ns = perfToNs(labelled.atMs);
      labelFigures.label_ms = nsToMs(ns - faultNs);
      labelFigures.label_lag_ms = promotedNs === null ? null : nsToMs(ns - promotedNs);
      labelText = `${newMaster.name} labelled ${o.roleLabel}=${o.masterRole} ${labelFigures.label_ms} ms after the fault, ${labelFigures.label_lag_ms} ms after it answered ROLE master`;
    } else labelText = `${newMaster.name} never labelled ${o.roleLabel}=${o.masterRole}`;
  }
  const figures = {
    service_failover_ms: maxOf(serviceMs),
    sentinel_failover_ms: maxOf(sentinelMs),
    ...Object.fromEntries(running.map((r) => [`${r.app.name}_failover_ms`, figuresOf[r.app.name]!.failover_ms])),
    ...labelFigures,
  };
  out.push(check({
    name: 'failover-time', valid: (service === null || figures.service_failover_ms !== null) && figures.sentinel_failover_ms !== null,
    expected: 'the failover time measured on every path (fault → first acknowledged write invoked after it)',
    observed:
      `Service path ${ms(figures.service_failover_ms)} (slowest of ${serviceMs.length}), Sentinel path ${ms(figures.sentinel_failover_ms)} (slowest of ${sentinelMs.length}); ` +
      `promotion ${ms(labelFigures.promoted_ms ?? null)}; ${labelText}`,
    explanation: 'Measured, not held to a figure here: the Service path adds the label lag (role-labeller poll + API) and, on a cluster, endpoint propagation to kube-proxy.',
    figures,
  }));

  // 5. After the old master's pod is back, exactly the master carries the master label.
  if (o.restart) {
    await d.podControl.start(oldMaster.name);
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 60_000 });
  }
  if (hasServices(d)) {
    const master = await sentinelMaster(d);
    let labelled: string[] = [];
    for (let i = 0; i < 200; i++) {
      labelled = d.pods.filter((p) => d.services.podLabels(p.name)[o.roleLabel] === o.masterRole && d.podControl.isRunning(p.name)).map((p) => p.name);
      if (master && labelled.length === 1 && labelled[0] === master.name) break;
      await sleep(25);
    }
    out.push(check({
      name: 'service.label-follows-master', valid: master !== undefined && labelled.length === 1 && labelled[0] === master.name,
      expected: `exactly the master the sentinels name (${master?.name ?? '?'}) labelled ${o.roleLabel}=${o.masterRole}${o.restart ? `, after ${oldMaster.name} came back` : ''}`,
      observed: `labelled ${o.masterRole}: ${labelled.join(', ') || 'none'}; ${labelText}`,
      explanation: 'The Service selects by this label: none labelled is an outage of the Service path, two labelled send writes to a replica or to a second master.',
      figures: labelFigures,
    }));
  }
  return out;
}
