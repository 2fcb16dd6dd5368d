// Driver: ioredis in Sentinel mode (failoverDetector off, ioredis's default), writing through the master it resolves.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { configFromEnv, runLoop } from './node-loop.ts';

const cfg = configFromEnv();
const version = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('ioredis/package.json'), 'utf8')) as { version: string }).version;
// Under the secure profile: TLS to the sentinels and to the master, the master as the ACL user.
const login = cfg.tls ? { tls: cfg.tls, sentinelTLS: cfg.tls, enableTLSForSentinelMode: true } : {};
const client = new Redis({ sentinels: cfg.sentinels, name: cfg.masterName, password: cfg.password, username: cfg.username, db: cfg.db, ...login });
client.on('error', () => {});

await runLoop(cfg, {
  hello: { client: 'ioredis', version, node: process.version, api: 'new Redis({ sentinels, name })' },
  write: async (key) => {
    await client.set(key, '1');
    const s = client.stream as { remoteAddress?: string; remotePort?: number } | undefined;
    return s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : undefined;
  },
  classify: (err) => (/^(READONLY|NOAUTH|WRONGPASS|NOPERM|OOM|MISCONF|NOREPLICAS|ERR|LOADING|MASTERDOWN)\b/.test(err.message) ? 'fail' : 'info'),
  close: async () => {
    client.disconnect();
  },
});
