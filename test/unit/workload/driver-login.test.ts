// How each real-client driver logs in under the secure profile (and plainly without it): node-redis's
// createSentinel options, and Django's django-redis settings as django-redis turns them into pools (no Redis).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeRedisSentinelLogin, nodeRedisTls } from '../../../src/workload/drivers/node-loop.ts';
import { SYSTEM_PYTHON } from '../../../src/workload/drivers/registry.ts';

const PEM = { ca: ['CA-PEM'], cert: ['CERT-PEM'], key: ['KEY-PEM'] };

describe('node-redis createSentinel login', () => {
  it('plain: the nodes get the password and db, the sentinels nothing', () => {
    expect(nodeRedisSentinelLogin({ tls: undefined, username: undefined, password: 'pw', passwordFile: undefined, db: 4 })).toEqual({
      nodeClientOptions: { username: undefined, password: 'pw', database: 4 },
    });
    expect(nodeRedisTls({ tls: undefined })).toBeUndefined();
  });

  it('secure: TLS sockets to the nodes and to the sentinels, the ACL user on the nodes only', () => {
    const o = nodeRedisSentinelLogin({ tls: PEM, username: 'admin', password: 'pw', passwordFile: undefined, db: 4 });
    expect(o.nodeClientOptions).toEqual({ username: 'admin', password: 'pw', database: 4, socket: { tls: true, ...PEM } });
    expect(o.sentinelClientOptions).toEqual({ socket: { tls: true, ...PEM } });
  });
});

const PY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/workload/drivers/python');
/** The pools django-redis builds from django_cache's settings (pools only: nothing connects). */
const PROBE = `
import json, sys
from django.conf import settings
from driver_common import Config, django_cache
cfg = Config()
caches, factory = django_cache(cfg, sys.argv[1])
settings.configure(CACHES={"default": caches}, DJANGO_REDIS_CONNECTION_FACTORY=factory)
import django
django.setup()
from django.core.cache import cache
client = cache.client
pool = client.get_client(write=True).connection_pool
kw = pool.connection_kwargs
out = {"location": caches["LOCATION"], "pool": type(pool).__name__, "conn": pool.connection_class.__name__,
       "username": kw.get("username"), "ca": kw.get("ssl_ca_certs"), "password_set": kw.get("password") == cfg.password,
       "key": cache.make_key("k")}
sentinel = getattr(client.connection_factory, "_sentinel", None)
if sentinel is not None:
    c = sentinel.sentinels[0].connection_pool
    out["sentinel_conn"] = c.connection_class.__name__
    out["sentinel_username"] = c.connection_kwargs.get("username")
    out["sentinel_password"] = c.connection_kwargs.get("password")
print(json.dumps(out))
`;

function djangoPools(mode: 'service' | 'sentinel', secure: boolean, passwordFile?: string): Record<string, unknown> {
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    PYTHONDONTWRITEBYTECODE: '1',
    SENTINELS: '127.0.9.1:26379 127.0.9.2:26379',
    MASTER_NAME: 'mymaster',
    SERVICE: '127.0.9.250:6379',
    DB: '2',
    ...(passwordFile ? { REDIS_PASSWORD_FILE: passwordFile } : { REDIS_PASSWORD: 'pw-unit-1234' }),
    ...(secure
      ? { KEY_PREFIX: 'django:', REDIS_USER: 'django', TLS_CA: '/nonexistent/ca.crt', TLS_CERT: '/nonexistent/c.crt', TLS_KEY: '/nonexistent/c.key' }
      : {}),
  };
  return JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', PROBE, mode], { cwd: PY_DIR, env, encoding: 'utf8', timeout: 20_000 })) as Record<string, unknown>;
}

describe('django-redis settings (django_cache), as django-redis builds its pools', () => {
  it("service, plain: the seed's redis:// LOCATION, plain connections, no user", () => {
    expect(djangoPools('service', false)).toEqual({
      location: 'redis://127.0.9.250:6379/2',
      pool: 'ConnectionPool',
      conn: 'Connection',
      username: null,
      ca: null,
      password_set: true,
      key: 'driver:1:k',
    });
  });

  it("service, secure: rediss:// with the CA and client certificate, as the ACL user; keys under the driver's prefix (the user's pattern)", () => {
    expect(djangoPools('service', true)).toMatchObject({
      location: 'rediss://127.0.9.250:6379/2',
      conn: 'SSLConnection',
      username: 'django',
      key: 'django:1:k',
      ca: '/nonexistent/ca.crt',
      password_set: true,
    });
  });

  it('sentinel, secure: Sentinel-managed TLS connections to the master as the ACL user; TLS to the sentinels without a login', () => {
    expect(djangoPools('sentinel', true)).toEqual({
      location: 'redis://mymaster/2',
      pool: 'SentinelConnectionPool',
      conn: 'SentinelManagedSSLConnection',
      username: 'django',
      ca: '/nonexistent/ca.crt',
      password_set: true,
      key: 'django:1:k',
      sentinel_conn: 'SSLConnection',
      sentinel_username: null,
      sentinel_password: null,
    });
  });

  it('secure with REDIS_PASSWORD_FILE: the class django-redis would pick, reading the password file at each connect; no password in the settings', () => {
    expect(djangoPools('service', true, '/nonexistent/django')).toMatchObject({
      location: 'rediss://127.0.9.250:6379/2',
      pool: 'ConnectionPool',
      conn: 'SSLConnectionReadingPasswordFile',
      username: 'django',
      password_set: true,
    });
    expect(djangoPools('sentinel', true, '/nonexistent/django')).toMatchObject({
      pool: 'SentinelConnectionPool',
      conn: 'SentinelManagedSSLConnectionReadingPasswordFile',
      username: 'django',
      sentinel_conn: 'SSLConnection',
      sentinel_password: null,
    });
  });

  it('sentinel, plain: Sentinel-managed plain connections; the sentinels plain', () => {
    expect(djangoPools('sentinel', false)).toMatchObject({ pool: 'SentinelConnectionPool', conn: 'SentinelManagedConnection', sentinel_conn: 'Connection' });
  });
});
