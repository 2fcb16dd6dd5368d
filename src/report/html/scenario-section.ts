// A scenario's section of the report: SLO gate, figure tiles, stats table and the per-trial distribution plot, then its trials.
import { QUANTILE_DEFINITION } from '../../checkers/stats.ts';
import type { Op } from '../../model/history.ts';
import {
  figureStats,
  figureSum,
  figureValues,
  fmt,
  fmtDuration,
  fmtMs,
  fmtPct,
  hasFailover,
  scenarioSlo,
  type ScenarioSlo,
  trialReason,
  VERDICT_LABEL,
  verdictCounts,
} from '../format.ts';
import { gateScenario, gateSummary } from '../gate.ts';
import type { Journal, ScenarioResult, Stats } from '../journal.ts';
import { alertsTable } from './alert-rows.ts';
import { esc } from './esc.ts';
import { n1, pill, tickLabel, ticks, verdictClass } from './helpers.ts';
import { trialSection } from './trial-section.ts';

export function scenarioSection(journal: Journal, scenario: ScenarioResult, slug: string, histories: Map<string, Op[]>): string {
  const slo = scenarioSlo(scenario);
  const gate = gateScenario(scenario.trials, { failoverMs: slo.failoverMs }, scenario.gate?.stat ?? 'max');
  const counts = verdictCounts(scenario.trials);
  const out: string[] = [];
  out.push(`<section class="card scenario" id="scenario-${slug}">`);
  out.push(
    `<div class="card-head"><h2>${esc(scenario.name)}</h2>${pill(scenario.verdict)}<span class="muted">${scenario.trials.length} trial${scenario.trials.length === 1 ? '' : 's'} · ${counts.pass} passed${counts.fail ? ` · ${counts.fail} failed` : ''}${counts.unknown ? ` · ${counts.unknown} unknown` : ''}${counts.skipped ? ` · ${counts.skipped} skipped` : ''}</span></div>`,
  );
  if (scenario.description) out.push(`<p class="lead">${esc(scenario.description)}</p>`);
  out.push(
    `<div class="callout ${verdictClass(gate.verdict)}"><strong>SLO gate (${esc(scenario.gate?.stat ?? 'max')} over trials): ${esc(VERDICT_LABEL[gate.verdict] ?? gate.verdict)}.</strong> ${esc(gateSummary(gate))}.</div>`,
  );
  out.push(tiles(scenario, slo));
  out.push('<div class="two-col">');
  out.push(`<div>${statsTable(scenario, slo)}</div>`);
  out.push(`<div><h3>Failover per trial</h3>${distribution(scenario, slo)}${bandNote(scenario, slo)}</div>`);
  out.push('</div>');
  out.push(`<p class="fine"><strong>Quantiles.</strong> ${esc(journal.quantileDefinition || QUANTILE_DEFINITION)}</p>`);
  out.push(alertsTable(scenario.trials, slug));
  const notPassed = scenario.trials.filter((t) => t.verdict === 'fail' || t.verdict === 'unknown');
  const warned = scenario.trials.filter((t) => (t.warnings ?? []).length > 0);
  if (notPassed.length > 0 || gate.findings.length > 0 || warned.length > 0) {
    out.push('<h3>Findings</h3><ul class="findings">');
    for (const t of notPassed) {
      out.push(`<li>${pill(t.verdict)} <a href="#trial-${slug}-${esc(t.index)}">trial ${esc(t.index)}</a>: ${esc(trialReason(t))}</li>`);
    }
    for (const f of gate.findings) out.push(`<li><span class="pill unknown">ELECTION</span> ${esc(f)}</li>`);
    for (const t of warned) {
      for (const w of t.warnings ?? [])
        out.push(`<li><span class="pill warn">WARNING</span> <a href="#trial-${slug}-${esc(t.index)}">trial ${esc(t.index)}</a>: ${esc(w)}</li>`);
    }
    out.push('</ul>');
  }
  out.push('</section>');
  for (const trial of scenario.trials) {
    const history = trial.historyFile === undefined ? undefined : histories.get(trial.historyFile);
    out.push(trialSection(scenario, slug, trial, history, slo));
  }
  return out.join('\n');
}

