// Driver: node-redis's plain client (createClient from npm redis) to the redis Service, as an application configured with redis:6379.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createClient } from 'redis';
import { configFromEnv, nodeRedisCredentials, nodeRedisTls, runLoop } from './node-loop.ts';

const cfg = configFromEnv();
if (!cfg.service) {
  process.stderr.write('SERVICE is not set: this driver connects through the redis Service\n');
  process.exit(2);
}
const version = (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('redis/package.json'), 'utf8')) as { version: string }).version;
// node-redis's defaults: offline queue on, its own reconnect backoff; READONLY replies keep the connection.
const socket = nodeRedisTls(cfg) ?? {};
const client = createClient({
  socket: { host: cfg.service.host, port: cfg.service.port, ...socket },
  // With REDIS_PASSWORD_FILE: a credentialsProvider reading it at each connection's handshake.
  ...nodeRedisCredentials(cfg),
  database: cfg.db,
});
let errors = 0;
client.on('error', () => {
  errors++;
});
await client.connect();
const service = `${cfg.service.host}:${cfg.service.port}`;

await runLoop(cfg, {
  hello: { client: 'node-redis', version, node: process.version, api: 'createClient({ socket: SERVICE })', ...(cfg.reads ? { reads: 'createClient' } : {}) },
  write: async (key) => {
    await client.set(key, '1');
    return service;
  },
  // READS=1: sessions read back on the master path, i.e. through the Service (a plain client has no replica path).
  session: {
    setex: async (key, ttl, value) => {
      await client.setEx(key, ttl, value);
      return service;
    },
    get: async (key) => ({ value: await client.get(key), node: service }),
  },
  classify: (err) => (/^(READONLY|NOAUTH|WRONGPASS|NOPERM|OOM|MISCONF|NOREPLICAS|ERR|LOADING|MASTERDOWN)\b/.test(err.message) ? 'fail' : 'info'),
  stats: () => ({ error_events: errors }),
  close: async () => {
    client.destroy();
  },
});
