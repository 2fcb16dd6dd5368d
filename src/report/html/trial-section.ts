// A trial's section of the report: figures, timeline, latency plots, phases, checks and the event log.
import type { Op } from '../../model/history.ts';
import { fmt, fmtDuration, fmtMs, fmtPct, hasFailover, type ScenarioSlo } from '../format.ts';
import type { HistorySummary } from '../history-summary.ts';
import type { ScenarioResult, TrialResult, Verdict } from '../journal.ts';
import { latencyPlots } from '../latency-plots.ts';
import { CATEGORY_LABEL, COLOR, LATE_ACK_COLOR, phaseCategory, WRITE_COLOR, WRITE_LABEL, type WriteClass } from './colours.ts';
import { esc } from './esc.ts';
import { longText, overClass, pill, verdictClass } from './helpers.ts';
import { timeline, timeOrigin } from './timeline.ts';

/** A long trial's event log in the page shows at most this many events. */
const MAX_LOGGED_EVENTS = 600;

export function trialSection(scenario: ScenarioResult, slug: string, trial: TrialResult, history: Op[] | undefined, slo: ScenarioSlo): string {
  const f = trial.figures;
  const out: string[] = [];
  out.push(`<section class="card trial" id="trial-${slug}-${esc(trial.index)}">`);
  const inject = trial.events.find((e) => e.kind === 'fault' && e.type === 'inject');
  out.push(
    `<div class="card-head"><h2><span class="muted">${esc(scenario.name)} ·</span> trial ${esc(trial.index)}</h2>${pill(trial.verdict)}` +
      `<span class="muted">started ${esc(trial.startedAt)} · ${esc(fmtDuration(trial.durationMs))}${inject ? ` · fault: ${esc(inject.detail)}` : ''}</span></div>`,
  );
  if (trial.message) {
    const cls = trial.verdict === 'pass' ? 'note' : verdictClass(trial.verdict);
    out.push(`<div class="callout ${cls}">${longText(trial.message)}</div>`);
  }
  const warnings = trial.warnings ?? [];
  if (warnings.length > 0) {
    out.push(
      `<div class="callout note"><strong>Warning${warnings.length === 1 ? '' : 's'}</strong> (within the accepted bounds)<ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`,
    );
  }
  const chips: [string, string, string][] = [];
  if (hasFailover([trial])) {
    chips.push(
      ['client failover', fmtMs(f.failover_ms), overClass(f.failover_ms, slo.failoverMs)],
      ['Sentinel failover', fmtMs(f.sentinel_failover_ms), overClass(f.sentinel_failover_ms, slo.failoverMs)],
    );
  }
  chips.push(
    ['longest outage', fmtMs(f.outage_ms), ''],
    ['availability', fmtPct(f.availability), ''],
    ['writes acked', fmt(f.writes_acked, 0), ''],
    ['indeterminate', fmt(f.writes_indeterminate, 0), ''],
    ['writes lost', fmt(f.writes_lost, 0), typeof f.writes_lost === 'number' ? (f.writes_lost > slo.maxLostWrites ? 'bad' : 'good') : ''],
  );
  if (typeof f.split_brain_ms === 'number') chips.push(['split brain', fmtMs(f.split_brain_ms), f.split_brain_ms > 0 ? 'bad' : 'good']);
  if (f.rejoin_ms !== undefined) chips.push(['rejoin', fmtMs(f.rejoin_ms), '']);
  if (f.lost_election === 1) chips.push(['election', 'lost', 'bad']);
  out.push(`<div class="chips">${chips.map(([k, v, c]) => `<span class="chip ${c}"><span>${esc(k)}</span><strong>${esc(v)}</strong></span>`).join('')}</div>`);

  out.push(`<div class="timeline-wrap">${timeline(scenario, slug, trial, history, slo)}</div>`);
  out.push(legend());
  if (history) {
    const at = timeOrigin(trial, history);
    const firstAck = trial.phases.find((p) => p.name === 'first-ack')?.ms;
    out.push(
      `<h3>Latency and throughput</h3>${latencyPlots(`${slug}-${trial.index}`, trial.events, history, at, typeof firstAck === 'number' && at.fault ? at.ns + firstAck * 1e6 : null, trial.historySummary)}`,
    );
  }
  if (trial.historySummary?.windows.length) out.push(`<h3>Per fault window</h3>${windowsTable(trial.historySummary)}`);

  out.push('<div class="two-col">');
  out.push(`<div><h3>Failover phases</h3>${phasesTable(trial)}</div>`);
  out.push(`<div><h3>Checks</h3>${checksTable(trial)}</div>`);
  out.push('</div>');

  const figures = Object.entries(f);
  out.push(
    `<details><summary>All figures (${figures.length})</summary><table class="grid kv">${figures
      .map(([k, v]) => `<tr><th>${esc(k)}</th><td class="num">${esc(v === null ? 'n/a' : String(v))}</td></tr>`)
      .join('')}</table></details>`,
  );
  const origin = timeOrigin(trial, history);
  // A long (streamed) trial's log is cut to its first and last events: all of them are in result.json.
  const sorted = [...trial.events].sort((a, b) => a.ns - b.ns);
  const cut = trial.historySummary !== undefined && sorted.length > MAX_LOGGED_EVENTS;
  const logged = cut ? [...sorted.slice(0, MAX_LOGGED_EVENTS / 2), ...sorted.slice(-MAX_LOGGED_EVENTS / 2)] : sorted;
  out.push(
    `<details><summary>Event log (${trial.events.length} events${cut ? `, the first and last ${MAX_LOGGED_EVENTS / 2} shown, every one in result.json` : ''}, ms from ${esc(origin.label)})</summary><table class="grid events"><thead><tr><th class="num">ms</th><th>kind</th><th>source</th><th>type</th><th>detail</th></tr></thead><tbody>${logged
      .map(
        (e) =>
          `<tr><td class="num">${esc(fmt((e.ns - origin.ns) / 1e6))}</td><td>${esc(e.kind)}</td><td>${esc(e.source)}</td><td><code>${esc(e.type)}</code></td><td>${esc(e.detail)}</td></tr>`,
      )
      .join('')}</tbody></table></details>`,
  );
  if (trial.historyFile) {
    out.push(
      `<p class="fine">Full operation history: <code>${esc(trial.historyFile)}</code>${
        trial.historySummary
          ? ` (${trial.historySummary.ops} operations, streamed to disk as they happened; this page draws a sample of ${trial.historySummary.sampled})`
          : history === undefined
            ? ' (not available to this report)'
            : ` (${history.length} operations)`
      }.</p>`,
    );
  }
  const ls = trial.lostKeysSample;
  if (ls && ls.total > 0)
    out.push(
      `<p class="fine">${esc(fmt(ls.total, 0))} acknowledged write(s) lost; ${ls.kept < ls.total ? `result.json lists a sample of ${esc(fmt(ls.kept, 0))} of their keys (${esc(ls.rule)})` : 'result.json lists every one of their keys'}, the checks and the window table count them all.</p>`,
    );
  out.push('</section>');
  return out.join('\n');
}

