// How the harness's own connections log in to the deployment under test: plaintext with the one password
// (the seed), or TLS with the run's CA and the harness's client certificate and an ACL user (the secure
// profile). Process-wide, like the redaction registry: a harness process tests one deployment at a time, and
// every connection it makes (probes, observers, the tracked writer, pub/sub) goes to that deployment.
import type { ConnectionOptions } from 'node:tls';
import type { RedisOptions } from 'ioredis';

export interface TlsMaterial {
  /** PEM contents (read once when the deployment comes up; the key never leaves this process's memory). */
  ca: string;
  cert: string;
  key: string;
}

export interface ClientSecurity {
  tls: TlsMaterial | null;
  /** The same material's files, for driver processes (paths only). */
  files?: { ca: string; cert: string; key: string };
  /** The ACL user for redis connections (sentinels have none: only a certificate of the CA gets in). */
  username: string | null;
}

const PLAIN: ClientSecurity = Object.freeze({ tls: null, username: null });
let current: ClientSecurity = PLAIN;

/** Set how connections log in; returns the undo (the deployment's teardown calls it). */
export function setClientSecurity(s: ClientSecurity): () => void {
  const previous = current;
  current = s;
  return () => {
    if (current === s) current = previous;
  };
}

export function clientSecurity(): ClientSecurity {
  return current;
}

/**
 * Replace the harness's TLS material in place (a certificate rotation): every connection made from now on,
 * including the reconnections of long-lived clients, presents and trusts the new material; open ones keep theirs.
 */
export function updateClientTls(m: Partial<TlsMaterial>): void {
  if (!current.tls) return;
  current.tls = { ...current.tls, ...m };
}

/**
 * Node TLS options for a connection (the server's name or address is checked against its certificate). Their
 * values are read at each handshake (ioredis copies them per connection), so a rotation reaches long-lived clients.
 */
export function tlsOptions(s: ClientSecurity = current): ConnectionOptions | undefined {
  if (!s.tls) return undefined;
  const live = s;
  const field = (k: keyof TlsMaterial) => ({ enumerable: true, get: () => live.tls?.[k] });
  return Object.defineProperties({} as ConnectionOptions, { ca: field('ca'), cert: field('cert'), key: field('key') });
}

/** ioredis options for a connection to a redis node. */
export function redisLogin(s: ClientSecurity = current): Pick<RedisOptions, 'tls' | 'username'> {
  return { ...(s.tls ? { tls: tlsOptions(s) } : {}), ...(s.username ? { username: s.username } : {}) };
}

/** ioredis options for a connection to a sentinel. */
export function sentinelLogin(s: ClientSecurity = current): Pick<RedisOptions, 'tls'> {
  return s.tls ? { tls: tlsOptions(s) } : {};
}

/** ioredis options for a Sentinel-aware client: TLS to the sentinels and to the master they name, as the ACL user. */
export function sentinelClientLogin(s: ClientSecurity = current): Pick<RedisOptions, 'tls' | 'username' | 'sentinelTLS' | 'enableTLSForSentinelMode'> {
  if (!s.tls) return s.username ? { username: s.username } : {};
  return { tls: tlsOptions(s), sentinelTLS: tlsOptions(s), enableTLSForSentinelMode: true, ...(s.username ? { username: s.username } : {}) };
}
