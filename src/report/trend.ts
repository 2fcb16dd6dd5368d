// Figures over many runs: per scenario and figure the series, its median and spread (MAD) over the last N
// runs, and regressions of the newest run against the rolling baseline of the runs before it.
import { esc } from './html.ts';
import { figureStats, fmt, fmtPct } from './format.ts';
import type { Journal, Stats } from './journal.ts';
import { md } from './markdown.ts';

type Kind = 'ms' | 'count' | 'ratio';

/** What is followed over time: one statistic of a figure per run, and which direction is worse. */
export const TREND_FIGURES: readonly { figure: string; stat: keyof Stats; kind: Kind; worse: 'up' | 'down' }[] = [
  { figure: 'failover_ms', stat: 'median', kind: 'ms', worse: 'up' },
  { figure: 'sentinel_failover_ms', stat: 'median', kind: 'ms', worse: 'up' },
  { figure: 'outage_ms', stat: 'median', kind: 'ms', worse: 'up' },
  { figure: 'writes_lost', stat: 'max', kind: 'count', worse: 'up' },
  { figure: 'availability', stat: 'min', kind: 'ratio', worse: 'down' },
];

export interface TrendOptions {
  /** Runs considered (the newest N). */
  last: number;
  /** The newest value regresses when worse than the baseline median by more than k × MAD ... */
  k: number;
  /** ... and by more than this minimum absolute change, per kind of figure. */
  minChange: Record<Kind, number>;
  /** Fewer previous values than this: no verdict (not enough history to know the noise). */
  minBaseline: number;
}

export const TREND_DEFAULTS: TrendOptions = { last: 10, k: 3, minChange: { ms: 250, count: 0, ratio: 0.01 }, minBaseline: 3 };

/** MAD scaled to estimate the standard deviation of normal noise. */
export const MAD_SCALE = 1.4826;

export interface TrendPoint {
  runId: string;
  startedAt: string;
  value: number | null;
}

export interface TrendSeries {
  scenario: string;
  figure: string;
  stat: keyof Stats;
  kind: Kind;
  worse: 'up' | 'down';
  points: TrendPoint[];
  /** Median and scaled MAD of the runs before the newest (the baseline); null without enough of them. */
  baseline: { median: number; mad: number; n: number } | null;
  /** Median and scaled MAD over every point. */
  median: number | null;
  mad: number | null;
  newest: number | null;
  verdict: 'regression' | 'ok' | 'insufficient';
  /** One sentence on how the newest value was judged. */
  reason: string;
}

export interface Trend {
  runs: { id: string; startedAt: string; verdict: string }[];
  series: TrendSeries[];
  regressions: TrendSeries[];
  options: TrendOptions;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median absolute deviation, scaled by {@link MAD_SCALE}. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return MAD_SCALE * median(values.map((v) => Math.abs(v - m)));
}

const show = (v: number | null, kind: Kind) => (v === null ? '–' : kind === 'ms' ? `${fmt(v)} ms` : kind === 'ratio' ? fmtPct(v) : fmt(v, 0));

/**
 * The rule: with at least `minBaseline` earlier values, the newest value regresses when it is worse than
 * their median by more than k × MAD (scaled) AND by more than the minimum change of its kind
 * (250 ms, any lost write, 1 availability point by default). Both must hold: the first ignores what the
 * figure's own noise explains, the second ignores changes too small to matter on a very quiet series.
 */
export function judgeSeries(
  values: readonly (number | null)[],
  kind: Kind,
  worse: 'up' | 'down',
  o: TrendOptions,
): Pick<TrendSeries, 'baseline' | 'verdict' | 'reason' | 'newest'> {
  const newest = values.length ? values[values.length - 1]! : null;
  const before = values.slice(0, -1).filter((v): v is number => v !== null);
  if (newest === null) return { baseline: null, newest, verdict: 'insufficient', reason: 'not measured in the newest run' };
  if (before.length < o.minBaseline)
    return {
      baseline: null,
      newest,
      verdict: 'insufficient',
      reason: `${before.length} earlier value${before.length === 1 ? '' : 's'}; at least ${o.minBaseline} needed`,
    };
  const baseline = { median: median(before), mad: mad(before), n: before.length };
  const change = worse === 'up' ? newest - baseline.median : baseline.median - newest;
  const noise = o.k * baseline.mad;
  const min = o.minChange[kind];
  const regressed = change > noise && change > min;
  const dir = worse === 'up' ? 'above' : 'below';
  const reason = regressed
    ? `${show(newest, kind)} is ${show(Math.abs(change), kind)} ${dir} the median ${show(baseline.median, kind)} of ${baseline.n} earlier runs: beyond ${o.k} × MAD (${show(noise, kind)}) and the minimum change ${show(min, kind)}`
    : change <= 0
      ? `${show(newest, kind)}: not worse than the median ${show(baseline.median, kind)} of ${baseline.n} earlier runs`
      : `${show(newest, kind)} is ${show(change, kind)} ${dir} the median ${show(baseline.median, kind)}: within ${change <= noise ? `${o.k} × MAD (${show(noise, kind)})` : `the minimum change ${show(min, kind)}`}`;
  return { baseline, newest, verdict: regressed ? 'regression' : 'ok', reason };
}

