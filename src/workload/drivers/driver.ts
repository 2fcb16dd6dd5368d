// Runs a driver process (a real client library writing through its own failover logic) and turns its JSON lines into Ops on the run clock.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Clock } from '../../clock.ts';
import { HarnessError } from '../../errors.ts';
import type { Op } from '../../model/history.ts';
import { parseDriverLine, writeOps, type DriverBye, type DriverHello, type DriverOp, DriverProtocolError } from './protocol.ts';
import { driverKind, type DriverKind } from './registry.ts';
import { clientSecurity } from '../../redis/security.ts';
import { redactOutput } from '../../process/redact.ts';

export interface Address {
  host: string;
  port: number;
}

/** What a driver is told (in its environment: SENTINELS, MASTER_NAME, REDIS_PASSWORD or REDIS_PASSWORD_FILE, SERVICE, DB, RATE, DURATION_MS, KEY_PREFIX, TIMEOUT_MS, MAX_IN_FLIGHT, READS). */
export interface DriverConfig {
  sentinels: readonly Address[];
  masterName: string;
  /** The `redis` Service address, for drivers that connect through it. */
  service?: Address;
  /** Passed in the environment only; never in argv, never printed. */
  password: string;
  db: number;
  /**
   * Who the driver logs in as under the secure profile: an application's ACL user and client certificate (paths).
   * Absent: the harness's own login (src/redis/security.ts).
   */
  login?: DriverLogin;
  /** Writes per second. */
  rateHz: number;
  /** The driver stops by itself after this long (a bound, should the harness not stop it). */
  durationMs: number;
  /** Keys are `<keyPrefix>:<n>` (or the library's own mapping of that name, reported in `key`). */
  keyPrefix: string;
  /** The application's command timeout: a write unanswered by then is info (a later reply is a late ok). */
  timeoutMs: number;
  /** Writes awaiting a reply beyond which ticks are skipped (counted in the bye line). Default 16. */
  maxInFlight?: number;
  /** Name in the history (Op.process). Default: the kind. */
  name?: string;
  /**
   * Session reads beside the writes (README, "Reads"): every 5th tick a session SETEXes its key and reads it back
   * on the master path and, where the library reads from replicas, from a replica. Drivers that do not read ignore it.
   */
  reads?: boolean;
  /** How long start waits for the driver's first line. Default 15 000 ms. */
  startTimeoutMs?: number;
  /**
   * A resolv.conf naming the cluster DNS (the target's `dns.resolvConf`): the driver runs in a mount
   * namespace of its own where it is /etc/resolv.conf, so the library resolves pod names as the pods do.
   */
  resolvConf?: string;
}

export interface DriverLogin {
  username: string;
  /** Paths; the drivers read them at each new connection where their library allows (README, "Rotations and the real clients"). */
  tls: { ca: string; cert: string; key: string } | null;
  /**
   * The application's file of the mounted ACL Secret: the driver is given this path (REDIS_PASSWORD_FILE) instead
   * of the password, and reads it at each new connection, so a rotated password reaches it at its next reconnection.
   */
  passwordFile?: string;
}

export interface DriverExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StartedDriver {
  readonly name: string;
  /** The driver's process id (its children, if any, are its own to stop). */
  readonly pid: number | undefined;
  /** The hello line (client and version), or the kind's client with version "unknown" when the driver sent none. */
  readonly info: DriverHello;
  /** Write operations so far, on the run clock. */
  ops(): Op[];
  /** Every operation so far, reads and updates included. */
  allOps(): DriverOp[];
  /** The bye line, once the driver has sent it. */
  bye(): DriverBye | null;
  /** The last lines of the driver's stderr (password masked). */
  stderrTail(): string;
  /**
   * Close the driver's stdin and wait for it to drain and exit (SIGTERM, then SIGKILL, if it does not).
   * Rejects with a DriverProtocolError for a malformed line, or a HarnessError when it failed.
   */
  stop(): Promise<DriverExit>;
}

/** A custom driver: any command speaking the protocol (README, "Real client libraries"). */
export interface ExecDriver {
  kind: string;
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
}

const STDERR_TAIL_CHARS = 4000;

/** Environment for a driver: PATH and locale from ours, then its config. Nothing else of ours leaks in. */
export function driverEnv(config: DriverConfig, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    ...extra,
    SENTINELS: config.sentinels.map((s) => `${s.host}:${s.port}`).join(' '),
    MASTER_NAME: config.masterName,
    DB: String(config.db),
    RATE: String(config.rateHz),
    DURATION_MS: String(Math.round(config.durationMs)),
    KEY_PREFIX: config.keyPrefix,
    TIMEOUT_MS: String(Math.round(config.timeoutMs)),
    MAX_IN_FLIGHT: String(config.maxInFlight ?? 16),
  };
  if (config.reads) env.READS = '1';
  if (config.service) env.SERVICE = `${config.service.host}:${config.service.port}`;
  // The secure profile: the application's (else the harness's) ACL user and client certificate (paths; the key's content never goes in the environment).
  const own = clientSecurity();
  const login = config.login ?? { username: own.username, tls: own.files ?? null };
  if (login.username) env.REDIS_USER = login.username;
  // A password file: the password itself stays out of the driver's environment (where /proc/<pid>/environ shows it).
  if ('passwordFile' in login && login.passwordFile) env.REDIS_PASSWORD_FILE = login.passwordFile;
  else env.REDIS_PASSWORD = config.password;
  if (login.tls) Object.assign(env, { TLS_CA: login.tls.ca, TLS_CERT: login.tls.cert, TLS_KEY: login.tls.key });
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}

