// Timeline rows of the failover: client and Sentinel failover bars against the SLO band, and the Sentinel phases.
import { fmt, fmtDuration, fmtMs, type ScenarioSlo } from '../format.ts';
import type { TrialResult } from '../journal.ts';
import { COLOR, phaseCategory } from './colours.ts';
import { esc } from './esc.ts';
import { n1 } from './helpers.ts';
import { CHAR_W, LANE_H, PW, type Row, TL } from './timeline-layout.ts';

/** Client and Sentinel failover as bars from the fault, against the expected band and the SLO bound. */
export function failoverRow(trial: TrialResult, x: (t: number) => number, lo: number, hi: number, slo: ScenarioSlo): Row {
  const bars: [string, number | null | undefined, string][] = [
    ['client', trial.figures.failover_ms, '#16a34a'],
    ['Sentinel', trial.figures.sentinel_failover_ms, '#4f46e5'],
  ];
  return {
    label: 'failover',
    sub: 'client · Sentinel, vs SLO',
    height: 62,
    draw: (y) => {
      const out: string[] = [];
      const b0 = Math.max(lo, slo.bandMs[0]);
      const b1 = Math.min(hi, slo.bandMs[1]);
      if (b1 > b0)
        out.push(
          `<rect x="${n1(x(b0))}" y="${y + 3}" width="${n1(x(b1) - x(b0))}" height="56" class="band"><title>${esc(`expected band ${fmtMs(slo.bandMs[0])}–${fmtMs(slo.bandMs[1])}`)}</title></rect>`,
        );
      // The bound's label goes under both bars, where no bar label can be.
      if (slo.failoverMs >= lo && slo.failoverMs <= hi) {
        out.push(`<line x1="${n1(x(slo.failoverMs))}" x2="${n1(x(slo.failoverMs))}" y1="${y + 2}" y2="${y + 60}" class="bound"/>`);
        out.push(`<text x="${n1(x(slo.failoverMs) - 4)}" y="${y + 56}" text-anchor="end" class="bound-label">SLO ${esc(fmtDuration(slo.failoverMs))}</text>`);
      } else if (slo.failoverMs > hi) {
        out.push(`<text x="${TL + PW - 2}" y="${y + 56}" text-anchor="end" class="bound-label off">SLO ${esc(fmtDuration(slo.failoverMs))} →</text>`);
      }
      bars.forEach(([name, v], i) => {
        const by = y + 8 + i * 19;
        if (typeof v !== 'number') {
          out.push(`<text x="${n1(x(0) + 6)}" y="${by + 10}" class="muted-text">${esc(name)}: not observed</text>`);
          return;
        }
        const x0 = x(0);
        const x1 = x(v);
        out.push(
          `<rect x="${n1(x0)}" y="${by}" width="${n1(Math.max(1, x1 - x0))}" height="13" rx="2" fill="${bars[i]![2]}" class="fo-bar"><title>${esc(`${name} failover ${fmtMs(v)}`)}</title></rect>`,
        );
        const text = `${name} ${fmtMs(v)}`;
        const w = text.length * CHAR_W;
        if (x1 + 6 + w <= TL + PW) out.push(`<text x="${n1(x1 + 6)}" y="${by + 10.5}" class="fo-label">${esc(text)}</text>`);
        else out.push(`<text x="${n1(x1 - 6)}" y="${by + 10.5}" text-anchor="end" class="fo-label inv">${esc(text)}</text>`);
      });
      return out.join('');
    },
  };
}

/** The Sentinel phases as consecutive segments from the fault (each labelled with its duration), and the first ack. */
export function phaseRow(trial: TrialResult, x: (t: number) => number): Row {
  const sentinel = trial.phases.filter((p): p is { name: string; ms: number } => p.name !== 'first-ack' && p.ms !== null).sort((a, b) => a.ms - b.ms);
  const firstAck = trial.phases.find((p) => p.name === 'first-ack')?.ms ?? null;
  const segs: { name: string; from: number; to: number }[] = [];
  let prev = 0;
  for (const p of sentinel) {
    segs.push({ name: p.name, from: prev, to: p.ms });
    prev = p.ms;
  }
  // Labels (phase names) below the bar, in lanes.
  const lanes: number[] = [];
  const placed: { x: number; lane: number; text: string; color: string; anchor: 'start' | 'end' }[] = [];
  const marks = [...segs.map((s) => ({ name: s.name, at: s.to })), ...(firstAck !== null ? [{ name: 'first-ack', at: firstAck }] : [])];
  for (const m of marks) {
    const text = `${m.name} ${fmt(m.at)}`;
    const w = text.length * CHAR_W;
    const mx = x(m.at);
    const anchor: 'start' | 'end' = mx + 3 + w > TL + PW ? 'end' : 'start';
    const a = anchor === 'start' ? mx + 3 : mx - 3 - w;
    let lane = lanes.findIndex((endX) => endX + 8 < a);
    if (lane === -1) {
      lane = lanes.length;
      lanes.push(0);
    }
    lanes[lane] = anchor === 'start' ? a + w : mx;
    placed.push({ x: mx, lane, text, color: COLOR[phaseCategory(m.name)], anchor });
  }
  const height = 30 + lanes.length * LANE_H;
  return {
    label: 'failover phases',
    sub: 'Δ between Sentinel phases',
    height,
    draw: (y) => {
      const out: string[] = [];
      const barY = y + 7;
      for (const s of segs) {
        const x0 = x(s.from);
        const x1 = x(s.to);
        const c = COLOR[phaseCategory(s.name)];
        out.push(
          `<g><title>${esc(`${s.name}: ${fmtMs(s.to)} from the fault, +${fmtMs(s.to - s.from)} after the previous phase`)}</title><rect x="${n1(x0)}" y="${barY}" width="${n1(Math.max(1, x1 - x0))}" height="14" fill="${c}" class="phase-seg"/></g>`,
        );
        const d = `+${fmt(s.to - s.from, 0)} ms`;
        if (x1 - x0 > d.length * CHAR_W + 6)
          out.push(`<text x="${n1((x0 + x1) / 2)}" y="${barY + 10.5}" text-anchor="middle" class="seg-label">${esc(d)}</text>`);
      }
      for (const p of placed) {
        const ly = y + 24 + (p.lane + 1) * LANE_H - 3;
        out.push(`<line x1="${n1(p.x)}" x2="${n1(p.x)}" y1="${barY}" y2="${ly - 3}" stroke="${p.color}" class="leader"/>`);
        out.push(
          `<text x="${n1(p.anchor === 'start' ? p.x + 3 : p.x - 3)}" y="${ly}" text-anchor="${p.anchor}" fill="${p.color}" class="ev-label">${esc(p.text)}</text>`,
        );
      }
      if (firstAck !== null)
        out.push(
          `<g><title>${esc(`first-ack ${fmtMs(firstAck)}: first write acknowledged by the new master`)}</title><path d="M${n1(x(firstAck))} ${barY - 1} l5 -6 h-10 z" fill="${COLOR.switch}"/></g>`,
        );
      return out.join('');
    },
  };
}
