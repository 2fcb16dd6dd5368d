// The pub/sub workload: an ioredis publisher through Sentinel, subscribers on the Service path and on Sentinel paths (ioredis, redis-py), each recording what it receives and when it (re)subscribes.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Endpoint } from '../model/endpoint.ts';
import type { PubSubHistory, PubSubOp } from '../model/pubsub.ts';
import { startDriver, type StartedDriver } from './drivers/driver.ts';
import { SYSTEM_PYTHON } from './drivers/registry.ts';
import { sentinelClient, type ClientOptions } from './sentinel-client.ts';
import { redisLogin } from '../redis/security.ts';
import { driverLogin, type AppLogin } from './app-login.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const SUBSCRIBER_KINDS = ['service', 'ioredis-sentinel', 'redis-py-sentinel'] as const;
export type SubscriberKind = (typeof SUBSCRIBER_KINDS)[number];

export interface PubSubOptions {
  name: string;
  sentinels: readonly Endpoint[];
  masterName: string;
  /** The `redis` Service; without it the Service subscriber is left out. */
  service?: Endpoint;
  /** Never printed, never in argv. */
  password: string;
  clock: Clock;
  channel: string;
  /** Message ids are `<keyPrefix>:<n>`. */
  keyPrefix: string;
  rateHz: number;
  timeoutMs: number;
  durationMs: number;
  subscribers: readonly SubscriberKind[];
  /** Test only: one more Service subscriber, named "stale", that does not subscribe again after its connection comes back. */
  staleSubscriber?: boolean;
  client?: Partial<ClientOptions>;
  /** The cluster DNS as a resolv.conf (the redis-py subscriber's process resolves pod names through it). */
  resolvConf?: string;
  /**
   * Under the secure profile, the redis-py subscriber's login: an application's ACL user (Synapse's workers listen on
   * Redis pub/sub), its password and client certificate; `channel` must be one of its channels. Absent: the harness's own.
   */
  subscriberLogin?: AppLogin;
}

export interface RunningPubSub {
  history(): PubSubHistory;
  /** Subscribers left out, with the reason. */
  readonly skipped: readonly string[];
  stop(): Promise<void>;
}

const peer = (c: Redis): string | undefined => {
  const s = c.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return s?.remoteAddress && s.remotePort ? `${s.remoteAddress}:${s.remotePort}` : undefined;
};

/** An ioredis subscriber: SUBSCRIBE on every (re)connection (ioredis's autoResubscribe, done by hand so that the time is seen), unless `resubscribe` is false. */
function ioredisSubscriber(name: string, client: Redis, channel: string, clock: Clock, ops: PubSubOp[], resubscribe: boolean): () => void {
  client.options.autoResubscribe = false;
  let up = false;
  let subscribes = 0;
  const rec = (o: Omit<PubSubOp, 'process' | 'ns'>): void => {
    ops.push({ process: name, ns: clock.nowNs(), ...o });
  };
  client.on('error', () => {});
  client.on('ready', () => {
    up = true;
    const node = peer(client);
    rec({ type: 'info', f: 'connected', key: channel, ...(node ? { node } : {}) });
    if (subscribes > 0 && !resubscribe) return;
    subscribes++;
    client.subscribe(channel).then(
      () => {
        const n = peer(client);
        rec({ type: 'info', f: 'subscribed', key: channel, ...(n ? { node: n } : {}) });
      },
      (e: unknown) => rec({ type: 'info', f: 'subscribe-failed', key: channel, error: String((e as Error).message ?? e).slice(0, 300) }),
    );
  });
  client.on('close', () => {
    if (up) rec({ type: 'info', f: 'disconnected', key: channel });
    up = false;
  });
  client.on('message', (_ch: string, msg: string) => rec({ type: 'ok', f: 'receive', key: msg }));
  return () => client.disconnect();
}