function tiles(scenario: ScenarioResult, slo: ScenarioSlo): string {
  const fo = figureStats(scenario, 'failover_ms');
  const sfo = figureStats(scenario, 'sentinel_failover_ms');
  const out = figureStats(scenario, 'outage_ms');
  const av = figureStats(scenario, 'availability');
  const sb = figureStats(scenario, 'split_brain_ms');
  const acked = figureSum(scenario.trials, 'writes_acked');
  const lost = figureSum(scenario.trials, 'writes_lost');
  const indet = figureSum(scenario.trials, 'writes_indeterminate');
  const state = (v: number | undefined, bound: number): string => (v === undefined ? '' : v > bound ? 'bad' : 'good');
  const list: string[] = [];
  if (hasFailover(scenario.trials))
    list.push(
      tile(
        'Client failover, max',
        fmtDuration(fo?.max),
        `median ${fmtDuration(fo?.median)} · p95 ${fmtDuration(fo?.p95)} · SLO ≤ ${fmtDuration(slo.failoverMs)}`,
        state(fo?.max, slo.failoverMs),
      ),
      tile(
        'Sentinel failover, max',
        fmtDuration(sfo?.max),
        `median ${fmtDuration(sfo?.median)} · p95 ${fmtDuration(sfo?.p95)} · SLO ≤ ${fmtDuration(slo.failoverMs)}`,
        state(sfo?.max, slo.failoverMs),
      ),
    );
  list.push(
    tile('Availability, min', fmtPct(av?.min), `acknowledged in time ÷ invoked · median ${fmtPct(av?.median)}`, ''),
    tile('Longest outage, max', fmtDuration(out?.max), `median ${fmtDuration(out?.median)}`, ''),
    tile(
      'Writes acked / lost',
      `${fmt(acked, 0)} / ${fmt(lost, 0)}`,
      `${indet === null ? '' : `${fmt(indet, 0)} indeterminate · `}lost ≤ ${fmt(slo.maxLostWrites, 0)} per trial`,
      lost === null ? '' : figureValues(scenario.trials, 'writes_lost').some((x) => x.value > slo.maxLostWrites) ? 'bad' : 'good',
    ),
  );
  if (sb !== null) list.push(tile('Split brain, max', fmtDuration(sb.max), `median ${fmtDuration(sb.median)}`, sb.max > 0 ? 'bad' : 'good'));
  return `<div class="tiles">${list.join('')}</div>`;
}

function tile(label: string, value: string, sub: string, state: string): string {
  return `<div class="tile ${state}"><div class="tile-label">${esc(label)}</div><div class="tile-value">${esc(value)}</div><div class="tile-sub">${esc(sub)}</div></div>`;
}

