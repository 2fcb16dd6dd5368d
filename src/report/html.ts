// Renders the run journal and the trials' histories as index.html: one self-contained page (inline CSS and SVG, no script, no external resource).
import { profileHtml } from './profile-table.ts';
import { longestOutage } from '../checkers/availability.ts';
import { QUANTILE_DEFINITION } from '../checkers/stats.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Op } from '../model/history.ts';
import {
  figureStats,
  figureSum,
  figureValues,
  fmt,
  fmtDuration,
  fmtMs,
  hasFailover,
  fmtPct,
  scenarioSlo,
  trialReason,
  VERDICT_LABEL,
  verdictCounts,
  type ScenarioSlo,
} from './format.ts';
import { gateScenario, gateSummary } from './gate.ts';
import { conformanceHtml } from './conformance-section.ts';
import { latencyPlots } from './latency-plots.ts';
import type { Journal, ScenarioResult, Stats, TrialResult, Verdict } from './journal.ts';

// ───────────────────────────── escaping ─────────────────────────────

// Characters HTML forbids or that only confuse (C0/C1 controls except tab and newline, lone surrogates, non-characters).
const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value made inert in HTML and SVG. */
export function esc(v: unknown): string {
  return String(v).replace(ILLEGAL, '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A coordinate with at most one decimal. */
const n1 = (v: number): string => String(Math.round(v * 10) / 10);

// ───────────────────────────── colours ─────────────────────────────

type Category = 'detect' | 'elect' | 'promote' | 'switch' | 'abort' | 'fault' | 'harness' | 'other';

const COLOR: Record<Category, string> = {
  detect: '#ea580c',
  elect: '#7c3aed',
  promote: '#2563eb',
  switch: '#0d9488',
  abort: '#dc2626',
  fault: '#b91c1c',
  harness: '#475569',
  other: '#64748b',
};

const CATEGORY_LABEL: [Category, string][] = [
  ['detect', 'failure detection (±sdown, ±odown)'],
  ['elect', 'election (+try-failover, +vote-for-leader, +elected-leader)'],
  ['promote', 'promotion (+selected-slave, +promoted-slave, role change)'],
  ['switch', 'reconfiguration (+switch-master, +slave-reconf-*, +failover-end)'],
  ['abort', 'abort / tilt (-failover-abort-*, +tilt)'],
  ['other', 'other'],
];

type WriteClass = 'ok' | 'info' | 'fail' | 'lost';
const WRITE_COLOR: Record<WriteClass, string> = { ok: '#16a34a', info: '#f59e0b', fail: '#dc2626', lost: '#111827' };
const WRITE_RANK: Record<WriteClass, number> = { ok: 0, info: 1, fail: 2, lost: 3 };
const WRITE_LABEL: Record<WriteClass, string> = {
  ok: 'acknowledged',
  info: 'indeterminate (timed out / late ack)',
  fail: 'failed',
  lost: 'acknowledged but lost',
};
const LATE_ACK_COLOR = '#d97706';

const DETECT = new Set(['+sdown', '-sdown', '+odown', '-odown']);
const ELECT = new Set(['+new-epoch', '+try-failover', '+vote-for-leader', '+elected-leader', '+failover-state-select-slave']);
const PROMOTE = new Set([
  '+selected-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+promoted-slave',
  '+failover-state-reconf-slaves',
  '-role-change',
  '+role-change',
]);
const SWITCH = new Set([
  '+switch-master',
  '+config-update-from',
  '+slave-reconf-sent',
  '+slave-reconf-inprog',
  '+slave-reconf-done',
  '+failover-end',
  '+convert-to-slave',
  '+fix-slave-config',
]);
const KEY_EVENTS = new Set(['+sdown', '+odown', '+try-failover', '+elected-leader', '+promoted-slave', '+switch-master', '+failover-end', '+tilt']);

function sentinelCategory(type: string): Category {
  if (type.startsWith('-failover-abort') || type === '+tilt' || type === '-tilt' || type === '+failover-end-for-timeout') return 'abort';
  if (DETECT.has(type)) return 'detect';
  if (ELECT.has(type)) return 'elect';
  if (PROMOTE.has(type)) return 'promote';
  if (SWITCH.has(type)) return 'switch';
  return 'other';
}

function phaseCategory(name: string): Category {
  if (name === 'first-ack') return 'switch';
  return sentinelCategory(name);
}

// ───────────────────────────── page ─────────────────────────────

/**
 * index.html for `journal`: a self-contained evidence report (inline CSS and SVG; no script, no font, image or
 * any other resource fetched, enforced by a Content-Security-Policy of default-src 'none').
 *
 * Per scenario: verdict, the SLO gate, failover figures (client and Sentinel) against the SLO band with a
 * per-trial distribution plot, availability, writes acknowledged / lost, split_brain_ms when present, and
 * the quantile definition. Per trial: a timeline (id `timeline-<scenario>-<n>`) on one millisecond axis from
 * the fault landing, with the fault window shaded, one row per event source (sentinels, roles, Kubernetes
 * or any other kind), the failover phases, and the client's writes from `histories` (keyed by
 * `trial.historyFile`), plus checks, phases, figures and the event log. Then the environment.
 *
 * The caller redacts secrets; every journal and history string is escaped here. Pure and deterministic.
 */
export function renderHtml(journal: Journal, histories: Map<string, Op[]>): string {
  const slugs = slugger();
  const scenarios = journal.scenarios.map((scenario) => ({ scenario, slug: slugs(scenario.name) }));
  const allTrials = journal.scenarios.flatMap((s) => s.trials);
  const counts = verdictCounts(allTrials);
  const title = `sentinel-chaos ${VERDICT_LABEL[journal.verdict] ?? journal.verdict} — ${journal.run.id}`;

  const body: string[] = [];
  body.push(header(journal, counts, allTrials.length));
  body.push('<main class="container">');
  body.push(nav(scenarios));
  if (journal.run.interrupted) {
    body.push('<div class="callout fail"><strong>Interrupted.</strong> The run was stopped before every trial completed; the figures cover the trials that ran.</div>');
  }
  const halted = journal.run.halted;
  if (halted) {
    body.push(`<div class="callout fail"><strong>Halted by ${esc(halted.by)}</strong> in ${esc(halted.scenario)} trial ${halted.trial} at ${esc(halted.at)}: ${esc(halted.reason)}. Everything was healed; the trials and scenarios after it did not run.</div>`);
  }
  if (journal.conformance?.length) body.push(conformanceHtml(journal.conformance, esc));
  if (scenarios.length > 1) body.push(overview(scenarios));
  if (journal.profileComparison?.length) body.push(profileHtml(journal, esc));
  for (const { scenario, slug } of scenarios) body.push(scenarioSection(journal, scenario, slug, histories));
  body.push(environment(journal));
  body.push(
    `<footer>Generated by ${esc(journal.harness.name)} ${esc(journal.harness.version)} from run ${esc(journal.run.id)} · ` +
      `journal schema ${esc(journal.schema)} · self-contained: this page loads nothing</footer>`,
  );
  body.push('</main>');

  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function header(journal: Journal, counts: Record<Verdict, number>, total: number): string {
  const v = journal.verdict;
  const tally = [`${counts.pass}/${total} trials passed`];
  if (counts.fail) tally.push(`${counts.fail} failed`);
  if (counts.unknown) tally.push(`${counts.unknown} unknown`);
  if (counts.skipped) tally.push(`${counts.skipped} skipped`);
  const meta: [string, string][] = [
    ['Run', journal.run.id],
    ['Target', journal.target.name],
    ['Redis', journal.target.redisVersion ?? 'unknown'],
    ['Started', journal.run.startedAt],
    ['Duration', fmtDuration(journal.run.durationMs)],
  ];
  return [
    '<header class="top">',
    '<div class="container top-inner">',
    '<div>',
    '<div class="eyebrow">sentinel-chaos · SLO evidence report</div>',
    `<h1>Redis Sentinel failover — ${esc(journal.scenarios.map((s) => s.name).join(', ') || (journal.conformance?.length ? 'conformance' : 'no scenario'))}</h1>`,
    `<dl class="meta">${meta.map(([k, x]) => `<div><dt>${esc(k)}</dt><dd>${esc(x)}</dd></div>`).join('')}</dl>`,
    '</div>',
    `<div class="verdict-block"><span class="pill big ${verdictClass(v)}">${esc(VERDICT_LABEL[v] ?? v)}</span><span class="tally">${esc(tally.join(' · '))}</span></div>`,
    '</div>',
    '</header>',
  ].join('\n');
}

function nav(scenarios: { scenario: ScenarioResult; slug: string }[]): string {
  const links = scenarios.flatMap(({ scenario, slug }) => [
    `<a href="#scenario-${slug}" class="nav-scenario"><span class="dot ${verdictClass(scenario.verdict)}"></span>${esc(scenario.name)}</a>`,
    ...scenario.trials.map(
      (t) => `<a href="#trial-${slug}-${esc(t.index)}"><span class="dot ${verdictClass(t.verdict)}"></span>trial ${esc(t.index)}</a>`,
    ),
  ]);
  return `<nav class="toc">${links.join('')}<a href="#environment">environment</a></nav>`;
}

function overview(scenarios: { scenario: ScenarioResult; slug: string }[]): string {
  const rows = scenarios.map(({ scenario, slug }) => {
    const fo = figureStats(scenario, 'failover_ms');
    const sfo = figureStats(scenario, 'sentinel_failover_ms');
    return (
      `<tr><td><a href="#scenario-${slug}">${esc(scenario.name)}</a></td><td>${pill(scenario.verdict)}</td><td class="num">${scenario.trials.length}</td>` +
      `<td class="num">${fmtMs(fo?.median)}</td><td class="num">${fmtMs(fo?.max)}</td><td class="num">${fmtMs(sfo?.max)}</td>` +
      `<td class="num">${fmt(figureSum(scenario.trials, 'writes_lost'), 0)}</td></tr>`
    );
  });
  return [
    '<section class="card"><h2>Scenarios</h2>',
    '<table class="grid"><thead><tr><th>scenario</th><th>verdict</th><th class="num">trials</th><th class="num">failover median</th><th class="num">failover max</th><th class="num">Sentinel max</th><th class="num">writes lost</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody></table></section>`,
  ].join('\n');
}

// ───────────────────────────── scenario ─────────────────────────────

function scenarioSection(journal: Journal, scenario: ScenarioResult, slug: string, histories: Map<string, Op[]>): string {
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
  const notPassed = scenario.trials.filter((t) => t.verdict === 'fail' || t.verdict === 'unknown');
  const warned = scenario.trials.filter((t) => (t.warnings ?? []).length > 0);
  if (notPassed.length > 0 || gate.findings.length > 0 || warned.length > 0) {
    out.push('<h3>Findings</h3><ul class="findings">');
    for (const t of notPassed) {
      out.push(`<li>${pill(t.verdict)} <a href="#trial-${slug}-${esc(t.index)}">trial ${esc(t.index)}</a>: ${esc(trialReason(t))}</li>`);
    }
    for (const f of gate.findings) out.push(`<li><span class="pill unknown">ELECTION</span> ${esc(f)}</li>`);
    for (const t of warned) {
      for (const w of t.warnings ?? []) out.push(`<li><span class="pill warn">WARNING</span> <a href="#trial-${slug}-${esc(t.index)}">trial ${esc(t.index)}</a>: ${esc(w)}</li>`);
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
  if (hasFailover(scenario.trials)) list.push(
    tile('Client failover, max', fmtDuration(fo?.max), `median ${fmtDuration(fo?.median)} · p95 ${fmtDuration(fo?.p95)} · SLO ≤ ${fmtDuration(slo.failoverMs)}`, state(fo?.max, slo.failoverMs)),
    tile('Sentinel failover, max', fmtDuration(sfo?.max), `median ${fmtDuration(sfo?.median)} · p95 ${fmtDuration(sfo?.p95)} · SLO ≤ ${fmtDuration(slo.failoverMs)}`, state(sfo?.max, slo.failoverMs)),
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
  out.push(`<svg class="dist" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${esc(`failover time per trial, ${scenario.name}`)}">`);
  if (bounded > 0) {
    const bx0 = x(slo.bandMs[0]);
    const bx1 = x(slo.bandMs[1]);
    out.push(`<rect x="${n1(bx0)}" y="${top - 4}" width="${n1(Math.max(0, bx1 - bx0))}" height="${rowH * bounded}" class="band"/>`);
    out.push(`<text x="${n1(bx0 + 5)}" y="${top + rowH * bounded - 10}" class="band-label">expected ${esc(fmtDuration(slo.bandMs[0]))}–${esc(fmtDuration(slo.bandMs[1]))}</text>`);
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

// ───────────────────────────── trial ─────────────────────────────

function trialSection(scenario: ScenarioResult, slug: string, trial: TrialResult, history: Op[] | undefined, slo: ScenarioSlo): string {
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
    out.push(`<div class="callout note"><strong>Warning${warnings.length === 1 ? '' : 's'}</strong> (within the accepted bounds)<ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></div>`);
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
    out.push(`<h3>Latency and throughput</h3>${latencyPlots(`${slug}-${trial.index}`, trial.events, history, at, typeof firstAck === 'number' && at.fault ? at.ns + firstAck * 1e6 : null)}`);
  }

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
  out.push(
    `<details><summary>Event log (${trial.events.length} events, ms from ${esc(origin.label)})</summary><table class="grid events"><thead><tr><th class="num">ms</th><th>kind</th><th>source</th><th>type</th><th>detail</th></tr></thead><tbody>${[...trial.events]
      .sort((a, b) => a.ns - b.ns)
      .map((e) => `<tr><td class="num">${esc(fmt((e.ns - origin.ns) / 1e6))}</td><td>${esc(e.kind)}</td><td>${esc(e.source)}</td><td><code>${esc(e.type)}</code></td><td>${esc(e.detail)}</td></tr>`)
      .join('')}</tbody></table></details>`,
  );
  if (trial.historyFile) {
    out.push(`<p class="fine">Full operation history: <code>${esc(trial.historyFile)}</code>${history === undefined ? ' (not available to this report)' : ` (${history.length} operations)`}.</p>`);
  }
  out.push('</section>');
  return out.join('\n');
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
  const writes = (Object.keys(WRITE_COLOR) as WriteClass[]).map((c) => `<span><i class="sq" style="background:${WRITE_COLOR[c]}"></i>write ${esc(WRITE_LABEL[c])}</span>`);
  return `<div class="legend">${cats.join('')}<span><i class="sq fault"></i>fault window</span>${writes.join('')}<span><i class="sq" style="background:${LATE_ACK_COLOR}"></i>late ack</span></div>`;
}

// ───────────────────────────── timeline ─────────────────────────────

const TW = 1200;
const TL = 200;
const TR = 24;
const PW = TW - TL - TR;
/** Estimated advance of an 11 px label character (DejaVu Sans, the widest usual fallback); bold is wider. */
const CHAR_W = 6.3;
const BOLD_W = 7.5;
const LANE_H = 13;

interface Row {
  label: string;
  sub?: string;
  height: number;
  draw: (y: number) => string;
}

interface Origin {
  ns: number;
  /** What t = 0 is, for sentences: "the fault landing". */
  label: string;
  /** The same for the axis: "fault landed". */
  axis: string;
  /** Whether t = 0 is the fault (drawn as a line across the timeline). */
  fault: boolean;
}

/**
 * t = 0 of a trial's timeline: the instant its phases and *_ms figures are measured from. That is
 * `clockStartNs` when the journal records it; otherwise, as the runner reports it, the last fault event
 * 'landed' or 'restored' before the heal starts (a staged fault such as quorum loss starts the failover
 * clock when quorum is restored); without a fault, the first event or operation.
 */
function timeOrigin(trial: TrialResult, history: Op[] | undefined): Origin {
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

function timeline(scenario: ScenarioResult, slug: string, trial: TrialResult, history: Op[] | undefined, slo: ScenarioSlo): string {
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
  if (faultEvents.length > 0) rows.push(eventRow('fault', 'harness', faultEvents, ms, x, () => COLOR.fault, () => true, windows));
  const phaseEvents = byKind('phase');
  if (phaseEvents.length > 0) rows.push(eventRow('harness', 'runner phases', phaseEvents, ms, x, () => COLOR.harness, () => true));

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
        (e) => KEY_EVENTS.has(e.type) ? e.detail.startsWith('master ') || e.type === '+switch-master' || e.type === '+tilt' : e.type.startsWith('-failover-abort'),
      ),
    );
  }
  // Role rows (one per node), then every other kind (Kubernetes and future ones), one row per kind and source.
  const roles = byKind('role');
  for (const [source, list] of groupBy(roles, (e) => e.source)) rows.push(roleRow(source, list, ms, clampX, hi));
  if (roles.length > 0) rows.push(splitBrainRow(splitBrain(roles, ms, hi), clampX));
  const known = new Set(['fault', 'phase', 'sentinel', 'role']);
  for (const [key, list] of groupBy(events.filter((e) => !known.has(e.kind)), (e) => `${e.kind}\u0000${e.source}`)) {
    const [kind, source] = key.split('\u0000') as [string, string];
    rows.push(eventRow(source, kind === 'k8s' ? 'Kubernetes events' : `${kind} events`, list, ms, x, () => (kind === 'k8s' ? '#0891b2' : COLOR.other), () => true));
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
      draw: (y) => `<text x="${TL + 6}" y="${y + 17}" class="muted-text">${trial.historyFile ? 'history not available to this report' : 'no history recorded for this trial'}</text>`,
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
    out.push(`<rect x="${n1(x0)}" y="${AXIS_H}" width="${n1(Math.max(1, x1 - x0))}" height="${y - AXIS_H}" class="fault-window"><title>${esc(`fault window ${fmtMs(w.start)} → ${w.open ? 'not healed' : fmtMs(w.end)}${w.detail ? `: ${w.detail}` : ''}`)}</title></rect>`);
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

interface FaultWindow {
  start: number;
  end: number;
  healStart: number | null;
  open: boolean;
  detail: string;
}

/** Fault windows (landed, or injected, → healed) from the fault events in time order; an unhealed one runs to `end`. */
function faultWindows(events: TrialEvent[], ms: (ns: number) => number, end: number): FaultWindow[] {
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
function eventRow(
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
        out.push(`<text x="${n1(l.anchor === 'start' ? l.x + 4 : l.x - 4)}" y="${ly}" text-anchor="${l.anchor}" fill="${c}" class="${l.key ? 'ev-label key' : 'ev-label'}">${esc(l.text)}</text>`);
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
function roleRow(source: string, list: TrialEvent[], ms: (ns: number) => number, clampX: (t: number) => number, end: number): Row {
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
        if (changed && x1 - x0 > text.length * CHAR_W + 8) out.push(`<text x="${n1(x0 + 5)}" y="${y + 19}" style="fill:${ink}" class="seg-label">${esc(text)}</text>`);
      });
      return out.join('');
    },
  };
}

/** Intervals (ms) in which two or more nodes' latest role event says master. */
function splitBrain(roles: TrialEvent[], ms: (ns: number) => number, end: number): { from: number; to: number; masters: string[] }[] {
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

function splitBrainRow(intervals: { from: number; to: number; masters: string[] }[], clampX: (t: number) => number): Row {
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

/** Client and Sentinel failover as bars from the fault, against the expected band and the SLO bound. */
function failoverRow(trial: TrialResult, x: (t: number) => number, lo: number, hi: number, slo: ScenarioSlo): Row {
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
      if (b1 > b0) out.push(`<rect x="${n1(x(b0))}" y="${y + 3}" width="${n1(x(b1) - x(b0))}" height="56" class="band"><title>${esc(`expected band ${fmtMs(slo.bandMs[0])}–${fmtMs(slo.bandMs[1])}`)}</title></rect>`);
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
        out.push(`<rect x="${n1(x0)}" y="${by}" width="${n1(Math.max(1, x1 - x0))}" height="13" rx="2" fill="${bars[i]![2]}" class="fo-bar"><title>${esc(`${name} failover ${fmtMs(v)}`)}</title></rect>`);
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
function phaseRow(trial: TrialResult, x: (t: number) => number): Row {
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
        out.push(`<g><title>${esc(`${s.name}: ${fmtMs(s.to)} from the fault, +${fmtMs(s.to - s.from)} after the previous phase`)}</title><rect x="${n1(x0)}" y="${barY}" width="${n1(Math.max(1, x1 - x0))}" height="14" fill="${c}" class="phase-seg"/></g>`);
        const d = `+${fmt(s.to - s.from, 0)} ms`;
        if (x1 - x0 > d.length * CHAR_W + 6) out.push(`<text x="${n1((x0 + x1) / 2)}" y="${barY + 10.5}" text-anchor="middle" class="seg-label">${esc(d)}</text>`);
      }
      for (const p of placed) {
        const ly = y + 24 + (p.lane + 1) * LANE_H - 3;
        out.push(`<line x1="${n1(p.x)}" x2="${n1(p.x)}" y1="${barY}" y2="${ly - 3}" stroke="${p.color}" class="leader"/>`);
        out.push(`<text x="${n1(p.anchor === 'start' ? p.x + 3 : p.x - 3)}" y="${ly}" text-anchor="${p.anchor}" fill="${p.color}" class="ev-label">${esc(p.text)}</text>`);
      }
      if (firstAck !== null) out.push(`<g><title>${esc(`first-ack ${fmtMs(firstAck)}: first write acknowledged by the new master`)}</title><path d="M${n1(x(firstAck))} ${barY - 1} l5 -6 h-10 z" fill="${COLOR.switch}"/></g>`);
      return out.join('');
    },
  };
}

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
function writesRow(process: string, history: Op[], lost: ReadonlySet<string>, ms: (ns: number) => number, x: (t: number) => number): Row {
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
      for (const r of runs(writes.map((w) => ({ t: ms(w.invokeNs), cls: w.cls })), WRITE_RANK, x, 3)) {
        const what = r.cls === 'ok' ? 'acknowledged in time' : WRITE_LABEL[r.cls];
        out.push(`<rect x="${n1(r.x0)}" y="${y + 6}" width="${n1(r.x1 - r.x0)}" height="14" fill="${WRITE_COLOR[r.cls]}"><title>${esc(`${r.n} write${r.n === 1 ? '' : 's'} invoked ${fmt(r.t0)}…${fmt(r.t1)} ms${r.cls === 'ok' ? '' : `, worst: ${what}`}`)}</title></rect>`);
      }
      if (outage && outage.ms > 0) {
        const x0 = Math.max(TL, x(ms(outage.startNs)));
        const x1 = Math.min(TL + PW, x(ms(outage.endNs)));
        const oy = y + 30;
        out.push(`<path d="M${n1(x0)} ${oy - 4} v4 H${n1(x1)} v-4" class="outage"/>`);
        const text = `longest outage ${fmtMs(outage.ms)}`;
        const mid = (x0 + x1) / 2;
        out.push(`<text x="${n1(Math.min(Math.max(mid, TL + text.length * 3), TL + PW - text.length * 3))}" y="${oy + 11}" text-anchor="middle" class="outage-label">${esc(text)}</text>`);
      }
      const summary = (Object.keys(counts) as WriteClass[]).filter((c) => counts[c] > 0).map((c) => `${counts[c]} ${c}`).join(' · ');
      out.push(`<title>${esc(summary)}</title>`);
      return out.join('');
    },
  };
}

function acksRow(node: string, sub: string, oks: Op[], ms: (ns: number) => number, x: (t: number) => number): Row {
  type AckClass = 'ok' | 'late';
  const rank: Record<AckClass, number> = { ok: 0, late: 1 };
  return {
    label: node,
    sub: `${sub} (${oks.length})`,
    height: 32,
    draw: (y) => {
      const out: string[] = [];
      out.push(`<rect x="${TL}" y="${y + 8}" width="${PW}" height="10" class="track-bg"/>`);
      for (const r of runs(oks.map((o) => ({ t: ms(o.ns), cls: (o.late ? 'late' : 'ok') as AckClass })), rank, x, 3)) {
        out.push(`<rect x="${n1(r.x0)}" y="${y + 8}" width="${n1(r.x1 - r.x0)}" height="10" fill="${r.cls === 'late' ? LATE_ACK_COLOR : WRITE_COLOR.ok}"><title>${esc(`${r.n} ack${r.n === 1 ? '' : 's'} by ${node} at ${fmt(r.t0)}…${fmt(r.t1)} ms${r.cls === 'late' ? ' (some after the client timeout)' : ''}`)}</title></rect>`);
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
function masterRoles(events: TrialEvent[]): Map<string, string> {
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
function lostWindowRow(trial: TrialResult, x: (t: number) => number): Row | null {
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

// ───────────────────────────── environment ─────────────────────────────

function environment(journal: Journal): string {
  const kv = (title: string, rows: [string, unknown][], note = ''): string =>
    `<div><h3>${esc(title)}</h3>${note}<table class="grid kv">${rows
      .map(([k, v]) => {
        const override = k.startsWith('override_');
        return `<tr${override ? ' class="override"' : ''}><th>${esc(k)}${override ? ' <span class="tag">override</span>' : ''}</th><td>${esc(v === '' ? '""' : String(v))}</td></tr>`;
      })
      .join('')}</table></div>`;
  const deployment = Object.entries(journal.deployment ?? {});
  const overrides = deployment.filter(([k]) => k.startsWith('override_'));
  return [
    '<section class="card" id="environment"><h2>Environment</h2>',
    '<div class="env">',
    kv('Target', [['name', journal.target.name], ['Redis version', journal.target.redisVersion ?? 'unknown'], ...Object.entries(journal.target.details ?? {})]),
    kv('Harness', [
      ['name', journal.harness.name],
      ['version', journal.harness.version],
      ['node', journal.harness.node],
      ['run id', journal.run.id],
      ['started', journal.run.startedAt],
      ['finished', journal.run.finishedAt],
      ['duration', fmtDuration(journal.run.durationMs)],
      ['interrupted', journal.run.interrupted],
      ['arguments', journal.run.argv.join(' ')],
    ]),
    kv(
      'Deployment parameters',
      [...deployment.filter(([k]) => !k.startsWith('override_')), ...overrides],
      overrides.length > 0 ? `<p class="fine">Read from the manifests; the ${overrides.length} highlighted override${overrides.length === 1 ? '' : 's'} replaced the manifest value for this run.</p>` : '',
    ),
    kv('Client options', Object.entries(journal.client ?? {})),
    '</div></section>',
  ].join('\n');
}

// ───────────────────────────── helpers ─────────────────────────────

/** Escaped text; past 480 characters the rest folds into a <details> (write-loss explanations list many keys). */
function longText(s: string, max = 480): string {
  const chars = [...s];
  if (chars.length <= max) return esc(s);
  return `${esc(chars.slice(0, max).join(''))}… <details class="more"><summary>full text (${chars.length} characters)</summary>${esc(s)}</details>`;
}

function verdictClass(v: string): string {
  return v === 'pass' || v === 'fail' || v === 'unknown' || v === 'skipped' ? v : 'unknown';
}

function pill(v: Verdict): string {
  return `<span class="pill ${verdictClass(v)}">${esc(VERDICT_LABEL[v] ?? v)}</span>`;
}

function overClass(v: number | null | undefined, bound: number): string {
  return typeof v !== 'number' ? '' : v > bound ? 'bad' : 'good';
}

function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
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
function slugger(): (name: string) => string {
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
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(Math.round(t * 1e6) / 1e6);
  return out;
}

function tickLabel(t: number, span: number): string {
  if (t === 0) return '0';
  if (span >= 4000) return `${fmt(t / 1000, 2)} s`;
  return `${fmt(t, 0)} ms`;
}

// ───────────────────────────── style ─────────────────────────────

const CSS = `
:root{--bg:#f4f6f9;--card:#fff;--ink:#0f172a;--ink2:#334155;--muted:#64748b;--line:#e2e8f0;--line2:#cbd5e1;
--pass:#15803d;--pass-bg:#dcfce7;--fail:#b91c1c;--fail-bg:#fee2e2;--unk:#a16207;--unk-bg:#fef3c7;--skip:#475569;--skip-bg:#e2e8f0;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans",Arial,sans-serif;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 var(--sans)}
.container{max-width:1320px;margin:0 auto;padding:0 24px}
code{font-family:var(--mono);font-size:12.5px;background:#f1f5f9;border-radius:4px;padding:1px 4px}
a{color:#1d4ed8;text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:22px;margin:2px 0 10px;font-weight:650;letter-spacing:-.01em}
h2{font-size:17px;margin:0;font-weight:650}
h3{font-size:13px;margin:18px 0 8px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:650}
header.top{background:#0f172a;color:#e2e8f0;padding:22px 0 18px;border-bottom:3px solid #1e293b}
.top-inner{display:flex;justify-content:space-between;align-items:flex-start;gap:24px}
.eyebrow{font-size:12px;text-transform:uppercase;letter-spacing:.12em;color:#94a3b8}
header.top h1{color:#f8fafc}
.meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:0}
.meta div{display:flex;flex-direction:column}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:#94a3b8}
.meta dd{margin:0;font-family:var(--mono);font-size:13px;color:#f1f5f9}
.verdict-block{display:flex;flex-direction:column;align-items:flex-end;gap:8px;padding-top:4px}
.tally{font-size:13px;color:#cbd5e1;white-space:nowrap}
.pill{display:inline-block;font-size:11px;font-weight:700;letter-spacing:.06em;padding:2px 8px;border-radius:999px;line-height:18px;white-space:nowrap}
.pill.big{font-size:20px;padding:6px 22px;line-height:28px;letter-spacing:.1em}
.pill.pass{background:var(--pass-bg);color:var(--pass)}.pill.fail{background:var(--fail-bg);color:var(--fail)}
.pill.unknown,.pill.warn{background:var(--unk-bg);color:var(--unk)}.pill.skipped{background:var(--skip-bg);color:var(--skip)}
header .pill.pass{background:#16a34a;color:#fff}header .pill.fail{background:#dc2626;color:#fff}header .pill.unknown{background:#d97706;color:#fff}header .pill.skipped{background:#64748b;color:#fff}
.toc{display:flex;flex-wrap:wrap;gap:6px;margin:16px 0}
.toc a{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:3px 10px;font-size:13px;color:var(--ink2)}
.toc a.nav-scenario{font-weight:650;color:var(--ink)}
.dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:6px;vertical-align:1px}
.dot.pass{background:#16a34a}.dot.fail{background:#dc2626}.dot.unknown{background:#d97706}.dot.skipped{background:#94a3b8}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px 16px;margin:0 0 18px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
.card.scenario{border-top:4px solid #334155}
.card-head{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
.card-head .muted{font-size:13px}
.lead{margin:6px 0 12px;color:var(--ink2)}
.muted{color:var(--muted)}
.fine{font-size:12.5px;color:var(--muted);margin:10px 0 0}
.callout{border-radius:8px;padding:9px 14px;margin:12px 0;font-size:13.5px;border:1px solid}
.callout.pass{background:#f0fdf4;border-color:#bbf7d0;color:#14532d}
.callout.fail{background:#fef2f2;border-color:#fecaca;color:#7f1d1d}
.callout.unknown,.callout.note{background:#fffbeb;border-color:#fde68a;color:#78350f}
.callout ul{margin:4px 0 0;padding-left:20px}
.callout.skipped{background:#f8fafc;border-color:var(--line);color:var(--ink2)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;margin:14px 0 4px}
.tile{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fbfcfd;border-left:4px solid var(--line2)}
.tile.good{border-left-color:#16a34a}.tile.bad{border-left-color:#dc2626;background:#fffafa}
.tile-label{font-size:12.5px;font-weight:600;color:var(--muted)}
.tile-value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums;margin:2px 0}
.tile-sub{font-size:12px;color:var(--muted)}
.two-col{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:28px}
@media (max-width:1000px){.two-col{grid-template-columns:1fr}.top-inner{flex-direction:column}.verdict-block{align-items:flex-start}}
table.grid{border-collapse:collapse;width:100%;font-size:13px}
.grid th,.grid td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
.grid thead th{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line2)}
.grid tbody th{font-weight:600;color:var(--ink2);white-space:nowrap}
.grid .num{text-align:right;font-variant-numeric:tabular-nums;font-family:var(--mono);font-size:12.5px;white-space:nowrap}
.grid td.bound{color:var(--muted);font-size:12px;white-space:nowrap}
.scroll{overflow-x:auto}
.grid tr.override th,.grid tr.override td{background:#fffbeb}
.tag{display:inline-block;font-family:var(--sans);font-size:10px;font-weight:700;letter-spacing:.05em;text-transform:uppercase;color:#92400e;background:#fde68a;border-radius:4px;padding:0 5px;margin-left:6px}
.grid.kv th{width:38%;font-family:var(--mono);font-weight:500;font-size:12.5px}
.grid.kv td{font-family:var(--mono);font-size:12.5px;word-break:break-all}
.grid.checks td.explain{color:var(--ink2);font-size:12.5px}
.grid.checks th{width:1%}.grid.checks td:first-child{width:1%}
.grid.events td{font-size:12px}.grid.events td:last-child{font-family:var(--mono);color:var(--ink2);word-break:break-all}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:8px;vertical-align:-1px}
.findings{margin:6px 0 0;padding-left:0;list-style:none}.findings li{margin:4px 0;font-size:13.5px}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.chip{display:inline-flex;gap:8px;align-items:baseline;border:1px solid var(--line);border-radius:6px;padding:3px 10px;font-size:12.5px;background:#fbfcfd}
.chip span{color:var(--muted)}.chip strong{font-variant-numeric:tabular-nums;font-weight:650}
.chip.good{border-color:#bbf7d0;background:#f0fdf4}.chip.bad{border-color:#fecaca;background:#fef2f2;color:#991b1b}
.timeline-wrap{border:1px solid var(--line);border-radius:8px;overflow:hidden;background:#fff}
svg{display:block;width:100%;height:auto;font-family:var(--sans)}
svg text{font-size:11px;fill:var(--ink2)}
svg .row-label{font-size:12px;font-weight:650;fill:var(--ink)}
svg .row-sub{font-size:10.5px;fill:var(--muted)}
svg .tick{font-size:10.5px;fill:var(--muted);font-variant-numeric:tabular-nums}
svg .axis-title{font-size:10.5px;fill:var(--muted);font-style:italic}
svg .zebra{fill:#f8fafc}
svg .gutter{stroke:var(--line2)}
svg .grid-line{stroke:#e9edf2;stroke-width:1}
svg .zero-line{stroke:#b91c1c;stroke-width:1.5}
svg .fault-window{fill:#ef4444;fill-opacity:.07}
svg .heal-window{fill:#64748b;fill-opacity:.06}
svg .fault-bar{fill:#b91c1c;fill-opacity:.35}
svg .leader{stroke-width:1;stroke-opacity:.45}
svg .ev-label{font-size:11px}
svg .ev-label.key{font-weight:700}
svg .mark{stroke:#fff;stroke-width:1.2}
svg .seg-label{font-size:10px;fill:#fff;font-weight:600}
svg .split{fill:#dc2626}
svg .lost-label{font-size:11px;font-weight:650;fill:#111827}
svg .lost-label.inv{fill:#fff}
svg .fo-label{font-size:11px;font-weight:650;fill:var(--ink)}
svg .fo-label.inv{fill:#fff}
svg .band{fill:#16a34a;fill-opacity:.08}
svg .band-label{font-size:10.5px;fill:#15803d}
svg .bound{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:5 3}
svg .bound-label{font-size:10.5px;fill:#b91c1c;font-weight:600}
svg .bound-label.off{fill:#94a3b8;font-weight:500}
svg .track-bg{fill:#eef2f6}
svg .outage{fill:none;stroke:#475569;stroke-width:1.2}
svg .outage-label{font-size:10.5px;fill:#334155}
svg .muted-text{fill:var(--muted);font-style:italic}
svg .axis{stroke:var(--line2)}
svg .track{stroke:var(--line)}
svg .range{stroke:#94a3b8;stroke-width:3;stroke-linecap:round}
svg .q-median{stroke:#0f172a;stroke-width:2.5}
svg .q-p95{stroke:#0f172a;stroke-width:1.2;stroke-dasharray:2 2}
svg .q-label{font-size:10.5px;fill:var(--muted)}
svg .dot-pass{fill:#16a34a;fill-opacity:.85;stroke:#fff;stroke-width:1.2}
svg .dot-fail{fill:#dc2626;fill-opacity:.9;stroke:#fff;stroke-width:1.2}
svg .dot-unknown{fill:#d97706;stroke:#fff;stroke-width:1.2}
svg .dot-skipped{fill:#94a3b8;stroke:#fff;stroke-width:1.2}
.dist{max-width:680px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:var(--muted);margin:8px 2px 0}
.legend span{display:inline-flex;align-items:center;gap:6px}
.legend .mk{display:inline-block;width:9px;height:9px;border-radius:50%}
.legend .sq{display:inline-block;width:12px;height:9px;border-radius:2px}
.legend .sq.fault{background:#ef4444;opacity:.25}
.legend .sq.recovery{background:none;border-left:2px dashed #0d9488;width:2px;border-radius:0}
svg .recovery-line{stroke:#0d9488;stroke-width:1.5;stroke-dasharray:4 3}
details{margin-top:10px;font-size:13px}
details.more{margin-top:4px;word-break:break-all}details.more summary{font-weight:500;font-size:12px}
summary{cursor:pointer;color:var(--ink2);font-weight:600;padding:4px 0}
details table{margin-top:6px}
.env{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:4px 28px}
@media (max-width:1000px){.env{grid-template-columns:1fr}}
footer{font-size:12px;color:var(--muted);text-align:center;padding:8px 0 32px}
@media print{body{background:#fff}.card{box-shadow:none;break-inside:avoid}.toc{display:none}header.top{background:#fff;color:#000}}
`;
