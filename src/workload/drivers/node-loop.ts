// The JSON-lines driver protocol for Node drivers: config from env, one write per tick, app timeout, late oks, stop on stdin EOF / SIGTERM.
import { readFileSync } from 'node:fs';

export interface NodeDriverConfig {
  sentinels: { host: string; port: number }[];
  masterName: string;
  /** REDIS_PASSWORD; unset when the driver is given REDIS_PASSWORD_FILE. */
  password: string | undefined;
  /** REDIS_PASSWORD_FILE: the application's file of the mounted ACL Secret, read at each new connection (currentPassword). */
  passwordFile: string | undefined;
  /** The secure profile: the ACL user, and TLS material read from the files TLS_CA / TLS_CERT / TLS_KEY at each handshake (rereadingTls). */
  username: string | undefined;
  tls: LiveTls | undefined;
  service: { host: string; port: number } | undefined;
  db: number;
  rate: number;
  durationMs: number;
  prefix: string;
  timeoutMs: number;
  maxInFlight: number;
  /** READS=1: session reads beside the writes (see SessionOps). */
  reads: boolean;
}

const hostPort = (a: string): { host: string; port: number } => {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
};

export function configFromEnv(env = process.env): NodeDriverConfig {
  return {
    sentinels: (env.SENTINELS ?? '').split(/\s+/).filter(Boolean).map(hostPort),
    masterName: env.MASTER_NAME ?? 'mymaster',
    password: env.REDIS_PASSWORD || undefined,
    passwordFile: env.REDIS_PASSWORD_FILE || undefined,
    username: env.REDIS_USER || undefined,
    tls: env.TLS_CA ? rereadingTls({ ca: env.TLS_CA, cert: env.TLS_CERT ?? '', key: env.TLS_KEY ?? '' }) : undefined,
    service: env.SERVICE ? hostPort(env.SERVICE) : undefined,
    db: Number(env.DB ?? 0),
    rate: Number(env.RATE ?? 50),
    durationMs: Number(env.DURATION_MS ?? 60_000),
    prefix: env.KEY_PREFIX ?? 'driver',
    timeoutMs: Number(env.TIMEOUT_MS ?? 1000),
    maxInFlight: Number(env.MAX_IN_FLIGHT ?? 16),
    reads: env.READS === '1',
  };
}

/** TLS options whose `ca`, `cert` and `key` are read from their files whenever Node builds a secure context (each handshake). */
export interface LiveTls {
  ca: string[];
  cert: string[];
  key: string[];
}

/**
 * A one-element array whose element is the file's content read at each access. Both libraries hand their TLS options
 * to tls.connect by reference (a shallow copy keeps the array), and tls.connect reads the element when it builds the
 * connection's secure context: so every new connection presents and trusts what the mounted Secret holds then, as
 * redis-py does with its paths. (node-redis 6.4 copies its socket options once, ioredis merges them at each connect.)
 */
export function rereadingFile(file: string): string[] {
  const a: string[] = [''];
  Object.defineProperty(a, 0, { get: () => readFileSync(file, 'utf8'), enumerable: true });
  return a;
}

export function rereadingTls(files: { ca: string; cert: string; key: string }): LiveTls {
  return { ca: rereadingFile(files.ca), cert: rereadingFile(files.cert), key: rereadingFile(files.key) };
}

/** Every password this driver has read: masked in everything it prints. */
const seenSecrets = new Set<string>();

/** A Secret file's value as a Kubernetes application reads it: the file's content (one trailing newline dropped). */
export function readSecretFile(file: string): string {
  const v = readFileSync(file, 'utf8').replace(/\n$/, '');
  if (v.length >= 4) seenSecrets.add(v);
  return v;
}

/** The password for a new connection: the file's content now (REDIS_PASSWORD_FILE), else REDIS_PASSWORD. */
export function currentPassword(cfg: Pick<NodeDriverConfig, 'password' | 'passwordFile'>): string | undefined {
  return cfg.passwordFile ? readSecretFile(cfg.passwordFile) : cfg.password;
}

/** node-redis's login: a credentialsProvider, asked at every connection's handshake, reading the password file then. */
export function nodeRedisCredentials(cfg: Pick<NodeDriverConfig, 'password' | 'passwordFile' | 'username'>) {
  if (!cfg.passwordFile) return { username: cfg.username, password: cfg.password };
  return {
    credentialsProvider: {
      type: 'async-credentials-provider' as const,
      credentials: async () => ({ username: cfg.username, password: currentPassword(cfg) }),
    },
  };
}

