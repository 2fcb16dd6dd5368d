// Compares two run journals scenario by scenario and flags the figures that got worse beyond a threshold.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';
import { figureStats, fmt, fmtPct } from './format.ts';
import { md } from './markdown.ts';
import { JOURNAL_SCHEMA, type Journal, type ScenarioResult, type Stats } from './journal.ts';

export interface CompareOptions {
  /** A *_ms figure regresses only when worse by more than this many percent of the base value ... */
  thresholdPct: number;
  /** ... and by more than this many milliseconds. */
  thresholdMs: number;
}

export const COMPARE_DEFAULTS: CompareOptions = { thresholdPct: 10, thresholdMs: 250 };

/** An availability drop (absolute, on the 0–1 ratio) beyond this is a regression. */
export const AVAILABILITY_DROP = 0.01;

export interface Regression {
  scenario: string;
  figure: string;
  stat: keyof Stats;
  base: number;
  /** null: measured in the base run but in none of the current run's trials. */
  current: number | null;
  /** current − base (null when current is not measured). */
  delta: number | null;
  /** Percentage of base (null when base is 0 or current is not measured). */
  deltaPct: number | null;
  /** One sentence, e.g. "master-kill failover_ms max 6210.1 ms → 7400.2 ms (+1190.1 ms, +19.2 %)". */
  message: string;
}

export interface Comparison {
  regressions: Regression[];
  /** Markdown: one row per scenario, figure and statistic compared, then notes on unmatched scenarios. */
  table: string;
}

type Rule = { figure: string; stat: keyof Stats; kind: 'ms' | 'count' | 'ratio' };

/** What is compared, and how "worse" is judged for each. */
export const COMPARED: readonly Rule[] = [
  { figure: 'failover_ms', stat: 'median', kind: 'ms' },
  { figure: 'failover_ms', stat: 'max', kind: 'ms' },
  { figure: 'sentinel_failover_ms', stat: 'median', kind: 'ms' },
  { figure: 'sentinel_failover_ms', stat: 'max', kind: 'ms' },
  { figure: 'outage_ms', stat: 'median', kind: 'ms' },
  { figure: 'outage_ms', stat: 'max', kind: 'ms' },
  { figure: 'writes_lost', stat: 'max', kind: 'count' },
  { figure: 'availability', stat: 'min', kind: 'ratio' },
];

/**
 * Matches scenarios by name and flags, for each rule in {@link COMPARED}, a regression when the current run
 * is worse than the base:
 * - *_ms (median and max): higher by more than BOTH `thresholdPct` % of the base and `thresholdMs` ms;
 * - writes_lost (max): any increase;
 * - availability (min): lower by more than {@link AVAILABILITY_DROP}.
 * A figure the base measured but no current trial did is a regression too (a failover that stopped
 * happening is not an improvement). Scenarios in only one run are listed in the table's notes, not flagged;
 * verdicts are shown but not compared (each run gates its own).
 */
export function compareJournals(base: Journal, current: Journal, opts: Partial<CompareOptions> = {}): Comparison {
  const o = { ...COMPARE_DEFAULTS, ...opts };
  const regressions: Regression[] = [];
  const rows: string[] = [];
  const notes: string[] = [];
  const currentByName = new Map(current.scenarios.map((s) => [s.name, s]));
  const baseNames = new Set(base.scenarios.map((s) => s.name));

  for (const b of base.scenarios) {
    const c = currentByName.get(b.name);
    if (c === undefined) {
      notes.push(`scenario ${md(b.name)} is only in the base run`);
      continue;
    }
    for (const rule of COMPARED) {
      const bs = figureStats(b, rule.figure);
      const cs = figureStats(c, rule.figure);
      if (bs === null && cs === null) continue;
      const bv = bs?.[rule.stat] ?? null;
      const cv = cs?.[rule.stat] ?? null;
      const reg = judge(b, rule, bv, cv, o);
      if (reg) regressions.push(reg);
      const delta = bv !== null && cv !== null ? cv - bv : null;
      const pct = delta !== null && bv !== null && bv !== 0 ? (delta / Math.abs(bv)) * 100 : null;
      rows.push(
        `| ${md(b.name)} | ${rule.figure} | ${rule.stat} | ${show(bv, rule)} | ${show(cv, rule)} | ${delta === null ? '–' : signed(delta, rule)} | ${pct === null ? '–' : `${pct >= 0 ? '+' : ''}${fmt(pct)} %`} | ${reg ? '❌ regression' : '✅'} |`,
      );
    }
  }
  for (const c of current.scenarios) if (!baseNames.has(c.name)) notes.push(`scenario ${md(c.name)} is only in the current run`);

  const out: string[] = [];
  out.push(
    `Base run ${md(base.run.id)} (${md(verdictOf(base))}) → current run ${md(current.run.id)} (${md(verdictOf(current))}); ` +
      `*_ms figures regress when worse by more than ${fmt(o.thresholdPct)} % and ${fmt(o.thresholdMs)} ms, ` +
      `writes_lost on any increase, availability on a drop of more than ${fmt(AVAILABILITY_DROP * 100)} points.`,
    '',
  );
  if (rows.length > 0) {
    out.push('| scenario | figure | stat | base | current | Δ | Δ % | |', '| --- | --- | --- | --: | --: | --: | --: | --- |', ...rows);
  } else {
    out.push('No scenario in common: nothing compared.');
  }
  if (notes.length > 0) out.push('', ...notes.map((n) => `- ${n}`));
  out.push('', regressions.length === 0 ? '**No regression.**' : `**${regressions.length} regression${regressions.length === 1 ? '' : 's'}.**`, '');
  return { regressions, table: out.join('\n') };
}

