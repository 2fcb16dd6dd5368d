// The secure profile against the running deployment: nothing gets in without TLS and a certificate of the
// run's CA, the certificates name what clients connect to, each application user can do what it needs and
// nothing it must not, and the default user cannot log in. Each probe is a function of an endpoint and
// credentials, so a test can aim it at a deliberately weakened server and see it fail.
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { APP_FORBIDDEN, EXPORTER_COMMANDS, EXPORTER_FORBIDDEN, type AppUser } from '../../config/secure.ts';
import type { Endpoint } from '../../model/endpoint.ts';
import { clientCertProbe, pingAndListen, type Probe } from '../../redis/tls-probe.ts';

export interface PemFiles {
  ca: string;
  cert: string;
  key: string;
}

const REPLY_WAIT_MS = 1500;

export type { Probe };

/** A plaintext client: PING over plain TCP. Refused when the server never answers in RESP. */
export function plaintextProbe(e: Endpoint): Promise<Probe> {
  return pingAndListen(net.connect({ host: e.host, port: e.port }), 'connect');
}

/**
 * A client presenting `client` (a certificate of another CA): the server's own certificate is verified against
 * `serverCa`, so a refusal is the server's, not the client's.
 */
export function foreignCertProbe(e: Endpoint, serverCa: string, client: { cert: string; key: string }): Promise<Probe> {
  return clientCertProbe(e, serverCa, client);
}

/** The names (DNS and IP) of the certificate the server at `e` presents. */
export function servedNames(e: Endpoint, pem: PemFiles): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: e.host, port: e.port, ca: pem.ca, cert: pem.cert, key: pem.key, checkServerIdentity: () => undefined }, () => {
      const san = sock.getPeerCertificate().subjectaltname ?? '';
      sock.destroy();
      resolve(sanNames(san));
    });
    sock.setTimeout(REPLY_WAIT_MS, () => sock.destroy(new Error('no TLS handshake within 1.5 s')));
    sock.on('error', reject);
  });
}

/** "DNS:a, IP Address:1.2.3.4" → ["a", "1.2.3.4"]. */
export function sanNames(san: string): string[] {
  return san
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address|IP):/, ''));
}

export async function readPem(files: { ca: string; cert: string; key: string }): Promise<PemFiles> {
  return { ca: await readFile(files.ca, 'utf8'), cert: await readFile(files.cert, 'utf8'), key: await readFile(files.key, 'utf8') };
}

