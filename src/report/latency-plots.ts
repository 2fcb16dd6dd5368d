// A trial's latency scatter (log scale) and ack-rate plot, as inline SVG on one axis of ms from the fault (Jepsen's latency and rate graphs).
import { ackRate, latencySamples, type LatencySample } from '../checkers/latency.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Op } from '../model/history.ts';
import type { HistorySummary } from './history-summary.ts';

/** At most this many points per trial's scatter, so the page stays small. */
export const MAX_SCATTER_POINTS = 4000;
/** Of which at most this many failed / indeterminate operations. */
const MAX_NOT_OK_POINTS = 1000;

const W = 1200;
const L = 200;
const R = 24;
const PW = W - L - R;
const TOP = 30;
const SCATTER_H = 240;
const RATE_H = 130;

type Shade = 'ok' | 'late' | 'info' | 'fail';
const COLOR: Record<Shade, string> = { ok: '#16a34a', late: '#d97706', info: '#f59e0b', fail: '#dc2626' };
const LABEL: Record<Shade, string> = {
  ok: 'acknowledged',
  late: 'acknowledged after the client timeout',
  info: 'indeterminate (connection lost, never acknowledged)',
  fail: 'failed',
};
const shadeOf = (s: LatencySample): Shade => (s.type === 'ok' && s.late ? 'late' : s.type);

const n1 = (v: number): string => String(Math.round(v * 10) / 10);
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (v: unknown): string => String(v).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/**
 * At most `max` samples: all when they fit; otherwise every failed or indeterminate one (every k-th
 * beyond MAX_NOT_OK_POINTS), and of the acknowledged ones the fastest and the slowest in each of `columns`
 * equal slices of the x range (fewer slices when the budget is smaller), so the envelope and every outlier stay.
 */
export function downsample(samples: readonly LatencySample[], xOf: (s: LatencySample) => number, columns: number, max = MAX_SCATTER_POINTS): LatencySample[] {
  if (samples.length <= max) return [...samples];
  const notOk = samples.filter((s) => s.type !== 'ok');
  const stride = Math.ceil(notOk.length / MAX_NOT_OK_POINTS);
  const keptNotOk = notOk.filter((_, i) => i % stride === 0);
  const cols = Math.max(1, Math.min(columns, Math.floor((max - keptNotOk.length) / 2)));
  const lo = new Map<number, LatencySample>();
  const hi = new Map<number, LatencySample>();
  for (const s of samples) {
    if (s.type !== 'ok') continue;
    const c = Math.min(cols - 1, Math.max(0, Math.floor(xOf(s) * cols)));
    if (!lo.has(c) || s.latencyMs < lo.get(c)!.latencyMs) lo.set(c, s);
    if (!hi.has(c) || s.latencyMs > hi.get(c)!.latencyMs) hi.set(c, s);
  }
  return [...new Set([...lo.values(), ...hi.values()]), ...keptNotOk].sort((a, b) => a.invokeNs - b.invokeNs);
}

/** Fault windows (inject or landed → healed) in ms from the origin; an unhealed one runs to `end`. */
function faultWindows(events: readonly TrialEvent[], originNs: number, end: number): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  let start: number | null = null;
  for (const e of [...events].filter((x) => x.kind === 'fault').sort((a, b) => a.ns - b.ns)) {
    const t = (e.ns - originNs) / 1e6;
    if ((e.type === 'inject' || e.type === 'landed') && start === null) start = t;
    else if (e.type === 'healed' && start !== null) {
      out.push({ start, end: t });
      start = null;
    }
  }
  if (start !== null) out.push({ start, end });
  return out;
}

function linearTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  if (!(raw > 0)) return [lo];
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t * 1e6) / 1e6);
  return out;
}

const timeLabel = (t: number, span: number): string => (t === 0 ? '0' : span >= 4000 ? `${Math.round(t / 10) / 100} s` : `${Math.round(t)} ms`);
const latLabel = (v: number): string => (v >= 1000 ? `${v / 1000} s` : `${v} ms`);

export interface PlotOrigin {
  ns: number;
  /** What t = 0 is, for the axis title: "fault landed". */
  axis: string;
}

/**
 * The scatter (id `latency-<id>`: x = invoke time, y = completion − invoke on a log scale, one dot per
 * operation coloured ok / fail / info, downsampled to MAX_SCATTER_POINTS) and the rate plot (id
 * `rate-<id>`: acknowledgements per 100 ms bucket by completion time, 1 s buckets beyond 60 s), both with
 * the fault window shaded and a dashed line where `recoveryNs` (the first ack on a new master) lies.
 */
