// Live conformance: the seed's "Verification" section automated on a running deployment, plus every
// parameter as the processes report it (CONFIG GET, SENTINEL MASTER) against the seed and the manifests.
import type { Redis } from 'ioredis';
import { HarnessError } from '../errors.ts';
import { randomBytes } from 'node:crypto';
import type { DeploymentModel } from '../config/manifests.ts';
import { lastDirective } from '../config/redis-conf.ts';
import { parseInfo, sentinelEntries, withProbe } from '../redis/clients.ts';
import { addr, type StartedDeployment } from '../targets/target.ts';
import { parseRedisMemory } from '../model/quantity.ts';
import { SEED_DESIGN, type SeedDesign } from './static.ts';
import { designFor } from './variants.ts';
import { designDeviationChecks } from './design-checks.ts';
import type { ConformanceCheck, ConformanceContext } from './types.ts';

type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function answer<T>(fn: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    return { ok: false, error: errText(e) };
  }
}

/** What one pod's redis said. Passwords are reduced to whether they equal the deployment's. */
export interface RedisSnapshot {
  pod: string;
  /** host:port */
  address: string;
  replication: Answer<Record<string, string>>;
  /** CONFIG GET values of the compared parameters. */
  config: Answer<Record<string, string>>;
  requirepass: Answer<'equal' | 'empty' | 'different'>;
  masterauth: Answer<'equal' | 'empty' | 'different'>;
  /** Reply (or error) to PING on a connection that never authenticated. */
  unauthenticatedPing: string;
  /** Reply (or error) to AUTH with a password that is not the deployment's. */
  wrongPasswordAuth: string;
}

/** What one pod's sentinel said. */
export interface SentinelSnapshot {
  pod: string;
  address: string;
  getMasterAddr: Answer<string | null>;
  masters: Answer<Record<string, string>[]>;
  sentinels: Answer<Record<string, string>[]>;
  replicas: Answer<Record<string, string>[]>;
  ckquorum: string;
  tilt: Answer<string | undefined>;
}

export interface LiveSnapshot {
  masterName: string;
  /**
   * Under ACL users (the secure profile): requirepass is expected empty (the default user is off) and
   * masterauth to be the replication user's password from the ACL Secret.
   */
  aclUsers?: boolean;
  pods: { name: string; redis: string; host: string }[];
  redis: RedisSnapshot[];
  sentinels: SentinelSnapshot[];
}

export const REDIS_PARAMS = ['appendonly', 'appendfsync', 'save', 'maxmemory', 'maxmemory-policy'] as const;
export const SENTINEL_PARAMS = ['quorum', 'down-after-milliseconds', 'failover-timeout', 'parallel-syncs'] as const;

const compareSecret = (value: string, password: string): 'equal' | 'empty' | 'different' =>
  value === '' ? 'empty' : value === password ? 'equal' : 'different';