/** The trend over `journals` (any order; the newest `o.last` by start time are used). */
export function computeTrend(journals: readonly Journal[], opts: Partial<TrendOptions> = {}): Trend {
  const o = { ...TREND_DEFAULTS, ...opts, minChange: { ...TREND_DEFAULTS.minChange, ...opts.minChange } };
  const runs = [...journals].sort((a, b) => a.run.startedAt.localeCompare(b.run.startedAt) || a.run.id.localeCompare(b.run.id)).slice(-o.last);
  const scenarios = [...new Set(runs.flatMap((j) => j.scenarios.map((s) => s.name)))].sort();
  const series: TrendSeries[] = [];
  for (const scenario of scenarios) {
    for (const f of TREND_FIGURES) {
      const points = runs.map((j): TrendPoint => {
        const s = j.scenarios.find((x) => x.name === scenario);
        const st = s ? figureStats(s, f.figure) : null;
        const v = st?.[f.stat];
        return { runId: j.run.id, startedAt: j.run.startedAt, value: typeof v === 'number' && Number.isFinite(v) ? v : null };
      });
      const values = points.map((p) => p.value);
      const measured = values.filter((v): v is number => v !== null);
      if (measured.length === 0) continue;
      series.push({
        scenario,
        ...f,
        points,
        median: median(measured),
        mad: mad(measured),
        ...judgeSeries(values, f.kind, f.worse, o),
      });
    }
  }
  return {
    runs: runs.map((j) => ({ id: j.run.id, startedAt: j.run.startedAt, verdict: String(j.verdict) })),
    series,
    regressions: series.filter((s) => s.verdict === 'regression'),
    options: o,
  };
}

export function ruleText(o: TrendOptions): string {
  return (
    `The newest run is judged against the runs before it (up to ${o.last - 1}): a figure regresses when it is worse than their median ` +
    `by more than ${o.k} × MAD (median absolute deviation × ${MAD_SCALE}, a robust estimate of the figure's run-to-run noise) ` +
    `AND by more than a minimum change (${fmt(o.minChange.ms)} ms for times, ${fmt(o.minChange.count, 0)} for counts, i.e. any lost write more, ` +
    `${fmt(o.minChange.ratio * 100, 2)} percentage points for availability). A jump the series' own noise explains is not flagged; neither is a tiny change ` +
    `on a very quiet series. With fewer than ${o.minBaseline} earlier values there is no verdict.`
  );
}

// --- Markdown ----------------------------------------------------------------------------------------------

export function renderTrendMarkdown(t: Trend): string {
  const out = [
    `## sentinel-chaos trend: ${t.regressions.length === 0 ? 'no regression' : `${t.regressions.length} regression${t.regressions.length === 1 ? '' : 's'}`}`,
    '',
  ];
  out.push(
    `${t.runs.length} run${t.runs.length === 1 ? '' : 's'}, ${md(t.runs[0]?.id ?? '–')} … ${md(t.runs.at(-1)?.id ?? '–')} (newest last).`,
    '',
    ruleText(t.options),
    '',
  );
  if (t.series.length === 0) return [...out, 'No scenario figures in these runs.', ''].join('\n');
  out.push('| scenario | figure | series (oldest → newest) | median | MAD | newest | |', '| --- | --- | --- | --: | --: | --: | --- |');
  for (const s of t.series) {
    const series = s.points.map((p) => (p.value === null ? '–' : fmt(p.value, s.kind === 'ratio' ? 4 : 0))).join(' ');
    const mark = s.verdict === 'regression' ? '❌ regression' : s.verdict === 'ok' ? '✅' : '– not judged';
    out.push(
      `| ${md(s.scenario)} | ${s.figure} ${s.stat} | ${series} | ${show(s.median, s.kind)} | ${show(s.mad, s.kind)} | ${show(s.newest, s.kind)} | ${mark} |`,
    );
  }
  if (t.regressions.length > 0) out.push('', ...t.regressions.map((s) => `- **${md(s.scenario)} ${s.figure}**: ${md(s.reason)}`));
  out.push('');
  return out.join('\n');
}

// --- HTML --------------------------------------------------------------------------------------------------

