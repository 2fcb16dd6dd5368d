// The checkers over a history read once, operation by operation, as a long run streams it to disk: each fold keeps only
// what its check needs, per key in typed columns (a few bytes a key), so memory grows with the keys, not with the operations.
import { nsToMs } from '../clock.ts';
import { HarnessError } from '../errors.ts';
import type { CheckResult, Figures, TrialInput } from '../model/check.ts';
import type { Op, ReadBack } from '../model/history.ts';
import { numericSuffix } from '../model/key-set.ts';
import { availabilityResult, type Outage } from './availability.ts';
import { LATENCY_PHASES, phaseOf, type LatencyPhase, type LatencyWindows } from './latency.ts';
import { nearestRank } from './stats.ts';
import { attributedResult } from './loss-attribution.ts';
import { MAX_NAMED_KEYS, writeLossResult } from './write-loss.ts';

// The folds assume what a run's history file holds: operations in time order (one clock, appended as they happen).

const INVOKED = 1;
const FAILED = 2;
const INFO = 4;
const ACKED = 8;

/** Per-key state of the keys sharing one prefix, indexed by the key's numeric suffix (the workload's `prefix:seq`). */
class Column {
  /** Its place in its KeyTable (KeyTable.keyOf). */
  id = 0;
  size = 0;
  flags = new Uint8Array(0);
  invokeNs = new Float64Array(0);
  ackNs = new Float64Array(0);
  ackOrder = new Uint32Array(0);
  ackNode = new Uint16Array(0);
  ackProcess = new Uint16Array(0);
  private readonly fields: ColumnFields;

  constructor(fields: ColumnFields) {
    this.fields = fields;
  }

  get capacity(): number {
    return this.flags.length;
  }

  /** Bytes per slot of the fields this column holds. */
  get slotBytes(): number {
    return 1 + (this.fields.invoke ? 8 : 0) + (this.fields.ack ? 8 + 4 + 2 + 2 : 0);
  }

  ensure(n: number): void {
    if (n < this.capacity) return;
    // By half, not doubling: a long soak's columns are its largest tables, and doubling left up to half of them unused.
    const cap = Math.max(1024, Math.ceil(this.capacity * 1.5), n + 1);
    const grow = <T extends Uint8Array | Float64Array | Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.flags = grow(this.flags, (c) => new Uint8Array(c));
    if (this.fields.invoke) this.invokeNs = grow(this.invokeNs, (c) => new Float64Array(c));
    if (this.fields.ack) {
      this.ackNs = grow(this.ackNs, (c) => new Float64Array(c));
      this.ackOrder = grow(this.ackOrder, (c) => new Uint32Array(c));
      this.ackNode = grow(this.ackNode, (c) => new Uint16Array(c));
      this.ackProcess = grow(this.ackProcess, (c) => new Uint16Array(c));
    }
  }
}

/** Which per-key fields a table's columns hold besides the flags: the first invoke, the first acknowledgement. */
export interface ColumnFields {
  invoke?: boolean;
  ack?: boolean;
}

/**
 * Keys to slots: `prefix:n` in the prefix's column at n (dense while n grows by at most a few times the column:
 * the workload numbers its writes from 0), any other key in a column of its own through a map.
 */
export class KeyTable {
  private readonly prefixes = new Map<string, Column>();
  private readonly fields: ColumnFields;
  private readonly other: Column;

  constructor(fields: ColumnFields = { invoke: true, ack: true }) {
    this.fields = fields;
    this.other = new Column(fields);
    this.columns.push(this.other);
    this.prefixOf.push(null);
    this.col = this.other;
  }

  /** Every column by id, and its prefix (null: the other keys'). */
  private readonly columns: Column[] = [];
  private readonly prefixOf: Array<string | null> = [];

  private column(prefix: string): Column {
    const col = new Column(this.fields);
    col.id = this.columns.length;
    this.columns.push(col);
    this.prefixOf.push(prefix);
    this.prefixes.set(prefix, col);
    return col;
  }

  /** The key at slot `i` of column `id`. */
  keyOf(id: number, i: number): string {
    const prefix = this.prefixOf[id];
    return prefix === null || prefix === undefined ? this.otherKeys[i]! : `${prefix}:${i}`;
  }

  private readonly otherIndex = new Map<string, number>();
  private readonly otherKeys: string[] = [];
  /** The slot the last `find` call found. */
  col: Column;
  i = 0;

  /** Point `col` / `i` at the key's slot, making it when `create`; false when absent and not made. */
  find(key: string, create: boolean): boolean {
    const colon = key.lastIndexOf(':');
    const n = colon > 0 ? numericSuffix(key, colon + 1) : -1;
    if (n >= 0) {
      const prefix = key.slice(0, colon);
      let col = this.prefixes.get(prefix);
      if (col === undefined && create && n < 1 << 20) col = this.column(prefix);
      if (col !== undefined && n < Math.max(col.capacity * 4, 1 << 20)) {
        if (n < col.size || create) {
          if (n >= col.size) {
            col.ensure(n);
            col.size = n + 1;
          }
          this.col = col;
          this.i = n;
          if (create || col.flags[n] !== 0) return true;
        }
      }
    }
    let i = this.otherIndex.get(key);
    if (i === undefined) {
      if (!create) return false;
      i = this.otherKeys.length;
      this.otherKeys.push(key);
      this.otherIndex.set(key, i);
      this.other.ensure(i);
      this.other.size = i + 1;
    }
    this.col = this.other;
    this.i = i;
    return true;
  }