function statsTable(scenario: ScenarioResult, slo: ScenarioSlo): string {
  const rows: [string, string, (v: number) => string, string][] = [
    ['failover, client', 'failover_ms', fmtMs, `≤ ${fmtDuration(slo.failoverMs)}`],
    ['failover, Sentinel', 'sentinel_failover_ms', fmtMs, `≤ ${fmtDuration(slo.failoverMs)}`],
    ['+sdown', 'sdown_ms', fmtMs, ''],
    ['+odown', 'odown_ms', fmtMs, ''],
    ['+elected-leader', 'elected_ms', fmtMs, ''],
    ['+promoted-slave', 'promoted_ms', fmtMs, ''],
    ['longest outage', 'outage_ms', fmtMs, ''],
    ['availability', 'availability', fmtPct, ''],
    ['writes acknowledged', 'writes_acked', (v) => fmt(v, 0), ''],
    ['writes lost', 'writes_lost', (v) => fmt(v, 0), `≤ ${fmt(slo.maxLostWrites, 0)}`],
    ['split brain', 'split_brain_ms', fmtMs, ''],
    ['rejoin after restart', 'rejoin_ms', fmtMs, ''],
  ];
  const failover = hasFailover(scenario.trials);
  const body = rows
    .map(([label, figure, f, bound]) => {
      const st: Stats | null = figureStats(scenario, figure);
      const core = figure === 'writes_lost' || (failover && (figure === 'failover_ms' || figure === 'sentinel_failover_ms'));
      if (st === null) return core ? `<tr><th>${esc(label)}</th><td class="num" colspan="5">not measured</td><td class="bound">${esc(bound)}</td></tr>` : '';
      return `<tr><th>${esc(label)}</th><td class="num">${esc(st.n)}</td>${(['min', 'median', 'p95', 'max'] as const).map((k) => `<td class="num">${esc(f(st[k]))}</td>`).join('')}<td class="bound">${esc(bound)}</td></tr>`;
    })
    .join('');
  const caption = failover
    ? `SLO: client and Sentinel failover ≤ ${fmtDuration(slo.failoverMs)} each (expected band ${fmtDuration(slo.bandMs[0])}–${fmtDuration(slo.bandMs[1])}); lost writes ≤ ${fmt(slo.maxLostWrites, 0)} per trial.`
    : `SLO: lost writes ≤ ${fmt(slo.maxLostWrites, 0)} per trial; this scenario expects no failover.`;
  return `<h3>Figures over trials</h3><div class="scroll"><table class="grid stats"><thead><tr><th>figure</th><th class="num">n</th><th class="num">min</th><th class="num">median</th><th class="num">p95</th><th class="num">max</th><th>SLO</th></tr></thead><tbody>${body}</tbody></table></div><p class="fine">${esc(caption)}</p>`;
}

function bandNote(scenario: ScenarioResult, slo: ScenarioSlo): string {
  const values = figureValues(scenario.trials, 'failover_ms');
  if (values.length === 0) return '';
  const below = values.filter((x) => x.value < slo.bandMs[0]).length;
  const above = values.filter((x) => x.value > slo.bandMs[1]).length;
  const within = values.length - below - above;
  return `<p class="fine">Client failover vs the expected band ${esc(fmt(slo.bandMs[0]))}–${esc(fmt(slo.bandMs[1]))} ms: ${within} within, ${below} below (faster), ${above} above, of ${values.length} trials.</p>`;
}

