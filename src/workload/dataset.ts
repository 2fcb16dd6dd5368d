// --dataset SIZE: fill the master with a realistic dataset before the trials (pipelined, bounded by maxmemory) and report what it cost.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.ts';
import { lastDirective } from '../config/redis-conf.ts';
import type { DeploymentModel } from '../config/manifests.ts';
import { humanBytes, parseDatasetSize, parseRedisMemory } from '../model/quantity.ts';
import { limitsOf } from '../targets/docker/pod-spec.ts';
import type { Endpoint } from '../model/endpoint.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import { prng } from '../model/prng.ts';

/** Smallest dataset worth the flag, and the share of maxmemory it may fill (allkeys-lru would evict the dataset itself beyond it). */
export const DATASET_LIMITS = { minBytes: 1024 ** 2, maxmemoryShare: 0.9 } as const;

/** The key prefix of the generated dataset (the trials' keys start with sc:<run-id>:, so they never collide). */
export const DATASET_PREFIX = 'ds:';

/**
 * The value mix, by share of keys: small counters (an integer, stored int-encoded), session blobs of
 * 0.5–4 KiB and cached payloads of 8–32 KiB. About 2.9 KiB per key on average, so 1 GiB is ~370 000 keys.
 */
export const VALUE_MIX = [
  { kind: 'counter', share: 0.6, minBytes: 1, maxBytes: 8 },
  { kind: 'session', share: 0.3, minBytes: 512, maxBytes: 4096 },
  { kind: 'payload', share: 0.1, minBytes: 8192, maxBytes: 32768 },
] as const;

export type DatasetFigures = {
  /** The size asked for (--dataset), bytes of used_memory on the master. */
  target_bytes: number;
  keys: number;
  /** Bytes of values sent. */
  value_bytes: number;
  /** Writing it, and then until every replica acknowledged it (WAIT). */
  write_ms: number;
  replicated_ms: number | null;
  replicas_acked: number;
  used_memory_bytes: number | null;
  used_memory_rss_bytes: number | null;
  /** The master's AOF (base + increments) once any rewrite it started has finished. */
  aof_bytes: number | null;
  aof_rewrites: number | null;
};

/** --dataset's value in bytes; bad input is a USAGE error naming the flag and an example. */
export function parseDatasetFlag(v: string): number {
  const n = parseDatasetSize(v);
  if (n === null) throw new HarnessError('USAGE', `--dataset "${v}" is not a size: write it like 100mb, 500mb or 1.5gb`);
  if (n < DATASET_LIMITS.minBytes) throw new HarnessError('USAGE', `--dataset ${v} is below 1mb: pick at least 1mb, or drop --dataset`);
  return n;
}

/** The bytes the dataset may fill: 90% of redis's maxmemory (or, without one, of the redis container's memory limit); null: no bound. */
export function datasetBound(model: DeploymentModel, maxmemoryOverride?: string): number | null {
  const raw = maxmemoryOverride ?? lastDirective(model.redisConf.text, ['maxmemory'])?.[0];
  const maxmemory = raw === undefined ? 0 : (parseRedisMemory(raw) ?? 0);
  const limit = limitsOf(model, model.redis.name)?.memoryBytes;
  const base = maxmemory > 0 ? maxmemory : (limit ?? null);
  return base === null ? null : Math.floor(base * DATASET_LIMITS.maxmemoryShare);
}

/** A USAGE error when `bytes` does not fit under the deployment's bound. */
export function assertDatasetFits(bytes: number, model: DeploymentModel, maxmemoryOverride?: string): void {
  const bound = datasetBound(model, maxmemoryOverride);
  if (bound !== null && bytes > bound)
    throw new HarnessError(
      'USAGE',
      `--dataset ${humanBytes(bytes)} does not fit: the deployment's maxmemory (or memory limit) allows at most ${humanBytes(bound)} ` +
        `(90%, beyond which allkeys-lru evicts the dataset itself); pick a smaller size or raise it with --set redis.maxmemory=...`,
    );
}

