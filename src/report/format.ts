// Shared helpers of the human-facing reports (HTML, Markdown, progress): SLO bounds, statistics and number formatting.
import { summarize } from '../checkers/stats.ts';
import type { ScenarioResult, Stats, TrialResult, Verdict } from './journal.ts';

export interface ScenarioSlo {
  /** Upper bound of failover_ms and sentinel_failover_ms. */
  failoverMs: number;
  /** The expected band [low, high] of the client-observed failover. */
  bandMs: [number, number];
  maxLostWrites: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The scenario's bounds from its journal `slo` record (failover_ms_max, failover_band_low_ms,
 * failover_band_high_ms, writes_lost_max; the shorter failover_ms / writes_lost are accepted too), with the
 * harness defaults (10 000 ms, 5 000–10 000 ms, 0) for any that is missing.
 */
export function scenarioSlo(scenario: Pick<ScenarioResult, 'slo'>): ScenarioSlo {
  const slo = scenario.slo ?? {};
  const failoverMs = num(slo.failover_ms_max) ?? num(slo.failover_ms) ?? 10_000;
  return {
    failoverMs,
    bandMs: [num(slo.failover_band_low_ms) ?? 5_000, num(slo.failover_band_high_ms) ?? failoverMs],
    maxLostWrites: num(slo.writes_lost_max) ?? num(slo.writes_lost) ?? 0,
  };
}

/** Whether the trials measure a failover (scenarios that expect none have no failover figure and no failover-time check). */
export function hasFailover(trials: readonly TrialResult[]): boolean {
  return trials.some((t) => 'failover_ms' in t.figures || 'sentinel_failover_ms' in t.figures || t.checks.some((c) => c.name === 'failover-time'));
}

/** The measured (numeric) values of a figure over the trials, with the trial each came from. */
export function figureValues(trials: readonly TrialResult[], figure: string): { trial: TrialResult; value: number }[] {
  return trials.flatMap((trial) => {
    const value = num(trial.figures[figure]);
    return value === undefined ? [] : [{ trial, value }];
  });
}

/** The journal's statistics of a figure, or (older or hand-made journals) computed from the trials; null when never measured. */
export function figureStats(scenario: ScenarioResult, figure: string): Stats | null {
  const stats = scenario.stats?.[figure];
  if (stats !== undefined && num(stats.n) !== undefined) return stats;
  return summarize(figureValues(scenario.trials, figure).map((x) => x.value));
}

/** Sum of a figure over the trials where it was measured; null when it never was. */
export function figureSum(trials: readonly TrialResult[], figure: string): number | null {
  const values = figureValues(trials, figure);
  return values.length === 0 ? null : values.reduce((a, x) => a + x.value, 0);
}

/** A number as a report shows it: at most `digits` decimals, no trailing zeros, "–" for null. */
export function fmt(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return String(Math.round(v * 10 ** digits) / 10 ** digits);
}

/** Milliseconds with their unit: "2273.3 ms", "–" for null. */
export function fmtMs(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmt(v)} ms`;
}

/** A short duration for headlines: "850 ms", "2.27 s", "10 s", "12.3 s", "1 min 5 s". */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a < 1000) return `${fmt(ms, 0)} ms`;
  if (a < 60_000) return `${fmt(ms / 1000, a < 10_000 ? 2 : 1)} s`;
  const min = Math.floor(a / 60_000);
  return `${ms < 0 ? '-' : ''}${min} min ${Math.round((a - min * 60_000) / 1000)} s`;
}

/** A ratio as a percentage: 0.5783 → "57.83 %". */
export function fmtPct(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : `${fmt(v * 100, 2)} %`;
}

export const VERDICT_LABEL: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', unknown: 'UNKNOWN', skipped: 'SKIPPED' };

/** Count of trials per verdict. */
export function verdictCounts(trials: readonly TrialResult[]): Record<Verdict, number> {
  const out: Record<Verdict, number> = { pass: 0, fail: 0, unknown: 0, skipped: 0 };
  for (const t of trials) if (t.verdict in out) out[t.verdict]++;
  return out;
}

/** Why a non-passing trial did not pass, in one line: its message, else its failing or undecided checks. */
export function trialReason(trial: TrialResult): string {
  const failing = trial.checks.filter((c) => c.valid === false).map((c) => `${c.name}: ${c.explanation}`);
  const undecided = trial.checks.filter((c) => c.valid === 'unknown').map((c) => `${c.name}: ${c.explanation}`);
  if (trial.verdict === 'fail') return failing.join('; ') || trial.message || 'trial failed';
  if (trial.verdict === 'unknown') return trial.message || undecided.join('; ') || 'outcome unknown';
  return trial.message ?? '';
}

/**
 * Upper bounds the scenario's `slo` record puts on trial figures: `<figure>_max` keys (failover_ms_max,
 * writes_lost_max, split_brain_ms_max, ...) and keys named after a figure (failover_ms, writes_lost);
 * band keys are not bounds. The failover bound applies to sentinel_failover_ms too unless it has its own.
 */
export function sloBounds(scenario: Pick<ScenarioResult, 'slo'>): [figure: string, bound: number][] {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(scenario.slo ?? {})) {
    if (num(v) === undefined || k.includes('_band_')) continue;
    out.set(k.endsWith('_max') ? k.slice(0, -'_max'.length) : k, v);
  }
  const fo = out.get('failover_ms');
  if (fo !== undefined && !out.has('sentinel_failover_ms')) out.set('sentinel_failover_ms', fo);
  return [...out];
}
