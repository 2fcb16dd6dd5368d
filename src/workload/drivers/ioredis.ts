// Driver: ioredis in Sentinel mode (failoverDetector off, ioredis's default), writing through the master it resolves.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { configFromEnv, ioredisPasswordFromFile, runLoop } from './node-loop.ts';

const cfg = configFromEnv();
const version = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('ioredis/package.json'), 'utf8')) as { version: string }).version;
// Under the secure profile: TLS to the sentinels and to the master, the master as the ACL user.
const login = cfg.tls ? { tls: cfg.tls, sentinelTLS: cfg.tls, enableTLSForSentinelMode: true } : {};
// lazyConnect: the password getter (REDIS_PASSWORD_FILE read at each connection) goes in before the first connection.
const options = { sentinels: cfg.sentinels, name: cfg.masterName, password: cfg.password, username: cfg.username, db: cfg.db, lazyConnect: true, ...login };
const client = new Redis(options);
client.on('error', () => {});
ioredisPasswordFromFile(client.options, cfg);
void client.connect().catch(() => {});
// READS=1: replica reads through a second client in Sentinel mode with role 'slave', as an application that spreads its reads does.
const replica = cfg.reads ? new Redis({ ...options, role: 'slave' }) : null;
replica?.on('error', () => {});
if (replica) {
  ioredisPasswordFromFile(replica.options, cfg);
  void replica.connect().catch(() => {});
}
const peer = (c: Redis): string | undefined => {
  const s = c.stream as { remoteAddress?: string; remotePort?: number } | undefined;
  return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : undefined;
};

await runLoop(cfg, {
  hello: {
    client: 'ioredis',
    version,
    node: process.version,
    api: 'new Redis({ sentinels, name })',
    ...(replica ? { reads: "role 'master' + role 'slave'" } : {}),
  },
  write: async (key) => {
    await client.set(key, '1');
    return peer(client);
  },
  session: {
    setex: async (key, ttl, value) => {
      await client.setex(key, ttl, value);
      return peer(client);
    },
    get: async (key) => ({ value: await client.get(key), node: peer(client) }),
    ...(replica ? { replicaGet: async (key: string) => ({ value: await replica.get(key), node: peer(replica) }) } : {}),
  },
  classify: (err) => (/^(READONLY|NOAUTH|WRONGPASS|NOPERM|OOM|MISCONF|NOREPLICAS|ERR|LOADING|MASTERDOWN)\b/.test(err.message) ? 'fail' : 'info'),
  close: async () => {
    client.disconnect();
    replica?.disconnect();
  },
});