/** One look at every redis and sentinel of the deployment. Never keeps a password. */
export async function takeLiveSnapshot(d: StartedDeployment): Promise<LiveSnapshot> {
  const masterName = d.model.masterName;
  const password = d.password;
  const acl = d.model.security?.acl ? (d.credentials?.acl ?? {}) : null;
  // Under ACLs no requirepass (compared with nothing: "empty" is right), and masterauth is the replication user's.
  const requirepassOf = acl ? '' : password;
  const masterauthOf = acl ? (acl.replication ?? '') : password;
  const opts = { connectTimeoutMs: 1000, commandTimeoutMs: 2000 };
  const redis = await Promise.all(
    d.pods.map(async (p): Promise<RedisSnapshot> => {
      const authed = <T>(fn: (c: Redis) => Promise<T>) => answer(() => withProbe(p.redis, { ...opts, password }, fn));
      const configGet = async (c: Redis, name: string): Promise<string> => {
        const r = (await c.call('CONFIG', 'GET', name)) as string[];
        return r[1] ?? '';
      };
      let wrong = `wrong-${randomBytes(12).toString('hex')}`;
      if (wrong === password) wrong += 'x';
      return {
        pod: p.name,
        address: addr(p.redis),
        replication: await authed(async (c) => parseInfo(await c.info('replication'))),
        config: await authed(async (c) => Object.fromEntries(await Promise.all(REDIS_PARAMS.map(async (k) => [k, await configGet(c, k)] as const)))),
        requirepass: await authed(async (c) => compareSecret(await configGet(c, 'requirepass'), requirepassOf)),
        masterauth: await authed(async (c) => compareSecret(await configGet(c, 'masterauth'), masterauthOf)),
        unauthenticatedPing: await withProbe(p.redis, opts, (c) => c.ping()).then(String, errText),
        wrongPasswordAuth: await withProbe(p.redis, opts, (c) => c.call('AUTH', wrong)).then(String, errText),
      };
    }),
  );
  const sentinels = await Promise.all(
    d.pods.map(async (p): Promise<SentinelSnapshot> => {
      const s = <T>(fn: (c: Redis) => Promise<T>) => answer(() => withProbe(p.sentinel, opts, fn));
      return {
        pod: p.name,
        address: addr(p.sentinel),
        getMasterAddr: await s(async (c) => {
          const r = (await c.call('SENTINEL', 'get-master-addr-by-name', masterName)) as string[] | null;
          return r ? `${r[0]}:${r[1]}` : null;
        }),
        masters: await s(async (c) => sentinelEntries(await c.call('SENTINEL', 'masters'), 'SENTINEL MASTERS')),
        sentinels: await s(async (c) => sentinelEntries(await c.call('SENTINEL', 'sentinels', masterName), 'SENTINEL SENTINELS')),
        replicas: await s(async (c) => sentinelEntries(await c.call('SENTINEL', 'replicas', masterName), 'SENTINEL REPLICAS')),
        ckquorum: await withProbe(p.sentinel, opts, (c) => c.call('SENTINEL', 'ckquorum', masterName)).then(String, errText),
        tilt: await s(async (c) => parseInfo(await c.info('sentinel')).sentinel_tilt),
      };
    }),
  );
  return {
    masterName,
    ...(acl ? { aclUsers: true } : {}),
    pods: d.pods.map((p) => ({ name: p.name, redis: addr(p.redis), host: p.redis.host })),
    redis,
    sentinels,
  };
}

/** The values the live config checks hold the running processes to. */
export interface LiveExpectations {
  /** How the expected values are named: "seed design", or "design <name>" under --design. */
  label?: string;
  /** Per redis parameter: the seed's value, the manifests' value, and an explicit override (--set) if any. */
  redis: Record<(typeof REDIS_PARAMS)[number], { seed: string; manifest: string | undefined; override?: string }>;
  sentinel: Record<(typeof SENTINEL_PARAMS)[number], { seed: string; manifest: string; override?: string }>;
}

export function liveExpectations(
  model: DeploymentModel,
  overrides: ConformanceContext['overrides'] = {},
  seed: Readonly<SeedDesign> = SEED_DESIGN,
  label = 'seed design',
): LiveExpectations {
  const manifestRedis = (k: string) => lastDirective(model.redisConf.text, [k])?.join(' ');
  const seedRedis: Record<(typeof REDIS_PARAMS)[number], string> = {
    appendonly: seed.appendonly,
    appendfsync: seed.appendfsync,
    save: seed.save,
    maxmemory: seed.maxmemory,
    'maxmemory-policy': seed.maxmemoryPolicy,
  };
  const seedSentinel: Record<(typeof SENTINEL_PARAMS)[number], string> = {
    quorum: String(seed.quorum),
    'down-after-milliseconds': String(seed.downAfterMs),
    'failover-timeout': String(seed.failoverTimeoutMs),
    'parallel-syncs': String(seed.parallelSyncs),
  };
  const manifestSentinel: Record<(typeof SENTINEL_PARAMS)[number], string> = {
    quorum: String(model.quorum),
    'down-after-milliseconds': String(model.downAfterMs),
    'failover-timeout': String(model.failoverTimeoutMs),
    'parallel-syncs': String(model.parallelSyncs),
  };
  const withOverride = <T extends object>(o: T, v: string | undefined): T => (v === undefined ? o : { ...o, override: v });
  return {
    label,
    redis: Object.fromEntries(
      REDIS_PARAMS.map((k) => [k, withOverride({ seed: seedRedis[k], manifest: manifestRedis(k) }, overrides.redis?.[k])]),
    ) as LiveExpectations['redis'],
    sentinel: Object.fromEntries(
      SENTINEL_PARAMS.map((k) => [
        k,
        withOverride({ seed: seedSentinel[k], manifest: manifestSentinel[k] }, k === 'quorum' ? undefined : overrides.sentinel?.[k]),
      ]),
    ) as LiveExpectations['sentinel'],
  };
}