  /** Every key with any state: its column and index. */
  *slots(): Generator<[key: string, col: Column, i: number]> {
    for (const [prefix, col] of this.prefixes) for (let i = 0; i < col.size; i++) if (col.flags[i] !== 0) yield [`${prefix}:${i}`, col, i];
    for (let i = 0; i < this.otherKeys.length; i++) yield [this.otherKeys[i]!, this.other, i];
  }

  /** Every slot, its key string made only when asked (cheaper than `slots` when few are wanted). */
  scan(each: (col: Column, i: number, key: () => string) => void): void {
    for (const [prefix, col] of this.prefixes) for (let i = 0; i < col.size; i++) if (col.flags[i] !== 0) each(col, i, () => `${prefix}:${i}`);
    for (let i = 0; i < this.otherKeys.length; i++) each(this.other, i, () => this.otherKeys[i]!);
  }

  /** Bytes held by the columns (the maps of prefixes and other keys not counted). */
  bytes(): number {
    let n = 0;
    for (const col of [...this.prefixes.values(), this.other]) n += col.capacity * col.slotBytes;
    return n;
  }
}

/** How many of a client's writes back a pass over the history still knows a write's invoke by (a ring per key prefix). */
export const INVOKE_RING = 1 << 20;

/**
 * Invoke times of recent writes: the workload's `prefix:n` keys in a ring per prefix (a client numbers its writes in
 * order, so a result comes a bounded number of writes after its invoke: INVOKE_RING is 8.7 min at 2000/s), any other
 * key in a map until its final result. Memory stays the rings' (12 MiB a prefix) whatever the run's length.
 */
export class RecentInvokes {
  private readonly rings = new Map<string, { n: Int32Array; ns: Float64Array }>();
  private readonly other = new Map<string, number>();
  /** Results asked for whose invoke was not known: it had left the ring, never came, or a final result took it. */
  missed = 0;

  private slot(key: string): { prefix: string; n: number } | null {
    const colon = key.lastIndexOf(':');
    const n = colon > 0 ? numericSuffix(key, colon + 1) : -1;
    return n < 0 ? null : { prefix: key.slice(0, colon), n };
  }

  /** The first invoke of `key` counts (a retry keeps the first). */
  set(key: string, ns: number): void {
    const s = this.slot(key);
    if (s === null) {
      if (!this.other.has(key)) this.other.set(key, ns);
      return;
    }
    let ring = this.rings.get(s.prefix);
    if (ring === undefined) this.rings.set(s.prefix, (ring = { n: new Int32Array(INVOKE_RING).fill(-1), ns: new Float64Array(INVOKE_RING) }));
    const i = s.n & (INVOKE_RING - 1);
    if (ring.n[i] === s.n) return;
    ring.n[i] = s.n;
    ring.ns[i] = ns;
  }

  /** A write with a final result that needs no invoke (a failure, for the latencies). */
  forget(key: string): void {
    this.take(key, true);
  }

  /** The invoke of `key`, forgotten when `forget` (its final result came); undefined (and counted) when not known. */
  get(key: string, forget = false): number | undefined {
    const ns = this.take(key, forget);
    if (ns === undefined) this.missed++;
    return ns;
  }

  private take(key: string, forget: boolean): number | undefined {
    const s = this.slot(key);
    if (s === null) {
      const ns = this.other.get(key);
      if (forget) this.other.delete(key);
      return ns;
    }
    const ring = this.rings.get(s.prefix);
    const i = s.n & (INVOKE_RING - 1);
    if (ring === undefined || ring.n[i] !== s.n) return undefined;
    if (forget) ring.n[i] = -1;
    return ring.ns[i];
  }
}

/** Interned strings (nodes, processes) as small numbers; 0 is "none". */
class Names {
  private readonly list: string[] = [''];
  private readonly index = new Map<string, number>();
  id(name: string | undefined): number {
    if (name === undefined) return 0;
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.list.length;
      this.list.push(name);
      this.index.set(name, i);
    }
    return i;
  }
  name(id: number): string | undefined {
    return id === 0 ? undefined : this.list[id];
  }
  /** The name's number without adding it; 0 when unknown. */
  find(name: string): number {
    return this.index.get(name) ?? 0;
  }
}

/** How many lost writes a fold's `lostWrites` names at each end (the first and the last by first acknowledgement). */
export const LOST_SAMPLE = 500;

