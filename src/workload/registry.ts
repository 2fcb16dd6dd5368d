// Workload kinds by name: what writes beside the trial's own client (the built-in tracked writer, or any command speaking the driver protocol).
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { HarnessError } from '../errors.ts';
import type { Endpoint } from '../model/endpoint.ts';
import type { Op } from '../model/history.ts';
import type { PubSubHistory } from '../model/pubsub.ts';
import type { ReadOp } from '../model/reads.ts';
import { APP_USERS, type AppName } from '../config/secure.ts';
import { startDriver, type StartedDriver } from './drivers/driver.ts';
import { appKeyPrefix, driverLogin, type AppLogin } from './app-login.ts';
export type { AppLogin } from './app-login.ts';
import { DRIVER_KINDS, driverKind } from './drivers/registry.ts';
import { startPubSub, SUBSCRIBER_KINDS } from './pubsub.ts';
import { sentinelClient, type ClientOptions } from './sentinel-client.ts';
import { TrackedWriter } from './tracked-writer.ts';

const NAME = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, dashes and underscores');

/** Names the trial's own clients use; a workload may not take one. */
export const RESERVED_WORKLOAD_NAMES: readonly string[] = ['sentinel-client', 'isolated-client'];

/** Where a workload writes, and for how long at most. */
export interface WorkloadContext {
  sentinels: readonly Endpoint[];
  masterName: string;
  /** Never printed, never in argv. */
  password: string;
  clock: Clock;
  /** Keys are `<keyPrefix>:<n>`, in db 0 (where the trial reads back). */
  keyPrefix: string;
  rateHz: number;
  /** The application's command timeout. */
  timeoutMs: number;
  /** A bound: the workload stops by itself after this long should the harness not stop it. */
  durationMs: number;
  /** Options of the harness's own Sentinel client (kind sentinel). */
  client?: Partial<ClientOptions>;
  /** The `redis` Service, when the target has Services (kind pubsub's Service subscriber). */
  service?: Endpoint;
  /** The cluster DNS as a resolv.conf, when the target has one: driver processes resolve pod names through it. */
  resolvConf?: string;
  /**
   * The secure profile's application logins (ACL user, its password, client certificate paths), when the
   * deployment has ACL users: real-client drivers log in as their application, not as the harness's admin.
   */
  appLogin?: (app: AppName) => AppLogin;
}

/** A workload writing: its history so far, the keys it wrote, and how to stop it. */
export interface RunningWorkload {
  readonly name: string;
  /** What writes, e.g. "redis-py 4.3.4" from an exec workload's hello line. */
  readonly library: string;
  ops(): Op[];
  keys(): string[];
  /** Rejects when the workload failed (an exit code, a malformed line). */
  stop(): Promise<void>;
  /** How it reaches redis, when known: through the `redis` Service or through Sentinel (per-path figures). */
  readonly path?: 'service' | 'sentinel';
  /** Session writes and reads (src/model/reads.ts), when the workload reads; checked by the reads check. */
  readOps?(): ReadOp[];
  /** Kind driver's `maxStaleReplicaReads`. */
  maxStaleReplicaReads?: number;
  /** The db its keys are in (read back there); absent: 0. */
  db?: number;
  /** A pub/sub workload: its history and what its check holds it to, instead of the write checks. */
  pubsub?: { history(): PubSubHistory; deadAfterMs: number; observeAfterMs: number; maxLost?: number };
}

export interface WorkloadDefinition<S extends z.ZodType = z.ZodType> {
  kind: string;
  /** The fields of a `workloads:` entry besides kind and name. */
  schema: S;
  /** The name when the entry gives none. */
  defaultName(spec: z.infer<S>): string;
  start(name: string, spec: z.infer<S>, ctx: WorkloadContext): Promise<RunningWorkload>;
}

const define = <S extends z.ZodType>(d: WorkloadDefinition<S>): WorkloadDefinition<S> => d;

/** Kind sentinel: another of the harness's own tracked writers, through Sentinel with ioredis. */
const sentinel = define({
  kind: 'sentinel',
  schema: z.strictObject({ kind: z.literal('sentinel'), name: NAME.optional() }),
  defaultName: () => 'sentinel',
  async start(name, _spec, ctx) {
    const client = sentinelClient({
      sentinels: ctx.sentinels,
      masterName: ctx.masterName,
      password: ctx.password,
      ...(ctx.client ? { client: ctx.client } : {}),
    });
    const w = new TrackedWriter({
      name,
      client,
      clock: ctx.clock,
      keyPrefix: ctx.keyPrefix,
      rateHz: ctx.rateHz,
      maxInFlight: 100_000,
      timeoutMs: ctx.timeoutMs,
    });
    w.start();
    const bound = setTimeout(() => void w.stop(0), ctx.durationMs).unref();
    return {
      name,
      library: "ioredis (the harness's Sentinel client)",
      ops: () => w.history,
      keys: () => w.keys(),
      stop: async () => {
        clearTimeout(bound);
        await w.stop(2000);
        client.disconnect();
      },
    };
  },
});

