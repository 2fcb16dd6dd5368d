// The checkers over a history read once, operation by operation, as a long run streams it to disk: each fold keeps only
// what its check needs, per key in typed columns (a few bytes a key), so memory grows with the keys, not with the operations.
import { nsToMs } from '../clock.ts';
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
    this.col = this.other;
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
      if (col === undefined && create && n < 1 << 20) this.prefixes.set(prefix, (col = new Column(this.fields)));
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

interface Picked {
  ns: number;
  order: number;
  key: string;
  col: Column;
  i: number;
}

const before = (a: Picked, b: Picked): number => a.ns - b.ns || a.order - b.order;

/** The `n` smallest and `n` largest of what it is offered by (ns, order), in at most 4n entries whatever the count. */
class Extremes {
  private low: Picked[] = [];
  private high: Picked[] = [];
  /** The n-th smallest (largest) once cut to n: an entry past it cannot be among the n smallest (largest). */
  private lowCut: Picked | null = null;
  private highCut: Picked | null = null;
  private readonly n: number;

  constructor(n: number) {
    this.n = n;
  }

  offer(ns: number, order: number, key: string, col: Column, i: number): void {
    const n = this.n;
    if (n === 0) return;
    const e = { ns, order, key, col, i };
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
  first(): Picked[] {
    return this.low.sort(before).slice(0, this.n);
  }

  /** The n smallest and the n largest, each once, in order. */
  all(): Picked[] {
    const low = this.first();
    const high = this.high.sort((a, b) => before(b, a)).slice(0, this.n);
    const seen = new Set(low.map((e) => e.order));
    return [...low, ...high.filter((e) => !seen.has(e.order))].sort(before);
  }
}

/**
 * Which keys were invoked, acknowledged (first acknowledgement: when, by which node, to which process), failed or
 * indeterminate: what write-loss, its attribution and the schedule's no-lost-writes invariant need.
 */
export class WriteFold {
  readonly keys = new KeyTable({ ack: true });
  /** Distinct keys acknowledged. */
  acked = 0;
  private readonly nodes = new Names();
  private readonly processes = new Names();
  /** First acknowledgements not yet taken by `takeNewAcks` (only when asked to keep them), at most `maxPending`. */
  private pending: Op[] | null;
  private overflowed = false;
  /** The first acknowledgement order `takeNewAcks` has not handed out yet. */
  private takenUpTo = 0;
  private readonly maxPending: number;
  /** The last `lostWrites` without a filter, until the next `add`. */
  private lostOf: { present: ReadonlySet<string>; sinceNs: number | null; oldMaster: number; lost: LostWrites } | null = null;

  constructor(opts: { newAcks?: boolean; maxPending?: number } = {}) {
    this.pending = opts.newAcks ? [] : null;
    this.maxPending = opts.maxPending ?? 100_000;
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
      col.ackNs[i] = op.ns;
      col.ackOrder[i] = this.acked++;
      col.ackNode[i] = this.nodes.id(op.node);
      col.ackProcess[i] = this.processes.id(op.process);
      if (this.pending && !this.overflowed) {
        if (this.pending.length < this.maxPending) this.pending.push(op);
        else {
          // A long stretch without a checkpoint: stop holding operations, find them in the columns when taken.
          this.overflowed = true;
          this.pending = [];
        }
      }
    } else if (op.ns < col.ackNs[i]!) col.ackNs[i] = op.ns;
  }