export interface LostWritesOptions {
  /** Only the acknowledged keys it selects (e.g. outside every fault window); the result is not kept. */
  keep?: (ns: number, key: string) => boolean;
  /** Attribution: lost writes `oldMaster` acknowledged after `sinceNs` are counted apart. */
  sinceNs?: number | null;
  oldMaster?: string | null;
  sampleSize?: number;
}

/**
 * Lost writes told while folding (a long run's file, read after its read-back): the read-back and attribution, and any
 * further selection asked for up front (`also`, asked for again by the same `keep`). The fold then holds flags per key,
 * not when, where and to whom each key was acknowledged.
 */
export interface LostSpec {
  present: ReadonlySet<string>;
  sinceNs?: number | null;
  oldMaster?: string | null;
  also?: ReadonlyArray<{ keep: (ns: number, key: string) => boolean; sampleSize?: number }>;
}

/** Lost writes as counts and a bounded sample. */
export interface LostWrites {
  count: number;
  /** The earliest and latest first acknowledgement among them (run clock); null when none was lost. */
  firstNs: number | null;
  lastNs: number | null;
  /** By the process (client) that was told they were acknowledged. */
  byProcess: Record<string, number>;
  /** Acknowledged by the old master after `sinceNs`, and the rest (0 and `count` without an attribution asked). */
  fromOldMasterAfterFault: number;
  other: number;
  /** The first three of `other` by first acknowledgement. */
  otherFirst: Op[];
  /** The first and the last `sampleSize` by first acknowledgement (every one when at most twice that), in that order. */
  sample: Op[];
  sampleSize: number;
}

interface Picked<T> {
  ns: number;
  order: number;
  item: T;
}

const before = <T>(a: Picked<T>, b: Picked<T>): number => a.ns - b.ns || a.order - b.order;

/** The `n` smallest and `n` largest of what it is offered by (ns, order), in at most 4n entries whatever the count. */
class Extremes<T> {
  private low: Array<Picked<T>> = [];
  private high: Array<Picked<T>> = [];
  /** The n-th smallest (largest) once cut to n: an entry past it cannot be among the n smallest (largest). */
  private lowCut: Picked<T> | null = null;
  private highCut: Picked<T> | null = null;
  private readonly n: number;

  constructor(n: number) {
    this.n = n;
  }

  offer(ns: number, order: number, item: T): void {
    const n = this.n;
    if (n === 0) return;
    const e = { ns, order, item };
    if (this.lowCut === null || before(e, this.lowCut) < 0) {
      this.low.push(e);
      if (this.low.length >= 2 * n) {
        this.low = this.low.sort(before).slice(0, n);
        this.lowCut = this.low[n - 1]!;
      }
    }
    if (this.highCut === null || before(e, this.highCut) > 0) {
      this.high.push(e);
      if (this.high.length >= 2 * n) {
        this.high = this.high.sort((a, b) => before(b, a)).slice(0, n);
        this.highCut = this.high[n - 1]!;
      }
    }
  }

  /** The n smallest, in order. */
  first(): T[] {
    return this.low
      .sort(before)
      .slice(0, this.n)
      .map((e) => e.item);
  }

  /** The n smallest and the n largest, each once, in order. */
  all(): T[] {
    const low = this.low.sort(before).slice(0, this.n);
    const high = this.high.sort((a, b) => before(b, a)).slice(0, this.n);
    const seen = new Set(low.map((e) => e.order));
    return [...low, ...high.filter((e) => !seen.has(e.order))].sort(before).map((e) => e.item);
  }
}

/** Counts and samples of lost writes, offered one first acknowledgement at a time (in any order). */
class LostTally<T> {
  private count = 0;
  private firstNs: number | null = null;
  private lastNs: number | null = null;
  private fromOld = 0;
  private readonly byProcess = new Map<number, number>();
  private readonly sample: Extremes<T>;
  private readonly otherFirst = new Extremes<T>(3);
  readonly sampleSize: number;
  readonly sinceNs: number | null;
  readonly oldMaster: number;

  constructor(sampleSize: number, sinceNs: number | null, oldMaster: number) {
    this.sampleSize = sampleSize;
    this.sample = new Extremes<T>(sampleSize);
    this.sinceNs = sinceNs;
    this.oldMaster = oldMaster;
  }

  offer(ns: number, order: number, process: number, node: number, item: T): void {
    this.count++;
    if (this.firstNs === null || ns < this.firstNs) this.firstNs = ns;
    if (this.lastNs === null || ns > this.lastNs) this.lastNs = ns;
    this.byProcess.set(process, (this.byProcess.get(process) ?? 0) + 1);
    this.sample.offer(ns, order, item);
    if (this.sinceNs !== null && this.oldMaster !== 0 && ns > this.sinceNs && node === this.oldMaster) this.fromOld++;
    else this.otherFirst.offer(ns, order, item);
  }

