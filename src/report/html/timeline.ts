// A trial's timeline: one SVG on a millisecond axis from t = 0 (the fault landing), with a row per event source, role, phase and client.
import type { TrialEvent } from '../../model/events.ts';
import type { Op } from '../../model/history.ts';
import { fmtMs, hasFailover, type ScenarioSlo } from '../format.ts';
import type { ScenarioResult, TrialResult } from '../journal.ts';
import { COLOR, KEY_EVENTS, sentinelCategory } from './colours.ts';
import { esc } from './esc.ts';
import { eventRow, faultWindows, roleRow, splitBrain, splitBrainRow } from './event-rows.ts';
import { failoverRow, phaseRow } from './failover-rows.ts';
import { clip, groupBy, n1, tickLabel, ticks } from './helpers.ts';
import { type Origin, PW, type Row, TL, TW } from './timeline-layout.ts';
import { alertRows, alertsWatched, trialAlerts } from './alert-rows.ts';
import { acksRow, lostWindowRow, masterRoles, writesRow } from './write-rows.ts';

/**
 * t = 0 of a trial's timeline: the instant its phases and *_ms figures are measured from. That is
 * `clockStartNs` when the journal records it; otherwise, as the runner reports it, the last fault event
 * 'landed' or 'restored' before the heal starts (a staged fault such as quorum loss starts the failover
 * clock when quorum is restored); without a fault, the first event or operation.
 */
export function timeOrigin(trial: TrialResult, history: Op[] | undefined): Origin {
  if (typeof trial.clockStartNs === 'number') return { ns: trial.clockStartNs, label: 'the fault landing', axis: 'fault landed', fault: true };
  const faults = trial.events.filter((e) => e.kind === 'fault').sort((a, b) => a.ns - b.ns);
  const healNs = faults.find((e) => e.type === 'heal' || e.type === 'healed')?.ns ?? Infinity;
  const start = faults.filter((e) => (e.type === 'landed' || e.type === 'restored') && e.ns <= healNs).at(-1);
  if (start) {
    return start.type === 'landed'
      ? { ns: start.ns, label: 'the fault landing', axis: 'fault landed', fault: true }
      : { ns: start.ns, label: `the fault event "${start.type}"`, axis: `fault ${start.type}`, fault: true };
  }
  const inject = faults.find((e) => e.type === 'inject');
  if (inject) return { ns: inject.ns, label: 'the fault injection (it never landed)', axis: 'fault injected (never landed)', fault: true };
  const first = Math.min(...trial.events.map((e) => e.ns), ...(history ?? []).slice(0, 1).map((o) => o.ns));
  return { ns: Number.isFinite(first) ? first : 0, label: 'the first event (no fault)', axis: 'first event (no fault)', fault: false };
}

