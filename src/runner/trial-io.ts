// What a trial starts and asks of the deployment: real redis by default; a unit test passes fakes.
import { CompactKeySet } from '../model/key-set.ts';
import { HarnessError } from '../errors.ts';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Figures } from '../model/check.ts';
import type { TrialEvent } from '../model/events.ts';
import { RoleSampler } from '../observers/role-sampler.ts';
import { SentinelObserver } from '../observers/sentinel-events.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import { inspectTopology, waitForConvergence, type Topology } from '../targets/convergence.ts';
import { hasNetwork, type Pod, type StartedDeployment } from '../targets/target.ts';
import type { EvictionRecord, ReadBack } from '../model/history.ts';
import { EvictionObserver } from '../observers/evictions.ts';
import { directClient, sentinelClient, type ClientOptions } from '../workload/sentinel-client.ts';
import type { WriterClient } from '../workload/tracked-writer.ts';
import { sampleProbe, type SampleProbe } from '../probes/index.ts';
import { currentTopology, sentinelMasters } from './composed.ts';

/** The sentinels' event stream, recorded on the run clock. */
export interface SentinelEventSource {
  readonly events: readonly TrialEvent[];
  /** Resolves once every subscription is active. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The nodes' ROLE, sampled on the run clock. */
export interface RoleSource {
  readonly events: readonly TrialEvent[];
  start(): void;
  /** Wait (at most `timeoutMs`) until every node answered after `sinceNs`. */
  settle(sinceNs: number, timeoutMs: number): Promise<void>;
  setPassword(password: string): void;
  stop(): Promise<void>;
}

/** The memory policy's evictions on every node, recorded on the run clock. */
export interface EvictionSource {
  start(): Promise<void>;
  record(): EvictionRecord;
  setPassword(password: string): void;
  stop(): Promise<void>;
}

/** A workload client: what the tracked writer needs, plus connect check, password change and close. */
export interface WorkloadClient extends WriterClient {
  ping(): Promise<unknown>;
  disconnect(): void;
  readonly options: { password?: string | undefined };
}

export interface TrialIo {
  /** The converged topology the trial starts from; throws when it is not reached within `timeoutMs`. */
  converge(d: StartedDeployment, timeoutMs: number): Promise<Topology>;
  /** One non-strict look at the deployment after the heal. */
  inspect(d: StartedDeployment): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Replication offsets just before the fault: repl_offset_master_at_fault, repl_lag_bytes_at_fault. */
  replicationSnapshot(d: StartedDeployment, topology: Topology): Promise<Figures>;
  /** Whether `pod` is a replica of the current master with its replication link up. */
  hasRejoined(d: StartedDeployment, pod: Pod): Promise<boolean>;
  /** Which of `keys` the current master holds. */
  /** `db`: where the keys are (default 0). */
  readBack(d: StartedDeployment, keys: Iterable<string>, clock: Clock, db?: number): Promise<ReadBack>;
  sentinelEvents(d: StartedDeployment, clock: Clock): SentinelEventSource;
  roleSampler(d: StartedDeployment, clock: Clock): RoleSource;
  /** The application's Sentinel-aware client (on the majority side when the target can partition). */
  sentinelClient(d: StartedDeployment, client: Partial<ClientOptions> | undefined): WorkloadClient;
  /** A client pinned to one pod's redis. */
  directClient(d: StartedDeployment, pod: Pod, client: Partial<ClientOptions> | undefined): WorkloadClient;
  /** Evictions of the keys `track` selects (absent: not observed, the loss check counts every absent key). */
  evictions?(d: StartedDeployment, clock: Clock, track: (key: string) => boolean): EvictionSource;
  /** One sample of a steady-state probe (src/probes/); absent: the registered probe kinds. */
  sampleProbe?: SampleProbe;
  /** A composed fault's step: the master the sentinels name now, the others as replicas in name order (`fallback` when none answers). */
  currentTopology?(d: StartedDeployment, fallback: Topology): Promise<Topology>;
  /** The master each sentinel names (null: it did not answer), for the sentinels-agree invariant. */
  sentinelMasters?(d: StartedDeployment): Promise<Array<{ sentinel: string; master: string | null }>>;
}

async function currentMaster(d: StartedDeployment, exclude?: Pod): Promise<string | null> {
  for (const p of d.pods) {
    if (p === exclude) continue;
    try {
      const a = (await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (s) => s.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName))) as
        string[] | null;
      if (a) return `${a[0]}:${a[1]}`;
    } catch {
      // try the next sentinel
    }
  }
  return null;
}

