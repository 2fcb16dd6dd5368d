// Waits for a redis-server or redis-sentinel a test started itself to answer PING (bounded: 100 tries, 50 ms apart).
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export async function untilPing(e: { host: string; port: number }): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = new Redis({ ...e, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    const ok = await r.connect().then(
      () => r.ping(),
      () => null,
    );
    r.disconnect();
    if (ok === 'PONG') return;
    await sleep(50);
  }
  throw new Error(`${e.host}:${e.port} did not answer PING`);
}