/** Normal form of a parameter's value, so "2gb" and "2147483648", "YES" and "yes" compare equal. */
function normal(param: string, v: string): string {
  if (param === 'maxmemory') {
    const b = parseRedisMemory(v);
    return b === null ? v : String(b);
  }
  return v.trim().toLowerCase();
}

const showValue = (v: string | undefined): string => (v === undefined ? '(absent)' : v === '' ? '""' : v);

/** "yes on every pod" or "redis-0: yes; redis-1: no". */
function perPod(values: { pod: string; value: string }[]): string {
  const distinct = new Set(values.map((v) => v.value));
  if (values.length > 0 && distinct.size === 1) return `${values[0]!.value} on ${values.length === 1 ? values[0]!.pod : `all ${values.length}`}`;
  return values.map((v) => `${v.pod}: ${v.value}`).join('; ');
}

const PARAM_WHY: Record<string, string> = {
  appendonly: 'The seed persists with AOF: without it a restarted pod comes back empty.',
  appendfsync: 'everysec bounds what a crash loses to about one second of writes.',
  save: 'The seed turns RDB snapshots off (AOF only); snapshots fork a 2 GB process.',
  maxmemory: 'The seed caps each instance at 2 GB; a different cap changes eviction and the container memory headroom.',
  'maxmemory-policy': 'allkeys-lru evicts instead of refusing writes when memory is full.',
  quorum: 'Quorum 2 of 3: one sentinel alone cannot declare the master down, and a failover survives one pod down.',
  'down-after-milliseconds': 'How long the master must be unreachable before failover starts: the floor of every failover time.',
  'failover-timeout': 'Bounds a stuck failover and the wait before the same master is failed over again.',
  'parallel-syncs': 'One replica re-syncs at a time after a failover, so the other keeps serving reads.',
};

function paramCheck(
  name: string,
  param: string,
  exp: { seed: string; manifest: string | undefined; override?: string },
  running: { pod: string; value: string | null }[],
  label = 'seed design',
): ConformanceCheck {
  const expected = exp.override ?? exp.seed;
  const want = normal(param, expected);
  const manifestOk = exp.override !== undefined || (exp.manifest !== undefined && normal(param, exp.manifest) === want);
  const unreachable = running.filter((r) => r.value === null);
  const wrong = running.filter((r) => r.value !== null && normal(param, r.value) !== want);
  const manifestRunning = exp.manifest === undefined ? undefined : normal(param, exp.override ?? exp.manifest);
  const notApplied = running.filter((r) => r.value !== null && manifestRunning !== undefined && normal(param, r.value) !== manifestRunning);
  const problems: string[] = [];
  if (!manifestOk) problems.push(`The manifests declare ${showValue(exp.manifest)} where the ${label} says ${showValue(exp.seed)}.`);
  if (notApplied.length > 0) problems.push(`${notApplied.map((r) => r.pod).join(', ')} do not run what the manifests declare (${showValue(exp.manifest)}).`);
  if (unreachable.length > 0) problems.push(`No answer from ${unreachable.map((r) => r.pod).join(', ')}.`);
  return {
    name,
    group: 'live',
    valid: manifestOk && wrong.length === 0 && unreachable.length === 0 && notApplied.length === 0,
    expected:
      exp.override !== undefined
        ? `${showValue(exp.override)} (explicit override; the ${label} says ${showValue(exp.seed)})`
        : `${showValue(exp.seed)} (${label}${exp.manifest !== undefined && normal(param, exp.manifest) === want ? ' and manifests' : `; the manifests declare ${showValue(exp.manifest)}`})`,
    observed: perPod(running.map((r) => ({ pod: r.pod, value: r.value === null ? '(no answer)' : showValue(r.value) }))),
    explanation: [...problems, PARAM_WHY[param] ?? ''].join(' ').trim(),
  };
}