/**
 * ioredis reads `options.password` at each (re)connection (Redis#_connect; its SentinelConnector shares the object):
 * a getter there makes it read the password file then. Call before the client first connects (lazyConnect).
 */
export function ioredisPasswordFromFile(options: { password?: string | null }, cfg: Pick<NodeDriverConfig, 'password' | 'passwordFile'>): void {
  if (!cfg.passwordFile) return;
  Object.defineProperty(options, 'password', { get: () => currentPassword(cfg), set: () => {}, enumerable: true, configurable: true });
}

/** node-redis socket options under the secure profile: TLS with the run's CA and the client certificate (Node checks the peer's name or address). */
export function nodeRedisTls(cfg: Pick<NodeDriverConfig, 'tls'>): ({ tls: true } & LiveTls) | undefined {
  return cfg.tls ? { tls: true, ...cfg.tls } : undefined;
}

/**
 * node-redis createSentinel's per-client options: the nodes log in as the ACL user with the password and
 * select the db; under the secure profile both the nodes' and the sentinels' sockets are TLS. The sentinels
 * get no login (they have no ACL users: a certificate of the run's CA is what lets a client in).
 */
export function nodeRedisSentinelLogin(cfg: Pick<NodeDriverConfig, 'tls' | 'username' | 'password' | 'passwordFile' | 'db'>) {
  const socket = nodeRedisTls(cfg);
  return {
    nodeClientOptions: { ...nodeRedisCredentials(cfg), database: cfg.db, ...(socket ? { socket } : {}) },
    ...(socket ? { sentinelClientOptions: { socket } } : {}),
  };
}

if (process.env.REDIS_PASSWORD && process.env.REDIS_PASSWORD.length >= 4) seenSecrets.add(process.env.REDIS_PASSWORD);

export function emit(o: object): void {
  let line = JSON.stringify(o);
  // A driver never prints a password it has read, even inside an error text.
  for (const secret of seenSecrets) line = line.split(secret).join('***');
  process.stdout.write(line + '\n');
}

const now = (): string => process.hrtime.bigint().toString();

export interface LoopOptions {
  hello: { client: string; version: string; [k: string]: unknown };
  /** Send SET key; resolves with the address that acknowledged it, when the library exposes it. */
  write(key: string): Promise<string | undefined>;
  /** 'fail' when the error means the write was definitely not applied. */
  classify(err: Error): 'fail' | 'info';
  /** Extra counts for the bye line. */
  stats?(): Record<string, number>;
  /** Close the client; called once the loop has drained. */
  close(): Promise<void>;
  /** With READS=1: the session operations (without them the driver only writes). */
  session?: SessionOps;
}

/** A session's SETEX and its reads back: each resolves with the value read (null: missing) and the node that answered, when known. */
export interface SessionOps {
  setex(key: string, ttlS: number, value: string): Promise<string | undefined>;
  get(key: string): Promise<{ value: string | null; node?: string | undefined }>;
  /** A read the library sends to a replica. */
  replicaGet?(key: string): Promise<{ value: string | null; node?: string | undefined }>;
}

const READ_EVERY = 5;
const SESSIONS = 4;
const SESSION_TTL_S = 3600;

/**
 * Every READ_EVERY-th tick one of SESSIONS sessions (skipped while its previous step awaits a reply) writes
 * SETEX key TTL n, reads it back on the master path (f "read") and then from a replica (f "replica-read"), each
 * line with the value written or read. A step's operation unanswered within TIMEOUT_MS is info; the session
 * stays busy until the reply or the driver's end, so its operations never overlap.
 */