  result(processes: Names, op: (item: T) => Op): LostWrites {
    return {
      count: this.count,
      firstNs: this.firstNs,
      lastNs: this.lastNs,
      byProcess: Object.fromEntries([...this.byProcess].map(([p, n]) => [processes.name(p) ?? '', n])),
      fromOldMasterAfterFault: this.fromOld,
      other: this.count - this.fromOld,
      otherFirst: this.otherFirst.first().map(op),
      sample: this.sample.all().map(op),
      sampleSize: this.sampleSize,
    };
  }
}

interface Slot {
  key: string;
  col: Column;
  i: number;
}

/**
 * First acknowledgements waiting for a checkpoint, 18 bytes each (the key as its slot in the fold's table): a streamed
 * run's checkpoints can be minutes apart at thousands of writes a second.
 */
class PendingAcks {
  length = 0;
  private col = new Uint16Array(0);
  private idx = new Uint32Array(0);
  private ns = new Float64Array(0);
  private node = new Uint16Array(0);
  private proc = new Uint16Array(0);

  push(col: number, i: number, ns: number, node: number, proc: number): void {
    const n = this.length;
    if (n === this.ns.length) {
      const cap = Math.max(4096, Math.ceil(n * 1.5));
      const grow = <T extends Uint16Array | Uint32Array | Float64Array>(a: T, b: T): T => {
        b.set(a as never);
        return b;
      };
      this.col = grow(this.col, new Uint16Array(cap));
      this.idx = grow(this.idx, new Uint32Array(cap));
      this.ns = grow(this.ns, new Float64Array(cap));
      this.node = grow(this.node, new Uint16Array(cap));
      this.proc = grow(this.proc, new Uint16Array(cap));
    }
    this.col[n] = col;
    this.idx[n] = i;
    this.ns[n] = ns;
    this.node[n] = node;
    this.proc[n] = proc;
    this.length++;
  }

  /** Every entry as an ok operation, in the order pushed; then empty (its arrays released). */
  take(keys: KeyTable, nodes: Names, processes: Names): Op[] {
    const out: Op[] = [];
    for (let j = 0; j < this.length; j++) {
      const node = nodes.name(this.node[j]!);
      out.push({
        process: processes.name(this.proc[j]!) ?? '',
        type: 'ok',
        f: 'write',
        key: keys.keyOf(this.col[j]!, this.idx[j]!),
        ns: this.ns[j]!,
        ...(node !== undefined ? { node } : {}),
      });
    }
    this.length = 0;
    this.col = new Uint16Array(0);
    this.idx = new Uint32Array(0);
    this.ns = new Float64Array(0);
    this.node = new Uint16Array(0);
    this.proc = new Uint16Array(0);
    return out;
  }
}

/** The tallies of a fold given a LostSpec, fed as the first acknowledgements come. */
interface Streaming {
  spec: LostSpec;
  main: LostTally<Op>;
  also: Array<{ keep: (ns: number, key: string) => boolean; tally: LostTally<Op> }>;
}

/**
 * Which keys were invoked, acknowledged (first acknowledgement: when, by which node, to which process), failed or
 * indeterminate: what write-loss, its attribution and the schedule's no-lost-writes invariant need.
 *
 * Three ways to hold it. By default per key the flags and the first acknowledgement (17 bytes a key), for lost writes
 * under any read-back asked later. With a LostSpec the lost writes are told as the operations come and a key costs its
 * flags (a byte): memory then stays near constant however long the run. With `details: false` only the flags and
 * the acknowledgements not yet taken (the schedule's checkpoints during a streamed run).
 */
export class WriteFold {
  readonly keys: KeyTable;
  /** Distinct keys acknowledged. */
  acked = 0;
  /** First acknowledgements `takeNewAcks` did not hold (`details: false`, beyond `maxPending` between two calls). */
  dropped = 0;
  private readonly nodes = new Names();
  private readonly processes = new Names();
  private readonly details: boolean;
  private readonly streaming: Streaming | null;
  /** First acknowledgements not yet taken by `takeNewAcks` (only when asked to keep them), at most `maxPending`. */
  private pending: Op[] | null;
  /** The same without `details`, at most `maxPending`: beyond, `dropped` counts them (the final check still sees them). */
  private readonly compact: PendingAcks | null;
  private overflowed = false;
  /** The first acknowledgement order `takeNewAcks` has not handed out yet. */
  private takenUpTo = 0;
  private readonly maxPending: number;
  /** The last `lostWrites` without a filter, until the next `add`. */
  private lostOf: { present: ReadonlySet<string>; sinceNs: number | null; oldMaster: number; lost: LostWrites } | null = null;

  constructor(opts: { newAcks?: boolean; maxPending?: number; details?: boolean; lost?: LostSpec } = {}) {
    this.details = opts.lost === undefined && opts.details !== false;
    this.pending = opts.newAcks && this.details ? [] : null;
    this.compact = opts.newAcks && !this.details ? new PendingAcks() : null;
    this.maxPending = opts.maxPending ?? (this.details ? 100_000 : 4_000_000);
    this.keys = new KeyTable(this.details ? { ack: true } : {});
    const l = opts.lost;
    this.streaming = l
      ? {
          spec: l,
          main: new LostTally<Op>(LOST_SAMPLE, l.sinceNs ?? null, this.nodes.id(l.oldMaster ?? undefined)),
          also: (l.also ?? []).map((a) => ({ keep: a.keep, tally: new LostTally<Op>(a.sampleSize ?? LOST_SAMPLE, null, 0) })),
        }
      : null;
  }