/** A small inline SVG: the series, the baseline band (median ± k × MAD) shaded, the newest point marked. */
export function sparkline(s: TrendSeries, k: number, width = 180, height = 36): string {
  const vals = s.points.map((p) => p.value);
  const measured = vals.filter((v): v is number => v !== null);
  const band = s.baseline ? [s.baseline.median - k * s.baseline.mad, s.baseline.median + k * s.baseline.mad] : null;
  const all = [...measured, ...(band ?? [])];
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  const pad = 4;
  const x = (i: number) => pad + (vals.length <= 1 ? 0 : (i * (width - 2 * pad)) / (vals.length - 1));
  const y = (v: number) => height - pad - ((v - lo) * (height - 2 * pad)) / (hi - lo);
  const r = (n: number) => Math.round(n * 10) / 10;
  const parts: string[] = [];
  if (band)
    parts.push(
      `<rect x="${pad}" y="${r(y(band[1]!))}" width="${width - 2 * pad}" height="${r(Math.max(1, y(band[0]!) - y(band[1]!)))}" fill="#e2e8f0"><title>baseline median ± ${k} × MAD</title></rect>`,
    );
  const pts = vals.map((v, i) => (v === null ? null : `${r(x(i))},${r(y(v))}`)).filter((p): p is string => p !== null);
  parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#334155" stroke-width="1.5"/>`);
  vals.forEach((v, i) => {
    if (v === null) return;
    const newest = i === vals.length - 1;
    const color = newest ? (s.verdict === 'regression' ? '#b91c1c' : s.verdict === 'ok' ? '#15803d' : '#64748b') : '#334155';
    parts.push(
      `<circle cx="${r(x(i))}" cy="${r(y(v))}" r="${newest ? 3.2 : 1.8}" fill="${color}"><title>${esc(s.points[i]!.runId)}: ${esc(show(v, s.kind))}</title></circle>`,
    );
  });
  return `<svg class="spark" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(`${s.scenario} ${s.figure}`)}">${parts.join('')}</svg>`;
}

const TREND_CSS = `
:root{--bg:#f4f6f9;--card:#fff;--ink:#0f172a;--ink2:#334155;--muted:#64748b;--line:#e2e8f0;--pass:#15803d;--pass-bg:#dcfce7;--fail:#b91c1c;--fail-bg:#fee2e2;--skip:#475569;--skip-bg:#e2e8f0;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans",Arial,sans-serif;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 var(--sans)}
header{background:#0f172a;color:#f1f5f9;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cbd5e1}
main{max-width:1180px;margin:0 auto;padding:18px 28px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 22px 16px;margin:0 0 18px;box-shadow:0 1px 2px rgba(15,23,42,.04)}
h2{font-size:16px;margin:0 0 8px}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:middle}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}td.num{text-align:right;white-space:nowrap;font-family:var(--mono);font-size:13px}
.pill{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:650}.pill.pass{background:var(--pass-bg);color:var(--pass)}
.pill.fail{background:var(--fail-bg);color:var(--fail)}.pill.skipped{background:var(--skip-bg);color:var(--skip)}.fine{font-size:12.5px;color:var(--muted)}
`;

export function renderTrendHtml(t: Trend): string {
  const title = t.regressions.length === 0 ? 'no regression' : `${t.regressions.length} regression${t.regressions.length === 1 ? '' : 's'}`;
  const byScenario = new Map<string, TrendSeries[]>();
  for (const s of t.series) byScenario.set(s.scenario, [...(byScenario.get(s.scenario) ?? []), s]);
  const cards = [...byScenario].map(([name, list]) => {
    const rows = list.map((s) => {
      const pill =
        s.verdict === 'regression'
          ? '<span class="pill fail">regression</span>'
          : s.verdict === 'ok'
            ? '<span class="pill pass">ok</span>'
            : '<span class="pill skipped">not judged</span>';
      return `<tr><td><code>${esc(s.figure)}</code> <span class="fine">${esc(s.stat)}</span></td><td>${sparkline(s, t.options.k)}</td><td class="num">${esc(show(s.median, s.kind))}</td><td class="num">${esc(show(s.mad, s.kind))}</td><td class="num">${esc(show(s.newest, s.kind))}</td><td>${pill}<div class="fine">${esc(s.reason)}</div></td></tr>`;
    });
    return `<section class="card"><h2>${esc(name)}</h2><table><thead><tr><th>figure</th><th>last ${t.runs.length} runs</th><th>median</th><th>MAD</th><th>newest</th><th>verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>sentinel-chaos trend: ${esc(title)}</title><style>${TREND_CSS}</style></head><body>`,
    `<header><h1>sentinel-chaos trend: ${esc(title)}</h1><p>${t.runs.length} runs, ${esc(t.runs[0]?.id ?? '–')} … ${esc(t.runs.at(-1)?.id ?? '–')} (newest last)</p></header><main>`,
    `<section class="card"><h2>How a regression is decided</h2><p>${esc(ruleText(t.options))}</p><p class="fine">Sparklines: one point per run, oldest left; the shaded band is the baseline median ± ${t.options.k} × MAD; the newest point is green (ok), red (regression) or grey (not judged).</p></section>`,
    ...(cards.length ? cards : ['<section class="card"><p>No scenario figures in these runs.</p></section>']),
    `<section class="card"><h2>Runs</h2><table><thead><tr><th>run</th><th>started</th><th>verdict</th></tr></thead><tbody>${t.runs.map((r) => `<tr><td><code>${esc(r.id)}</code></td><td>${esc(r.startedAt)}</td><td>${esc(r.verdict)}</td></tr>`).join('')}</tbody></table></section>`,
    '</main></body></html>',
    '',
  ].join('\n');
}
