// Per-operation latency (completion − invoke) before, during and after the fault, with optional bounds, and acks over time.
import type { CheckResult, Figures, TrialInput } from '../model/check.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Op } from '../model/history.ts';
import { firstNewMasterAckNs } from './phases.ts';
import { quantile } from './stats.ts';

export const LATENCY_PHASES = ['before', 'during', 'after'] as const;
export type LatencyPhase = (typeof LATENCY_PHASES)[number];

export const LATENCY_STATS = ['p50', 'p99', 'max'] as const;
export type LatencyStat = (typeof LATENCY_STATS)[number];

/** Optional upper bounds, ms, e.g. `{ p99AfterMs: 5 }`; the key is `<stat><Phase>Ms`. */
export type LatencyBounds = Partial<Record<`${LatencyStat}${Capitalize<LatencyPhase>}Ms`, number>>;

/** One completed operation: its invoke and its completion (the ok if the write was ever acknowledged). */
export interface LatencySample {
  process: string;
  key: string;
  invokeNs: number;
  completeNs: number;
  type: 'ok' | 'fail' | 'info';
  /** An ok that came after the client's timeout had reported the write indeterminate. */
  late: boolean;
  latencyMs: number;
}

/** The instants splitting a trial into phases, by an operation's invoke time; null when not known. */
export interface LatencyWindows {
  /** Start of "during": the fault's inject mark (or its landing). */
  faultNs: number | null;
  /** Start of "after": the first write a new master acknowledged, else the fault's heal completed. */
  recoveryNs: number | null;
  /** What recoveryNs is, for the explanation. */
  recovery: 'first-ack' | 'healed' | null;
}

/**
 * Pairs each invoke with its completion per (process, key): an ok if one came (also a late ok after a
 * client timeout: the server did acknowledge it), else fail, else info. Invokes never completed are left out.
 */
export function latencySamples(history: readonly Op[]): LatencySample[] {
  const invokes = new Map<string, number>();
  const done = new Map<string, Op>();
  const rank = { ok: 3, fail: 2, info: 1, invoke: 0 } as const;
  for (const op of history) {
    const id = `${op.process}\u0000${op.key}`;
    if (op.type === 'invoke') {
      if (!invokes.has(id)) invokes.set(id, op.ns);
      continue;
    }
    const prev = done.get(id);
    if (!prev || rank[op.type] > rank[prev.type]) done.set(id, op);
  }
  const out: LatencySample[] = [];
  for (const [id, invokeNs] of invokes) {
    const c = done.get(id);
    if (!c || c.type === 'invoke') continue;
    out.push({ process: c.process, key: c.key, invokeNs, completeNs: c.ns, type: c.type, late: c.late === true, latencyMs: (c.ns - invokeNs) / 1e6 });
  }
  return out.sort((a, b) => a.invokeNs - b.invokeNs);
}

function firstFaultMark(events: readonly TrialEvent[], type: string, afterNs = -Infinity): number | null {
  let first: number | null = null;
  for (const e of events) if (e.kind === 'fault' && e.type === type && e.ns >= afterNs && (first === null || e.ns < first)) first = e.ns;
  return first;
}

/**
 * "during" starts at the fault's first inject mark at or before its landing (else the landing) and ends at
 * the first write a node other than the old master acknowledged (a failover), else at the first 'healed'
 * mark after the landing (a fault that is held, then healed); without either it lasts to the end.
 */
export function latencyWindows(input: TrialInput, firstNewMasterAck?: number | null): LatencyWindows {
  const { faultNs, events } = input;
  if (faultNs === null) return { faultNs: null, recoveryNs: null, recovery: null };
  const inject = firstFaultMark(events, 'inject');
  const start = inject !== null && inject <= faultNs ? inject : faultNs;
  const ack = firstNewMasterAck === undefined ? firstNewMasterAckNs(input) : firstNewMasterAck;
  if (ack !== null) return { faultNs: start, recoveryNs: ack, recovery: 'first-ack' };
  const healed = firstFaultMark(events, 'healed', faultNs);
  return healed !== null ? { faultNs: start, recoveryNs: healed, recovery: 'healed' } : { faultNs: start, recoveryNs: null, recovery: null };
}

/** The phase of an operation invoked at ns; without a fault every operation is "before". */
export function phaseOf(ns: number, w: LatencyWindows): LatencyPhase {
  if (w.faultNs === null || ns < w.faultNs) return 'before';
  if (w.recoveryNs === null || ns < w.recoveryNs) return 'during';
  return 'after';
}

const round3 = (v: number): number => Math.round(v * 1e3) / 1e3;

