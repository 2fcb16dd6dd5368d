// Driver: node-redis's Sentinel client (createSentinel from npm redis), writing through the master it tracks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createSentinel } from 'redis';
import { configFromEnv, nodeRedisSentinelLogin, runLoop } from './node-loop.ts';

const cfg = configFromEnv();
const version = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('redis/package.json'), 'utf8')) as { version: string }).version;
const sentinel = createSentinel({
  name: cfg.masterName,
  sentinelRootNodes: cfg.sentinels,
  // Under the secure profile: TLS to the sentinels and to the nodes they name, the nodes as the ACL user.
  ...nodeRedisSentinelLogin(cfg),
  // READS=1: a replica pool, so read-only commands (GET) go to a replica, as node-redis routes them; sessions read
  // their own writes on the master through a lease (sentinel.use).
  ...(cfg.reads ? { replicaPoolSize: 1 } : {}),
});
// Without a listener an 'error' event (a node going away) would crash the process.
let errors = 0;
sentinel.on('error', () => {
  errors++;
});
await sentinel.connect();

const node = (): string | undefined => {
  const m = sentinel.getMasterNode();
  return m ? `${m.host}:${m.port}` : undefined;
};

await runLoop(cfg, {
  hello: { client: 'node-redis', version, node: process.version, api: 'createSentinel', ...(cfg.reads ? { reads: 'replicaPoolSize 1 + use()' } : {}) },
  write: async (key) => {
    await sentinel.set(key, '1');
    // The master the sentinel object tracks when the reply arrives (node-redis exposes no per-reply peer).
    return node();
  },
  session: {
    setex: async (key, ttl, value) => {
      await sentinel.setEx(key, ttl, value);
      return node();
    },
    get: async (key) => ({ value: await sentinel.use((c) => c.get(key)), node: node() }),
    replicaGet: async (key) => ({ value: await sentinel.get(key) }),
  },
  classify: (err) => (/^(READONLY|NOAUTH|WRONGPASS|NOPERM|OOM|MISCONF|NOREPLICAS|ERR|LOADING|MASTERDOWN)\b/.test(err.message) ? 'fail' : 'info'),
  stats: () => ({ error_events: errors }),
  close: async () => {
    sentinel.destroy();
  },
});
