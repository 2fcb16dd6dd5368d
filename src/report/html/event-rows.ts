// Timeline rows of events: fault windows, sentinel and other point events, node roles and split-brain intervals.
import type { TrialEvent } from '../../model/events.ts';
import { fmt, fmtMs } from '../format.ts';
import { esc } from './esc.ts';
import { clip, n1 } from './helpers.ts';
import { BOLD_W, CHAR_W, LANE_H, PW, type Row, TL } from './timeline-layout.ts';

interface FaultWindow {
  start: number;
  end: number;
  healStart: number | null;
  open: boolean;
  detail: string;
}

/** Fault windows (landed, or injected, → healed) from the fault events in time order; an unhealed one runs to `end`. */
export function faultWindows(events: TrialEvent[], ms: (ns: number) => number, end: number): FaultWindow[] {
  const out: FaultWindow[] = [];
  let cur: FaultWindow | null = null;
  for (const e of events) {
    const t = ms(e.ns);
    if (e.type === 'inject') {
      if (cur) out.push({ ...cur, end: t });
      cur = { start: t, end, healStart: null, open: true, detail: e.detail };
    } else if (e.type === 'landed') {
      cur ??= { start: t, end, healStart: null, open: true, detail: e.detail };
      cur.start = Math.min(cur.start, t);
    } else if (e.type === 'heal') {
      if (cur) cur.healStart = t;
    } else if (e.type === 'healed') {
      if (cur) out.push({ ...cur, end: t, open: false });
      cur = null;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** A row of point events with greedy, non-overlapping labels in up to five lanes; unlabeled marks keep their tooltip. */
export function eventRow(
  label: string,
  sub: string,
  list: TrialEvent[],
  ms: (ns: number) => number,
  x: (t: number) => number,
  color: (e: TrialEvent) => string,
  isKey: (e: TrialEvent) => boolean,
  windows: FaultWindow[] = [],
): Row {
  const MAX_LANES = 5;
  const lanes: number[][] = []; // per lane, occupied [from, to] pairs flattened
  const labels: { e: TrialEvent; x: number; lane: number; anchor: 'start' | 'end'; text: string; key: boolean }[] = [];
  const fits = (lane: number, a: number, b: number): boolean => {
    const occ = lanes[lane] ?? [];
    for (let i = 0; i < occ.length; i += 2) if (a < occ[i + 1]! + 6 && b > occ[i]! - 6) return false;
    return true;
  };
  const ordered = [...list.filter(isKey), ...list.filter((e) => !isKey(e))];
  for (const e of ordered) {
    const key = isKey(e);
    const text = eventLabel(e);
    const w = text.length * (key ? BOLD_W : CHAR_W);
    const ex = x(ms(e.ns));
    const anchor: 'start' | 'end' = ex + 4 + w > TL + PW ? 'end' : 'start';
    const a = anchor === 'start' ? ex + 4 : ex - 4 - w;
    const b = anchor === 'start' ? ex + 4 + w : ex - 4;
    const maxLane = key ? MAX_LANES : 3;
    for (let lane = 0; lane < maxLane; lane++) {
      if (fits(lane, a, b)) {
        (lanes[lane] ??= []).push(a, b);
        labels.push({ e, x: ex, lane, anchor, text, key });
        break;
      }
    }
  }
  const usedLanes = Math.max(1, lanes.length);
  const height = Math.max(36, 16 + usedLanes * LANE_H + 8);
  return {
    label,
    sub,
    height,
    draw: (y) => {
      const out: string[] = [];
      const markY = y + 10;
      for (const w of windows) {
        const x0 = x(w.start);
        const x1 = x(w.end);
        out.push(`<rect x="${n1(x0)}" y="${markY - 3}" width="${n1(Math.max(2, x1 - x0))}" height="6" rx="3" class="fault-bar"/>`);
      }
      for (const l of labels) {
        const ly = y + 16 + (l.lane + 1) * LANE_H - 3;
        const c = color(l.e);
        out.push(`<line x1="${n1(l.x)}" x2="${n1(l.x)}" y1="${markY}" y2="${ly - 3}" stroke="${c}" class="leader"/>`);
        out.push(
          `<text x="${n1(l.anchor === 'start' ? l.x + 4 : l.x - 4)}" y="${ly}" text-anchor="${l.anchor}" fill="${c}" class="${l.key ? 'ev-label key' : 'ev-label'}">${esc(l.text)}</text>`,
        );
      }
      for (const e of list) {
        const t = ms(e.ns);
        const c = color(e);
        const key = isKey(e);
        out.push(
          `<g><title>${esc(`${fmt(t)} ms · ${e.source} · ${e.type} ${e.detail}`)}</title><circle cx="${n1(x(t))}" cy="${markY}" r="${key ? 4.5 : 3}" fill="${c}" class="mark"/></g>`,
        );
      }
      return out.join('');
    },
  };
}

/** The label of an event mark: its type, the instance kind when not the master, the new address of a +switch-master. */
function eventLabel(e: TrialEvent): string {
  if (e.kind === 'sentinel') {
    if (e.type === '+switch-master') {
      const p = e.detail.split(' ');
      return p.length >= 5 ? `${e.type} → ${p[3]}:${p[4]}` : e.type;
    }
    const subject = /^(slave|sentinel|replica)\b/.exec(e.detail)?.[1];
    return subject ? `${e.type} (${subject})` : e.type;
  }
  if (e.kind === 'fault') return e.type === 'inject' ? `inject: ${clip(e.detail, 40)}` : e.type;
  return clip(e.type, 40);
}

const ROLE_STYLE: Record<string, [fill: string, text: string]> = {
  master: ['#2563eb', '#ffffff'],
  primary: ['#2563eb', '#ffffff'],
  slave: ['#bfdbfe', '#1e3a8a'],
  replica: ['#bfdbfe', '#1e3a8a'],
  unreachable: ['#e2e8f0', '#475569'],
  down: ['#e2e8f0', '#475569'],
};

/** A node's role over time: a segment per role event, to the next one. */
export function roleRow(source: string, list: TrialEvent[], ms: (ns: number) => number, clampX: (t: number) => number, end: number): Row {
  return {
    label: source,
    sub: 'role (sampled)',
    height: 32,
    draw: (y) => {
      const out: string[] = [];
      list.forEach((e, i) => {
        const t0 = ms(e.ns);
        const t1 = i + 1 < list.length ? ms(list[i + 1]!.ns) : end;
        const x0 = clampX(t0);
        const x1 = clampX(t1);
        const [fill, ink] = ROLE_STYLE[e.type.toLowerCase()] ?? ['#ddd6fe', '#4c1d95'];
        out.push(
          `<g><title>${esc(`${fmt(t0)} ms · ${source} · ${e.type}${e.detail ? ` ${e.detail}` : ''}`)}</title><rect x="${n1(x0)}" y="${y + 7}" width="${n1(Math.max(1, x1 - x0))}" height="16" rx="2" fill="${fill}"/></g>`,
        );
        const text = clip(e.type, 30);
        const changed = i === 0 || list[i - 1]!.type !== e.type;
        if (changed && x1 - x0 > text.length * CHAR_W + 8)
          out.push(`<text x="${n1(x0 + 5)}" y="${y + 19}" style="fill:${ink}" class="seg-label">${esc(text)}</text>`);
      });
      return out.join('');
    },
  };
}

/** Intervals (ms) in which two or more nodes' latest role event says master. */
export function splitBrain(roles: TrialEvent[], ms: (ns: number) => number, end: number): { from: number; to: number; masters: string[] }[] {
  const role = new Map<string, string>();
  const out: { from: number; to: number; masters: string[] }[] = [];
  let open: { from: number; masters: Set<string> } | null = null;
  for (const e of roles) {
    role.set(e.source, e.type.toLowerCase());
    const masters = [...role].filter(([, r]) => r === 'master' || r === 'primary').map(([n]) => n);
    if (masters.length > 1) {
      open ??= { from: ms(e.ns), masters: new Set() };
      for (const m of masters) open.masters.add(m);
    } else if (open) {
      out.push({ from: open.from, to: ms(e.ns), masters: [...open.masters].sort() });
      open = null;
    }
  }
  if (open) out.push({ from: open.from, to: end, masters: [...open.masters].sort() });
  return out;
}

export function splitBrainRow(intervals: { from: number; to: number; masters: string[] }[], clampX: (t: number) => number): Row {
  return {
    label: 'split brain',
    sub: intervals.length === 0 ? 'never two masters' : `${intervals.length} interval${intervals.length === 1 ? '' : 's'} with ≥ 2 masters`,
    height: 32,
    draw: (y) => {
      const out: string[] = [];
      for (const iv of intervals) {
        const x0 = clampX(iv.from);
        const x1 = clampX(iv.to);
        const text = `${iv.masters.length} masters · ${fmtMs(iv.to - iv.from)}`;
        out.push(
          `<g><title>${esc(`split brain ${fmtMs(iv.from)} → ${fmtMs(iv.to)}: ${iv.masters.join(', ')} claim master`)}</title><rect x="${n1(x0)}" y="${y + 7}" width="${n1(Math.max(2, x1 - x0))}" height="16" rx="2" class="split"/></g>`,
        );
        if (x1 - x0 > text.length * CHAR_W + 8) out.push(`<text x="${n1(x0 + 5)}" y="${y + 19}" class="seg-label">${esc(text)}</text>`);
      }
      if (intervals.length === 0) out.push(`<text x="${TL + 6}" y="${y + 20}" class="muted-text">no interval with two masters</text>`);
      return out.join('');
    },
  };
}