  /** First acknowledgements since the last call, in the order they came (for checkpoints between reads). */
  takeNewAcks(): Op[] {
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
   * it several times (loss, its attribution, the lost keys).
   */
  lostWrites(present: ReadonlySet<string>, o: LostWritesOptions = {}): LostWrites {
    const sampleSize = o.sampleSize ?? LOST_SAMPLE;
    const sinceNs = o.sinceNs ?? null;
    const oldMaster = o.oldMaster === undefined || o.oldMaster === null ? 0 : this.nodes.find(o.oldMaster);
    const c = this.lostOf;
    if (!o.keep && c && c.present === present && c.sinceNs === sinceNs && c.oldMaster === oldMaster && c.lost.sampleSize === sampleSize) return c.lost;
    const sample = new Extremes(sampleSize);
    const otherFirst = new Extremes(3);
    const byProcess = new Map<number, number>();
    let count = 0;
    let fromOld = 0;
    let firstNs: number | null = null;
    let lastNs: number | null = null;
    this.keys.scan((col, i, key) => {
      if ((col.flags[i]! & ACKED) === 0) return;
      const k = key();
      const ns = col.ackNs[i]!;
      if (present.has(k) || (o.keep && !o.keep(ns, k))) return;
      count++;
      if (firstNs === null || ns < firstNs) firstNs = ns;
      if (lastNs === null || ns > lastNs) lastNs = ns;
      const p = col.ackProcess[i]!;
      byProcess.set(p, (byProcess.get(p) ?? 0) + 1);
      const order = col.ackOrder[i]!;
      sample.offer(ns, order, k, col, i);
      if (sinceNs !== null && oldMaster !== 0 && ns > sinceNs && col.ackNode[i] === oldMaster) fromOld++;
      else otherFirst.offer(ns, order, k, col, i);
    });
    const lost: LostWrites = {
      count,
      firstNs,
      lastNs,
      byProcess: Object.fromEntries([...byProcess].map(([p, n]) => [this.processes.name(p) ?? '', n])),
      fromOldMasterAfterFault: fromOld,
      other: count - fromOld,
      otherFirst: otherFirst.first().map((e) => this.okOp(e.key, e.col, e.i)),
      sample: sample.all().map((e) => this.okOp(e.key, e.col, e.i)),
      sampleSize,
    };
    if (!o.keep) this.lostOf = { present, sinceNs, oldMaster, lost };
    return lost;
  }

  /** Whether `key` was acknowledged (a lost write is one acknowledged and absent from the read-back). */
  ackedKey(key: string): boolean {
    return this.keys.find(key, false) && (this.keys.col.flags[this.keys.i]! & ACKED) !== 0;
  }

  /** Acknowledged keys whose first acknowledgement `keep` selects (e.g. those outside every fault window), as ok operations. */
  acknowledged(keep: (ns: number) => boolean): Op[] {
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
  private readonly keys = new KeyTable({ invoke: true });
  private readonly by: Record<LatencyPhase, LatencyCounts> = { before: new LatencyCounts(), during: new LatencyCounts(), after: new LatencyCounts() };
  private readonly w: LatencyWindows;

  constructor(w: LatencyWindows) {
    this.w = w;
  }

  add(op: Op): void {
    const t = this.keys;
    if (op.type === 'invoke') {
      t.find(op.key, true);
      if ((t.col.flags[t.i]! & INVOKED) === 0) {
        t.col.flags[t.i]! |= INVOKED;
        t.col.invokeNs[t.i] = op.ns;
      }
      return;
    }
    if (op.type !== 'ok' || !t.find(op.key, false)) return;
    const { col, i } = t;
    if ((col.flags[i]! & INVOKED) === 0 || (col.flags[i]! & ACKED) !== 0) return;
    col.flags[i]! |= ACKED;
    this.by[phaseOf(col.invokeNs[i]!, this.w)].add(Math.round(((op.ns - col.invokeNs[i]!) / 1e6) * 1e3));
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
    if (approx.length === 0) return null;
    return (
      `p50 and p99 are nearest-rank quantiles of the acknowledged writes' latencies; ${approx.join(', ')} had more than ` +
      `${MAX_EXACT_LATENCIES} distinct µs values, so their p50 and p99 come from a histogram of log buckets (within ` +
      `${(LATENCY_RELATIVE_ERROR * 100).toFixed(2)} % of the exact value; max exact)`
    );
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
  const lost = fold.lostWrites(input.readBack?.present ?? new Set<string>(), { sinceNs, oldMaster: input.oldMaster });
  return attributedResult(
    input,
    { fromOldMasterAfterFault: lost.fromOldMasterAfterFault, other: lost.other, otherFirst: lost.otherFirst },
    (maxLost) => writeLossOfFold(fold, input.readBack, input.faultNs, { maxLost }),
    config,
  );
}