async function hasRejoined(d: StartedDeployment, pod: Pod): Promise<boolean> {
  const master = await currentMaster(d, pod);
  if (!master) return false;
  try {
    const info = parseInfo(await withProbe(pod.redis, { password: d.password, connectTimeoutMs: 200 }, (r) => r.info('replication')));
    return info.role === 'slave' && `${info.master_host}:${info.master_port}` === master && info.master_link_status === 'up';
  } catch {
    return false;
  }
}

/**
 * Offsets each from the node itself (the master's view of its replicas comes from REPLCONF ACKs up
 * to a second old): they explain what a failover can lose.
 */
async function replicationSnapshot(d: StartedDeployment, topology: Topology): Promise<Figures> {
  const offset = async (pod: Pod, field: string) => {
    try {
      return Number(parseInfo(await withProbe(pod.redis, { password: d.password, connectTimeoutMs: 300 }, (r) => r.info('replication')))[field]);
    } catch {
      return NaN;
    }
  };
  const [masterOffset, ...replicaOffsets] = await Promise.all([
    offset(topology.master, 'master_repl_offset'),
    ...topology.replicas.map((p) => offset(p, 'slave_repl_offset')),
  ]);
  const lag = Math.max(...replicaOffsets.map((o) => masterOffset! - o));
  return {
    repl_offset_master_at_fault: Number.isFinite(masterOffset) ? masterOffset! : null,
    repl_lag_bytes_at_fault: Number.isFinite(lag) ? lag : null,
  };
}

async function readBack(d: StartedDeployment, keys: Iterable<string>, clock: Clock, db = 0): Promise<ReadBack> {
  const master = await currentMaster(d);
  if (!master) throw new HarnessError('FAULT_FAILED', 'read-back: no sentinel reports a master');
  const [host, port] = master.split(':');
  // Compact: a long run reads back millions of keys.
  const present = new CompactKeySet();
  await withProbe({ host: host!, port: Number(port) }, { password: d.password, commandTimeoutMs: 10_000 }, async (r: Redis) => {
    if (db !== 0) await r.select(db);
    for (const chunk of chunks(keys, 5000)) {
      const pipe = r.pipeline();
      for (const k of chunk) pipe.exists(k);
      const res = (await pipe.exec()) ?? [];
      res.forEach(([err, n], j) => {
        if (err) throw err;
        if (n === 1) present.add(chunk[j]!);
      });
    }
  });
  return { ns: clock.nowNs(), present, node: master };
}

function* chunks<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const x of items) {
    chunk.push(x);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

const convergenceInput = (d: StartedDeployment) => ({ pods: d.pods, password: d.password, masterName: d.model.masterName });

/** The trial's IO against real redis and sentinel processes. */
export const REDIS_IO: TrialIo = {
  converge: (d, timeoutMs) => waitForConvergence(convergenceInput(d), { timeoutMs }),
  inspect: (d) => inspectTopology(convergenceInput(d), { strict: false }),
  replicationSnapshot,
  hasRejoined,
  readBack,
  sentinelEvents: (d, clock) =>
    new SentinelObserver(
      d.pods.map((p) => ({ name: `${p.name}/sentinel`, endpoint: p.sentinel })),
      clock,
    ),
  roleSampler: (d, clock) =>
    new RoleSampler(
      d.pods.map((p) => p.redis),
      d.password,
      clock,
    ),
  sentinelClient: (d, client) =>
    sentinelClient({
      sentinels: d.pods.map((p) => p.sentinel),
      masterName: d.model.masterName,
      password: d.password,
      client,
      ...(hasNetwork(d) ? { localAddress: d.network.majorityClientAddress } : {}),
    }),
  directClient: (d, pod, client) => directClient(pod.redis, d.password, client),
  evictions: (d, clock, track) =>
    new EvictionObserver(
      d.pods.map((p) => p.redis),
      d.password,
      clock,
      track,
    ),
  sampleProbe,
  currentTopology,
  sentinelMasters,
};
