// What the report keeps of a long history, read in one pass: a bounded sample of the operations for the scatter and
// the write strip, the acknowledgement rate downsampled with each bucket's maximum and minimum (spikes and outages both
// survive), and figures per fault window.
import type { Op } from '../model/history.ts';
import { CompactKeySet } from '../model/key-set.ts';
import { RecentInvokes } from '../checkers/history-fold.ts';

/** A plotted series point after downsampling: the bucket's start and the largest and smallest value in it. */
export interface SpanPoint {
  x: number;
  max: number;
  min: number;
}

/**
 * At most `max` points: runs of ceil(n / max) consecutive points merged into one at the run's first x, with the run's
 * largest and smallest y, so a one-bucket spike or gap is still drawn however long the run. Points are in x order.
 */
export function downsampleMax(points: ReadonlyArray<{ x: number; y: number }>, max: number): SpanPoint[] {
  if (max < 1) throw new RangeError('downsampleMax: max must be at least 1');
  const per = Math.max(1, Math.ceil(points.length / max));
  const out: SpanPoint[] = [];
  for (let i = 0; i < points.length; i += per) {
    let hi = -Infinity;
    let lo = Infinity;
    for (let j = i; j < Math.min(points.length, i + per); j++) {
      const y = points[j]!.y;
      if (y > hi) hi = y;
      if (y < lo) lo = y;
    }
    out.push({ x: points[i]!.x, max: hi, min: lo });
  }
  return out;
}

/** The report's view of a long trial (kept in the journal: its size does not depend on the run's length). */
export interface HistorySummary {
  /** Operations in the history file. */
  ops: number;
  /** The run-clock instant the rate's and the windows' ms count from. */
  originNs: number;
  /** Operations kept in `sample`. */
  sampled: number;
  /** Acknowledgements per `bucketMs` by completion, ms from the trial's origin, at most MAX_RATE_POINTS points. */
  rate: { bucketMs: number; points: SpanPoint[] };
  /** Per fault window (a schedule's step, start to convergence after its heal) and outside every window. */
  windows: WindowFigures[];
  /** How much of the run the windows cover, and the writes they excuse (absent in journals from before it). */
  coverage?: WindowCoverage;
}

/**
 * The fault windows against the run: a dense schedule leaves the no-lost-writes invariant little to judge, since a
 * write first acknowledged inside a window may be lost. Writes here by first acknowledgement, as the invariant judges them.
 */
export interface WindowCoverage {
  /** Share of the history's span (first to last operation) inside at least one window; null for an empty span. */
  faultWindowCoverage: number | null;
  ackedInside: number;
  ackedOutside: number;
  lostInside: number;
  lostOutside: number;
  /** lostInside / ackedInside; null without a write acknowledged inside. */
  lostShareInside: number | null;
}

/** Share of [fromNs, toNs] inside the union of `windows`. */
export function windowCoverage(windows: ReadonlyArray<{ startNs: number; endNs: number }>, fromNs: number, toNs: number): number | null {
  if (!(toNs > fromNs)) return null;
  const parts = windows
    .map((w) => [Math.max(w.startNs, fromNs), Math.min(w.endNs, toNs)] as const)
    .filter(([a, b]) => b > a)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let end = -Infinity;
  for (const [a, b] of parts) {
    if (b <= end) continue;
    covered += b - Math.max(a, end);
    end = b;
  }
  return Math.round((covered / (toNs - fromNs)) * 1e4) / 1e4;
}

export interface WindowFigures {
  /** "step 3 kill-pod redis-1 (master)", or "outside windows". */
  label: string;
  fromMs: number;
  toMs: number;
  invoked: number;
  acked: number;
  notOk: number;
  /** Slowest acknowledged write invoked in the window, ms. */
  maxLatencyMs: number | null;
  lost: number;
}

export const MAX_RATE_POINTS = 1000;
export const OUTSIDE_WINDOWS = 'outside every window';
const SAMPLE_BUCKETS = 1000;
const MAX_NOT_OK_SAMPLED = 5000;
const MAX_LOST_SAMPLED = 2000;
export interface SummaryWindow {
  label: string;
  startNs: number;
  endNs: number;
}

/**
 * One pass over a time-ordered history (ns from `fromNs` to `toNs`, known from an earlier pass): the sample (every
 * operation of the slowest and fastest acknowledged write in each of SAMPLE_BUCKETS slices of time, of failed or
 * indeterminate writes up to MAX_NOT_OK_SAMPLED, of lost writes up to MAX_LOST_SAMPLED), the rate and the window figures.
 */
export class SummaryFold {
  private readonly invokes = new RecentInvokes();
  /** Keys whose first acknowledgement was counted (a bit a numbered key). */
  private readonly ackCounted = new CompactKeySet();
  private readonly slow = new Map<number, [Op, Op]>();
  private readonly fast = new Map<number, [Op, Op]>();
  private readonly notOk: Op[] = [];
  private readonly lostOps: Op[] = [];
  private readonly rate = new Map<number, number>();
  private readonly bucketMs: number;
  private readonly windows: Array<WindowFigures & { startNs: number; endNs: number }>;
  private readonly outsideAll: WindowFigures;
  private ops = 0;
  private readonly cov = { ackedInside: 0, ackedOutside: 0, lostInside: 0, lostOutside: 0 };
  private readonly o: { fromNs: number; toNs: number; originNs: number; isLost: (key: string) => boolean };

