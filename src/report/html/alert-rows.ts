// Timeline rows of the Prometheus alerts a trial recorded (--monitoring): one row per alert, a bar from when it was
// seen firing to when it was seen resolved (to the end of the axis while it still fired).
import { alertWindows, type AlertWindow } from '../../model/alerts.ts';
import type { TrialEvent } from '../../model/events.ts';
import { fmtMs } from '../format.ts';
import type { TrialResult } from '../journal.ts';
import { esc } from './esc.ts';
import { groupBy, n1 } from './helpers.ts';
import { CHAR_W, type Row, TL } from './timeline-layout.ts';

/** The trial's alert windows on the timeline's axis (ms from `originNs`), derived from its alert events as the runner derives `alerts`. */
export function trialAlerts(trial: TrialResult, originNs: number): AlertWindow[] {
  const healed = trial.events.find((e) => e.kind === 'fault' && e.type === 'healed')?.ns ?? null;
  return alertWindows(trial.events, originNs, healed);
}

const describe = (w: AlertWindow): string =>
  `${w.name}: fired ${fmtMs(w.firedMs)} after the fault, ${
    w.clearedMs === null
      ? 'still firing when the trial ended'
      : `cleared ${fmtMs(w.clearedMs)} after the fault${w.clearedAfterHealMs === null ? '' : ` (${fmtMs(Math.abs(w.clearedAfterHealMs))} ${w.clearedAfterHealMs < 0 ? 'before' : 'after'} the heal)`}`
  }${w.instances.length ? ` · ${w.instances.join(', ')}` : ''}`;

/** One row per alert name (its windows in order); `events` tells whether alerts were watched at all. */
export function alertRows(windows: readonly AlertWindow[], watched: boolean, clampX: (t: number) => number, end: number): Row[] {
  if (windows.length === 0) {
    if (!watched) return [];
    return [{ label: 'alerts', sub: 'Prometheus', height: 28, draw: (y) => `<text x="${TL + 6}" y="${y + 18}" class="muted-text">no alert fired</text>` }];
  }
  return [...groupBy([...windows], (w) => w.name)].map(([name, list]) => ({
    label: name,
    sub: 'alert (Prometheus)',
    height: 32,
    draw: (y: number) =>
      list
        .map((w) => {
          const x0 = clampX(w.firedMs);
          const x1 = clampX(w.clearedMs ?? end);
          const text = w.clearedMs === null ? 'firing' : `firing ${fmtMs(w.clearedMs - w.firedMs)}`;
          const label = x1 - x0 > text.length * CHAR_W + 8 ? `<text x="${n1(x0 + 5)}" y="${y + 19}" class="seg-label alert-label">${esc(text)}</text>` : '';
          return `<g><title>${esc(describe(w))}</title><rect x="${n1(x0)}" y="${y + 7}" width="${n1(Math.max(2, x1 - x0))}" height="16" rx="2" class="alert${w.clearedMs === null ? ' open' : ''}"/></g>${label}`;
        })
        .join(''),
  }));
}

/** Whether the trial's alerts were watched: the journal says so (`alerts` present), or alert events exist. */
export const alertsWatched = (trial: TrialResult, events: readonly TrialEvent[]): boolean =>
  Array.isArray(trial.alerts) || events.some((e) => e.kind === 'alert');

const heal = (w: AlertWindow): string =>
  w.clearedAfterHealMs === null ? '' : `${fmtMs(Math.abs(w.clearedAfterHealMs))} ${w.clearedAfterHealMs < 0 ? 'before' : 'after'}`;

/** A scenario's alerts, one line per trial and alert window, from the journal's `alerts`; '' when no trial watched them. */
export function alertsTable(trials: readonly TrialResult[], slug: string): string {
  const watched = trials.filter((t) => Array.isArray(t.alerts));
  if (watched.length === 0) return '';
  const rows = watched.flatMap((t) =>
    t.alerts!.length === 0
      ? [`<tr><td><a href="#trial-${slug}-${esc(t.index)}">${esc(t.index)}</a></td><td colspan="5" class="muted">no alert fired</td></tr>`]
      : t.alerts!.map(
          (w) =>
            `<tr><td><a href="#trial-${slug}-${esc(t.index)}">${esc(t.index)}</a></td><th>${esc(w.name)}</th><td class="num">${esc(fmtMs(w.firedMs))}</td><td class="num">${w.clearedMs === null ? 'still firing' : esc(fmtMs(w.clearedMs))}</td><td class="num">${esc(heal(w))}</td><td>${esc(w.instances.join(', '))}</td></tr>`,
        ),
  );
  return `<h3>Alerts (Prometheus, --monitoring)</h3><div class="scroll"><table class="grid alerts"><thead><tr><th>trial</th><th>alert</th><th class="num">fired, from fault</th><th class="num">cleared, from fault</th><th class="num">cleared vs heal</th><th>instances</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}
