// Conformance group "app-paths": the seed's applications keep writing across a master kill, through the paths they are configured with.
import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClock, nsToMs, type Clock } from '../clock.ts';
import { HarnessError } from '../errors.ts';
import { inNodeIdentity } from '../model/history.ts';
import { firstNewMasterAckNs } from '../checkers/phases.ts';
import { firstAckInvokedAfter } from '../checkers/resume-time.ts';
import { probeClient, withProbe } from '../redis/clients.ts';
import { waitForConvergence } from '../targets/convergence.ts';
import { addr, hasServices, type Endpoint, type Pod, type StartedDeployment } from '../targets/target.ts';
import type { FaultSpec } from '../faults/index.ts';
import type { ConformanceCheck, DisruptiveStep } from './types.ts';
import { conformanceFaultContext, HealStack, injectStep } from './disruption.ts';
import { startDriver, type StartedDriver } from '../workload/drivers/driver.ts';
import { driverKind, driverUnavailable } from '../workload/drivers/registry.ts';
import { appReadsCheck, type AppReads } from './app-paths-reads.ts';
import { appAclChecks, mergeAclLogs, readAclLogs, resetAclLogs, type AclLogs } from './app-acl.ts';
import { appKeyPrefix, appLogins, driverLogin } from '../workload/app-login.ts';
import { APP_USERS, type AppName } from '../config/secure.ts';

export { firstAckInvokedAfter };

/** One app-path check: a conformance check of group app-paths. */
export type AppPathCheck = ConformanceCheck & { group: 'app-paths' };

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
  /** The application's command timeout: a write unanswered by then is indeterminate (info), a later reply a late ok. */
  commandTimeoutMs: number;
  /** Start the killed pod again at the end and wait for convergence. */
  restart: boolean;
  /** How long each driver may take to write its first line: seven start at once, and a loaded machine starts Django slowly. */
  driverStartMs: number;
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
  driverStartMs: 45_000,
  log: () => {},
};

/**
 * The seed's applications and how each reaches redis (docs: "Application Connection Strings"), each written by a
 * real client library in its own driver process (src/workload/drivers/registry.ts). Synapse's own library
 * (txredisapi) and LiveKit's (go-redis) are not packaged for this machine: their paths are driven by a plain
 * redis-py and a plain node-redis client with the same address and db.
 */
export const APP_CLIENTS = [
  {
    name: 'synapse',
    path: 'service',
    db: 0,
    driver: 'redis-py-service',
    reads: 'sessions',
    how: 'plain client to redis.matrix.svc.cluster.local:6379, dbid 0 (homeserver.yaml); redis-py redis.Redis standing in for txredisapi',
  },
  {
    name: 'livekit',
    path: 'service',
    db: 1,
    driver: 'node-redis-service',
    reads: 'sessions',
    how: 'plain client to redis:6379, db 1 (livekit.yaml); node-redis createClient standing in for go-redis',
  },
  {
    name: 'django-sessions',
    path: 'service',
    db: 2,
    driver: 'django-service',
    reads: 'django',
    how: 'Django cache-backed sessions on django-redis, LOCATION redis://redis.matrix.svc.cluster.local:6379/2 (settings.py)',
  },
  {
    name: 'redis-py-sentinel',
    path: 'sentinel',
    db: 3,
    driver: 'redis-py',
    reads: 'sessions',
    how: "redis-py Sentinel(...).master_for(mymaster), the seed's Python example; replica reads through slave_for(mymaster)",
  },
  {
    name: 'node-redis-sentinel',
    path: 'sentinel',
    db: 4,
    driver: 'node-redis',
    reads: 'sessions',
    how: 'node-redis createSentinel({ name, sentinelRootNodes }); replica reads through replicaPoolSize 1',
  },
  {
    name: 'ioredis-sentinel',
    path: 'sentinel',
    db: 5,
    driver: 'ioredis',
    reads: 'sessions',
    how: "ioredis in Sentinel mode over the three pods' sentinels, failover detector off (ioredis's default); replica reads through a role 'slave' client",
  },
  // The redis-rb driver writes only (no session reads): its check is not made.
  {
    name: 'redis-rb-sentinel',
    path: 'sentinel',
    db: 6,
    driver: 'ruby-redis',
    reads: null,
    how: 'redis-rb Redis.new(url: "redis://mymaster", sentinels:, role: :master)',
  },
] as const satisfies ReadonlyArray<{ name: string; path: 'service' | 'sentinel'; db: number; driver: string; reads: AppReads; how: string }>;

