// Short-lived ioredis connections for probing nodes and sentinels: fail fast, never retry silently.
import { Redis } from 'ioredis';
import type { Endpoint } from '../model/endpoint.ts';
import { redisLogin, sentinelLogin } from './security.ts';

export interface ProbeOptions {
  password?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

/** A connection that errors instead of queueing while the peer is away, for polling state. */
export function probeClient(e: Endpoint, opts: ProbeOptions = {}): Redis {
  const client = new Redis({
    host: e.host,
    port: e.port,
    password: opts.password,
    // With a password: a redis node (as the ACL user under the secure profile); without: a sentinel.
    ...(opts.password ? redisLogin() : sentinelLogin()),
    connectTimeout: opts.connectTimeoutMs ?? 1000,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
    // Probes want the server's own answer (NOAUTH, LOADING, …), not ioredis's ready check in front of it.
    enableReadyCheck: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  // Errors surface through the command promises; an unhandled 'error' event would crash the harness.
  client.on('error', () => {});
  return client;
}

/** Run `fn` with a fresh probe connection and always close it. */
export async function withProbe<T>(e: Endpoint, opts: ProbeOptions, fn: (c: Redis) => Promise<T>): Promise<T> {
  const client = probeClient(e, opts);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** Parse INFO output into a flat record. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** Parse a flat [k1, v1, k2, v2, …] reply (SENTINEL MASTER, SENTINEL REPLICAS entries). */
export function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