/** A one-off TLS connection as `username` (none: no AUTH at all). */
async function withLogin<T>(e: Endpoint, pem: PemFiles, login: { username?: string; password?: string }, fn: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis({
    host: e.host,
    port: e.port,
    ...(login.username ? { username: login.username } : {}),
    ...(login.password ? { password: login.password } : {}),
    tls: { ca: pem.ca, cert: pem.cert, key: pem.key },
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
    commandTimeout: 2000,
  });
  c.on('error', () => {});
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** A command's answer as text: "OK", "PONG", or the error's first word and message. */
async function answer(c: Redis, ...args: string[]): Promise<string> {
  try {
    const r = await c.call(args[0]!, ...args.slice(1));
    return String(r);
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}

export interface AppUserResult {
  /** Commands it needs that it was refused (empty when all went through). */
  deniedNeeds: string[];
  /** Commands and databases it must not have that it got. */
  granted: string[];
  /** A login failure, if it could not log in at all. */
  loginError?: string;
}

/**
 * An application user on the master: it must log in and run SELECT of its db, SET / GET on its keys, PUBLISH on
 * its channels; it must be refused another db, another key, CONFIG GET (run for real), and FLUSHALL, FLUSHDB, DEBUG,
 * SHUTDOWN and CONFIG SET (asked as admin with ACL DRYRUN, which decides without running them).
 */
export async function appUserProbe(
  master: Endpoint,
  pem: PemFiles,
  app: { name: string; password: string; spec: AppUser },
  admin: { username: string; password: string },
): Promise<AppUserResult> {
  const prefix = app.spec.keys.replace(/\*$/, '');
  const otherDb = String((app.spec.db + 1) % 16);
  let r: AppUserResult;
  try {
    r = await withLogin(master, pem, { username: app.name, password: app.password }, async (c) => {
      const needs: Array<[string, string[], (a: string) => boolean]> = [
        [`SELECT ${app.spec.db}`, ['SELECT', String(app.spec.db)], (a) => a === 'OK'],
        [`SET ${prefix}conformance`, ['SET', `${prefix}conformance`, '1'], (a) => a === 'OK'],
        [`GET ${prefix}conformance`, ['GET', `${prefix}conformance`], (a) => a === '1'],
        [`PUBLISH ${prefix}conformance`, ['PUBLISH', `${prefix}conformance`, 'x'], (a) => /^\d+$/.test(a)],
      ];
      const deniedNeeds: string[] = [];
      for (const [what, args, ok] of needs) {
        const a = await answer(c, ...args);
        if (!ok(a)) deniedNeeds.push(`${what}: ${a}`);
      }
      const granted: string[] = [];
      for (const [what, args] of [
        [`SELECT ${otherDb}`, ['SELECT', otherDb]],
        ['SET conformance:other-app', ['SET', 'conformance:other-app', '1']],
        ['CONFIG GET maxmemory', ['CONFIG', 'GET', 'maxmemory']],
      ] as const) {
        const a = await answer(c, ...args);
        if (!a.startsWith('NOPERM')) granted.push(`${what}: ${a}`);
      }
      await answer(c, 'DEL', `${prefix}conformance`);
      return { deniedNeeds, granted };
    });
  } catch (e) {
    return { deniedNeeds: [], granted: [], loginError: (e as Error).message.split('\n')[0]! };
  }
  await withLogin(master, pem, admin, async (c) => {
    for (const cmd of [
      ...APP_FORBIDDEN.map((f) => (f === 'config' ? ['CONFIG', 'SET', 'maxmemory', '1'] : f === 'debug' ? ['DEBUG', 'SLEEP', '0'] : [f.toUpperCase()])),
      ['KEYS', '*'],
    ]) {
      const a = await answer(c, 'ACL', 'DRYRUN', app.name, ...cmd);
      if (a === 'OK') r.granted.push(`${cmd.join(' ')} (ACL DRYRUN: OK)`);
    }
  });
  return r;
}

/** The client name the exporter probe sets (CLIENT SETNAME, which the exporter user has): its refusals in ACL LOG are told apart from the sidecars'. */
export const EXPORTER_PROBE_NAME = 'sc-security-probe';

/**
 * Refusals run for real (a refusal changes nothing; none is a command the sidecar sends, so its ACL LOG entry, which a
 * node merges with a same command's by the same user, never carries the probe's name over a sidecar's refusal); the
 * rest, CONFIG GET among them, are asked with ACL DRYRUN, which logs nothing.
 */
const RUN_FOR_REAL = new Set(['GET', 'KEYS']);

/**
 * The exporter sidecar's user on a node: it must log in and run what redis_exporter sends (EXPORTER_COMMANDS; CLIENT
 * SETNAME with the probe's own name), and be refused GET and KEYS (run for real: what an allowed one answered is
 * never shown) and SET, FLUSHALL, CONFIG GET masterauth, CONFIG SET, CLIENT KILL, SUBSCRIBE (asked as admin with ACL
 * DRYRUN).
 */
export async function exporterUserProbe(
  node: Endpoint,
  pem: PemFiles,
  user: { name: string; password: string },
  admin: { username: string; password: string },
): Promise<AppUserResult> {
  const label = (cmd: readonly string[]) =>
    cmd.slice(0, cmd[0] === 'CONFIG' || cmd[0] === 'CLIENT' || cmd[0] === 'LATENCY' || cmd[0] === 'SLOWLOG' ? 2 : 1).join(' ');
  let r: AppUserResult;
  try {
    r = await withLogin(node, pem, { username: user.name, password: user.password }, async (c) => {
      const deniedNeeds: string[] = [];
      for (const cmd of EXPORTER_COMMANDS) {
        const args = cmd[0] === 'CLIENT' && cmd[1] === 'SETNAME' ? ['CLIENT', 'SETNAME', EXPORTER_PROBE_NAME] : [...cmd];
        const a = await answer(c, ...args);
        if (/^(NOPERM|NOAUTH|WRONGPASS|ERR)/.test(a)) deniedNeeds.push(`${label(cmd)}: ${a.split(' ')[0]}`);
      }
      const granted: string[] = [];
      for (const cmd of EXPORTER_FORBIDDEN.filter((x) => RUN_FOR_REAL.has(label(x)))) {
        const a = await answer(c, ...cmd);
        if (!a.startsWith('NOPERM')) granted.push(`${cmd.join(' ')}: allowed`);
      }
      return { deniedNeeds, granted };
    });
  } catch (e) {
    return { deniedNeeds: [], granted: [], loginError: (e as Error).message.split('\n')[0]! };
  }
  await withLogin(node, pem, admin, async (c) => {
    for (const cmd of EXPORTER_FORBIDDEN.filter((x) => !RUN_FOR_REAL.has(label(x)))) {
      const a = await answer(c, 'ACL', 'DRYRUN', user.name, ...cmd);
      if (a === 'OK') r.granted.push(`${cmd.join(' ')} (ACL DRYRUN: OK)`);
    }
  });
  return r;
}

/** The default user: a TLS client that does not log in, or logs in as default (AUTH <password>, AUTH default <password>), must be refused. */
export async function defaultUserProbe(e: Endpoint, pem: PemFiles, somePassword: string): Promise<Probe> {
  return withLogin(e, pem, {}, async (c) => {
    const ping = await answer(c, 'PING');
    const legacy = await answer(c, 'AUTH', somePassword);
    const named = await answer(c, 'AUTH', 'default', somePassword);
    const refused = ping.startsWith('NOAUTH') && legacy.startsWith('WRONGPASS') && named.startsWith('WRONGPASS');
    return { refused, observed: `PING: ${ping.split(' ')[0]}; AUTH <password>: ${legacy.split(' ')[0]}; AUTH default <password>: ${named.split(' ')[0]}` };
  });
}