/** Start the publisher and the subscribers; resolves once each subscriber subscribed (or after 10 s). */
export async function startPubSub(o: PubSubOptions): Promise<RunningPubSub> {
  const ops: PubSubOp[] = [];
  const publisher = `${o.name}-publisher`;
  const subs: { name: string; path: 'service' | 'sentinel'; library: string }[] = [];
  const closers: (() => void)[] = [];
  const skipped: string[] = [];
  let driver: StartedDriver | null = null;
  const sentinelOpts = { sentinels: o.sentinels, masterName: o.masterName, password: o.password, ...(o.client ? { client: o.client } : {}) };
  const plain = (e: Endpoint): Redis =>
    new Redis({
      host: e.host,
      port: e.port,
      password: o.password,
      ...redisLogin(),
      connectTimeout: 500,
      retryStrategy: () => 50,
      maxRetriesPerRequest: null,
      autoResubscribe: false,
    });

  try {
    for (const kind of o.subscribers) {
      if (kind === 'service') {
        if (!o.service) {
          skipped.push('service: the target has no Services');
          continue;
        }
        subs.push({ name: 'service', path: 'service', library: 'ioredis (plain client to the redis Service)' });
        closers.push(ioredisSubscriber('service', plain(o.service), o.channel, o.clock, ops, true));
      } else if (kind === 'ioredis-sentinel') {
        subs.push({ name: 'ioredis-sentinel', path: 'sentinel', library: 'ioredis (Sentinel)' });
        closers.push(ioredisSubscriber('ioredis-sentinel', sentinelClient(sentinelOpts), o.channel, o.clock, ops, true));
      } else {
        driver = await startDriver(
          { kind: 'redis-py-pubsub', command: [SYSTEM_PYTHON, path.join(HERE, 'drivers', 'python', 'redis_py_pubsub.py')], env: { CHANNEL: o.channel } },
          {
            name: 'redis-py-sentinel',
            sentinels: o.sentinels,
            masterName: o.masterName,
            password: o.subscriberLogin?.password ?? o.password,
            ...(o.subscriberLogin ? { login: driverLogin(o.subscriberLogin) } : {}),
            db: 0,
            rateHz: 1,
            durationMs: o.durationMs,
            keyPrefix: o.keyPrefix,
            timeoutMs: o.timeoutMs,
            ...(o.resolvConf ? { resolvConf: o.resolvConf } : {}),
          },
          o.clock,
        );
        subs.push({ name: 'redis-py-sentinel', path: 'sentinel', library: `redis-py ${driver.info.version} (Sentinel.master_for().pubsub())` });
      }
    }
    if (o.staleSubscriber && o.service) {
      subs.push({ name: 'stale', path: 'service', library: 'ioredis (plain, test only: never subscribes again)' });
      closers.push(ioredisSubscriber('stale', plain(o.service), o.channel, o.clock, ops, false));
    }
  } catch (e) {
    closers.forEach((c) => c());
    await driver?.stop().catch(() => {});
    throw e;
  }

  const all = (): PubSubOp[] => [...ops, ...(driver ? driver.allOps() : [])];
  const until = Date.now() + 10_000;
  while (Date.now() < until && !subs.every((s) => all().some((x) => x.process === s.name && x.f === 'subscribed'))) await new Promise((r) => setTimeout(r, 50));

  const pub = sentinelClient(sentinelOpts);
  pub.on('error', () => {});
  let n = 0;
  let inFlight = 0;
  const periodMs = 1000 / o.rateHz;
  const t0 = Date.now();
  const tick = (): void => {
    const due = Math.floor((Date.now() - t0) / periodMs) + 1;
    for (; n < due && inFlight < 100; n++) {
      const key = `${o.keyPrefix}:${n}`;
      ops.push({ process: publisher, type: 'invoke', f: 'publish', key, ns: o.clock.nowNs() });
      inFlight++;
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        ops.push({ process: publisher, type: 'info', f: 'publish', key, ns: o.clock.nowNs(), error: `no reply within ${o.timeoutMs} ms (client timeout)` });
      }, o.timeoutMs);
      pub.publish(o.channel, key).then(
        (receivers) => {
          clearTimeout(timer);
          inFlight--;
          // A late reply: PUBLISH already ran and delivered; the message counts as published.
          ops.push({ process: publisher, type: 'ok', f: 'publish', key, ns: o.clock.nowNs(), receivers: Number(receivers) });
        },
        (e: unknown) => {
          clearTimeout(timer);
          inFlight--;
          if (!settled)
            ops.push({ process: publisher, type: 'fail', f: 'publish', key, ns: o.clock.nowNs(), error: String((e as Error).message ?? e).slice(0, 300) });
        },
      );
    }
    n = Math.max(n, due);
  };
  const interval = setInterval(tick, Math.max(1, Math.floor(periodMs)));
  const bound = setTimeout(() => clearInterval(interval), o.durationMs).unref();

  let stopping: Promise<void> | null = null;
  return {
    history: () => ({ publisher, subscribers: subs, ops: all().sort((a, b) => a.ns - b.ns) }),
    skipped,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(interval);
        clearTimeout(bound);
        const drainUntil = Date.now() + o.timeoutMs;
        while (inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
        // Let the last messages reach the subscribers.
        await new Promise((r) => setTimeout(r, 200));
        pub.disconnect();
        closers.forEach((c) => c());
        await driver?.stop();
      })()),
  };
}