export function latencyPlots(
  id: string,
  events: readonly TrialEvent[],
  history: readonly Op[],
  origin: PlotOrigin,
  recoveryNs: number | null,
  summary?: HistorySummary,
): string {
  const all = latencySamples(history);
  if (all.length === 0) return '<p class="muted">No completed operation: no latency to plot.</p>';
  const ms = (ns: number): number => (ns - origin.ns) / 1e6;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of all) {
    lo = Math.min(lo, ms(s.invokeNs));
    hi = Math.max(hi, ms(s.completeNs));
  }
  const pad = Math.max(1, (hi - lo) * 0.015);
  lo -= pad;
  hi += pad;
  const x = (t: number): number => L + ((t - lo) / (hi - lo)) * PW;
  const clampX = (t: number): number => Math.min(L + PW, Math.max(L, x(t)));
  const windows = faultWindows(events, origin.ns, hi);
  const recovery = recoveryNs === null ? null : ms(recoveryNs);

  const shade = (y0: number, h: number): string[] => {
    const out = windows.map(
      (w) =>
        `<rect x="${n1(clampX(w.start))}" y="${y0}" width="${n1(Math.max(1, clampX(w.end) - clampX(w.start)))}" height="${h}" class="fault-window"><title>fault window</title></rect>`,
    );
    if (recovery !== null && recovery >= lo && recovery <= hi) {
      out.push(
        `<line x1="${n1(x(recovery))}" x2="${n1(x(recovery))}" y1="${y0}" y2="${y0 + h}" class="recovery-line"><title>${esc(`first ack on a new master, ${Math.round(recovery)} ms`)}</title></line>`,
      );
    }
    if (0 >= lo && 0 <= hi) out.push(`<line x1="${n1(x(0))}" x2="${n1(x(0))}" y1="${y0}" y2="${y0 + h}" class="zero-line"/>`);
    return out;
  };
  const xAxis = (y0: number, h: number): string[] =>
    linearTicks(lo, hi, 10).flatMap((t) => [
      `<line x1="${n1(x(t))}" x2="${n1(x(t))}" y1="${y0 - 4}" y2="${y0 + h}" class="grid-line"/>`,
      `<text x="${n1(x(t))}" y="${y0 - 9}" class="tick" text-anchor="middle">${esc(timeLabel(t, hi - lo))}</text>`,
    ]);

  // Scatter.
  const shown = downsample(all, (s) => (ms(s.invokeNs) - lo) / (hi - lo), PW);
  const lats = all.map((s) => Math.max(s.latencyMs, 0.01));
  const yLo = 10 ** Math.floor(Math.log10(lats.reduce((m, x) => (x < m ? x : m), Infinity)));
  const yHi = 10 ** Math.ceil(Math.log10(lats.reduce((m, x) => (x > m ? x : m), 0) * 1.0001));
  const y = (v: number): number => TOP + SCATTER_H - ((Math.log10(Math.max(v, 0.01)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo) || 1)) * SCATTER_H;
  const sc: string[] = [];
  sc.push(
    `<svg id="latency-${esc(id)}" class="latency-plot" viewBox="0 0 ${W} ${TOP + SCATTER_H + 10}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`latency of each operation against its invoke time, ms from ${origin.axis}, log scale`)}">`,
  );
  sc.push(`<text x="12" y="${TOP + 15}" class="row-label">latency</text><text x="12" y="${TOP + 28}" class="row-sub">completion − invoke, log</text>`);
  sc.push(`<text x="12" y="${TOP - 9}" class="axis-title">invoke, ms from ${esc(origin.axis)}</text>`);
  sc.push(...shade(TOP, SCATTER_H), ...xAxis(TOP, SCATTER_H));
  for (let d = yLo; d <= yHi * 1.0001; d *= 10) {
    const v = Math.round(d * 1000) / 1000;
    sc.push(
      `<line x1="${L}" x2="${L + PW}" y1="${n1(y(v))}" y2="${n1(y(v))}" class="grid-line"/><text x="${L - 6}" y="${n1(y(v) + 4)}" class="tick" text-anchor="end">${esc(latLabel(v))}</text>`,
    );
  }
  sc.push(`<line x1="${L}" x2="${L}" y1="${TOP}" y2="${TOP + SCATTER_H}" class="gutter"/>`);
  for (const type of ['ok', 'late', 'info', 'fail'] as const) {
    const pts = shown.filter((s) => shadeOf(s) === type).map((s) => `<circle cx="${n1(x(ms(s.invokeNs)))}" cy="${n1(y(s.latencyMs))}" r="1.6"/>`);
    if (pts.length > 0) sc.push(`<g class="lat-${type}" fill="${COLOR[type]}" fill-opacity=".65">${pts.join('')}</g>`);
  }
  sc.push('</svg>');

  // Rate: of every acknowledgement, or for a long (streamed) trial of its summary, each point the max and min of its buckets.
  const shift = summary ? (summary.originNs - origin.ns) / 1e6 : 0;
  const pts = summary?.rate.points ?? [];
  const span = pts.length > 1 ? pts[1]!.x - pts[0]!.x : (summary?.rate.bucketMs ?? 0);
  const bucketMs = summary ? span : hi - lo > 60_000 ? 1000 : 100;
  const buckets: Array<{ startMs: number; acks: number; min?: number }> = summary
    ? pts.map((p) => ({ startMs: p.x + shift, acks: p.max, min: p.min }))
    : ackRate(history, origin.ns, bucketMs);
  // A burst of late acks after a failover would flatten the steady rate: the axis stops at twice the 90th
  // percentile bucket, and a taller bucket is clipped and labelled with its count.
  const sortedCounts = buckets.map((b) => b.acks).sort((a, b) => a - b);
  const peak = Math.max(1, sortedCounts.at(-1) ?? 0);
  const p90 = sortedCounts[Math.max(0, Math.ceil(0.9 * sortedCounts.length) - 1)] ?? 0;
  const top = Math.min(peak, Math.max(1, 2 * p90));
  const yMax = linearTicks(0, top, 4).find((t) => t >= top) ?? top;
  const ry = (v: number): number => TOP + RATE_H - (Math.min(v, yMax) / yMax) * RATE_H;
  const rt: string[] = [];
  rt.push(
    `<svg id="rate-${esc(id)}" class="rate-plot" viewBox="0 0 ${W} ${TOP + RATE_H + 10}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`acknowledged writes per ${bucketMs} ms, ms from ${origin.axis}`)}">`,
  );
  rt.push(
    `<text x="12" y="${TOP + 15}" class="row-label">throughput</text><text x="12" y="${TOP + 28}" class="row-sub">acks per ${summary ? `${summary.rate.bucketMs} ms, max / min of ${bucketMs} ms` : `${bucketMs} ms`}</text>`,
  );
  rt.push(`<text x="12" y="${TOP - 9}" class="axis-title">completion, ms from ${esc(origin.axis)}</text>`);
  rt.push(...shade(TOP, RATE_H), ...xAxis(TOP, RATE_H));
  for (const t of linearTicks(0, yMax, 4)) {
    rt.push(
      `<line x1="${L}" x2="${L + PW}" y1="${n1(ry(t))}" y2="${n1(ry(t))}" class="grid-line"/><text x="${L - 6}" y="${n1(ry(t) + 4)}" class="tick" text-anchor="end">${esc(t)}</text>`,
    );
  }
  rt.push(`<line x1="${L}" x2="${L}" y1="${TOP}" y2="${TOP + RATE_H}" class="gutter"/>`);
  if (buckets.length > 0) {
    const d = [`M${n1(clampX(buckets[0]!.startMs))},${n1(ry(0))}`];
    for (const b of buckets) d.push(`L${n1(clampX(b.startMs))},${n1(ry(b.acks))}L${n1(clampX(b.startMs + bucketMs))},${n1(ry(b.acks))}`);
    d.push(`L${n1(clampX(buckets.at(-1)!.startMs + bucketMs))},${n1(ry(0))}Z`);
    rt.push(`<path d="${d.join('')}" class="rate-area" fill="${COLOR.ok}" fill-opacity=".25" stroke="${COLOR.ok}" stroke-width="1"/>`);
    if (summary) {
      const lows = buckets.map((b) => `${n1(clampX(b.startMs))},${n1(ry(b.min ?? 0))} ${n1(clampX(b.startMs + bucketMs))},${n1(ry(b.min ?? 0))}`);
      rt.push(
        `<polyline points="${lows.join(' ')}" class="rate-min" fill="none" stroke="${COLOR.fail}" stroke-width="1"><title>fewest acks in a bucket</title></polyline>`,
      );
    }
    for (const b of buckets.filter((x) => x.acks > yMax)) {
      rt.push(`<text x="${n1(clampX(b.startMs + bucketMs / 2) + 4)}" y="${TOP + 11}" class="tick">${esc(`${b.acks} ↑`)}</text>`);
    }
  }
  rt.push('</svg>');

  const { legend, note } = legendAndNote(all, shown, summary);
  return [
    `<div class="timeline-wrap">${sc.join('')}</div>`,
    `<div class="timeline-wrap">${rt.join('')}</div>`,
    `<div class="legend">${legend}<span><i class="sq fault"></i>fault window</span><span><i class="sq recovery"></i>first ack on a new master</span></div>`,
    `<p class="fine">${esc(note)} Invokes never completed are not drawn.</p>`,
  ].join('\n');
}

/** The scatter's legend (counts per shade) and the note on what it draws. */
function legendAndNote(all: readonly LatencySample[], shown: readonly LatencySample[], summary: HistorySummary | undefined): { legend: string; note: string } {
  const counts = (['ok', 'late', 'info', 'fail'] as const).map((t) => [t, all.filter((s) => shadeOf(s) === t).length] as const);
  const legend = counts
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `<span><i class="mk" style="background:${COLOR[t]}"></i>${esc(`${LABEL[t]} (${n})`)}</span>`)
    .join('');
  const note = summary
    ? `A long trial: ${shown.length} operations drawn from a sample of ${summary.sampled} of its ${summary.ops} (the slowest and fastest write in each of 1000 slices of time, every failed, indeterminate or lost one up to a bound); the throughput counts every acknowledgement.`
    : shown.length < all.length
      ? `${shown.length} of ${all.length} operations drawn: every failed or indeterminate one (every k-th beyond ${MAX_NOT_OK_POINTS}), and of the acknowledged ones the fastest and slowest in each of up to ${PW} slices of the time axis.`
      : `All ${all.length} completed operations drawn.`;
  return { legend, note };
}