function judge(scenario: ScenarioResult, rule: Rule, base: number | null, current: number | null, o: CompareOptions): Regression | null {
  if (base === null) return null;
  const what = `${scenario.name} ${rule.figure} ${rule.stat}`;
  if (current === null) {
    return {
      scenario: scenario.name,
      figure: rule.figure,
      stat: rule.stat,
      base,
      current: null,
      delta: null,
      deltaPct: null,
      message: `${what} was ${show(base, rule)} in the base run and is not measured in the current run`,
    };
  }
  const delta = current - base;
  const deltaPct = base !== 0 ? (delta / Math.abs(base)) * 100 : null;
  let worse: boolean;
  if (rule.kind === 'ms') worse = delta > o.thresholdMs && (deltaPct === null ? delta > 0 : deltaPct > o.thresholdPct);
  else if (rule.kind === 'count') worse = delta > 0;
  else worse = -delta > AVAILABILITY_DROP + 1e-12;
  if (!worse) return null;
  const pct = deltaPct === null ? '' : `, ${deltaPct >= 0 ? '+' : ''}${fmt(deltaPct)} %`;
  return {
    scenario: scenario.name,
    figure: rule.figure,
    stat: rule.stat,
    base,
    current,
    delta,
    deltaPct,
    message: `${what} ${show(base, rule)} → ${show(current, rule)} (${signed(delta, rule)}${pct})`,
  };
}

function show(v: number | null, rule: Rule): string {
  if (v === null) return '–';
  if (rule.kind === 'ms') return `${fmt(v)} ms`;
  if (rule.kind === 'ratio') return fmtPct(v);
  return fmt(v, 0);
}

function signed(delta: number, rule: Rule): string {
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  const a = Math.abs(delta);
  if (rule.kind === 'ms') return `${sign}${fmt(a)} ms`;
  if (rule.kind === 'ratio') return `${sign}${fmt(a * 100, 2)} pts`;
  return `${sign}${fmt(a, 0)}`;
}

function verdictOf(j: Journal): string {
  return String(j.verdict);
}

/**
 * Reads a run journal from `path`: a result.json, or a run directory holding one (e.g. reports/latest).
 * Throws HarnessError('USAGE') naming the file when it is missing, unreadable, not JSON, not a
 * `sentinel-chaos/result@1` journal, or malformed.
 */
export async function loadJournal(path: string): Promise<Journal> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, 'result.json');
  } catch (cause) {
    throw usage(path, `cannot read it: ${reason(cause)}`, cause);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw usage(file, `cannot read it: ${reason(cause)}`, cause);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (cause) {
    throw usage(file, `not a sentinel-chaos run journal: not JSON (${reason(cause)})`, cause);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw usage(file, 'not a sentinel-chaos run journal: not a JSON object');
  const schema = (data as { schema?: unknown }).schema;
  if (schema !== JOURNAL_SCHEMA) {
    throw usage(
      file,
      `not a sentinel-chaos run journal: ${schema === undefined ? 'no "schema" field' : `schema ${JSON.stringify(schema)}`}, expected ${JSON.stringify(JOURNAL_SCHEMA)}`,
    );
  }
  const problem = malformed(data as Record<string, unknown>);
  if (problem !== null) throw usage(file, `malformed sentinel-chaos run journal: ${problem}`);
  return data as Journal;
}

function malformed(j: Record<string, unknown>): string | null {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(j.run) || typeof j.run.id !== 'string') return 'it has no run id';
  if (!Array.isArray(j.scenarios)) return 'it has no scenarios array';
  for (const [i, s] of j.scenarios.entries()) {
    if (!isObj(s) || typeof s.name !== 'string') return `scenario ${i + 1} has no name`;
    if (!Array.isArray(s.trials)) return `scenario ${JSON.stringify(s.name)} has no trials array`;
    if (s.stats !== undefined && !isObj(s.stats)) return `scenario ${JSON.stringify(s.name)} has malformed stats`;
    for (const t of s.trials) if (!isObj(t) || !isObj(t.figures)) return `a trial of scenario ${JSON.stringify(s.name)} has no figures`;
  }
  return null;
}

function usage(file: string, why: string, cause?: unknown): HarnessError {
  return new HarnessError('USAGE', `${file}: ${why}; pass a run directory (e.g. reports/latest) or its result.json`, cause === undefined ? {} : { cause });
}

function reason(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return e instanceof Error ? e.message : String(e);
}
