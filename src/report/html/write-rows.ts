// Timeline rows of the clients' writes: outcome strips, acknowledgements per node and the lost-write window.
import { longestOutage } from '../../checkers/availability.ts';
import type { TrialEvent } from '../../model/events.ts';
import type { Op } from '../../model/history.ts';
import { fmt, fmtMs } from '../format.ts';
import type { TrialResult } from '../journal.ts';
import { LATE_ACK_COLOR, WRITE_COLOR, WRITE_LABEL, WRITE_RANK, type WriteClass } from './colours.ts';
import { esc } from './esc.ts';
import { n1 } from './helpers.ts';
import { CHAR_W, PW, type Row, TL } from './timeline-layout.ts';

/** How each write ended, for the strip: lost (listed) > failed > indeterminate > acknowledged in time. */
function classifyWrites(history: Op[], lost: ReadonlySet<string>): { key: string; invokeNs: number; cls: WriteClass }[] {
  const byKey = new Map<string, { invokeNs: number; ok: boolean; fail: boolean }>();
  for (const op of history) {
    if (op.f !== 'write') continue;
    let w = byKey.get(op.key);
    if (!w) {
      w = { invokeNs: op.ns, ok: false, fail: false };
      byKey.set(op.key, w);
    }
    if (op.type === 'invoke') w.invokeNs = Math.min(w.invokeNs, op.ns);
    else if (op.type === 'ok' && !op.late) w.ok = true;
    else if (op.type === 'fail') w.fail = true;
  }
  return [...byKey].map(([key, w]) => ({
    key,
    invokeNs: w.invokeNs,
    cls: lost.has(key) ? 'lost' : w.ok ? 'ok' : w.fail ? 'fail' : 'info',
  }));
}

/** Pixel bins over the plot: per bin the worst class present, merged into runs; one rect per run keeps the SVG small at any history size. */
function runs<C extends string>(
  items: { t: number; cls: C }[],
  rank: Record<C, number>,
  x: (t: number) => number,
  gapPx = 0,
): { x0: number; x1: number; cls: C; n: number; t0: number; t1: number }[] {
  const bins = new Map<number, { cls: C; n: number; t0: number; t1: number }>();
  for (const it of items) {
    const b = Math.floor(x(it.t) - TL);
    if (b < 0 || b > PW) continue;
    const cur = bins.get(b);
    if (!cur) bins.set(b, { cls: it.cls, n: 1, t0: it.t, t1: it.t });
    else {
      if (rank[it.cls] > rank[cur.cls]) cur.cls = it.cls;
      cur.n++;
      cur.t0 = Math.min(cur.t0, it.t);
      cur.t1 = Math.max(cur.t1, it.t);
    }
  }
  const out: { x0: number; x1: number; cls: C; n: number; t0: number; t1: number }[] = [];
  for (const b of [...bins.keys()].sort((a, c) => a - c)) {
    const v = bins.get(b)!;
    const last = out[out.length - 1];
    if (last && last.cls === v.cls && TL + b - last.x1 <= gapPx) {
      last.x1 = TL + b + 1;
      last.n += v.n;
      last.t1 = v.t1;
    } else out.push({ x0: TL + b, x1: TL + b + 1, cls: v.cls, n: v.n, t0: v.t0, t1: v.t1 });
  }
  return out;
}

/** One workload client's writes by invoke time, coloured by outcome, with its longest interval without an ack. */
export function writesRow(process: string, history: Op[], lost: ReadonlySet<string>, ms: (ns: number) => number, x: (t: number) => number): Row {
  const writes = classifyWrites(history, lost);
  const counts: Record<WriteClass, number> = { ok: 0, info: 0, fail: 0, lost: 0 };
  for (const w of writes) counts[w.cls]++;
  const outage = longestOutage(history.filter((o) => o.f === 'write'));
  return {
    label: process,
    sub: `writes · ${writes.length} by invoke time`,
    height: 46,
    draw: (y) => {
      const out: string[] = [];
      out.push(`<rect x="${TL}" y="${y + 6}" width="${PW}" height="14" class="track-bg"/>`);
      // A steady workload invokes a write every few ms: bridge gaps of up to 3 px so it reads as a band, not a comb.
      for (const r of runs(
        writes.map((w) => ({ t: ms(w.invokeNs), cls: w.cls })),
        WRITE_RANK,
        x,
        3,
      )) {
        const what = r.cls === 'ok' ? 'acknowledged in time' : WRITE_LABEL[r.cls];
        out.push(
          `<rect x="${n1(r.x0)}" y="${y + 6}" width="${n1(r.x1 - r.x0)}" height="14" fill="${WRITE_COLOR[r.cls]}"><title>${esc(`${r.n} write${r.n === 1 ? '' : 's'} invoked ${fmt(r.t0)}…${fmt(r.t1)} ms${r.cls === 'ok' ? '' : `, worst: ${what}`}`)}</title></rect>`,
        );
      }
      if (outage && outage.ms > 0) {
        const x0 = Math.max(TL, x(ms(outage.startNs)));
        const x1 = Math.min(TL + PW, x(ms(outage.endNs)));
        const oy = y + 30;
        out.push(`<path d="M${n1(x0)} ${oy - 4} v4 H${n1(x1)} v-4" class="outage"/>`);
        const text = `longest outage ${fmtMs(outage.ms)}`;
        const mid = (x0 + x1) / 2;
        out.push(
          `<text x="${n1(Math.min(Math.max(mid, TL + text.length * 3), TL + PW - text.length * 3))}" y="${oy + 11}" text-anchor="middle" class="outage-label">${esc(text)}</text>`,
        );
      }
      const summary = (Object.keys(counts) as WriteClass[])
        .filter((c) => counts[c] > 0)
        .map((c) => `${counts[c]} ${c}`)
        .join(' · ');
      out.push(`<title>${esc(summary)}</title>`);
      return out.join('');
    },
  };
}