// eslint-disable-next-line max-lines-per-function -- over 120 lines only as Prettier wraps it; left for a split of its own
export function timeline(scenario: ScenarioResult, slug: string, trial: TrialResult, history: Op[] | undefined, slo: ScenarioSlo): string {
  const origin = timeOrigin(trial, history);
  const ms = (ns: number): number => (ns - origin.ns) / 1e6;
  const events = [...trial.events].sort((a, b) => a.ns - b.ns);

  // Axis range: every event, operation and phase, and the fault itself.
  let lo = 0;
  let hi = 0;
  for (const e of events) {
    lo = Math.min(lo, ms(e.ns));
    hi = Math.max(hi, ms(e.ns));
  }
  if (history) {
    for (const op of history) {
      const t = ms(op.ns);
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
  }
  for (const p of trial.phases) if (p.ms !== null) hi = Math.max(hi, p.ms);
  if (hi - lo < 1) hi = lo + 1000;
  const pad = (hi - lo) * 0.015;
  lo -= pad;
  hi += pad;
  const x = (t: number): number => TL + ((t - lo) / (hi - lo)) * PW;
  const clampX = (t: number): number => Math.min(TL + PW, Math.max(TL, x(t)));

  const rows: Row[] = [];
  const byKind = (kind: string): TrialEvent[] => events.filter((e) => e.kind === kind);

  // Fault row: the windows, and the marks.
  const faultEvents = byKind('fault');
  const windows = faultWindows(faultEvents, ms, hi);
  if (faultEvents.length > 0)
    rows.push(
      eventRow(
        'fault',
        'harness',
        faultEvents,
        ms,
        x,
        () => COLOR.fault,
        () => true,
        windows,
      ),
    );
  const phaseEvents = byKind('phase');
  if (phaseEvents.length > 0)
    rows.push(
      eventRow(
        'harness',
        'runner phases',
        phaseEvents,
        ms,
        x,
        () => COLOR.harness,
        () => true,
      ),
    );

  // Sentinel rows, one per source.
  for (const [source, list] of groupBy(byKind('sentinel'), (e) => e.source)) {
    rows.push(
      eventRow(
        source,
        'Sentinel events',
        list,
        ms,
        x,
        (e) => COLOR[sentinelCategory(e.type)],
        (e) =>
          KEY_EVENTS.has(e.type) ? e.detail.startsWith('master ') || e.type === '+switch-master' || e.type === '+tilt' : e.type.startsWith('-failover-abort'),
      ),
    );
  }
  // Role rows (one per node), then every other kind (Kubernetes and future ones), one row per kind and source.
  const roles = byKind('role');
  for (const [source, list] of groupBy(roles, (e) => e.source)) rows.push(roleRow(source, list, ms, clampX, hi));
  if (roles.length > 0) rows.push(splitBrainRow(splitBrain(roles, ms, hi), clampX));
  // Alerts (--monitoring): a bar per alert from firing to resolved.
  rows.push(...alertRows(trialAlerts(trial, origin.ns), alertsWatched(trial, events), clampX, hi));
  const known = new Set(['fault', 'phase', 'sentinel', 'role', 'alert']);
  for (const [key, list] of groupBy(
    events.filter((e) => !known.has(e.kind)),
    (e) => `${e.kind}\u0000${e.source}`,
  )) {
    const [kind, source] = key.split('\u0000') as [string, string];
    rows.push(
      eventRow(
        source,
        kind === 'k8s' ? 'Kubernetes events' : `${kind} events`,
        list,
        ms,
        x,
        () => (kind === 'k8s' ? '#0891b2' : COLOR.other),
        () => true,
      ),
    );
  }

  if (hasFailover([trial])) rows.push(failoverRow(trial, x, lo, hi, slo));
  if (trial.phases.some((p) => p.ms !== null)) rows.push(phaseRow(trial, x));
  if (history) {
    const lostKeys = new Set(trial.lostKeys ?? []);
    for (const [process, ops] of groupBy(history, (o) => o.process ?? 'client')) rows.push(writesRow(process, ops, lostKeys, ms, x));
    const masters = masterRoles(events);
    for (const [node, oks] of groupBy(
      history.filter((o) => o.type === 'ok'),
      (o) => o.node ?? 'unknown node',
    )) {
      const role = masters.get(node);
      rows.push(acksRow(node, role ? `acks · ${role}` : 'acks', oks, ms, x));
    }
    const lostRow = lostWindowRow(trial, x);
    if (lostRow) rows.push(lostRow);
  } else {
    rows.push({
      label: 'writes',
      sub: 'client history',
      height: 26,
      draw: (y) =>
        `<text x="${TL + 6}" y="${y + 17}" class="muted-text">${trial.historyFile ? 'history not available to this report' : 'no history recorded for this trial'}</text>`,
    });
  }

  // Layout.
  const AXIS_H = 30;
  let y = AXIS_H;
  const placed = rows.map((r) => {
    const at = y;
    y += r.height;
    return { r, at };
  });
  const H = y + 8;
  const out: string[] = [];
  const id = `timeline-${slug}-${esc(trial.index)}`;
  out.push(
    `<svg id="${id}" class="timeline" viewBox="0 0 ${TW} ${H}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`timeline of ${scenario.name} trial ${trial.index}, ms from ${origin.label}`)}">`,
  );
  // Row backgrounds and labels.
  placed.forEach(({ r, at }, i) => {
    if (i % 2 === 0) out.push(`<rect x="0" y="${at}" width="${TW}" height="${r.height}" class="zebra"/>`);
    out.push(`<text x="12" y="${at + 15}" class="row-label">${esc(clip(r.label, 30))}</text>`);
    if (r.sub) out.push(`<text x="12" y="${at + 28}" class="row-sub">${esc(clip(r.sub, 34))}</text>`);
  });
  out.push(`<line x1="${TL}" x2="${TL}" y1="${AXIS_H}" y2="${y}" class="gutter"/>`);
  // Fault windows across every row.
  for (const w of windows) {
    const x0 = clampX(w.start);
    const x1 = clampX(w.end);
    out.push(
      `<rect x="${n1(x0)}" y="${AXIS_H}" width="${n1(Math.max(1, x1 - x0))}" height="${y - AXIS_H}" class="fault-window"><title>${esc(`fault window ${fmtMs(w.start)} → ${w.open ? 'not healed' : fmtMs(w.end)}${w.detail ? `: ${w.detail}` : ''}`)}</title></rect>`,
    );
    if (w.healStart !== null && w.healStart < w.end) {
      const h0 = clampX(w.healStart);
      out.push(`<rect x="${n1(h0)}" y="${AXIS_H}" width="${n1(Math.max(1, x1 - h0))}" height="${y - AXIS_H}" class="heal-window"/>`);
    }
  }
  // Grid and axis.
  for (const t of ticks(lo, hi, 10)) {
    const tx = n1(x(t));
    out.push(`<line x1="${tx}" x2="${tx}" y1="${AXIS_H - 4}" y2="${y}" class="grid-line"/>`);
    out.push(`<text x="${tx}" y="${AXIS_H - 9}" class="tick" text-anchor="middle">${esc(tickLabel(t, hi - lo))}</text>`);
  }
  out.push(`<text x="12" y="${AXIS_H - 9}" class="axis-title">ms from ${esc(origin.axis)}</text>`);
  if (origin.fault) {
    out.push(`<line x1="${n1(x(0))}" x2="${n1(x(0))}" y1="${AXIS_H - 4}" y2="${y}" class="zero-line"/>`);
  }
  for (const { r, at } of placed) out.push(r.draw(at));
  out.push('</svg>');
  return out.join('\n');
}
