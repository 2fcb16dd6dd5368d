// Helpers of the dataset-size faults: a bounded bulk write load, INFO samples, and what a kubelet's liveness probe does to a loading redis.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecProbe } from '../config/manifests.ts';
import type { Figures } from '../model/check.ts';
import type { Endpoint } from '../model/endpoint.ts';
import { parseInfo, probeClient, withProbe } from '../redis/clients.ts';
import type { StartedDeployment } from '../targets/target.ts';

/** Bulk writes: values of 4 KiB over a fixed ring of keys (16 MiB), so the load adds replication traffic, not memory. */
export const BULK = { valueBytes: 4096, ringKeys: 4096, tickMs: 100, maxBytesPerSec: 64 * 1024 ** 2 } as const;

export interface BulkLoad {
  /** Stop writing; resolves with the bytes acknowledged and the batches that failed. */
  stop(): Promise<{ bytes: number; failedBatches: number }>;
}

/** Write `bytesPerSec` to `master` (pipelined every 100 ms) until stopped or `maxMs` has passed. */
export function startBulkLoad(master: Endpoint, password: string, bytesPerSec: number, maxMs: number): BulkLoad {
  const rate = Math.min(bytesPerSec, BULK.maxBytesPerSec);
  const value = Buffer.alloc(BULK.valueBytes, 'x');
  const client = probeClient(master, { password, commandTimeoutMs: 5000, connectTimeoutMs: 1000 });
  let stopped = false;
  let bytes = 0;
  let failedBatches = 0;
  const deadline = performance.now() + maxMs;
  const loop = (async () => {
    let i = 0;
    try {
      await client.connect();
    } catch {
      failedBatches++;
      return;
    }
    while (!stopped && performance.now() < deadline) {
      const started = performance.now();
      const pipe = client.pipeline();
      const n = Math.max(1, Math.round((rate * BULK.tickMs) / 1000 / BULK.valueBytes));
      for (let k = 0; k < n; k++) pipe.set(`ds:load:${i++ % BULK.ringKeys}`, value);
      try {
        const res = (await pipe.exec()) ?? [];
        bytes += res.filter(([err]) => !err).length * BULK.valueBytes;
        if (res.some(([err]) => err)) failedBatches++;
      } catch {
        failedBatches++;
      }
      await sleep(Math.max(0, BULK.tickMs - (performance.now() - started)));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      client.disconnect();
      return { bytes, failedBatches };
    },
  };
}

/** One INFO section of a node, parsed; null when it did not answer. */
export async function infoOf(d: StartedDeployment, e: Endpoint, section: string): Promise<Record<string, string> | null> {
  try {
    return parseInfo(await withProbe(e, { password: d.password, connectTimeoutMs: 300, commandTimeoutMs: 2000 }, (r) => r.info(section)));
  } catch {
    return null;
  }
}

export const numOf = (info: Record<string, string> | null, field: string): number | null => {
  const v = info?.[field];
  return v === undefined || !Number.isFinite(Number(v)) ? null : Number(v);
};

/** PING once: 'pong', 'loading' (the LOADING error), or 'down' (no answer, another error). */
export async function pingState(d: StartedDeployment, e: Endpoint): Promise<'pong' | 'loading' | 'down'> {
  try {
    return (await withProbe(e, { password: d.password, connectTimeoutMs: 300, commandTimeoutMs: 1000 }, (r) => r.ping())) === 'PONG' ? 'pong' : 'down';
  } catch (err) {
    return String((err as Error).message).startsWith('LOADING') ? 'loading' : 'down';
  }
}

/**
 * The liveness probe run every 250 ms while `busy()` holds (redis loading), as the kubelet would run it.
 * Figures: liveness_samples, liveness_failures_loading; liveness_restart_after_ms: the load time beyond
 * which the manifest's liveness settings restart a redis whose probe fails while loading
 * (initialDelaySeconds + (failureThreshold − 1) × periodSeconds); liveness_would_restart: 1 when the
 * probe failed while loading and the load lasted longer than that (a restart loop: the load starts over).
 */
export class LivenessWatch {
  samples = 0;
  failures = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly d: StartedDeployment;
  private readonly pod: string;
  private readonly busy: () => boolean;

  constructor(d: StartedDeployment, pod: string, busy: () => boolean) {
    this.d = d;
    this.pod = pod;
    this.busy = busy;
  }

  start(): void {
    const run = this.d.podControl.runProbe;
    if (!run) return;
    this.loop = (async () => {
      while (!this.stopped) {
        const started = performance.now();
        if (this.busy()) {
          const ok = await run.call(this.d.podControl, this.pod, 'liveness');
          // Only samples taken while redis was still loading count: the load may have ended during the probe.
          if (ok !== null && this.busy()) {
            this.samples++;
            if (!ok) this.failures++;
          }
        }
        await sleep(Math.max(0, 250 - (performance.now() - started)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  figures(probe: ExecProbe | null | undefined, loadingMs: number | null): Figures {
    const can = this.d.podControl.runProbe !== undefined && probe;
    const after = probe ? (probe.initialDelaySeconds + (probe.failureThreshold - 1) * probe.periodSeconds) * 1000 : null;
    return {
      liveness_samples: can ? this.samples : null,
      liveness_failures_loading: can ? this.failures : null,
      liveness_restart_after_ms: after,
      liveness_would_restart: can && after !== null && loadingMs !== null ? (this.failures > 0 && loadingMs > after ? 1 : 0) : null,
    };
  }
}
