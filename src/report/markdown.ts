// Renders the run journal as summary.md: a verdict line and one table per scenario, fit for a GitHub step summary or PR comment.
import { QUANTILE_DEFINITION } from '../checkers/stats.ts';
import {
  figureStats,
  figureSum,
  figureValues,
  fmt,
  hasFailover,
  fmtDuration,
  fmtPct,
  scenarioSlo,
  trialReason,
  VERDICT_LABEL,
  verdictCounts,
} from './format.ts';
import { gateScenario, gateSummary } from './gate.ts';
import { conformanceMarkdown } from './conformance-section.ts';
import { profileMarkdown } from './profile-table.ts';
import type { Journal, ScenarioResult, Stats, Verdict } from './journal.ts';

const ICON: Record<Verdict, string> = { pass: '✅', fail: '❌', unknown: '⚠️', skipped: '⏭️' };

interface Row {
  label: string;
  figure: string;
  format: (v: number) => string;
  slo: string;
}

/**
 * summary.md for `journal`: the run's verdict line; per scenario its verdict, a table of the failover
 * figures (client and Sentinel), outage, availability, lost writes (min / median / p95 / max against the SLO),
 * write totals, the SLO gate's reasoning, and every trial that did not pass with its message.
 * Every journal string is escaped, so nothing in it can add Markdown or HTML structure. Pure and deterministic.
 */
export function renderMarkdown(journal: Journal): string {
  const trials = journal.scenarios.flatMap((s) => s.trials);
  const counts = verdictCounts(trials);
  const out: string[] = [];
  out.push(`## ${ICON[journal.verdict] ?? ''} sentinel-chaos: ${VERDICT_LABEL[journal.verdict] ?? md(String(journal.verdict))}`);
  out.push('');
  const tally = [`${counts.pass} of ${trials.length} trial${trials.length === 1 ? '' : 's'} passed`];
  if (counts.fail > 0) tally.push(`${counts.fail} failed`);
  if (counts.unknown > 0) tally.push(`${counts.unknown} unknown`);
  if (counts.skipped > 0) tally.push(`${counts.skipped} skipped`);
  out.push(
    [
      `**${tally.join(', ')}**`,
      `target ${code(journal.target.name)}`,
      `Redis ${md(journal.target.redisVersion ?? 'unknown')}`,
      `run ${code(journal.run.id)}`,
      fmtDuration(journal.run.durationMs),
      `${md(journal.harness.name)} ${md(journal.harness.version)}`,
    ].join(' · '),
  );
  if (journal.run.interrupted) out.push('', '> **Interrupted**: the run was stopped before every trial completed.');
  const halted = journal.run.halted;
  if (halted)
    out.push(
      '',
      `> **Halted** by ${halted.by} in ${halted.scenario} trial ${halted.trial}: ${halted.reason}. Everything was healed; the trials and scenarios after it did not run.`,
    );
  const ds = journal.run.dataset;
  if (ds)
    out.push(
      '',
      `Dataset (--dataset): ${Object.entries(ds)
        .map(([k, v]) => `${md(k)} ${v ?? '—'}`)
        .join(', ')}`,
    );
  if (journal.conformance?.length) out.push('', ...conformanceMarkdown(journal.conformance, md));
  const profiles = profileMarkdown(journal, md);
  if (profiles.length > 0) out.push('', ...profiles);
  for (const scenario of journal.scenarios) out.push('', ...renderScenario(scenario));
  out.push('', `<sub>${md(journal.quantileDefinition || QUANTILE_DEFINITION)}</sub>`, '');
  return out.join('\n');
}