  add(op: Op): void {
    if (op.f !== 'write') return;
    if (this.lostOf) this.lostOf = null;
    const t = this.keys;
    t.find(op.key, true);
    const { col, i } = t;
    if (op.type === 'invoke') col.flags[i]! |= INVOKED;
    else if (op.type === 'fail') col.flags[i]! |= FAILED;
    else if (op.type === 'info') col.flags[i]! |= INFO;
    else if ((col.flags[i]! & ACKED) === 0) {
      col.flags[i]! |= ACKED;
      const order = this.acked++;
      const node = this.nodes.id(op.node);
      const process = this.processes.id(op.process);
      if (this.details) {
        col.ackNs[i] = op.ns;
        col.ackOrder[i] = order;
        col.ackNode[i] = node;
        col.ackProcess[i] = process;
      }
      const s = this.streaming;
      if (s && !s.spec.present.has(op.key)) {
        // A key is written by one client, which records its acknowledgement once: the first in the file is the earliest.
        s.main.offer(op.ns, order, process, node, op);
        for (const a of s.also) if (a.keep(op.ns, op.key)) a.tally.offer(op.ns, order, process, node, op);
      }
      if (this.compact) {
        if (this.compact.length < this.maxPending) this.compact.push(col.id, i, op.ns, node, process);
        else this.dropped++;
      } else if (this.pending && !this.overflowed) {
        if (this.pending.length < this.maxPending) this.pending.push(op);
        else {
          // A long stretch without a checkpoint: stop holding operations, find them in the columns when taken.
          this.overflowed = true;
          this.pending = [];
        }
      }
    } else if (this.details && op.ns < col.ackNs[i]!) col.ackNs[i] = op.ns;
  }

  /** First acknowledgements since the last call, in the order they came (for checkpoints between reads). */
  takeNewAcks(): Op[] {
    if (this.compact) return this.compact.take(this.keys, this.nodes, this.processes);
    if (!this.pending) return [];
    const from = this.takenUpTo;
    this.takenUpTo = this.acked;
    const out = this.overflowed ? this.acknowledgedFrom(from) : this.pending;
    this.pending = [];
    this.overflowed = false;
    return out;
  }

  /** First acknowledgements from order `from` on, in order (scanning the columns, building only those). */
  private acknowledgedFrom(from: number): Op[] {
    const out: Array<[Op, number]> = [];
    this.keys.scan((col, i, key) => {
      if ((col.flags[i]! & ACKED) !== 0 && col.ackOrder[i]! >= from) out.push([this.okOp(key(), col, i), col.ackOrder[i]!]);
    });
    return out.sort((a, b) => a[1] - b[1]).map(([op]) => op);
  }

  /** The first acknowledgement of a key as an ok operation. */
  private okOp(key: string, col: Column, i: number): Op {
    const node = this.nodes.name(col.ackNode[i]!);
    return { process: this.processes.name(col.ackProcess[i]!) ?? '', type: 'ok', f: 'write', key, ns: col.ackNs[i]!, ...(node !== undefined ? { node } : {}) };
  }

  /**
   * Acknowledged keys `keep` selects that `present` lacks: counts (per process, per attribution) and the first and last
   * `sampleSize` by first acknowledgement, never an operation for each (an hour at 2000/s lost 2.7 M writes). Without
   * `keep`, the same result for the same read-back and attribution until the next `add`: the end of a trial asks for
   * it several times (loss, its attribution, the lost keys). A fold given a LostSpec answers only what it was given.
   */
  lostWrites(present: ReadonlySet<string>, o: LostWritesOptions = {}): LostWrites {
    const sinceNs = o.sinceNs ?? null;
    if (this.streaming) return this.told(this.streaming, present, o);
    if (!this.details) throw new HarnessError('INTERNAL', 'WriteFold: this fold keeps no acknowledgements (details: false) and was given no LostSpec');
    const sampleSize = o.sampleSize ?? LOST_SAMPLE;
    const oldMaster = o.oldMaster === undefined || o.oldMaster === null ? 0 : this.nodes.find(o.oldMaster);
    const c = this.lostOf;
    if (!o.keep && c && c.present === present && c.sinceNs === sinceNs && c.oldMaster === oldMaster && c.lost.sampleSize === sampleSize) return c.lost;
    const tally = new LostTally<Slot>(sampleSize, sinceNs, oldMaster);
    this.keys.scan((col, i, key) => {
      if ((col.flags[i]! & ACKED) === 0) return;
      const k = key();
      const ns = col.ackNs[i]!;
      if (present.has(k) || (o.keep && !o.keep(ns, k))) return;
      tally.offer(ns, col.ackOrder[i]!, col.ackProcess[i]!, col.ackNode[i]!, { key: k, col, i });
    });
    const lost = tally.result(this.processes, (s) => this.okOp(s.key, s.col, s.i));
    if (!o.keep) this.lostOf = { present, sinceNs, oldMaster, lost };
    return lost;
  }