type MasterInfo = { pod: string; m: Record<string, string> | undefined; err: string | undefined }[];
type SnapPod = LiveSnapshot['pods'][number];

/** The sentinels agree on the master and its epoch, and see it, its replicas and each other healthy. */
function sentinelAgreementChecks(snap: LiveSnapshot): { checks: ConformanceCheck[]; masterPod: SnapPod | undefined; masterInfo: MasterInfo } {
  const out: ConformanceCheck[] = [];
  const add = (c: Omit<ConformanceCheck, 'group'>) => out.push({ group: 'live', ...c });
  const n = snap.pods.length;
  const replicasWanted = n - 1;
  // --- sentinels agree ------------------------------------------------------------------------------------
  const addrs = snap.sentinels.map((s) => ({
    pod: s.pod,
    value: s.getMasterAddr.ok ? (s.getMasterAddr.value ?? '(none)') : `(error: ${s.getMasterAddr.error})`,
  }));
  const agreed = new Set(addrs.map((a) => a.value));
  const masterAddr = agreed.size === 1 ? [...agreed][0]! : null;
  const masterPod = snap.pods.find((p) => p.redis === masterAddr);
  add({
    name: 'sentinel.agree-master',
    valid: masterPod !== undefined,
    expected: `every sentinel names the same pod as master of ${snap.masterName} (SENTINEL get-master-addr-by-name)`,
    observed: perPod(addrs) + (masterAddr !== null && !masterPod ? ' (no pod of this deployment)' : ''),
    explanation: 'Clients ask any sentinel for the master: sentinels that disagree send clients to different masters.',
  });
  const masterInfo = snap.sentinels.map((s) => ({
    pod: s.pod,
    m: s.masters.ok ? s.masters.value.find((m) => m.name === snap.masterName) : undefined,
    err: s.masters.ok ? undefined : s.masters.error,
  }));
  const epochs = masterInfo.map((x) => ({ pod: x.pod, value: x.m?.['config-epoch'] ?? `(${x.err ?? 'not monitored'})` }));
  add({
    name: 'sentinel.agree-config-epoch',
    valid: new Set(epochs.map((e) => e.value)).size === 1 && masterInfo.every((x) => x.m !== undefined),
    expected: 'the same config epoch on every sentinel',
    observed: perPod(epochs),
    explanation: 'A sentinel on an older epoch has missed a failover and still advertises the old master.',
  });
  add({
    name: 'sentinel.masters',
    valid: snap.sentinels.every(
      (s) =>
        s.masters.ok &&
        s.masters.value.length === 1 &&
        s.masters.value[0]!.name === snap.masterName &&
        s.masters.value[0]!.flags === 'master' &&
        `${s.masters.value[0]!.ip}:${s.masters.value[0]!.port}` === masterAddr,
    ),
    expected: `SENTINEL MASTERS lists exactly ${snap.masterName}, flags master, at ${masterAddr ?? 'the agreed master'}`,
    observed: perPod(
      snap.sentinels.map((s) => ({
        pod: s.pod,
        value: s.masters.ok ? s.masters.value.map((m) => `${m.name} ${m.ip}:${m.port} flags ${m.flags}`).join(', ') || '(none)' : `(error: ${s.masters.error})`,
      })),
    ),
    explanation: 'The seed\'s verification step "SENTINEL masters": each sentinel monitors the one master, and sees it up.',
  });
  add({
    name: 'sentinel.sentinels',
    valid: snap.sentinels.every(
      (s) => s.sentinels.ok && s.sentinels.value.length === n - 1 && s.sentinels.value.every((x) => !/s_down|o_down|disconnected/.test(x.flags ?? '')),
    ),
    expected: `SENTINEL SENTINELS ${snap.masterName} lists the ${n - 1} other sentinels, none down`,
    observed: perPod(
      snap.sentinels.map((s) => ({
        pod: s.pod,
        value: s.sentinels.ok
          ? `${s.sentinels.value.length} (${s.sentinels.value.map((x) => `${x.ip}:${x.port} ${x.flags}`).join(', ')})`
          : `(error: ${s.sentinels.error})`,
      })),
    ),
    explanation:
      'The seed\'s verification step "SENTINEL sentinels mymaster": a sentinel that does not know its peers cannot reach quorum or be elected leader.',
  });
  add({
    name: 'sentinel.replicas',
    valid: snap.sentinels.every(
      (s) =>
        s.replicas.ok && s.replicas.value.length === replicasWanted && s.replicas.value.every((r) => r.flags === 'slave' && r['master-link-status'] === 'ok'),
    ),
    expected: `SENTINEL REPLICAS ${snap.masterName} lists ${replicasWanted} replicas, flags slave, master link ok`,
    observed: perPod(
      snap.sentinels.map((s) => ({
        pod: s.pod,
        value: s.replicas.ok
          ? `${s.replicas.value.length} (${s.replicas.value.map((r) => `${r.ip}:${r.port} ${r.flags} link ${r['master-link-status']}`).join(', ')})`
          : `(error: ${s.replicas.error})`,
      })),
    ),
    explanation: 'A sentinel only promotes replicas it knows and sees healthy.',
  });
  add({
    name: 'sentinel.ckquorum',
    valid: snap.sentinels.every((s) => s.ckquorum.startsWith('OK')),
    expected: `OK from SENTINEL CKQUORUM on every sentinel (${n} usable)`,
    observed: perPod(snap.sentinels.map((s) => ({ pod: s.pod, value: s.ckquorum }))),
    explanation: 'CKQUORUM says whether the sentinels reachable from this one can both reach quorum and authorize a failover (a majority).',
  });
  add({
    name: 'sentinel.no-tilt',
    valid: snap.sentinels.every((s) => s.tilt.ok && s.tilt.value === '0'),
    expected: 'sentinel_tilt:0 on every sentinel',
    observed: perPod(
      snap.sentinels.map((s) => ({ pod: s.pod, value: s.tilt.ok ? `sentinel_tilt:${s.tilt.value ?? '(absent)'}` : `(error: ${s.tilt.error})` })),
    ),
    explanation: 'A sentinel in TILT mode (clock jumps, an overloaded host) stops acting for 30 s: no failover.',
  });

  return { checks: out, masterPod, masterInfo };
}

