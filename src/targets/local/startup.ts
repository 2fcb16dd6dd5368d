// What starting a kubelet deployment checks and waits for: free addresses, the containers in order, established replication, convergence.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentModel } from '../../config/manifests.ts';
import { HarnessError } from '../../errors.ts';
import { parseInfo, withProbe } from '../../redis/clients.ts';
import { waitForConvergence } from '../convergence.ts';
import type { Pod } from '../target.ts';
import type { Kubelet } from './kubelet.ts';
import type { LocalPod } from './pods.ts';
import type { LocalServices } from './services.ts';

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

/**
 * The pods' containers started as the deployment needs them: every redis, replication established, then every
 * sentinel (they discover replicas from the master's INFO, refreshed only every 10 s while healthy, so the
 * first INFO must already list every replica), the sidecars, and a converged deployment with its Services'
 * endpoints. `afterRedis` runs once the redis containers answer (the docker target publishes the headless Service).
 */
export async function startPodContainers(o: {
  kubelet: Kubelet;
  pods: LocalPod[];
  model: DeploymentModel;
  password: string;
  startTimeoutMs: number;
  convergeTimeoutMs: number;
  services: LocalServices | null;
  afterRedis?: () => Promise<void>;
}): Promise<void> {
  const { kubelet, pods, model, password } = o;
  await Promise.all(pods.map((p) => kubelet.start(p, 'redis')));
  await o.afterRedis?.();
  await waitForReplicas(pods, password, model.replicas - 1, o.startTimeoutMs);
  await Promise.all(pods.map((p) => kubelet.start(p, 'sentinel')));
  for (const p of pods) await kubelet.startSidecars(p);
  await waitForConvergence({ pods, password, masterName: model.masterName }, { timeoutMs: o.convergeTimeoutMs });
  await o.services?.waitForEndpoints(o.convergeTimeoutMs);
}
