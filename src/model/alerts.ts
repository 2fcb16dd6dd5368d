// Alert windows: when each Prometheus alert fired and cleared during a trial, derived from the trial's
// `alert` events (kind 'alert', source alert/<name>, type firing | resolved) on the run clock.
import type { TrialEvent } from './events.ts';

/** One stretch in which an alert fired, ms from the trial's t = 0 (the fault landing). */
export interface AlertWindow {
  name: string;
  /** When it was first seen firing; negative: it fired before the fault landed. */
  firedMs: number;
  /** When it was first seen no longer firing; null: still firing when the trial ended. */
  clearedMs: number | null;
  /** The same clear time measured from the heal (the fault's `healed` mark); negative: it cleared before the heal. */
  clearedAfterHealMs: number | null;
  /** The alert's instances (its `instance` labels) while it fired. */
  instances: string[];
}

export const alertSource = (name: string): string => `alert/${name}`;
export const alertName = (e: TrialEvent): string => e.source.replace(/^alert\//, '');

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** Every alert's windows in time order (per alert, a firing event opens one, the next resolved event closes it). */
export function alertWindows(events: readonly TrialEvent[], originNs: number, healedNs: number | null): AlertWindow[] {
  const open = new Map<string, AlertWindow>();
  const out: AlertWindow[] = [];
  for (const e of [...events].filter((x) => x.kind === 'alert').sort((a, b) => a.ns - b.ns)) {
    const name = alertName(e);
    const cur = open.get(name);
    if (e.type === 'firing' && !cur) {
      const w: AlertWindow = { name, firedMs: round((e.ns - originNs) / 1e6), clearedMs: null, clearedAfterHealMs: null, instances: instancesOf(e.detail) };
      open.set(name, w);
      out.push(w);
    } else if (e.type === 'firing' && cur) {
      for (const i of instancesOf(e.detail)) if (!cur.instances.includes(i)) cur.instances.push(i);
    } else if (e.type === 'resolved' && cur) {
      cur.clearedMs = round((e.ns - originNs) / 1e6);
      cur.clearedAfterHealMs = healedNs === null ? null : round((e.ns - healedNs) / 1e6);
      open.delete(name);
    }
  }
  return out;
}

/** The detail of a firing event lists the alert's instances, comma-separated. */
const instancesOf = (detail: string): string[] =>
  detail
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
