// Under the secure profile the real-client drivers log in as their application's ACL user (its db, its keys, its
// client certificate), not as the harness's admin; a driver that cannot is skipped with the reason.
import { afterEach, describe, expect, it } from 'vitest';
import { APP_USERS } from '../../../src/config/secure.ts';
import { setClientSecurity } from '../../../src/redis/security.ts';
import { driverEnv, type DriverConfig } from '../../../src/workload/drivers/driver.ts';
import { DRIVER_KINDS } from '../../../src/workload/drivers/registry.ts';
import { driverLogin } from '../../../src/workload/app-login.ts';
import { appDriverLogin, type AppLogin } from '../../../src/workload/registry.ts';

const logins: Record<string, AppLogin> = Object.fromEntries(
  Object.keys(APP_USERS).map((app) => [app, { username: app, password: `pw-of-${app}`, tls: { ca: '/ca.crt', cert: `/${app}.crt`, key: `/${app}.key` } }]),
);

const config: DriverConfig = {
  sentinels: [{ host: '127.0.0.1', port: 26379 }],
  masterName: 'mymaster',
  password: 'admin-pw',
  db: 0,
  rateHz: 10,
  durationMs: 1000,
  keyPrefix: 'sc:run',
  timeoutMs: 1000,
};

let undo: (() => void) | null = null;
afterEach(() => undo?.());

describe('drivers under the secure profile', () => {
  it('each driver kind stands for one application: Python redis-py for Synapse, django-redis for Django, the others for LiveKit', () => {
    const byApp = (app: string) =>
      Object.values(DRIVER_KINDS)
        .filter((k) => k.app === app)
        .map((k) => k.kind)
        .sort();
    expect(byApp('synapse')).toEqual(['redis-py', 'redis-py-service']);
    expect(byApp('django')).toEqual(['django-sentinel', 'django-service']);
    expect(byApp('livekit')).toEqual(['ioredis', 'node-redis', 'node-redis-service', 'ruby-redis']);
  });

  it("logs a driver in as its application's user, on its db and key pattern", () => {
    for (const k of Object.values(DRIVER_KINDS).filter((x) => x.secure)) {
      const login = appDriverLogin('w', k.kind, k.app, k.secure, (app) => logins[app]!);
      expect(login).toEqual({ ...logins[k.app], db: APP_USERS[k.app].db, keyPrefix: `${k.app}:` });
    }
  });

  it('every registered driver speaks TLS with a client certificate and an ACL user', () => {
    expect(Object.values(DRIVER_KINDS).filter((k) => !k.secure)).toEqual([]);
  });

  it('skips (ABILITY_MISSING) a driver that does not speak TLS with a client certificate, naming it', () => {
    expect(() => appDriverLogin('w', 'legacy-client', 'livekit', false, (app) => logins[app]!)).toThrow(
      expect.objectContaining({ code: 'ABILITY_MISSING', message: expect.stringContaining('driver legacy-client does not yet speak TLS') }),
    );
  });

  it("puts the application's user and certificate in the driver's environment (paths only), else the harness's", () => {
    undo = setClientSecurity({
      tls: { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' },
      username: 'admin',
      files: { ca: '/ca.crt', cert: '/harness.crt', key: '/harness.key' },
    });
    const own = driverEnv(config);
    expect(own).toMatchObject({ REDIS_USER: 'admin', TLS_CERT: '/harness.crt', TLS_KEY: '/harness.key', DB: '0', REDIS_PASSWORD: 'admin-pw' });
    const app = driverEnv({ ...config, password: 'pw-of-livekit', db: 1, login: { username: 'livekit', tls: logins.livekit!.tls } });
    expect(app).toMatchObject({
      REDIS_USER: 'livekit',
      TLS_CA: '/ca.crt',
      TLS_CERT: '/livekit.crt',
      TLS_KEY: '/livekit.key',
      DB: '1',
      REDIS_PASSWORD: 'pw-of-livekit',
    });
    // The key's content never goes in the environment.
    expect(Object.values(app).join('\n')).not.toContain('KEY PEM');
  });

  it("gives a driver its application's file of the ACL Secret instead of the password: neither the value nor REDIS_PASSWORD in its environment", () => {
    const login = { ...logins.livekit!, passwordFile: '/run/secrets/redis-acl/livekit' };
    expect(driverLogin(login)).toEqual({ username: 'livekit', tls: logins.livekit!.tls, passwordFile: '/run/secrets/redis-acl/livekit' });
    const env = driverEnv({ ...config, password: 'pw-of-livekit', db: 1, login: driverLogin(login) });
    expect(env.REDIS_PASSWORD_FILE).toBe('/run/secrets/redis-acl/livekit');
    expect(env).not.toHaveProperty('REDIS_PASSWORD');
    expect(Object.values(env).join('\n')).not.toContain('pw-of-livekit');
    // Without a file (kind / kube, whose Secret is in the pods only) the password itself, as before.
    expect(driverEnv({ ...config, password: 'pw-of-livekit', login: driverLogin(logins.livekit!) })).toMatchObject({ REDIS_PASSWORD: 'pw-of-livekit' });
  });
});