  constructor(o: { fromNs: number; toNs: number; originNs: number; isLost: (key: string) => boolean; windows: readonly SummaryWindow[] }) {
    this.o = o;
    this.bucketMs = (o.toNs - o.fromNs) / 1e6 > 60_000 ? 1000 : 100;
    const ms = (ns: number) => Math.round((ns - o.originNs) / 1e6);
    const empty = { invoked: 0, acked: 0, notOk: 0, maxLatencyMs: null, lost: 0 };
    this.windows = [...o.windows]
      .sort((a, b) => a.startNs - b.startNs)
      .map((w) => ({ ...empty, label: w.label, fromMs: ms(w.startNs), toMs: ms(w.endNs), startNs: w.startNs, endNs: w.endNs }));
    this.outsideAll = { ...empty, label: OUTSIDE_WINDOWS, fromMs: ms(o.fromNs), toMs: ms(o.toNs) };
  }

  /** The figures an operation at `ns` counts towards: every window holding it, else "outside". */
  private figuresAt(ns: number): WindowFigures[] {
    const inside = this.windows.filter((w) => ns >= w.startNs && ns <= w.endNs);
    return inside.length ? inside : [this.outsideAll];
  }

  add(op: Op): void {
    this.ops++;
    if (op.type === 'invoke') {
      this.invokes.set(op.key, op.ns);
      for (const f of this.figuresAt(op.ns)) f.invoked++;
      return;
    }
    // An indeterminate write may still be acknowledged: its invoke is kept until a final result.
    const invokeNs = this.invokes.get(op.key, op.type !== 'info') ?? op.ns;
    if (op.type === 'ok') this.firstAck(op);
    const invoke: Op = { process: op.process, type: 'invoke', f: op.f, key: op.key, ns: invokeNs };
    if (op.type === 'ok') {
      const b = Math.floor((op.ns - this.o.originNs) / 1e6 / this.bucketMs);
      this.rate.set(b, (this.rate.get(b) ?? 0) + 1);
      const lat = (op.ns - invokeNs) / 1e6;
      for (const f of this.figuresAt(invokeNs)) {
        f.acked++;
        if (f.maxLatencyMs === null || lat > f.maxLatencyMs) f.maxLatencyMs = Math.round(lat * 1e3) / 1e3;
        if (this.o.isLost(op.key)) f.lost++;
      }
      const s = Math.min(SAMPLE_BUCKETS - 1, Math.max(0, Math.floor(((invokeNs - this.o.fromNs) / Math.max(1, this.o.toNs - this.o.fromNs)) * SAMPLE_BUCKETS)));
      const latOf = (p: [Op, Op] | undefined) => (p ? p[1].ns - p[0].ns : NaN);
      if (!(latOf(this.slow.get(s)) >= op.ns - invokeNs)) this.slow.set(s, [invoke, op]);
      if (!(latOf(this.fast.get(s)) <= op.ns - invokeNs)) this.fast.set(s, [invoke, op]);
      if (this.o.isLost(op.key) && this.lostOps.length < MAX_LOST_SAMPLED * 2) this.lostOps.push(invoke, op);
    } else {
      for (const f of this.figuresAt(invokeNs)) f.notOk++;
      if (this.notOk.length < MAX_NOT_OK_SAMPLED * 2) this.notOk.push(invoke, op);
    }
  }

  /** A key's first acknowledgement, inside a window or not (by its time: what the no-lost-writes invariant excuses). */
  private firstAck(op: Op): void {
    if (this.ackCounted.has(op.key)) return;
    this.ackCounted.add(op.key);
    const inside = this.windows.some((w) => op.ns >= w.startNs && op.ns <= w.endNs);
    const lost = this.o.isLost(op.key);
    if (inside) {
      this.cov.ackedInside++;
      if (lost) this.cov.lostInside++;
    } else {
      this.cov.ackedOutside++;
      if (lost) this.cov.lostOutside++;
    }
  }

  /** The bounded sample, in time order, and the summary for the journal. */
  finish(): { sample: Op[]; summary: HistorySummary } {
    const seen = new Set<string>();
    const sample: Op[] = [];
    for (const op of [...[...this.slow.values()].flat(), ...[...this.fast.values()].flat(), ...this.notOk, ...this.lostOps]) {
      const id = `${op.key}\u0000${op.type}\u0000${op.ns}`;
      if (seen.has(id)) continue;
      seen.add(id);
      sample.push(op);
    }
    sample.sort((a, b) => a.ns - b.ns);
    const buckets = [...this.rate.keys()];
    const lo = buckets.reduce((a, b) => Math.min(a, b), Infinity);
    const hi = buckets.reduce((a, b) => Math.max(a, b), -Infinity);
    const series: Array<{ x: number; y: number }> = [];
    for (let b = lo; b <= hi; b++) series.push({ x: b * this.bucketMs, y: this.rate.get(b) ?? 0 });
    const windows = [...this.windows.map(({ startNs: _s, endNs: _e, ...w }) => w), this.outsideAll];
    return {
      sample,
      summary: {
        originNs: this.o.originNs,
        ops: this.ops,
        sampled: sample.length,
        rate: { bucketMs: this.bucketMs, points: downsampleMax(series, MAX_RATE_POINTS) },
        windows,
        coverage: {
          faultWindowCoverage: windowCoverage(this.windows, this.o.fromNs, this.o.toNs),
          ...this.cov,
          lostShareInside: this.cov.ackedInside ? Math.round((this.cov.lostInside / this.cov.ackedInside) * 1e4) / 1e4 : null,
        },
      },
    };
  }
}