export function acksRow(node: string, sub: string, oks: Op[], ms: (ns: number) => number, x: (t: number) => number): Row {
  type AckClass = 'ok' | 'late';
  const rank: Record<AckClass, number> = { ok: 0, late: 1 };
  return {
    label: node,
    sub: `${sub} (${oks.length})`,
    height: 32,
    draw: (y) => {
      const out: string[] = [];
      out.push(`<rect x="${TL}" y="${y + 8}" width="${PW}" height="10" class="track-bg"/>`);
      for (const r of runs(
        oks.map((o) => ({ t: ms(o.ns), cls: (o.late ? 'late' : 'ok') as AckClass })),
        rank,
        x,
        3,
      )) {
        out.push(
          `<rect x="${n1(r.x0)}" y="${y + 8}" width="${n1(r.x1 - r.x0)}" height="10" fill="${r.cls === 'late' ? LATE_ACK_COLOR : WRITE_COLOR.ok}"><title>${esc(`${r.n} ack${r.n === 1 ? '' : 's'} by ${node} at ${fmt(r.t0)}…${fmt(r.t1)} ms${r.cls === 'late' ? ' (some after the client timeout)' : ''}`)}</title></rect>`,
        );
      }
      return out.join('');
    },
  };
}

/**
 * What each node was to Sentinel, from the +switch-master events ("<name> <old-ip> <old-port> <new-ip> <new-port>"):
 * the first switch's old address is the old master, the last switch's new address the new master, any other
 * address switched to an interim master.
 */
export function masterRoles(events: TrialEvent[]): Map<string, string> {
  const switches = events
    .filter((e) => e.kind === 'sentinel' && e.type === '+switch-master')
    .map((e) => e.detail.split(' '))
    .filter((p) => p.length >= 5)
    .map((p) => ({ from: `${p[1]}:${p[2]}`, to: `${p[3]}:${p[4]}` }));
  const out = new Map<string, string>();
  if (switches.length === 0) return out;
  for (const s of switches) out.set(s.to, 'interim master');
  out.set(switches.at(-1)!.to, 'new master');
  out.set(switches[0]!.from, 'old master');
  return out;
}

/** When acknowledged writes were lost: the ack-time window from the write-loss figures (lost_first_ms … lost_last_ms). */
export function lostWindowRow(trial: TrialResult, x: (t: number) => number): Row | null {
  const { writes_lost: lost, lost_first_ms: first, lost_last_ms: last } = trial.figures;
  if (typeof lost !== 'number' || lost <= 0 || typeof first !== 'number' || typeof last !== 'number') return null;
  return {
    label: 'lost writes',
    sub: 'acknowledged, then missing',
    height: 32,
    draw: (y) => {
      const x0 = Math.max(TL, x(first));
      const x1 = Math.min(TL + PW, x(last));
      const text = `${lost} acknowledged write${lost === 1 ? '' : 's'} lost, acked ${fmt(first)}…${fmt(last)} ms`;
      const w = text.length * (CHAR_W + 0.4);
      // Right of the bar, else left of it, else inside it (white on black).
      const [tx, cls] = x1 + 6 + w <= TL + PW ? [x1 + 6, 'lost-label'] : x0 - 6 - w >= TL ? [x0 - 6 - w, 'lost-label'] : [x0 + 6, 'lost-label inv'];
      return (
        `<g><title>${esc(text)}</title><rect x="${n1(x0)}" y="${y + 8}" width="${n1(Math.max(2, x1 - x0))}" height="14" rx="2" fill="${WRITE_COLOR.lost}"/></g>` +
        `<text x="${n1(tx)}" y="${y + 19}" class="${cls}">${esc(text)}</text>`
      );
    },
  };
}