/**
 * Figures latency_{p50,p99,max}_{before,during,after}_ms over acknowledged operations by invoke time
 * (nearest-rank quantiles, see stats.ts), rounded to µs, and latency_acks_{phase}; a phase without an
 * acknowledged operation gives null, never 0.
 */
export function latencyFigures(input: TrialInput): Figures {
  const w = latencyWindows(input);
  const by: Record<LatencyPhase, number[]> = { before: [], during: [], after: [] };
  for (const s of latencySamples(input.history)) if (s.type === 'ok') by[phaseOf(s.invokeNs, w)].push(s.latencyMs);
  return figuresOf(by);
}

function figuresOf(by: Record<LatencyPhase, number[]>): Figures {
  const figures: Figures = {};
  for (const phase of LATENCY_PHASES) {
    const sorted = by[phase].sort((a, b) => a - b);
    const empty = sorted.length === 0;
    figures[`latency_p50_${phase}_ms`] = empty ? null : round3(quantile(sorted, 0.5));
    figures[`latency_p99_${phase}_ms`] = empty ? null : round3(quantile(sorted, 0.99));
    figures[`latency_max_${phase}_ms`] = empty ? null : round3(sorted[sorted.length - 1]!);
    figures[`latency_acks_${phase}`] = sorted.length;
  }
  return figures;
}

const cap = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

/**
 * Checks the latency figures against the scenario's bounds: false when a measured figure exceeds its bound
 * (the explanation names figure, bound and value); 'unknown' when a bounded phase had no acknowledged
 * operation; true otherwise (also without bounds).
 */
export function checkLatency(input: TrialInput, config: { bounds?: LatencyBounds }): CheckResult {
  return latencyResult(latencyFigures(input), latencyWindows(input), config);
}

/** The latency check from its figures and windows (in memory above, in one pass in history-fold.ts, whose `note` says when its quantiles are approximate). */
export function latencyResult(figures: Figures, w: LatencyWindows, config: { bounds?: LatencyBounds }, note: string | null = null): CheckResult {
  const breaches: string[] = [];
  const unmeasured: string[] = [];
  for (const phase of LATENCY_PHASES) {
    for (const stat of LATENCY_STATS) {
      const bound = config.bounds?.[`${stat}${cap(phase) as Capitalize<LatencyPhase>}Ms`];
      if (bound === undefined) continue;
      const figure = `latency_${stat}_${phase}_ms`;
      const value = figures[figure];
      if (value === null || value === undefined)
        unmeasured.push(
          `${figure} (bound ${bound} ms): no acknowledged operation ${phase === 'before' ? 'before the fault' : phase === 'during' ? 'during the fault' : 'after recovery'}`,
        );
      else if (value > bound) breaches.push(`${figure} = ${value} ms exceeds the bound ${bound} ms`);
    }
  }
  const summary = LATENCY_PHASES.map((p) => {
    const n = figures[`latency_acks_${p}`];
    return n
      ? `${p}: p50 ${figures[`latency_p50_${p}_ms`]} / p99 ${figures[`latency_p99_${p}_ms`]} / max ${figures[`latency_max_${p}_ms`]} ms (${n} acks)`
      : `${p}: no acks`;
  }).join('; ');
  const split =
    w.recovery === 'first-ack'
      ? 'after = from the first ack on a new master'
      : w.recovery === 'healed'
        ? 'after = from the heal'
        : w.faultNs === null
          ? 'no fault: all before'
          : 'no recovery seen';
  const parts = [...breaches, ...unmeasured, `${summary} (${split})`, ...(note ? [note] : [])];
  return { name: 'latency', valid: breaches.length > 0 ? false : unmeasured.length > 0 ? 'unknown' : true, figures, explanation: parts.join('; ') };
}

/** Acknowledgements per bucket of bucketMs by completion time, from originNs (bucket i covers [i, i+1) × bucketMs, may be negative). */
export function ackRate(history: readonly Op[], originNs: number, bucketMs: number): { startMs: number; acks: number }[] {
  const counts = new Map<number, number>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const op of history) {
    if (op.type !== 'ok') continue;
    const i = Math.floor((op.ns - originNs) / 1e6 / bucketMs);
    counts.set(i, (counts.get(i) ?? 0) + 1);
    lo = Math.min(lo, i);
    hi = Math.max(hi, i);
  }
  const out: { startMs: number; acks: number }[] = [];
  for (let i = lo; i <= hi; i++) out.push({ startMs: i * bucketMs, acks: counts.get(i) ?? 0 });
  return out;
}