/**
 * `command` in a private mount namespace whose /etc/resolv.conf is `resolvConf` (bind-mounted): the
 * process resolves through that file's server, the host's resolv.conf untouched. No fork: unshare and sh
 * exec into the command, so its pid is the one spawned and signals reach it.
 */
export function withResolvConf(command: readonly string[], resolvConf: string): string[] {
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"',
    'sh',
    resolvConf,
    ...command,
  ];
}

/** The argv a driver is spawned with: its kind's command, in a namespace with the cluster's resolv.conf when asked (root only). */
export function driverArgv(name: string, command: readonly string[], resolvConf: string | undefined): string[] {
  if (resolvConf === undefined) return [...command];
  if (process.getuid?.() !== 0)
    throw new HarnessError(
      'PRIVILEGE_MISSING',
      `driver "${name}" must resolve pod names through the run's DNS server, which needs a mount namespace: run the harness as root`,
    );
  return withResolvConf(command, resolvConf);
}

/** Start a driver of a registered kind (registry.ts) or a custom command; resolves once it wrote its first line. */
export async function startDriver(kind: string | DriverKind | ExecDriver, config: DriverConfig, clock: Clock): Promise<StartedDriver> {
  const k = typeof kind === 'string' ? driverKind(kind) : kind;
  const name = config.name ?? k.kind;
  if (!k.command[0]) throw new HarnessError('USAGE', `driver "${name}" has an empty command`);
  const [file, ...args] = driverArgv(name, k.command, config.resolvConf) as [string, ...string[]];
  // The password it started with, and every password registered since (a rotation's new one, read from the file).
  const mask = (s: string): string => redactOutput(config.password.length >= 4 ? s.split(config.password).join('***') : s);

  const child: ChildProcess = spawn(file, args, { env: driverEnv(config, k.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const all: DriverOp[] = [];
  let hello: DriverHello | null = null;
  let bye: DriverBye | null = null;
  let protocolError: DriverProtocolError | null = null;
  let stderr = '';
  let lineNo = 0;
  let spawnError: Error | null = null;

  const exited = new Promise<DriverExit>((resolve) => {
    child.once('error', (e) => {
      spawnError = e;
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  child.stdin!.on('error', () => {});
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    stderr = (stderr + d).slice(-STDERR_TAIL_CHARS);
  });
  let firstLine!: () => void;
  const gotFirstLine = new Promise<void>((r) => (firstLine = r));
  const rl = createInterface({ input: child.stdout!, crlfDelay: Infinity });
  rl.on('line', (line) => {
    lineNo++;
    if (protocolError || line.trim() === '') return;
    try {
      const parsed = parseDriverLine(line, { driver: name, lineNo, originHrtimeNs: clock.originHrtimeNs, nowNs: clock.nowNs() });
      if (parsed.kind === 'op') all.push(parsed.op);
      else if (parsed.kind === 'hello') hello = parsed.hello;
      else bye = parsed.bye;
    } catch (e) {
      // Rebuilt from the masked line: a driver that printed the password must not get it into an error.
      protocolError =
        e instanceof DriverProtocolError
          ? new DriverProtocolError(name, lineNo, mask(line), e.why)
          : new DriverProtocolError(name, lineNo, mask(line), String(e));
      child.kill('SIGKILL');
    }
    firstLine();
  });

  const stderrTail = (): string => mask(stderr);
  const failure = (exit: DriverExit, what: string): HarnessError =>
    new HarnessError(
      'PROCESS_FAILED',
      `driver "${name}" (${k.command.join(' ').replace(/\s+/g, ' ').slice(0, 120)}) ${what} (exit code ${exit.code}, signal ${exit.signal})` +
        (spawnError ? `: ${(spawnError as Error).message}` : '') +
        (stderr ? `; stderr: ${stderrTail().slice(-1500)}` : ''),
    );

  // Generous: seven interpreters starting at once on a loaded 2-core host took over 15 s (load average 26).
  const startTimeoutMs = config.startTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    gotFirstLine.then(() => 'line' as const),
    exited.then(() => 'exit' as const),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), startTimeoutMs))),
  ]);
  clearTimeout(timer);
  if (outcome !== 'line' || protocolError) {
    child.kill('SIGKILL');
    const exit = await exited;
    if (protocolError) throw protocolError;
    throw failure(exit, outcome === 'timeout' ? `wrote no line within ${startTimeoutMs} ms` : 'exited before writing a line');
  }

  let stopping: Promise<DriverExit> | null = null;
  const stop = (): Promise<DriverExit> => {
    stopping ??= (async () => {
      child.stdin!.end();
      const graceMs = config.timeoutMs + 5000;
      const wait = (ms: number) => Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), ms).unref())]);
      let exit = await wait(graceMs);
      if (exit === null) {
        child.kill('SIGTERM');
        exit = await wait(2000);
      }
      if (exit === null) {
        child.kill('SIGKILL');
        exit = await exited;
      }
      rl.close();
      if (protocolError) throw protocolError;
      if (spawnError || exit.code !== 0) throw failure(exit, 'failed');
      return exit;
    })();
    return stopping;
  };

  return {
    name,
    pid: child.pid,
    get info() {
      return hello ?? { client: 'client' in k ? (k as DriverKind).client : k.kind, version: 'unknown' };
    },
    ops: () => writeOps(all),
    allOps: () => [...all],
    bye: () => bye,
    stderrTail,
    stop,
  };
}