  /** What a fold given a LostSpec told: the same read-back, attribution and (for `keep`) the same selection only. */
  private told(s: Streaming, present: ReadonlySet<string>, o: LostWritesOptions): LostWrites {
    const asOk = (op: Op): Op => ({ process: op.process, type: 'ok', f: 'write', key: op.key, ns: op.ns, ...(op.node !== undefined ? { node: op.node } : {}) });
    const wrong = (what: string) => new HarnessError('INTERNAL', `WriteFold: lost writes were told for another ${what} than this call asks`);
    if (present !== s.spec.present) throw wrong('read-back');
    if (o.keep) {
      const a = s.also.find((x) => x.keep === o.keep);
      if (!a || (o.sampleSize !== undefined && o.sampleSize !== a.tally.sampleSize)) throw wrong('selection');
      return a.tally.result(this.processes, asOk);
    }
    const sinceNs = o.sinceNs ?? null;
    const oldMaster = o.oldMaster === undefined || o.oldMaster === null ? 0 : this.nodes.find(o.oldMaster);
    const m = s.main;
    // Asked without an attribution: the counts are the same, the split is not asked for.
    if ((sinceNs !== null || oldMaster !== 0) && (sinceNs !== m.sinceNs || oldMaster !== m.oldMaster)) throw wrong('attribution');
    if (o.sampleSize !== undefined && o.sampleSize !== m.sampleSize) throw wrong('sample size');
    const lost = m.result(this.processes, asOk);
    return sinceNs === null && oldMaster === 0 ? { ...lost, fromOldMasterAfterFault: 0, other: lost.count, otherFirst: lost.sample.slice(0, 3) } : lost;
  }

  /** Whether `key` was acknowledged (a lost write is one acknowledged and absent from the read-back). */
  ackedKey(key: string): boolean {
    return this.keys.find(key, false) && (this.keys.col.flags[this.keys.i]! & ACKED) !== 0;
  }

  /** Acknowledged keys whose first acknowledgement `keep` selects (e.g. those outside every fault window), as ok operations. */
  acknowledged(keep: (ns: number) => boolean): Op[] {
    if (!this.details) throw new HarnessError('INTERNAL', 'WriteFold: this fold keeps no acknowledgements');
    const out: Array<[Op, number]> = [];
    for (const [key, col, i] of this.keys.slots())
      if ((col.flags[i]! & ACKED) !== 0 && keep(col.ackNs[i]!)) out.push([this.okOp(key, col, i), col.ackOrder[i]!]);
    return out.sort((a, b) => a[1] - b[1]).map(([op]) => op);
  }

  /** Every invoked key (for the read-back at the end). */
  *invokedKeys(): Generator<string> {
    for (const [key, col, i] of this.keys.slots()) if ((col.flags[i]! & INVOKED) !== 0) yield key;
  }
}

/** checkWriteLoss over a fold: the same figures, verdict and explanation as over the history it read. */
export function writeLossOfFold(fold: WriteFold, readBack: ReadBack | null, faultNs: number | null, config: { maxLost: number }): CheckResult {
  if (readBack === null) {
    const figures: Figures = { writes_lost: null, writes_recovered: null, writes_unexpected: null, lost_first_ms: null, lost_last_ms: null };
    return { name: 'write-loss', valid: 'unknown', figures, explanation: 'no read-back after the trial, so lost writes cannot be determined' };
  }
  const present = readBack.present;
  let indeterminate = 0;
  let recovered = 0;
  for (const [key, col, i] of fold.keys.slots()) {
    const f = col.flags[i]!;
    if ((f & INVOKED) !== 0 && (f & ACKED) === 0 && (f & FAILED) === 0) {
      indeterminate++;
      if (present.has(key)) recovered++;
    }
  }
  const t = fold.keys;
  // One key at a time: a read-back of millions of keys is not spread into an array.
  const unexpected: string[] = [];
  for (const key of present) {
    const f = t.find(key, false) ? t.col.flags[t.i]! : 0;
    if ((f & INVOKED) === 0 || ((f & ACKED) === 0 && (f & FAILED) !== 0)) unexpected.push(key);
  }
  unexpected.sort();
  const l = fold.lostWrites(present);
  const lost = { count: l.count, firstNs: l.firstNs, lastNs: l.lastNs, keys: l.sample.slice(0, MAX_NAMED_KEYS).map((op) => op.key) };
  return writeLossResult({ acked: fold.acked, lost, recovered, indeterminate, unexpected }, readBack.node, faultNs, config);
}

