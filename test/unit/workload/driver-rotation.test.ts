// The drivers' side of a rotation: each reads its application's password file and its certificate files at each
// new connection (not once at start), so a rotated password or certificate reaches it at its next reconnection.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeCert } from '../../../src/targets/tls-certs.ts';
import {
  currentPassword,
  ioredisPasswordFromFile,
  nodeRedisCredentials,
  nodeRedisSentinelLogin,
  readSecretFile,
  rereadingTls,
} from '../../../src/workload/drivers/node-loop.ts';
import { SYSTEM_PYTHON } from '../../../src/workload/drivers/registry.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sc-driver-rotation-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a kubelet does to a mounted Secret's file: the new content renamed over it. */
function replace(file: string, content: string): void {
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

describe('password file (Node drivers)', () => {
  it('reads the file at each call, one trailing newline dropped', () => {
    const f = path.join(dir, 'livekit');
    replace(f, 'old-password-1\n');
    const cfg = { password: undefined, passwordFile: f };
    expect(currentPassword(cfg)).toBe('old-password-1');
    replace(f, 'new-password-2');
    expect(currentPassword(cfg)).toBe('new-password-2');
    expect(readSecretFile(f)).toBe('new-password-2');
    expect(currentPassword({ password: 'env-pw', passwordFile: undefined })).toBe('env-pw');
  });

  it('node-redis: a credentialsProvider asked at each handshake reads the file then; no password in the options', async () => {
    const f = path.join(dir, 'nr');
    replace(f, 'first-pw-aaaa');
    const cfg = { username: 'livekit', password: undefined, passwordFile: f };
    const login = nodeRedisCredentials(cfg) as { credentialsProvider: { type: string; credentials: () => Promise<{ username?: string; password?: string }> } };
    expect(login).not.toHaveProperty('password');
    expect(login.credentialsProvider.type).toBe('async-credentials-provider');
    expect(await login.credentialsProvider.credentials()).toEqual({ username: 'livekit', password: 'first-pw-aaaa' });
    replace(f, 'second-pw-bbbb');
    expect(await login.credentialsProvider.credentials()).toEqual({ username: 'livekit', password: 'second-pw-bbbb' });
    const sentinel = nodeRedisSentinelLogin({ ...cfg, tls: undefined, db: 1 });
    expect(sentinel.nodeClientOptions).toMatchObject({ database: 1, credentialsProvider: { type: 'async-credentials-provider' } });
    expect(sentinel.nodeClientOptions).not.toHaveProperty('password');
    // Without a file: username and password as before.
    expect(nodeRedisCredentials({ username: 'livekit', password: 'env-pw', passwordFile: undefined })).toEqual({ username: 'livekit', password: 'env-pw' });
  });

  it("ioredis: the client's options.password (read at each connection, its Sentinel connector sharing the object) is the file's content", () => {
    const f = path.join(dir, 'io');
    replace(f, 'io-first-pw');
    const client = new Redis({ sentinels: [{ host: '127.0.230.1', port: 1 }], name: 'mymaster', lazyConnect: true });
    try {
      ioredisPasswordFromFile(client.options, { password: undefined, passwordFile: f });
      expect(client.options.password).toBe('io-first-pw');
      replace(f, 'io-second-pw');
      expect(client.options.password).toBe('io-second-pw');
    } finally {
      client.disconnect();
    }
  });
});

describe('certificate files (Node drivers): a real TLS handshake per connection', () => {
  it('presents the client certificate the file holds at each new connection, also through a shallow copy of the options', async () => {
    const ca = await makeCa(path.join(dir, 'ca'));
    const server = await makeCert(path.join(dir, 'srv'), ca, { name: 'server', ips: ['127.0.230.1'] });
    const a = await makeCert(path.join(dir, 'a'), ca, { name: 'client-a' });
    const b = await makeCert(path.join(dir, 'b'), ca, { name: 'client-b' });
    const mounted = { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'client.crt'), key: path.join(dir, 'client.key') };
    copyFileSync(ca.cert, mounted.ca);
    copyFileSync(a.cert, mounted.cert);
    copyFileSync(a.key, mounted.key);
    const { readFileSync } = await import('node:fs');
    const seen: string[] = [];
    const srv = createServer(
      { ca: readFileSync(ca.cert), cert: readFileSync(server.cert), key: readFileSync(server.key), requestCert: true, rejectUnauthorized: true },
      (s: TLSSocket) => {
        seen.push(String(s.getPeerCertificate().subject.CN));
        s.end();
      },
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.230.1', r));
    const port = (srv.address() as { port: number }).port;
    // node-redis spreads its socket options once (withDefaults), ioredis Object.assigns them at each connect.
    const options = { ...{ ...rereadingTls(mounted) } };
    const handshake = () =>
      new Promise<void>((resolve, reject) => {
        const c = connect({ host: '127.0.230.1', port, ...options }, () => c.on('close', () => resolve()).resume());
        c.on('error', reject);
      });
    try {
      await handshake();
      replace(mounted.cert, readFileSync(b.cert, 'utf8'));
      replace(mounted.key, readFileSync(b.key, 'utf8'));
      await handshake();
    } finally {
      srv.close();
    }
    expect(seen).toEqual(['client-a', 'client-b']);
  });
});

const PY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/workload/drivers/python');

describe('password file (Python drivers, redis-py 4.3.4)', () => {
  it("a pool's connections read the file just before each connect's AUTH (the same connection object reconnecting too)", () => {
    const f = path.join(dir, 'synapse');
    replace(f, 'py-first-pw\n');
    // on_connect of a stand-in base records the password it would AUTH with (no Redis: the AUTH itself is redis-py's).
    const probe = `
import json, os
from redis.connection import ConnectionPool, Connection
from driver_common import Config
seen = []
class Base(Connection):
    def on_connect(self):
        seen.append(self.password)
cfg = Config()
pool = cfg.use_password_file(ConnectionPool(connection_class=Base, host="127.0.230.1", username="synapse"))
conn = pool.make_connection()
conn.on_connect()
os.replace(os.environ["NEXT"], os.environ["REDIS_PASSWORD_FILE"])
conn.on_connect()
print(json.dumps({"seen": seen, "cls": pool.connection_class.__name__, "plain": Config().reading_password.__name__}))
`;
    replace(`${f}.next`, 'py-second-pw');
    const out = JSON.parse(
      execFileSync(SYSTEM_PYTHON, ['-c', probe], {
        cwd: PY_DIR,
        env: { PATH: '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1', REDIS_PASSWORD_FILE: f, NEXT: `${f}.next` },
        encoding: 'utf8',
        timeout: 20_000,
      }),
    ) as { seen: string[]; cls: string };
    expect(out.seen).toEqual(['py-first-pw', 'py-second-pw']);
    expect(out.cls).toBe('BaseReadingPasswordFile');
  });

  it('without REDIS_PASSWORD_FILE the connection class is unchanged', () => {
    const out = execFileSync(
      SYSTEM_PYTHON,
      ['-c', 'from redis.connection import Connection\nfrom driver_common import Config\nprint(Config().reading_password(Connection) is Connection)'],
      { cwd: PY_DIR, env: { PATH: '/usr/bin:/bin', PYTHONDONTWRITEBYTECODE: '1', REDIS_PASSWORD: 'env-pw' }, encoding: 'utf8', timeout: 20_000 },
    );
    expect(out.trim()).toBe('True');
  });
});