/** A long trial's figures per fault window (from its start to convergence after its heal) and outside every window. */
function windowsTable(summary: HistorySummary): string {
  const rows = summary.windows.map(
    (w) =>
      `<tr><td>${esc(w.label)}</td><td class="num">${esc(fmt(w.fromMs, 0))}</td><td class="num">${esc(fmt(w.toMs, 0))}</td><td class="num">${esc(fmt(w.invoked, 0))}</td>` +
      `<td class="num">${esc(fmt(w.acked, 0))}</td><td class="num">${esc(fmt(w.notOk, 0))}</td><td class="num">${esc(w.invoked ? fmtPct(Math.round((w.acked / w.invoked) * 1e4) / 1e4) : 'n/a')}</td>` +
      `<td class="num">${esc(fmtMs(w.maxLatencyMs))}</td><td class="num${w.lost ? ' bad' : ''}">${esc(fmt(w.lost, 0))}</td></tr>`,
  );
  return (
    '<table class="grid"><thead><tr><th>window</th><th class="num">from ms</th><th class="num">to ms</th><th class="num">invoked</th><th class="num">acked</th>' +
    `<th class="num">failed / indeterminate</th><th class="num">acked / invoked</th><th class="num">max latency</th><th class="num">lost</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    '<p class="fine">Writes by invoke time; a write invoked while two windows overlap counts in both.</p>' +
    coverageNote(summary)
  );
}

/** What the windows leave the no-lost-writes invariant to judge (by first acknowledgement, as it judges). */
function coverageNote(summary: HistorySummary): string {
  const c = summary.coverage;
  if (!c || c.faultWindowCoverage === null) return '';
  return (
    `<p>Fault windows cover <strong>${esc(fmtPct(c.faultWindowCoverage))}</strong> of the run (fault_window_coverage). ` +
    `Writes first acknowledged inside a window: ${esc(fmt(c.ackedInside, 0))}, ${esc(fmt(c.lostInside, 0))} of them lost` +
    `${c.lostShareInside === null ? '' : ` (${esc(fmtPct(c.lostShareInside))})`}, which the windows excuse; outside: ${esc(fmt(c.ackedOutside, 0))}, ` +
    `${esc(fmt(c.lostOutside, 0))} lost: only these does no-lost-writes judge.</p>`
  );
}

function phasesTable(trial: TrialResult): string {
  if (trial.phases.length === 0) {
    const landed = trial.events.some((e) => e.kind === 'fault' && e.type === 'landed');
    return `<p class="muted">${landed ? 'No failover phases recorded for this trial (its scenario expects no failover).' : 'No phases: no fault landed.'}</p>`;
  }
  let prev = 0;
  const rows = trial.phases.map((p) => {
    const isSentinel = p.name !== 'first-ack';
    const delta = p.ms === null || !isSentinel ? null : p.ms - prev;
    if (p.ms !== null && isSentinel) prev = p.ms;
    return `<tr><th><span class="swatch" style="background:${COLOR[phaseCategory(p.name)]}"></span>${esc(p.name)}</th><td class="num">${esc(fmtMs(p.ms))}</td><td class="num">${delta === null ? '' : `+${esc(fmtMs(delta))}`}</td></tr>`;
  });
  return `<table class="grid"><thead><tr><th>phase</th><th class="num">from fault</th><th class="num">Δ previous</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function checksTable(trial: TrialResult): string {
  if (trial.checks.length === 0) return '<p class="muted">No checks ran.</p>';
  const rows = trial.checks.map((c) => {
    const v: Verdict = c.valid === true ? 'pass' : c.valid === false ? 'fail' : 'unknown';
    return `<tr><td>${pill(v)}</td><th>${esc(c.name)}</th><td class="explain">${longText(c.explanation)}</td></tr>`;
  });
  return `<table class="grid checks"><tbody>${rows.join('')}</tbody></table>`;
}

function legend(): string {
  const cats = CATEGORY_LABEL.map(([c, label]) => `<span><i class="mk" style="background:${COLOR[c]}"></i>${esc(label)}</span>`);
  const writes = (Object.keys(WRITE_COLOR) as WriteClass[]).map(
    (c) => `<span><i class="sq" style="background:${WRITE_COLOR[c]}"></i>write ${esc(WRITE_LABEL[c])}</span>`,
  );
  return `<div class="legend">${cats.join('')}<span><i class="sq fault"></i>fault window</span>${writes.join('')}<span><i class="sq" style="background:${LATE_ACK_COLOR}"></i>late ack</span></div>`;
}