/** Invoked, acknowledged (late apart), failed and indeterminate counts and the longest stretch without an acknowledgement. */
export class AvailabilityFold {
  private invoked = 0;
  private ackedInTime = 0;
  private late = 0;
  private failed = 0;
  private indeterminate = 0;
  private firstInvoke = Infinity;
  private lastInvoke = -Infinity;
  private lastNs = -Infinity;
  private firstOk: number | null = null;
  private lastOk: number | null = null;
  private bestOk: Outage | null = null;

  add(op: Op): void {
    if (op.f !== 'write') return;
    if (op.ns > this.lastNs) this.lastNs = op.ns;
    if (op.type === 'invoke') {
      this.invoked++;
      if (op.ns < this.firstInvoke) this.firstInvoke = op.ns;
      if (op.ns > this.lastInvoke) this.lastInvoke = op.ns;
    } else if (op.type === 'fail') this.failed++;
    else if (op.type === 'info') this.indeterminate++;
    else {
      if (op.late) this.late++;
      else this.ackedInTime++;
      if (this.lastOk === null) this.firstOk = op.ns;
      else {
        const ms = nsToMs(op.ns - this.lastOk);
        if (this.bestOk === null || ms > this.bestOk.ms) this.bestOk = { ms, startNs: this.lastOk, endNs: op.ns };
      }
      this.lastOk = op.ns;
    }
  }

  /** longestOutage of the operations added (they came in time order). */
  outage(): Outage | null {
    if (this.invoked === 0) return null;
    const gap = (startNs: number, endNs: number): Outage => ({ ms: nsToMs(endNs - startNs), startNs, endNs });
    let best: Outage = { ms: 0, startNs: this.firstInvoke, endNs: this.firstInvoke };
    const lastNs = Math.max(this.lastNs, this.lastInvoke);
    const candidates = [
      this.firstOk === null ? gap(this.firstInvoke, lastNs) : gap(this.firstInvoke, this.firstOk),
      this.bestOk,
      this.lastOk !== null && this.lastInvoke > this.lastOk ? gap(this.lastOk, lastNs) : null,
    ];
    for (const c of candidates) if (c !== null && c.ms > best.ms) best = c;
    return best;
  }

  /** checkAvailability over the operations added. */
  check(faultNs: number | null, config: { maxOutageMs?: number }): CheckResult {
    const outage = this.outage();
    const figures = {
      writes_invoked: this.invoked,
      writes_acked: this.ackedInTime,
      writes_failed: this.failed,
      writes_indeterminate: this.indeterminate,
      writes_late: this.late,
      availability: this.invoked === 0 ? null : Math.round((this.ackedInTime / this.invoked) * 1e4) / 1e4,
      outage_ms: outage?.ms ?? null,
    };
    return availabilityResult(figures, outage, faultNs, config);
  }
}

/** The first write acknowledged after `faultNs` by another node than `oldMaster` (firstNewMasterAckNs, in one pass). */
export class NewMasterAckFold {
  first: number | null = null;
  private readonly faultNs: number | null;
  private readonly oldMaster: string | null;
  constructor(faultNs: number | null, oldMaster: string | null) {
    this.faultNs = faultNs;
    this.oldMaster = oldMaster;
  }
  add(op: Op): void {
    if (this.faultNs === null || this.oldMaster === null) return;
    if (op.type !== 'ok' || op.ns <= this.faultNs || op.node === undefined || op.node === this.oldMaster) return;
    if (this.first === null || op.ns < this.first) this.first = op.ns;
  }
}

/** Distinct µs latencies a phase counts exactly; beyond, LatencyCounts turns into a histogram of log buckets. */
export const MAX_EXACT_LATENCIES = 100_000;
/** Bucket width ratio: a value is told as its bucket's middle, within (G − 1) / (G + 1) ≈ 0.05 % of itself. */
const G = 1.001;
const LN_G = Math.log(G);
export const LATENCY_RELATIVE_ERROR = (G - 1) / (G + 1);

/**
 * µs latencies and how many times each came: exact while at most MAX_EXACT_LATENCIES distinct values, then log
 * buckets (about 2 300 a decade, some 21 000 from 1 µs to 1000 s), so the memory stops growing with the
 * outages' late acknowledgements, whose distinct values otherwise grow with the run. The maximum stays exact.
 */
export class LatencyCounts {
  private m = new Map<number, number>();
  private bucketed = false;
  n = 0;
  max = -Infinity;

  get approximate(): boolean {
    return this.bucketed;
  }

  add(us: number, count = 1): void {
    this.n += count;
    if (us > this.max) this.max = us;
    const k = this.bucketed ? bucketOf(us) : us;
    this.m.set(k, (this.m.get(k) ?? 0) + count);
    if (!this.bucketed && this.m.size > MAX_EXACT_LATENCIES) {
      const exact = this.m;
      this.m = new Map();
      this.bucketed = true;
      for (const [v, c] of exact) this.m.set(bucketOf(v), (this.m.get(bucketOf(v)) ?? 0) + c);
    }
  }