function renderScenario(scenario: ScenarioResult): string[] {
  const slo = scenarioSlo(scenario);
  const counts = verdictCounts(scenario.trials);
  const n = scenario.trials.length;
  const out: string[] = [];
  out.push(`### ${ICON[scenario.verdict] ?? ''} ${md(scenario.name)} — ${VERDICT_LABEL[scenario.verdict] ?? md(String(scenario.verdict))}`);
  out.push('');
  const summary = [`${n} trial${n === 1 ? '' : 's'}: ${counts.pass} passed`];
  if (counts.fail > 0) summary.push(`${counts.fail} failed`);
  if (counts.unknown > 0) summary.push(`${counts.unknown} unknown`);
  if (counts.skipped > 0) summary.push(`${counts.skipped} skipped`);
  out.push(`${summary.join(', ')}.${scenario.description ? ` ${md(scenario.description)}` : ''}`);
  out.push('');

  const ms = (v: number): string => fmt(v);
  const rows: Row[] = [
    { label: 'failover, client (ms)', figure: 'failover_ms', format: ms, slo: `≤ ${fmt(slo.failoverMs)}` },
    { label: 'failover, Sentinel (ms)', figure: 'sentinel_failover_ms', format: ms, slo: `≤ ${fmt(slo.failoverMs)}` },
    { label: 'outage (ms)', figure: 'outage_ms', format: ms, slo: '' },
    { label: 'availability', figure: 'availability', format: fmtPct, slo: '' },
    { label: 'writes lost', figure: 'writes_lost', format: (v) => fmt(v, 0), slo: `≤ ${fmt(slo.maxLostWrites, 0)}` },
    { label: 'split brain (ms)', figure: 'split_brain_ms', format: ms, slo: '' },
  ];
  out.push('| figure | n | min | median | p95 | max | SLO |', '| --- | --: | --: | --: | --: | --: | --- |');
  for (const row of rows) {
    const st: Stats | null = figureStats(scenario, row.figure);
    // Optional figures (split brain) only appear when measured; the core ones always do, as "–" when never measured,
    // except the failover rows of a scenario that expects no failover.
    if (st === null && row.figure === 'split_brain_ms') continue;
    if (st === null && row.figure.includes('failover') && n > 0 && !hasFailover(scenario.trials)) continue;
    const cell = (k: keyof Stats): string => (st === null ? '–' : row.format(st[k]));
    out.push(`| ${row.label} | ${st?.n ?? 0} | ${cell('min')} | ${cell('median')} | ${cell('p95')} | ${cell('max')} | ${row.slo} |`);
  }
  out.push('');

  const acked = figureSum(scenario.trials, 'writes_acked');
  const lost = figureSum(scenario.trials, 'writes_lost');
  const indeterminate = figureSum(scenario.trials, 'writes_indeterminate');
  const totals = [`${fmt(acked, 0)} acknowledged`, `${fmt(lost, 0)} lost`];
  if (indeterminate !== null) totals.push(`${fmt(indeterminate, 0)} indeterminate`);
  out.push(`Writes over all trials: ${totals.join(', ')}.`);

  const band = figureValues(scenario.trials, 'failover_ms');
  const below = band.filter((x) => x.value < slo.bandMs[0]).length;
  const above = band.filter((x) => x.value > slo.bandMs[1]).length;
  if (below + above > 0) {
    const where = [below > 0 ? `${below} below` : '', above > 0 ? `${above} above` : ''].filter(Boolean).join(', ');
    out.push(
      `Client failover outside the expected band ${fmt(slo.bandMs[0])}–${fmt(slo.bandMs[1])} ms in ${below + above} of ${band.length} trials (${where}).`,
    );
  }

  const gate = gateScenario(scenario.trials, { failoverMs: slo.failoverMs }, scenario.gate?.stat ?? 'max');
  out.push(`SLO gate (${scenario.gate?.stat ?? 'max'}): ${md(gateSummary(gate))}.`);

  const notPassed = scenario.trials.filter((t) => t.verdict === 'fail' || t.verdict === 'unknown');
  if (notPassed.length > 0) {
    out.push('', '**Trials that did not pass**', '');
    for (const t of notPassed) out.push(`- trial ${t.index} **${VERDICT_LABEL[t.verdict]}**: ${md(clip(trialReason(t)))}`);
  }
  if (gate.findings.length > 0) {
    out.push('', '**Findings**', '');
    for (const f of gate.findings) out.push(`- ${md(f)}`);
  }
  const warned = scenario.trials.filter((t) => (t.warnings ?? []).length > 0);
  if (warned.length > 0) {
    out.push('', '**Warnings** (within the accepted bounds)', '');
    for (const t of warned) for (const w of t.warnings ?? []) out.push(`- trial ${t.index}: ${md(clip(w))}`);
  }
  out.push(...alertLines(scenario));
  return out;
}

/** With --monitoring: per trial, each alert's window in ms from the fault landing (and the clear from the heal). */
function alertLines(scenario: ScenarioResult): string[] {
  const watched = scenario.trials.filter((t) => Array.isArray(t.alerts));
  if (watched.length === 0) return [];
  const out = [
    '',
    '**Alerts** (ms from the fault landing; cleared vs the heal)',
    '',
    '| trial | alert | fired | cleared | vs heal |',
    '| --: | --- | --: | --: | --: |',
  ];
  for (const t of watched) {
    if (t.alerts!.length === 0) out.push(`| ${t.index} | none fired | | | |`);
    for (const w of t.alerts!)
      out.push(
        `| ${t.index} | ${md(w.name)} | ${fmt(w.firedMs)} | ${w.clearedMs === null ? 'still firing' : fmt(w.clearedMs)} | ${w.clearedAfterHealMs === null ? '' : fmt(w.clearedAfterHealMs)} |`,
      );
  }
  return out;
}

/** Long journal text cut for a summary (the HTML report and JUnit carry it whole). */
function clip(s: string, max = 400): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max).join('')}… (${chars.length} characters; full text in index.html)` : s;
}

/** Journal text made inert: no Markdown emphasis, links, code, tables or HTML, and on one line. */
export function md(s: string): string {
  return String(s)
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** An inline code span holding `s` verbatim (no escapes apply inside one), fenced so no backtick in `s` can close it. */
function code(s: string): string {
  const text = String(s).replace(/[\u0000-\u001f\u007f]+/g, ' ');
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}