type AppClient = (typeof APP_CLIENTS)[number];

const ms = (v: number | null): string => (v === null ? 'not measured (a client never resumed)' : `${v} ms`);
const check = (c: Omit<AppPathCheck, 'group'>): AppPathCheck => ({ group: 'app-paths', ...c });

/** The master the sentinels name (first one that answers). */
async function sentinelMaster(d: StartedDeployment): Promise<Pod | undefined> {
  for (const p of d.pods) {
    try {
      const r = (await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (c) => c.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName))) as
        [string, string] | null;
      const found = r ? d.pods.find((x) => x.redis.host === r[0] && x.redis.port === Number(r[1])) : undefined;
      if (found) return found;
    } catch {
      // next sentinel
    }
  }
  return undefined;
}

/** Open `n` fresh connections through the Service, write once on each: where do new connections land? */
export async function probeServiceRouting(
  e: Endpoint,
  password: string,
  n: number,
): Promise<{ ok: number; readonly: number; other: string[]; roles: Record<string, number> }> {
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

interface Running {
  app: AppClient;
  driver: StartedDriver;
  /** The library and its version, from the driver's hello line, e.g. "redis-py 4.3.4". */
  library: string;
  /** Why the driver failed (its stop rejected), if it did. */
  failed?: string;
  /** Under the secure profile: the application's ACL user it logged in as (its db is that user's); null: the harness's admin. */
  user: AppName | null;
  /** The db it writes in. */
  db: number;
}

/** A driver's error refusing a write because it reached a replica, in each library's words. */
const READONLY_RE = /READONLY|ReadOnlyError|read only replica|previous master is now a slave/i;

/** The master kill, as the scenarios' kill-pod fault (its heal: start the pod again). */
const MASTER_KILL: FaultSpec = { kind: 'kill-pod', target: 'master', holdMs: 0 };

/** For --dry-run: what the group does to the deployment. */
export const APP_PATH_STEPS: readonly DisruptiveStep[] = [
  {
    action: "SIGKILL both containers of the master's pod while every application client writes",
    heal: 'start the pod again, then wait for convergence',
    fault: MASTER_KILL,
  },
];

/** Where the Service path leads, or why there is none. */
function serviceOf(d: StartedDeployment, o: AppPathOptions): { service: Endpoint | null; noService: string } {
  if (!hasServices(d)) return { service: null, noService: `target ${d.target} does not expose the manifests' Services` };
  try {
    return { service: d.services.endpoint(o.clientService, d.model.redisPort), noService: '' };
  } catch (e) {
    return { service: null, noService: e instanceof Error ? e.message : String(e) };
  }
}

/** The checks of the Service path, skipped with the reason when there is no Service. */
function skippedClientChecks(apps: readonly AppClient[], reason: string, expected: string): AppPathCheck[] {
  return apps.flatMap((a) =>
    ['keeps-writing', 'readonly', 'lost-writes', ...(a.reads ? ['reads'] : [])].map((what) =>
      check({ name: `${a.name}.${what}`, valid: 'skipped', reason, expected, observed: `skipped: ${reason}`, explanation: a.how }),
    ),
  );
}

function skippedServiceChecks(noService: string, o: AppPathOptions, port: number): AppPathCheck[] {
  const out = skippedClientChecks(
    APP_CLIENTS.filter((a) => a.path === 'service'),
    noService,
    '(needs the Service path)',
  );
  out.push(
    check({
      name: 'service.routes-to-master',
      valid: 'skipped',
      reason: noService,
      expected: `new connections through ${o.clientService}:${port} reach the master`,
      observed: `skipped: ${noService}`,
      explanation: 'The Service path needs the target to expose Services.',
    }),
  );
  return out;
}

/** Step 1: where new connections through the Service land, before any fault. */
async function routingCheck(service: Endpoint, d: StartedDeployment, o: AppPathOptions): Promise<AppPathCheck> {
  const r = await probeServiceRouting(service, d.password, o.probeConnections);
  return check({
    name: 'service.routes-to-master',
    valid: r.readonly === 0 && r.ok === o.probeConnections,
    expected: `${o.probeConnections} of ${o.probeConnections} new connections through ${o.clientService}:${d.model.redisPort} accept a write (0 READONLY)`,
    observed: `${r.ok} accepted, ${r.readonly} READONLY${r.other.length ? `, ${r.other.length} other errors (${r.other[0]})` : ''}; ROLE seen: ${
      Object.entries(r.roles)
        .map(([k, v]) => `${k}×${v}`)
        .join(', ') || 'none'
    }`,
    explanation:
      'Each new connection goes to one of the pods the Service selects: a selector matching every pod sends two in three to a replica, which refuses writes (READONLY).',
    figures: { probe_connections: o.probeConnections, probe_readonly: r.readonly },
  });
}

/** Library checks first (a missing library skips its client's checks with the reason), then one driver per application client, each on its path. */
async function startClients(
  apps: readonly AppClient[],
  d: StartedDeployment,
  service: Endpoint | null,
  clock: Clock,
  o: AppPathOptions,
): Promise<{ running: Running[]; skipped: AppPathCheck[] }> {
  const reasons = await Promise.all(apps.map((a) => driverUnavailable(driverKind(a.driver))));
  const skipped = apps.flatMap((a, i) => (reasons[i] ? skippedClientChecks([a], reasons[i], `(needs ${driverKind(a.driver).client} on this machine)`) : []));
  const available = apps.filter((_, i) => reasons[i] === null);
  // Under the secure profile each client logs in as its application's ACL user (the driver kind's `app`), on that user's db and keys.
  const logins = appLogins(d);
  const plan = available.map((app) => {
    const user = logins ? driverKind(app.driver).app : null;
    const login = user ? logins!(user) : null;
    return { app, user, login, db: user ? APP_USERS[user].db : app.db, prefix: user ? appKeyPrefix(user) : '' };
  });
  const started = await Promise.allSettled(
    plan.map(({ app, login, db, prefix }) =>
      startDriver(
        app.driver,
        {
          name: app.name,
          sentinels: d.pods.map((p) => p.sentinel),
          masterName: d.model.masterName,
          ...(service ? { service } : {}),
          password: login?.password ?? d.password,
          db,
          ...(login ? { login: driverLogin(login) } : {}),
          rateHz: o.rateHz,
          // A bound should the harness not stop it: warm-up, the longest resume, the tail, and slack.
          durationMs: o.warmupMs + o.resumeTimeoutMs + o.afterMs + 30_000,
          keyPrefix: `${prefix}app-paths:${app.name}:${Date.now()}`,
          timeoutMs: o.commandTimeoutMs,
          // Sessions read back beside the writes (the Django driver reads its sessions back by itself).
          reads: app.reads === 'sessions',
          startTimeoutMs: o.driverStartMs,
          ...(d.dns?.resolvConf ? { resolvConf: d.dns.resolvConf } : {}),
        },
        clock,
      ),
    ),
  );
  const running = started.flatMap((r, i) =>
    r.status === 'fulfilled'
      ? [{ app: available[i]!, driver: r.value, library: `${r.value.info.client} ${r.value.info.version}`, user: plan[i]!.user, db: plan[i]!.db }]
      : [],
  );
  const failed = started.flatMap((r, i) =>
    r.status === 'rejected' ? [`${available[i]!.name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : [],
  );
  if (failed.length) {
    await Promise.allSettled(running.map((r) => r.driver.stop()));
    throw new HarnessError('PROCESS_FAILED', `application client driver(s) did not start: ${failed.join('; ')}`);
  }
  return { running, skipped };
}

interface Failover {
  faultNs: number;
  /** When a replica first answered ROLE master: the instant the label can follow from. */
  promotedNs: number | null;
  newMaster: Pod | undefined;
}

/** Poll the surviving pods' ROLE until one is master and every client resumed (or the bound passes). */
type Pollers = Array<{ p: Pod; c: Redis }>;

const roleProbe = (d: StartedDeployment, p: Pod): Redis => probeClient(p.redis, { password: d.password, connectTimeoutMs: 500, commandTimeoutMs: 500 });

/** Connections to the pods that can be promoted, opened before the fault. */
async function openPollers(d: StartedDeployment, oldMaster: Pod): Promise<Pollers> {
  const pollers = d.pods.filter((x) => x !== oldMaster).map((p) => ({ p, c: roleProbe(d, p) }));
  await Promise.all(pollers.map(({ c }) => c.connect().catch(() => {})));
  return pollers;
}

async function watchPromotion(
  d: StartedDeployment,
  pollers: Pollers,
  running: readonly Running[],
  clock: Clock,
  faultNs: number,
  o: AppPathOptions,
): Promise<Omit<Failover, 'faultNs'>> {
  const probe = (p: Pod) => roleProbe(d, p);
  let promotedNs: number | null = null;
  let newMaster: Pod | undefined;
  // Open connections polled together, so the instant is not late by a connection set-up.
  try {
    const deadline = performance.now() + o.resumeTimeoutMs;
    const resumed = () => running.every((r) => firstAckInvokedAfter(r.driver.ops(), faultNs) !== null);
    while (performance.now() < deadline && (promotedNs === null || !resumed())) {
      if (promotedNs === null) {
        // Sentinel's promotion kills the promoted replica's client connections: open a new one when a poller's ended.
        for (const x of pollers) {
          if (x.c.status === 'end') {
            x.c = probe(x.p);
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
  return { promotedNs, newMaster };
}

/** Step 2: every client writes across a kill of the master's pod (the scenarios' kill-pod fault, healed through `heals`). */
async function writeAcrossMasterKill(
  d: StartedDeployment,
  oldMaster: Pod,
  running: readonly Running[],
  clock: Clock,
  heals: HealStack,
  o: AppPathOptions,
  beforeKill: () => Promise<void>,
): Promise<Failover> {
  const faultCtx = conformanceFaultContext(d, { master: oldMaster, replicas: d.pods.filter((p) => p !== oldMaster) }, clock);
  try {
    // The drivers write from their start on.
    await sleep(o.warmupMs);
    await beforeKill();
    const pollers = await openPollers(d, oldMaster);
    o.log(`killing ${oldMaster.name} (master) with ${running.length} clients writing at ${o.rateHz}/s each`);
    let fault;
    try {
      fault = await injectStep(faultCtx, heals, MASTER_KILL, { restart: o.restart });
    } catch (e) {
      for (const { c } of pollers) c.disconnect();
      throw e;
    }
    const promotion = await watchPromotion(d, pollers, running, clock, fault.landedNs, o);
    const faultNs = fault.landedNs;
    await sleep(o.afterMs);
    return { faultNs, ...promotion };
  } finally {
    await Promise.all(
      running.map((r) =>
        r.driver.stop().catch((e: unknown) => {
          r.failed = e instanceof Error ? e.message : String(e);
        }),
      ),
    );
  }
}

/** Which of `keys` the master holds in `db`; null when it does not answer. */
async function presentKeys(master: Pod | undefined, password: string, db: number, keys: readonly string[]): Promise<Set<string> | null> {
  if (!master) return null;
  return withProbe(master.redis, { password, commandTimeoutMs: 5000 }, async (c) => {
    await c.select(db);
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const chunk = keys.slice(i, i + 500);
      const res = (await c.pipeline(chunk.map((k) => ['exists', k])).exec()) ?? [];
      chunk.forEach((k, j) => res[j]?.[1] === 1 && found.add(k));
    }
    return found;
  }).catch(() => null);
}

interface ClientFacts {
  figures: Record<string, number | null>;
  firstAck: number | null;
  after: number;
  afterAcked: number;
  readonly: number;
  acked: number;
  lost: string[] | null;
  lostAfter: number | null;
}

/** A client's figures from its history and the read-back. */
async function clientFacts(r: Running, d: StartedDeployment, finalMaster: Pod | undefined, oldMasterAddr: string, faultNs: number): Promise<ClientFacts> {
  const h = inNodeIdentity(r.driver.ops(), d.nodeIdentity);
  const invokeNs = new Map(h.filter((x) => x.type === 'invoke').map((x) => [x.key, x.ns]));
  const acked = [...new Set(h.filter((x) => x.type === 'ok').map((x) => x.key))];
  const present = await presentKeys(finalMaster, d.password, r.db, acked);
  const lost = present === null ? null : acked.filter((k) => !present.has(k));
  const lostAfter = lost === null ? null : lost.filter((k) => (invokeNs.get(k) ?? 0) > faultNs).length;
  const firstAck = firstAckInvokedAfter(h, faultNs);
  const firstErr = h.find((x) => x.ns > faultNs && (x.type === 'fail' || x.type === 'info'))?.ns ?? null;
  const after = h.filter((x) => x.type === 'invoke' && x.ns > faultNs).length;
  const afterAcked = h.filter((x) => x.type === 'ok' && (invokeNs.get(x.key) ?? 0) > faultNs).length;
  const readonly = h.filter((x) => x.type === 'fail' && READONLY_RE.test(x.error ?? '')).length;
  // The harness's own measure (first ack by a node other than the old master); through a Service every ack comes from the Service address.
  const newMasterAck = firstNewMasterAckNs({ history: h, events: [], readBack: null, faultNs, oldMaster: oldMasterAddr, masterName: d.model.masterName });
  const figures: Record<string, number | null> = {
    failover_ms: firstAck === null ? null : nsToMs(firstAck - faultNs),
    new_master_ack_ms: newMasterAck === null ? null : nsToMs(newMasterAck - faultNs),
    first_error_ms: firstErr === null ? null : nsToMs(firstErr - faultNs),
    writes_invoked: h.filter((x) => x.type === 'invoke').length,
    writes_acked: acked.length,
    writes_after_fault: after,
    writes_after_fault_acked: afterAcked,
    writes_failed: h.filter((x) => x.type === 'fail').length,
    writes_info: h.filter((x) => x.type === 'info').length,
    writes_late_ok: h.filter((x) => x.type === 'ok' && x.late).length,
    writes_skipped: r.driver.bye()?.skipped ?? null,
    readonly_errors: readonly,
    lost_acked: lost === null ? null : lost.length,
    lost_acked_after_fault: lostAfter,
  };
  return { figures, firstAck, after, afterAcked, readonly, acked: acked.length, lost, lostAfter };
}

/** Step 3: a client's keeps-writing, readonly and lost-writes checks. */
function clientChecks(r: Running, f: ClientFacts, oldMaster: Pod, faultNs: number, o: AppPathOptions): AppPathCheck[] {
  const h = r.driver.ops();
  const name = r.app.name;
  // The writes of the last `afterMs` must be acknowledged: a client stuck on a replica resumes nothing.
  const tailFrom = h.length ? h[h.length - 1]!.ns - o.afterMs * 1e6 : 0;
  const tail = h.filter((x) => x.type === 'invoke' && x.ns > Math.max(tailFrom, faultNs));
  const tailAcked = tail.filter((x) => h.some((y) => y.type === 'ok' && y.key === x.key)).length;
  return [
    check({
      name: `${name}.keeps-writing`,
      valid: r.failed === undefined && f.firstAck !== null && tail.length > 0 && tailAcked === tail.length,
      expected: `writes acknowledged again after the kill of ${oldMaster.name} (within ${o.resumeTimeoutMs} ms), and every write of the last ${o.afterMs} ms`,
      observed:
        `${r.library}: ` +
        (r.failed !== undefined ? `the driver failed: ${r.failed}; ` : '') +
        (f.firstAck === null
          ? `no write invoked after the fault was acknowledged (${f.after} invoked, ${f.readonly} READONLY)`
          : `first acknowledged ${f.figures.failover_ms} ms after the fault; ${f.afterAcked} of ${f.after} writes after the fault acknowledged; last ${o.afterMs} ms: ${tailAcked} of ${tail.length}`) +
        `; ${f.figures.writes_failed} fail, ${f.figures.writes_info} info`,
      explanation: `Library ${r.library} (driver ${r.app.driver}): ${r.app.how}${r.user ? `; as the ACL user ${r.user} on db ${r.db}` : ''}. The application must keep writing across a failover without a restart.`,
      figures: f.figures,
    }),
    check({
      name: `${name}.readonly`,
      valid: f.readonly === 0,
      expected: '0 writes refused with READONLY',
      observed: `${r.library}: ${f.readonly} of ${f.figures.writes_invoked} writes refused with READONLY`,
      explanation: 'A write answered READONLY reached a replica: the path does not lead to the master.',
      figures: { readonly_errors: f.readonly },
    }),
    check({
      name: `${name}.lost-writes`,
      valid: f.lostAfter === 0,
      expected: `0 writes acknowledged after the fault missing from the master (db ${r.db})`,
      observed:
        f.lost === null
          ? `${r.library}: could not read back (no master answered)`
          : `${r.library}: ${f.lostAfter} acknowledged after the fault missing; ${f.lost.length - f.lostAfter!} acknowledged before it missing (of ${f.acked} acknowledged)`,
      explanation:
        'Read back from the master after the failover. Writes the old master acknowledged just before its kill may be lost to asynchronous replication (reported); a write acknowledged after the fault must be on the new master.',
      figures: { lost_acked: f.figures.lost_acked ?? null, lost_acked_after_fault: f.lostAfter },
    }),
  ];
}

/** How far the role label trailed the promotion, as figures and a sentence. */
function labelLag(d: StartedDeployment, fo: Failover, clock: Clock, o: AppPathOptions): { figures: Record<string, number | null>; text: string } {
  const figures: Record<string, number | null> = {
    promoted_ms: fo.promotedNs === null ? null : nsToMs(fo.promotedNs - fo.faultNs),
    label_ms: null,
    label_lag_ms: null,
  };
  if (!hasServices(d) || !fo.newMaster) return { figures, text: 'no Service labels on this target' };
  const nm = fo.newMaster;
  const perfToNs = (atMs: number) => clock.nowNs() - (performance.now() - atMs) * 1e6;
  const labelled = d.services.labelHistory().find((c) => c.pod === nm.name && c.labels[o.roleLabel] === o.masterRole && perfToNs(c.atMs) > fo.faultNs);
  if (!labelled) return { figures, text: `${nm.name} never labelled ${o.roleLabel}=${o.masterRole}` };
  const ns = perfToNs(labelled.atMs);
  figures.label_ms = nsToMs(ns - fo.faultNs);
  figures.label_lag_ms = fo.promotedNs === null ? null : nsToMs(ns - fo.promotedNs);
  return {
    figures,
    text: `${nm.name} labelled ${o.roleLabel}=${o.masterRole} ${figures.label_ms} ms after the fault, ${figures.label_lag_ms} ms after it answered ROLE master`,
  };
}

/** Step 4: the failover time through the Service against the Sentinel path, and the label's lag. */
function failoverTimeCheck(
  running: readonly Running[],
  figuresOf: Record<string, Record<string, number | null>>,
  label: ReturnType<typeof labelLag>,
  hasService: boolean,
): AppPathCheck {
  const serviceMs = running.filter((r) => r.app.path === 'service').map((r) => figuresOf[r.app.name]!.failover_ms ?? null);
  const sentinelMs = running.filter((r) => r.app.path === 'sentinel').map((r) => figuresOf[r.app.name]!.failover_ms ?? null);
  const maxOf = (xs: (number | null)[]) => (xs.length === 0 || xs.some((x) => x === null) ? null : Math.max(...(xs as number[])));
  const figures = {
    service_failover_ms: maxOf(serviceMs),
    sentinel_failover_ms: maxOf(sentinelMs),
    ...Object.fromEntries(running.map((r) => [`${r.app.name}_failover_ms`, figuresOf[r.app.name]!.failover_ms ?? null])),
    ...label.figures,
  };
  return check({
    name: 'failover-time',
    valid: (!hasService || figures.service_failover_ms !== null) && figures.sentinel_failover_ms !== null,
    expected: 'the failover time measured on every path (fault → first acknowledged write invoked after it)',
    observed:
      `Service path ${ms(figures.service_failover_ms)} (slowest of ${serviceMs.length}), Sentinel path ${ms(figures.sentinel_failover_ms)} (slowest of ${sentinelMs.length}); ` +
      `promotion ${ms(label.figures.promoted_ms ?? null)}; ${label.text}; ` +
      running.map((r) => `${r.app.name} (${r.library}) ${ms(figuresOf[r.app.name]!.failover_ms ?? null)}`).join(', '),
    explanation:
      'Measured, not held to a figure here: the Service path adds the label lag (role-labeller poll + API) and, on a cluster, endpoint propagation to kube-proxy.',
    figures,
  });
}

/** Step 5: after the old master's pod is back, exactly the master carries the master label. */
async function labelFollowsCheck(
  d: StartedDeployment & { services: NonNullable<StartedDeployment['services']> },
  oldMaster: Pod,
  label: ReturnType<typeof labelLag>,
  o: AppPathOptions,
): Promise<AppPathCheck> {
  const master = await sentinelMaster(d);
  let labelled: string[] = [];
  for (let i = 0; i < 200; i++) {
    labelled = d.pods.filter((p) => d.services.podLabels(p.name)[o.roleLabel] === o.masterRole && d.podControl.isRunning(p.name)).map((p) => p.name);
    if (master && labelled.length === 1 && labelled[0] === master.name) break;
    await sleep(25);
  }
  return check({
    name: 'service.label-follows-master',
    valid: master !== undefined && labelled.length === 1 && labelled[0] === master.name,
    expected: `exactly the master the sentinels name (${master?.name ?? '?'}) labelled ${o.roleLabel}=${o.masterRole}${o.restart ? `, after ${oldMaster.name} came back` : ''}`,
    observed: `labelled ${o.masterRole}: ${labelled.join(', ') || 'none'}; ${label.text}`,
    explanation:
      'The Service selects by this label: none labelled is an outage of the Service path, two labelled send writes to a replica or to a second master.',
    figures: label.figures,
  });
}

/**
 * Every app-path check: the Service sends new connections to the master only; then each application
 * client writes across a kill of the master's pod and must resume, without READONLY and without losing
 * acknowledged writes; figures compare the failover time through the Service with the Sentinel path's.
 * The kill is the scenarios' kill-pod fault; its heal (start the pod) also runs on SIGINT.
 */
export async function appPathChecks(d: StartedDeployment, options: Partial<AppPathOptions> = {}): Promise<AppPathCheck[]> {
  const o = { ...APP_PATH_DEFAULTS, ...options };
  const clock: Clock = createClock();
  const { service, noService } = serviceOf(d, o);
  const out: AppPathCheck[] = service ? [await routingCheck(service, d, o)] : skippedServiceChecks(noService, o, d.model.redisPort);
  const oldMaster = await sentinelMaster(d);
  if (!oldMaster) {
    out.push(
      check({
        name: 'failover',
        valid: false,
        expected: 'a master named by the sentinels',
        observed: 'no sentinel named a master',
        explanation: 'The app paths are exercised across a kill of the master; there is none to kill.',
      }),
    );
    return out;
  }
  const heals = new HealStack(conformanceFaultContext(d, { master: oldMaster, replicas: [] }, clock));
  try {
    // Under the secure profile: every node's ACL LOG emptied first; the old master's read just before its kill (a killed
    // redis loses it), every node's at the end.
    const aclUsers = appLogins(d) ? new Set<string>(Object.keys(APP_USERS)) : null;
    if (aclUsers) await resetAclLogs(d);
    const aclLogs: AclLogs[] = [];
    const { running, skipped } = await startClients(
      APP_CLIENTS.filter((a) => a.path === 'sentinel' || service !== null),
      d,
      service,
      clock,
      o,
    );
    out.push(...skipped);
    const fo = await writeAcrossMasterKill(d, oldMaster, running, clock, heals, o, async () => {
      if (!aclUsers) return;
      const l = await readAclLogs(d, [oldMaster], aclUsers);
      aclLogs.push({ ...l, read: l.read.map((n) => `${n} (before its kill)`) });
    });
    const finalMaster = (await sentinelMaster(d)) ?? fo.newMaster;
    const figuresOf: Record<string, Record<string, number | null>> = {};
    for (const r of running) {
      const f = await clientFacts(r, d, finalMaster, addr(oldMaster.redis), fo.faultNs);
      figuresOf[r.app.name] = f.figures;
      out.push(...clientChecks(r, f, oldMaster, fo.faultNs, o));
      if (r.app.reads)
        out.push(
          appReadsCheck({ name: r.app.name, library: r.library, how: r.app.how, mode: r.app.reads }, inNodeIdentity(r.driver.allOps(), d.nodeIdentity), {
            faultNs: fo.faultNs,
            oldMaster: addr(oldMaster.redis),
          }),
        );
    }
    const label = labelLag(d, fo, clock, o);
    out.push(failoverTimeCheck(running, figuresOf, label, service !== null));
    if (o.restart) {
      const failed = await heals.unwind();
      if (failed.length) throw new HarnessError('FAULT_FAILED', `could not heal the master kill: ${failed.join('; ')}`);
      await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 60_000 });
    }
    if (aclUsers) {
      aclLogs.push(await readAclLogs(d, o.restart ? d.pods : d.pods.filter((p) => p !== oldMaster), aclUsers));
      const clients = running.flatMap((r) => (r.user ? [{ name: r.app.name, library: r.library, user: r.user, db: r.db, ops: r.driver.allOps() }] : []));
      out.push(...appAclChecks('app-paths', clients, mergeAclLogs(...aclLogs)).map((c) => c as AppPathCheck));
    }
    if (hasServices(d)) out.push(await labelFollowsCheck(d, oldMaster, label, o));
    return out;
  } finally {
    if (o.restart) await heals.unwind();
    else heals.forget();
  }
}

/** The application clients side by side (markdown): library, failover time, READONLY, fail / info and lost writes, from the checks' figures. */
export function appPathTable(checks: readonly ConformanceCheck[]): string {
  const rows = APP_CLIENTS.map((a) => {
    const k = checks.find((c) => c.name === `${a.name}.keeps-writing`);
    if (!k || k.valid === 'skipped') return `| ${a.name} | ${a.path} | – | skipped: ${k?.reason ?? 'not run'} | | | | | |`;
    const f = k.figures ?? {};
    const v = (x: number | null | undefined) => (x === null || x === undefined ? '–' : String(x));
    const library = /^Library (.+?) \(driver/.exec(k.explanation)?.[1] ?? '?';
    const rd = checks.find((c) => c.name === `${a.name}.reads`);
    const rf = rd?.figures ?? {};
    const reads = !rd
      ? '–'
      : `${v(rf.ryw_violations)} of ${v((rf.master_reads ?? 0) - (rf.master_reads_unconstrained ?? 0))} / ${v(rf.stale_replica_reads)} of ${v(rf.replica_reads)}${rd.valid === false ? ' FAIL' : ''}`;
    return `| ${a.name} | ${a.path} | ${library} | ${v(f.failover_ms)} | ${v(f.readonly_errors)} | ${v(f.writes_failed)} / ${v(f.writes_info)} | ${v(f.lost_acked_after_fault)} (${v(f.lost_acked)}) | ${k.valid === true ? 'pass' : 'FAIL'} | ${reads} |`;
  });
  return [
    '| client | path | library | failover (ms) | READONLY | fail / info | lost after fault (all) | keeps writing | reads: read-your-writes violations / stale replica reads |',
    '| --- | --- | --- | --: | --: | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
