// Short-lived ioredis connections for probing nodes and sentinels: fail fast, never retry silently.
import { Redis } from 'ioredis';
import type { Endpoint } from '../model/endpoint.ts';
import { HarnessError } from '../errors.ts';
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

/** Parse INFO output into a flat record; anything but text is a clear error. */
export function parseInfo(text: unknown): Record<string, string> {
  if (typeof text !== 'string' && !Buffer.isBuffer(text)) throw malformed('INFO', 'text', text);
  const out: Record<string, string> = {};
  for (const line of String(text).split(/\r?\n/)) {
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

/** What a reply was, for an error message: its type and, when short, its start (never more than 60 characters). */
function shape(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (Buffer.isBuffer(v)) return `${v.length} bytes`;
  const text = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v).slice(0, 40);
  return `${typeof v} ${text}`;
}

function malformed(command: string, expected: string, got: unknown): HarnessError {
  return new HarnessError('PROCESS_FAILED', `malformed reply to ${command}: expected ${expected}, got ${shape(got)}`);
}

const scalar = (v: unknown): v is string | number | Buffer => typeof v === 'string' || typeof v === 'number' || Buffer.isBuffer(v);

/**
 * A SENTINEL MASTER / REPLICAS / SENTINELS entry ([field, value, …]), strictly: a list of an even length whose
 * fields and values are all scalars, else a clear error naming the command.
 */
export function sentinelEntry(reply: unknown, command: string): Record<string, string> {
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw malformed(command, 'a list of field / value pairs', reply);
  const bad = reply.find((x) => !scalar(x));
  if (bad !== undefined) throw malformed(command, 'scalar fields and values', bad);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** A one-line reply (a status or an error's text, as CKQUORUM's): text, else a clear error naming the command. */
export function scalarReply(reply: unknown, command: string): string {
  if (!scalar(reply)) throw malformed(command, 'a line of text', reply);
  return String(reply);
}

/** A list of such entries (SENTINEL MASTERS / REPLICAS / SENTINELS). */
export function sentinelEntries(reply: unknown, command: string): Array<Record<string, string>> {
  if (!Array.isArray(reply)) throw malformed(command, 'a list of entries', reply);
  return reply.map((e, i) => sentinelEntry(e, `${command} (entry ${i + 1})`));
}

/** SENTINEL GET-MASTER-ADDR-BY-NAME: null (no such master), or [host, port] with a port in 1-65535. */
export function masterAddrReply(reply: unknown): { host: string; port: number } | null {
  const command = 'SENTINEL GET-MASTER-ADDR-BY-NAME';
  if (reply === null) return null;
  if (!Array.isArray(reply) || reply.length !== 2 || !scalar(reply[0]) || !scalar(reply[1])) throw malformed(command, 'null or [host, port]', reply);
  const host = String(reply[0]);
  const port = Number(String(reply[1]));
  if (host === '' || /\s/.test(host)) throw malformed(command, 'a host name or address', reply[0]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw malformed(command, 'a port in 1-65535', reply[1]);
  return { host, port };
}
