// The workload's history: Jepsen-style invoke / ok / fail / info operations on the run clock.

/**
 * invoke: the client sent the operation.
 * ok: acknowledged. fail: definitely not applied (e.g. READONLY, NOAUTH).
 * info: indeterminate (timeout, connection lost): it may or may not have been applied.
 */
export type OpType = 'invoke' | 'ok' | 'fail' | 'info';

export interface Op {
  /** Which workload client issued it, e.g. "sentinel-client". */
  process: string;
  type: OpType;
  f: 'write';
  key: string;
  /** Monotonic nanoseconds on the run clock. */
  ns: number;
  /** host:port of the node that acknowledged it (ok only). */
  node?: string;
  /** Error text for fail / info (never contains the password). */
  error?: string;
  /**
   * ok only: the acknowledgement came after the client's command timeout had already reported the
   * write as indeterminate (an info op precedes it). The server did acknowledge it, at `ns`.
   */
  late?: true;
}

/** The result of reading back every key the workload touched after the trial. */
export interface ReadBack {
  ns: number;
  /** Keys that were found on the final master. */
  present: ReadonlySet<string>;
  /** host:port of the node read from. */
  node: string;
}

/**
 * How a target names a node a client reached (`host:port` as its socket or library reported it) in the
 * topology's terms, `addr(pod.redis)`; a node it does not know passes through unchanged. Targets whose
 * clients connect to another address than the pod's identity (docker: pod IPs behind DNS names) give one.
 */
export type NodeIdentity = (node: string) => string;

/** `ops` with every `node` in the target's identity (the same array when the target needs none). */
export function inNodeIdentity<T extends { node?: string }>(ops: T[], identify: NodeIdentity | undefined): T[] {
  if (!identify) return ops;
  return ops.map((o) => (o.node === undefined ? o : { ...o, node: identify(o.node) }));
}

/**
 * A key the memory policy (maxmemory-policy) evicted, as the node's keyspace notification
 * (`__keyevent@<db>__:evicted`) reported it to the eviction observer.
 */
export interface EvictedKey {
  key: string;
  /** host:port of the node that evicted it (only a master evicts: replicas ignore maxmemory). */
  node: string;
  /** When the notification arrived, on the run clock. */
  ns: number;
}

/** What the eviction observer saw: the evictions of the workload's keys and its own coverage. */
export interface EvictionRecord {
  keys: readonly EvictedKey[];
  /** Evictions of any key (the dataset's included), summed over the nodes, while the observer listened. */
  total: number;
  /** Nodes whose notifications could not be switched on or whose subscription broke at some point (evictions there may be missing). */
  gaps: readonly string[];
}