  /** The value of nearest rank `rank` (1-based), µs: exact, or its bucket's middle once bucketed. */
  at(rank: number): number {
    const keys = new Float64Array(this.m.size);
    let j = 0;
    for (const k of this.m.keys()) keys[j++] = k;
    keys.sort();
    let seen = 0;
    for (const k of keys) if ((seen += this.m.get(k)!) >= rank) return this.valueOf(k);
    return this.valueOf(keys[keys.length - 1]!);
  }

  private valueOf(k: number): number {
    if (!this.bucketed) return k;
    return k < 0 ? 0 : Math.min(this.max, Math.round(G ** k * ((1 + G) / 2)));
  }
}

/** A latency's log bucket: [G^k, G^(k+1)) µs; −1 holds 0 (and anything below 1 µs). */
const bucketOf = (us: number): number => (us < 1 ? -1 : Math.floor(Math.log(us) / LN_G));

/**
 * latencyFigures in one pass, once the windows are known (a second pass over the file after the one that found
 * them): each write's first acknowledgement − its first invoke, counted per phase at µs resolution (the figures'
 * own rounding), so the quantiles are exact up to MAX_EXACT_LATENCIES distinct values a phase (LatencyCounts).
 */
export class LatencyFold {
  private readonly invokes = new RecentInvokes();
  private readonly by: Record<LatencyPhase, LatencyCounts> = { before: new LatencyCounts(), during: new LatencyCounts(), after: new LatencyCounts() };
  private readonly w: LatencyWindows;

  constructor(w: LatencyWindows) {
    this.w = w;
  }

  add(op: Op): void {
    if (op.type === 'invoke') this.invokes.set(op.key, op.ns);
    else if (op.type === 'ok') {
      // The first acknowledgement only: the invoke is forgotten with it.
      const invokeNs = this.invokes.get(op.key, true);
      if (invokeNs !== undefined) this.by[phaseOf(invokeNs, this.w)].add(Math.round(((op.ns - invokeNs) / 1e6) * 1e3));
    } else if (op.type === 'fail') this.invokes.forget(op.key);
  }

  figures(): Figures {
    const figures: Figures = {};
    for (const phase of LATENCY_PHASES) {
      const c = this.by[phase];
      const n = c.n;
      figures[`latency_p50_${phase}_ms`] = n === 0 ? null : c.at(nearestRank(n, 0.5)) / 1e3;
      figures[`latency_p99_${phase}_ms`] = n === 0 ? null : c.at(nearestRank(n, 0.99)) / 1e3;
      figures[`latency_max_${phase}_ms`] = n === 0 ? null : c.max / 1e3;
      figures[`latency_acks_${phase}`] = n;
    }
    return figures;
  }

  /** For the latency check's explanation when a phase's quantiles come from the histogram; null when all are exact. */
  note(): string | null {
    const approx = LATENCY_PHASES.filter((p) => this.by[p].approximate);
    const missed = this.invokes.missed;
    const notes = [
      ...(approx.length
        ? [
            `p50 and p99 are nearest-rank quantiles of the acknowledged writes' latencies; ${approx.join(', ')} had more than ` +
              `${MAX_EXACT_LATENCIES} distinct µs values, so their p50 and p99 come from a histogram of log buckets (within ` +
              `${(LATENCY_RELATIVE_ERROR * 100).toFixed(2)} % of the exact value; max exact)`,
          ]
        : []),
      ...(missed
        ? [
            `${missed} acknowledgements are not counted: their invoke was not known any more (more than ${INVOKE_RING} writes of their client earlier) or they acknowledged a write again`,
          ]
        : []),
    ];
    return notes.length ? notes.join('; ') : null;
  }
}

/** Feed every operation to every fold, in order. */
export function foldAll(ops: Iterable<Op>, ...folds: Array<{ add(op: Op): void }>): void {
  for (const op of ops) for (const f of folds) f.add(op);
}

/** checkWriteLossAttributed over a fold (attributeLoss's split of the lost writes, then the same acceptance). */
export function attributedLossOfFold(
  fold: WriteFold,
  input: Pick<TrialInput, 'readBack' | 'oldMaster' | 'faultNs'>,
  config: { maxLost: number; acceptLossFromOldMaster: boolean; maxLostFromOldMaster?: number; sinceNs?: number | null },
): { check: CheckResult; warning: string | null } {
  const sinceNs = config.sinceNs === undefined ? input.faultNs : config.sinceNs;
  // Without a read-back nothing can be called lost (the check is unknown), and a fold given a LostSpec has no other.
  const lost = input.readBack
    ? fold.lostWrites(input.readBack.present, { sinceNs, oldMaster: input.oldMaster })
    : { fromOldMasterAfterFault: 0, other: 0, otherFirst: [] };
  return attributedResult(
    input,
    { fromOldMasterAfterFault: lost.fromOldMasterAfterFault, other: lost.other, otherFirst: lost.otherFirst },
    (maxLost) => writeLossOfFold(fold, input.readBack, input.faultNs, { maxLost }),
    config,
  );
}
