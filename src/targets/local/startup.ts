// What starting a local deployment checks and waits for: free addresses, then established replication.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../errors.ts';
import { parseInfo, withProbe } from '../../redis/clients.ts';
import type { Pod } from '../target.ts';

export async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new HarnessError(
          'PORT_BUSY',
          e.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use (a deployment left running? run \`npm run chaos -- down\`, or pick other addresses with --subnet N)`
            : `cannot listen on ${host}:${port}: ${e.message}`,
        ),
      ),
    );
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

/** Both of a pod's ports free. */
export async function assertPodPortsFree(p: Pod): Promise<void> {
  await assertPortFree(p.redis.host, p.redis.port);
  await assertPortFree(p.sentinel.host, p.sentinel.port);
}

/** Wait until the initial master lists `n` replicas in state online. */
export async function waitForReplicas(pods: readonly Pod[], password: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const p of pods) {
      try {
        const info = parseInfo(await withProbe(p.redis, { password, connectTimeoutMs: 200 }, (r) => r.info('replication')));
        const online = Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes('state=online')).length;
        if (info.role === 'master' && online >= n) return;
      } catch {
        // not up yet
      }
    }
    if (performance.now() > deadline) throw new HarnessError('TIMEOUT', `replication did not establish within ${timeoutMs} ms (see the pods' redis.log)`);
    await sleep(10);
  }
}