/** Strip plot: one dot per trial on a shared ms axis, with the expected band, the SLO bound and min/median/p95/max. */
function distribution(scenario: ScenarioResult, slo: ScenarioSlo): string {
  const W = 640;
  const L = 92;
  const R = 24;
  const rowH = 62;
  const series: [string, string, boolean][] = [];
  if (hasFailover(scenario.trials)) series.push(['client', 'failover_ms', true], ['Sentinel', 'sentinel_failover_ms', true]);
  series.push(['outage', 'outage_ms', false]);
  const all = series.flatMap(([, f]) => figureValues(scenario.trials, f).map((x) => x.value));
  const failover = series.some(([, , bounded]) => bounded);
  const hi = Math.max(failover ? Math.max(slo.failoverMs, slo.bandMs[1]) : 1000, ...all) * 1.06;
  const x = (v: number): number => L + (Math.max(0, v) / hi) * (W - L - R);
  const top = 26;
  const bounded = series.filter(([, , b]) => b).length;
  const axisY = top + rowH * series.length;
  const H = axisY + 44;
  const out: string[] = [];
  out.push(
    `<svg class="dist" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`failover time per trial, ${scenario.name}`)}">`,
  );
  if (bounded > 0) {
    const bx0 = x(slo.bandMs[0]);
    const bx1 = x(slo.bandMs[1]);
    out.push(`<rect x="${n1(bx0)}" y="${top - 4}" width="${n1(Math.max(0, bx1 - bx0))}" height="${rowH * bounded}" class="band"/>`);
    out.push(
      `<text x="${n1(bx0 + 5)}" y="${top + rowH * bounded - 10}" class="band-label">expected ${esc(fmtDuration(slo.bandMs[0]))}–${esc(fmtDuration(slo.bandMs[1]))}</text>`,
    );
    const bx = x(slo.failoverMs);
    out.push(`<line x1="${n1(bx)}" x2="${n1(bx)}" y1="${top - 16}" y2="${top + rowH * bounded - 4}" class="bound"/>`);
    out.push(`<text x="${n1(bx - 5)}" y="${top - 8}" text-anchor="end" class="bound-label">SLO ≤ ${esc(fmtDuration(slo.failoverMs))}</text>`);
  }
  out.push(`<line x1="${L}" x2="${W - R}" y1="${axisY}" y2="${axisY}" class="axis"/>`);
  for (const t of ticks(0, hi, 6)) {
    out.push(`<line x1="${n1(x(t))}" x2="${n1(x(t))}" y1="${axisY}" y2="${axisY + 4}" class="axis"/>`);
    out.push(`<text x="${n1(x(t))}" y="${axisY + 16}" class="tick" text-anchor="middle">${esc(tickLabel(t, hi))}</text>`);
  }
  series.forEach(([label, figure], i) => {
    const y = top + rowH * i + 24;
    out.push(`<text x="${L - 12}" y="${y + 4}" class="row-label" text-anchor="end">${esc(label)}</text>`);
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" class="track"/>`);
    const values = figureValues(scenario.trials, figure);
    const st = figureStats(scenario, figure);
    if (st !== null && values.length > 0) {
      out.push(`<line x1="${n1(x(st.min))}" x2="${n1(x(st.max))}" y1="${y}" y2="${y}" class="range"/>`);
      const xm = x(st.median);
      const xp = x(st.p95);
      out.push(`<line x1="${n1(xm)}" x2="${n1(xm)}" y1="${y + 9}" y2="${y + 19}" class="q-median"><title>${esc(`median ${fmtMs(st.median)}`)}</title></line>`);
      out.push(`<line x1="${n1(xp)}" x2="${n1(xp)}" y1="${y + 9}" y2="${y + 19}" class="q-p95"><title>${esc(`p95 ${fmtMs(st.p95)}`)}</title></line>`);
    }
    values.forEach(({ trial, value }, j) => {
      const jitter = values.length > 1 ? ((j % 5) - 2) * 2.5 : 0;
      out.push(
        `<circle cx="${n1(x(value))}" cy="${n1(y - 1 + jitter)}" r="5.5" class="dot-${verdictClass(trial.verdict)}"><title>${esc(`trial ${trial.index}: ${label} ${fmtMs(value)} (${trial.verdict})`)}</title></circle>`,
      );
    });
    if (values.length === 0) out.push(`<text x="${L + 8}" y="${y - 6}" class="muted-text">not measured</text>`);
  });
  // Legend.
  const ly = axisY + 36;
  out.push(
    `<circle cx="${L + 5}" cy="${ly - 4}" r="5" class="dot-pass"/><text x="${L + 14}" y="${ly}" class="q-label">trial (red: failed)</text>` +
      `<line x1="${L + 130}" x2="${L + 150}" y1="${ly - 4}" y2="${ly - 4}" class="range"/><text x="${L + 156}" y="${ly}" class="q-label">min–max</text>` +
      `<line x1="${L + 222}" x2="${L + 222}" y1="${ly - 9}" y2="${ly + 1}" class="q-median"/><text x="${L + 229}" y="${ly}" class="q-label">median</text>` +
      `<line x1="${L + 290}" x2="${L + 290}" y1="${ly - 9}" y2="${ly + 1}" class="q-p95"/><text x="${L + 297}" y="${ly}" class="q-label">p95 (nearest rank)</text>`,
  );
  out.push('</svg>');
  return out.join('');
}