/** The seed's "Check Replication Status" on the master the sentinels agree on, and each replica following it. */
function replicationChecks(snap: LiveSnapshot, masterPod: SnapPod | undefined): ConformanceCheck[] {
  const out: ConformanceCheck[] = [];
  const add = (c: Omit<ConformanceCheck, 'group'>) => out.push({ group: 'live', ...c });
  const replicasWanted = snap.pods.length - 1;
  // --- replication (the seed's "Check Replication Status") ----------------------------------------------------
  const masterSnap = masterPod ? snap.redis.find((r) => r.pod === masterPod.name) : undefined;
  const mi = masterSnap?.replication.ok ? masterSnap.replication.value : undefined;
  const why = masterPod ? '' : ' (no master agreed on by the sentinels)';
  add({
    name: 'replication.master-role',
    valid: mi?.role === 'master',
    expected: `role:master on ${masterPod?.name ?? 'the master the sentinels name'}`,
    observed: mi ? `role:${mi.role}` : masterSnap && !masterSnap.replication.ok ? `(error: ${masterSnap.replication.error})` : `(not asked${why})`,
    explanation: 'The seed\'s verification step "INFO replication" on the master.',
  });
  const slaves = mi
    ? Object.entries(mi)
        .filter(([k]) => /^slave\d+$/.test(k))
        .map(([, v]) => v)
    : [];
  add({
    name: 'replication.connected-replicas',
    valid: mi !== undefined && Number(mi.connected_slaves) === replicasWanted,
    expected: `connected_slaves:${replicasWanted}`,
    observed: mi ? `connected_slaves:${mi.connected_slaves}` : `(not asked${why})`,
    explanation: 'Every replica of the StatefulSet replicates from the master.',
  });
  const replicaPods = snap.pods.filter((p) => p !== masterPod);
  const onlineHosts = slaves.filter((v) => v.includes('state=online')).map((v) => /ip=([^,]+)/.exec(v)?.[1] ?? '?');
  add({
    name: 'replication.replicas-online',
    valid: mi !== undefined && slaves.length === replicasWanted && onlineHosts.length === replicasWanted,
    expected: `${replicasWanted} slaveN lines with state=online`,
    observed: mi ? (slaves.length ? slaves.map((v) => v.replace(/,offset=\d+|,lag=\d+/g, '')).join('; ') : '(none)') : `(not asked${why})`,
    explanation: 'A replica not online (wait_bgsave, send_bulk) has no copy of the data yet and cannot be promoted safely.',
  });
  const follow = replicaPods.map((p) => {
    const r = snap.redis.find((x) => x.pod === p.name);
    if (!r || !r.replication.ok) return { pod: p.name, ok: false, value: `(error: ${r && !r.replication.ok ? r.replication.error : 'not asked'})` };
    const i = r.replication.value;
    const toMaster =
      masterPod !== undefined &&
      Number(i.master_port) === Number(masterPod.redis.split(':').pop()) &&
      (i.master_host === masterPod.host || (i.master_host ?? '').startsWith(`${masterPod.name}.`));
    return {
      pod: p.name,
      ok: i.role === 'slave' && toMaster && i.master_link_status === 'up',
      value: `role:${i.role} master ${i.master_host}:${i.master_port} link ${i.master_link_status}`,
    };
  });
  add({
    name: 'replication.replicas-follow-master',
    valid: masterPod !== undefined && follow.every((f) => f.ok),
    expected: `every other pod: role:slave of ${masterPod?.redis ?? 'the master'}, master_link_status:up`,
    observed: perPod(follow),
    explanation: 'A replica following another node (or none) serves stale reads and is not a failover candidate with current data.',
  });

  return out;
}

