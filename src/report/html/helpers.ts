// Small helpers shared by the report's sections: long text folding, verdict pills and classes, slugs, grouping, axis ticks and coordinates.
import { fmt, VERDICT_LABEL } from '../format.ts';
import type { Verdict } from '../journal.ts';
import { esc } from './esc.ts';

/** A coordinate with at most one decimal. */
export const n1 = (v: number): string => String(Math.round(v * 10) / 10);

/** Escaped text; past 480 characters the rest folds into a <details> (write-loss explanations list many keys). */
export function longText(s: string, max = 480): string {
  const chars = [...s];
  if (chars.length <= max) return esc(s);
  return `${esc(chars.slice(0, max).join(''))}… <details class="more"><summary>full text (${chars.length} characters)</summary>${esc(s)}</details>`;
}

export function verdictClass(v: string): string {
  return v === 'pass' || v === 'fail' || v === 'unknown' || v === 'skipped' ? v : 'unknown';
}

export function pill(v: Verdict): string {
  return `<span class="pill ${verdictClass(v)}">${esc(VERDICT_LABEL[v] ?? v)}</span>`;
}

export function overClass(v: number | null | undefined, bound: number): string {
  return typeof v !== 'number' ? '' : v > bound ? 'bad' : 'good';
}

export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

export function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return new Map([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Unique, id-safe slugs: "master-kill", then "master-kill-2" for a second scenario with the same slug. */
export function slugger(): (name: string) => string {
  const seen = new Set<string>();
  return (name) => {
    const base = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'scenario';
    let slug = base;
    for (let i = 2; seen.has(slug); i++) slug = `${base}-${i}`;
    seen.add(slug);
    return slug;
  };
}

/** About `count` round tick values (1, 2, 5 × 10^k) in [lo, hi]. */
export function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t * 1e6) / 1e6);
  return out;
}

export function tickLabel(t: number, span: number): string {
  if (t === 0) return '0';
  if (span >= 4000) return `${fmt(t / 1000, 2)} s`;
  return `${fmt(t, 0)} ms`;
}