function sessionStepper(cfg: NodeDriverConfig, s: SessionOps, classify: (err: Error) => 'fail' | 'info'): (n: number) => Promise<void> | null {
  const busy = new Set<number>();
  const one = async (f: string, key: string, call: () => Promise<{ value?: string | null; node?: string | undefined }>, value?: string): Promise<boolean> => {
    emit({ type: 'invoke', f, key, ns: now(), ...(value !== undefined ? { value } : {}) });
    let timer: NodeJS.Timeout | undefined;
    const p = call();
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), cfg.timeoutMs)));
    try {
      const r = await Promise.race([p, timedOut]);
      if (r === 'timeout') {
        emit({ type: 'info', f, key, ns: now(), error: `no reply within ${cfg.timeoutMs} ms (client timeout)` });
        await p.catch(() => {});
        return false;
      }
      emit({ type: 'ok', f, key, ns: now(), ...(r.node ? { node: r.node } : {}), ...('value' in r ? { value: r.value } : {}) });
      return true;
    } catch (err) {
      emit({ type: classify(err as Error), f, key, ns: now(), error: String((err as Error)?.message ?? err).slice(0, 300) });
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  return (n) => {
    if (n % READ_EVERY) return null;
    const i = Math.floor(n / READ_EVERY) % SESSIONS;
    if (busy.has(i)) return null;
    busy.add(i);
    const key = `${cfg.prefix}:session:${i}`;
    return (async () => {
      if (await one('setex', key, async () => ({ node: await s.setex(key, SESSION_TTL_S, String(n)) }), String(n))) {
        await one('read', key, () => s.get(key));
        if (s.replicaGet) await one('replica-read', key, () => s.replicaGet!(key));
      }
    })().finally(() => busy.delete(i));
  };
}

/** Run the write loop until stdin closes, SIGTERM or DURATION_MS; then drain for TIMEOUT_MS and exit. */
export async function runLoop(cfg: NodeDriverConfig, o: LoopOptions): Promise<never> {
  emit({ hello: o.hello });
  let stopped = false;
  let wake: () => void = () => {};
  const stop = (): void => {
    stopped = true;
    wake();
  };
  process.once('SIGTERM', stop);
  process.stdin.on('end', stop).on('close', stop).on('error', stop).resume();
  const inFlight = new Map<string, Promise<void>>();
  let skipped = 0;
  const start = process.hrtime.bigint();
  const periodNs = 1e9 / cfg.rate;
  const deadline = Date.now() + cfg.durationMs;
  let n = 0;
  const sessionStep = cfg.reads && o.session ? sessionStepper(cfg, o.session, o.classify) : null;
  const sessions = new Set<Promise<void>>();
  const issue = (key: string): void => {
    emit({ type: 'invoke', f: 'write', key, ns: now() });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      emit({ type: 'info', f: 'write', key, ns: now(), error: `no reply within ${cfg.timeoutMs} ms (client timeout)` });
    }, cfg.timeoutMs);
    const p = o.write(key).then(
      (node) => {
        clearTimeout(timer);
        emit({ type: 'ok', f: 'write', key, ns: now(), ...(node ? { node } : {}), ...(timedOut ? { late: true } : {}) });
      },
      (err: Error) => {
        clearTimeout(timer);
        if (!timedOut) emit({ type: o.classify(err), f: 'write', key, ns: now(), error: String(err?.message ?? err).slice(0, 300) });
      },
    );
    inFlight.set(
      key,
      p.finally(() => inFlight.delete(key)),
    );
  };
  while (!stopped && Date.now() < deadline) {
    const due = Math.floor(Number(process.hrtime.bigint() - start) / periodNs) + 1;
    while (n < due) {
      if (inFlight.size >= cfg.maxInFlight) {
        skipped += due - n;
        n = due;
        break;
      }
      const step = sessionStep?.(n);
      if (step) {
        const tracked: Promise<void> = step.finally(() => sessions.delete(tracked));
        sessions.add(tracked);
      }
      issue(`${cfg.prefix}:${n++}`);
    }
    const waitMs = Math.max(0, (Number(start) + n * periodNs - Number(process.hrtime.bigint())) / 1e6);
    await new Promise<void>((r) => {
      wake = r;
      setTimeout(r, Math.min(waitMs, 50));
    });
  }
  let t: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...inFlight.values(), ...sessions]), new Promise((r) => (t = setTimeout(r, cfg.timeoutMs)))]);
  clearTimeout(t);
  for (const key of inFlight.keys()) emit({ type: 'info', f: 'write', key, ns: now(), error: 'no reply before the driver stopped' });
  emit({ bye: { skipped, ...o.stats?.() } });
  // Closing may hang on a dead node: bounded, then exit regardless.
  await Promise.race([o.close().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(0);
}