/** Every parameter as the processes run it, held to the seed and the manifests; the passwords compared, never shown. */
function runningParamChecks(snap: LiveSnapshot, exp: LiveExpectations, masterInfo: MasterInfo): ConformanceCheck[] {
  const out: ConformanceCheck[] = [];
  const add = (c: Omit<ConformanceCheck, 'group'>) => out.push({ group: 'live', ...c });
  // --- parameters as the processes run them ---------------------------------------------------------------
  for (const k of REDIS_PARAMS) {
    out.push(
      paramCheck(
        `config.redis.${k}`,
        k,
        exp.redis[k],
        snap.redis.map((r) => ({ pod: r.pod, value: r.config.ok ? (r.config.value[k] ?? '') : null })),
        exp.label,
      ),
    );
  }
  for (const k of SENTINEL_PARAMS) {
    out.push(
      paramCheck(
        `config.sentinel.${k}`,
        k,
        exp.sentinel[k],
        masterInfo.map((x) => ({ pod: x.pod, value: x.m?.[k] ?? null })),
        exp.label,
      ),
    );
  }
  for (const key of ['requirepass', 'masterauth'] as const) {
    const vals = snap.redis.map((r) => ({ pod: r.pod, a: r[key] }));
    // Under ACL users the default user is off (no requirepass) and replicas log in as the replication user.
    const want = snap.aclUsers && key === 'requirepass' ? 'empty' : 'equal';
    add({
      name: `config.redis.${key}`,
      valid: vals.every((v) => v.a.ok && v.a.value === want),
      expected: snap.aclUsers
        ? key === 'requirepass'
          ? 'empty on every pod (ACL users: the default user is off)'
          : "set, equal to the replication user's password in the ACL Secret, on every pod"
        : `set, equal to the password in the Secret, on every pod`,
      observed: perPod(
        vals.map((v) => ({
          pod: v.pod,
          value: v.a.ok
            ? v.a.value === 'equal'
              ? 'set, equal to the Secret'
              : v.a.value === 'empty'
                ? 'empty'
                : 'set, different from the Secret'
            : `(error: ${v.a.error})`,
        })),
      ),
      explanation:
        key === 'requirepass'
          ? "The seed's security model: every client authenticates with the password from the Secret."
          : 'Replicas authenticate to the master with masterauth; a wrong or missing one breaks replication after the next failover.',
    });
  }

  return out;
}