/** Kind exec: a command that writes and speaks the driver protocol (README, "Bring your own workload") on its stdout. */
const exec = define({
  kind: 'exec',
  schema: z.strictObject({ kind: z.literal('exec'), name: NAME.optional(), command: z.array(z.string().min(1)).min(1) }),
  defaultName: (spec) => {
    const last = path.basename(spec.command[spec.command.length - 1]!).replace(/\.[^.]*$/, '');
    return (
      last
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .replace(/^[^a-z0-9]+/, '') || 'exec'
    );
  },
  async start(name, spec, ctx) {
    const d = await startDriver(
      { kind: name, command: spec.command },
      {
        name,
        sentinels: ctx.sentinels,
        masterName: ctx.masterName,
        password: ctx.password,
        db: 0,
        rateHz: ctx.rateHz,
        durationMs: ctx.durationMs,
        keyPrefix: ctx.keyPrefix,
        timeoutMs: ctx.timeoutMs,
        ...(ctx.resolvConf ? { resolvConf: ctx.resolvConf } : {}),
      },
      ctx.clock,
    );
    return driverWorkload(name, d);
  },
});

/** The running workload of a started driver process: its writes for the write checks, its session reads for the reads check. */
function driverWorkload(name: string, d: StartedDriver, path?: 'service' | 'sentinel'): RunningWorkload {
  return {
    name,
    get library() {
      return `${d.info.client} ${d.info.version}`;
    },
    ...(path ? { path } : {}),
    ops: () => d.ops(),
    keys: () => [...new Set(d.ops().map((o) => o.key))],
    readOps: () => d.allOps().filter((o) => o.f === 'setex' || o.f === 'read' || o.f === 'replica-read'),
    stop: async () => {
      await d.stop();
    },
  };
}

/**
 * Under the secure profile a driver logs in as its application's ACL user, on the application's db and key
 * pattern (`<app>:…`), with its client certificate; a driver that cannot (no TLS client certificate or ACL user
 * yet) is skipped with the reason rather than run as admin.
 */
export function appDriverLogin(
  name: string,
  driver: string,
  app: AppName,
  secure: boolean,
  appLogin: (app: AppName) => AppLogin,
): AppLogin & { db: number; keyPrefix: string } {
  if (!secure)
    throw new HarnessError(
      'ABILITY_MISSING',
      `workload "${name}": driver ${driver} does not yet speak TLS with a client certificate and an ACL user, which the secure profile requires`,
    );
  return { ...appLogin(app), db: APP_USERS[app].db, keyPrefix: appKeyPrefix(app) };
}

/** Kind driver: a registered real client library (src/workload/drivers/registry.ts) writing, and with `reads` reading its sessions back. */
const driver = define({
  kind: 'driver',
  schema: z.strictObject({
    kind: z.literal('driver'),
    name: NAME.optional(),
    driver: z.enum(Object.keys(DRIVER_KINDS) as [string, ...string[]]),
    /** Session reads (SETEX then GET on the master path, and from a replica where the library reads there). */
    reads: z.boolean().default(false),
    /** Stale replica reads allowed; unset: counted, not judged. */
    maxStaleReplicaReads: z.number().int().nonnegative().optional(),
  }),
  defaultName: (spec) => spec.driver,
  async start(name, spec, ctx) {
    const k = driverKind(spec.driver);
    if (k.path === 'service' && !ctx.service)
      throw new HarnessError(
        'ABILITY_MISSING',
        `workload "${name}": driver ${spec.driver} connects through the redis Service, which this target does not expose`,
      );
    const app = ctx.appLogin ? appDriverLogin(name, k.kind, k.app, k.secure, ctx.appLogin) : null;
    const d = await startDriver(
      k,
      {
        name,
        sentinels: ctx.sentinels,
        masterName: ctx.masterName,
        ...(ctx.service ? { service: ctx.service } : {}),
        password: app?.password ?? ctx.password,
        db: app?.db ?? 0,
        rateHz: ctx.rateHz,
        durationMs: ctx.durationMs,
        keyPrefix: app ? `${app.keyPrefix}${ctx.keyPrefix}` : ctx.keyPrefix,
        timeoutMs: ctx.timeoutMs,
        reads: spec.reads,
        ...(app ? { login: driverLogin(app) } : {}),
      },
      ctx.clock,
    );
    const w = driverWorkload(name, d, k.path);
    if (app) w.db = app.db;
    if (spec.maxStaleReplicaReads !== undefined) w.maxStaleReplicaReads = spec.maxStaleReplicaReads;
    return w;
  },
});