/** The i-th key and value of the dataset (values are slices of a random pool: incompressible, as sessions often are). */
export function datasetEntry(i: number, rnd: () => number, pool: Buffer): { key: string; value: Buffer | string } {
  const r = rnd();
  let acc = 0;
  const mix = VALUE_MIX.find((m) => (acc += m.share) > r) ?? VALUE_MIX[VALUE_MIX.length - 1]!;
  if (mix.kind === 'counter') return { key: `${DATASET_PREFIX}ctr:${i}`, value: String(Math.floor(rnd() * 1e6)) };
  const len = mix.minBytes + Math.floor(rnd() * (mix.maxBytes - mix.minBytes));
  const at = Math.floor(rnd() * (pool.length - len));
  return { key: `${DATASET_PREFIX}${mix.kind}:${i}`, value: pool.subarray(at, at + len) };
}

const num = (v: string | undefined): number | null => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v));

/**
 * Write the dataset to `master` until its used_memory reaches `bytes`, in pipelines of ~4 MiB, then
 * WAIT for `replicas` and for any AOF rewrite the writes started. Bounded by `timeoutMs` overall.
 */
export async function generateDataset(
  master: Endpoint,
  password: string,
  opts: { bytes: number; replicas: number; timeoutMs: number; seed?: number },
): Promise<DatasetFigures> {
  const deadline = performance.now() + opts.timeoutMs;
  const rnd = prng(opts.seed ?? 14);
  const pool = randomBytes(8 * 1024 ** 2);
  return withProbe(master, { password, commandTimeoutMs: 120_000 }, async (r) => {
    const memory = async () => parseInfo(await r.info('memory'));
    const persistence = async () => parseInfo(await r.info('persistence'));
    const rewritesBefore = num((await persistence()).aof_rewrites) ?? 0;
    const started = performance.now();
    let keys = 0;
    let valueBytes = 0;
    let used = num((await memory()).used_memory) ?? 0;
    while (used < opts.bytes) {
      if (performance.now() > deadline)
        throw new HarnessError('TIMEOUT', `--dataset: ${humanBytes(used)} of ${humanBytes(opts.bytes)} written within ${opts.timeoutMs} ms`);
      // Send what is still missing, at most 64 MiB, before looking at used_memory again (per-key overhead makes it grow faster than the values).
      const goal = Math.min(opts.bytes - used, 64 * 1024 ** 2);
      for (let sent = 0; sent < goal;) {
        const pipe = r.pipeline();
        let batch = 0;
        while (batch < 4 * 1024 ** 2 && sent + batch < goal) {
          const { key, value } = datasetEntry(keys++, rnd, pool);
          pipe.set(key, value);
          batch += value.length + 64;
          valueBytes += value.length;
        }
        sent += batch;
        for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
      }
      used = num((await memory()).used_memory) ?? opts.bytes;
    }
    const writeMs = Math.round(performance.now() - started);
    const acked =
      opts.replicas === 0 ? 0 : Number(await r.call('WAIT', String(opts.replicas), String(Math.max(1000, Math.round(deadline - performance.now())))));
    const replicatedMs = acked >= opts.replicas ? Math.round(performance.now() - started) : null;
    let p = await persistence();
    while (p.aof_rewrite_in_progress === '1' || p.aof_rewrite_scheduled === '1') {
      if (performance.now() > deadline) break;
      await sleep(200);
      p = await persistence();
    }
    const m = await memory();
    const rewrites = num(p.aof_rewrites);
    return {
      target_bytes: opts.bytes,
      keys,
      value_bytes: valueBytes,
      write_ms: writeMs,
      replicated_ms: replicatedMs,
      replicas_acked: acked,
      used_memory_bytes: num(m.used_memory),
      used_memory_rss_bytes: num(m.used_memory_rss),
      aof_bytes: num(p.aof_current_size),
      aof_rewrites: rewrites === null ? null : rewrites - rewritesBefore,
    };
  });
}