/** Unauthenticated and wrong-password clients refused. */
function authChecks(snap: LiveSnapshot): ConformanceCheck[] {
  const out: ConformanceCheck[] = [];
  const add = (c: Omit<ConformanceCheck, 'group'>) => out.push({ group: 'live', ...c });
  // --- authentication -------------------------------------------------------------------------------------
  add({
    name: 'auth.unauthenticated-refused',
    valid: snap.redis.every((r) => r.unauthenticatedPing.startsWith('NOAUTH')),
    expected: 'NOAUTH to PING without AUTH on every pod',
    observed: perPod(snap.redis.map((r) => ({ pod: r.pod, value: r.unauthenticatedPing.split(/[.\n]/)[0]! }))),
    explanation: 'Password protection (seed, Security Considerations 1): an unauthenticated client must not be served.',
  });
  add({
    name: 'auth.wrong-password-refused',
    valid: snap.redis.every((r) => r.wrongPasswordAuth.startsWith('WRONGPASS')),
    expected: 'WRONGPASS to AUTH with a wrong password on every pod',
    observed: perPod(snap.redis.map((r) => ({ pod: r.pod, value: r.wrongPasswordAuth.split(/[.\n]/)[0]! }))),
    explanation: "Any password but the Secret's must be refused.",
  });
  return out;
}

/** Every live check from one snapshot. Pure; never throws; never prints a password. */
export function liveChecksFromSnapshot(snap: LiveSnapshot, exp: LiveExpectations): ConformanceCheck[] {
  const sentinels = sentinelAgreementChecks(snap);
  return [...sentinels.checks, ...replicationChecks(snap, sentinels.masterPod), ...runningParamChecks(snap, exp, sentinels.masterInfo), ...authChecks(snap)];
}

/** Defaults of the live group. */
export const LIVE_DEFAULTS = {
  /**
   * Right after start-up or a heal, sentinels may still be linking to a peer they just heard of (hello
   * every 2 s): a topology check that fails is looked at again, once a second, for this long. Parameter
   * and authentication checks cannot heal on their own and are not waited for.
   */
  settleMs: 6000,
} as const;

const settles = (c: ConformanceCheck) => !c.name.startsWith('config.') && !c.name.startsWith('auth.');

/** The live group: the running deployment, judged on one snapshot (taken again while only transient checks fail). */
export async function liveChecks(ctx: ConformanceContext): Promise<ConformanceCheck[]> {
  const d = ctx.deployment;
  if (!d) throw new HarnessError('INTERNAL', 'the live conformance group needs a running deployment');
  const exp = ctx.design
    ? liveExpectations(ctx.model, ctx.overrides, ctx.design.params, ctx.design.name === 'seed' ? 'seed design' : `design ${ctx.design.name}`)
    : liveExpectations(ctx.model, ctx.overrides, designFor(ctx.model));
  const deviations = ctx.design ? designDeviationChecks(ctx.design, 'live') : [];
  const deadline = performance.now() + LIVE_DEFAULTS.settleMs;
  for (let attempt = 1; ; attempt++) {
    const checks = liveChecksFromSnapshot(await takeLiveSnapshot(d), exp);
    if (!checks.some((c) => c.valid === false && settles(c)) || performance.now() > deadline) {
      return [...checks.map((c) => (settles(c) ? { ...c, figures: { ...c.figures, snapshots: attempt } } : c)), ...deviations];
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