/** Kind pubsub: a publisher through Sentinel and subscribers on the Service and Sentinel paths (README, "Pub/sub continuity"). */
const pubsub = define({
  kind: 'pubsub',
  schema: z.strictObject({
    kind: z.literal('pubsub'),
    name: NAME.optional(),
    /** Default: the workload's key prefix. */
    channel: z.string().min(1).optional(),
    /** Messages per second; default the scenario's rateHz. */
    rateHz: z.number().positive().max(10_000).optional(),
    subscribers: z
      .array(z.enum(SUBSCRIBER_KINDS))
      .min(1)
      .default([...SUBSCRIBER_KINDS]),
    /** Silence (connected, publisher acknowledged) after which a subscriber is dead. */
    deadAfterMs: z.number().int().positive().max(300_000).default(5000),
    /**
     * How long publishing and listening go on after the first publish acknowledged after the fault, at least, before
     * the workload stops (the trial waits for it after convergence). Shorter than deadAfterMs, a dead subscriber
     * cannot be told from a slow one and the check says unknown. Default: deadAfterMs + 2000.
     */
    observeAfterMs: z.number().int().positive().max(300_000).optional(),
    /** Messages a subscriber may miss; unset: reported, not judged. */
    maxLost: z.number().int().nonnegative().optional(),
    /** Test only: add a Service subscriber that does not subscribe again after reconnecting (must be flagged dead). */
    staleSubscriber: z.boolean().default(false),
  }),
  defaultName: () => 'pubsub',
  async start(name, spec, ctx) {
    // Under the secure profile the redis-py subscriber is Synapse (its workers listen on Redis pub/sub), on one of its channels.
    const sub = ctx.appLogin && spec.subscribers.includes('redis-py-sentinel') ? ctx.appLogin('synapse') : null;
    const channel = spec.channel ?? ctx.keyPrefix;
    const ps = await startPubSub({
      name,
      sentinels: ctx.sentinels,
      masterName: ctx.masterName,
      password: ctx.password,
      clock: ctx.clock,
      channel: sub && !channel.startsWith(appKeyPrefix('synapse')) ? `${appKeyPrefix('synapse')}${channel}` : channel,
      ...(sub ? { subscriberLogin: sub } : {}),
      keyPrefix: ctx.keyPrefix,
      rateHz: spec.rateHz ?? ctx.rateHz,
      timeoutMs: ctx.timeoutMs,
      durationMs: ctx.durationMs,
      subscribers: spec.subscribers,
      staleSubscriber: spec.staleSubscriber,
      ...(ctx.service ? { service: ctx.service } : {}),
      ...(ctx.client ? { client: ctx.client } : {}),
      ...(ctx.resolvConf ? { resolvConf: ctx.resolvConf } : {}),
    });
    return {
      name,
      get library() {
        return `pub/sub: ${ps
          .history()
          .subscribers.map((s) => `${s.name} (${s.library})`)
          .join(', ')}${ps.skipped.length ? `; skipped ${ps.skipped.join(', ')}` : ''}`;
      },
      ops: () => [],
      keys: () => [],
      stop: () => ps.stop(),
      pubsub: {
        history: () => ps.history(),
        deadAfterMs: spec.deadAfterMs,
        observeAfterMs: spec.observeAfterMs ?? spec.deadAfterMs + 2000,
        ...(spec.maxLost === undefined ? {} : { maxLost: spec.maxLost }),
      },
    };
  },
});

/** Every workload kind, by name. */
export const WORKLOAD_KINDS = { sentinel, exec, driver, pubsub } as const;

/** A `workloads:` entry of a scenario, validated against the registry. */
export const WorkloadSpecSchema = z.discriminatedUnion('kind', [sentinel.schema, exec.schema, driver.schema, pubsub.schema]);
export type WorkloadSpec = z.infer<typeof WorkloadSpecSchema>;

/** Each spec's name: its own, or its kind's default, made unique with -2, -3 …; a reserved name is refused. */
export function workloadNames(specs: readonly WorkloadSpec[]): string[] {
  const seen = new Map<string, number>();
  return specs.map((s) => {
    const base = s.name ?? (WORKLOAD_KINDS[s.kind] as WorkloadDefinition).defaultName(s);
    if (RESERVED_WORKLOAD_NAMES.includes(base))
      throw new HarnessError('USAGE', `workload name "${base}" is the harness's own client's; give the workload another name`);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}

/** Start one workload of the registry. */
export function startWorkload(name: string, spec: WorkloadSpec, ctx: WorkloadContext): Promise<RunningWorkload> {
  return (WORKLOAD_KINDS[spec.kind] as WorkloadDefinition).start(name, spec, ctx);
}

/** `--workload-exec "CMD ARGS"`: the command split on white space (no shell, no quoting). */
export function execWorkloadFromCli(command: string): WorkloadSpec {
  const argv = command.trim().split(/\s+/).filter(Boolean);
  if (argv.length === 0)
    throw new HarnessError('USAGE', '--workload-exec needs a command, e.g. --workload-exec "/usr/bin/python3 examples/exec-workload/writer.py"');
  return { kind: 'exec', command: argv };
}
