// The SLO gate over a scenario's trials: one statistic of the failover times against the bound, plus every other failure.
import { quantile } from '../checkers/stats.ts';
import type { TrialResult, Verdict } from './journal.ts';

/** The statistics the failover-time SLO can be judged on, strictest first. */
export const GATE_STATS = ['max', 'p95', 'median'] as const;
export type GateStat = (typeof GATE_STATS)[number];

/** The default: every trial must fail over within the bound. */
export const DEFAULT_GATE_STAT: GateStat = 'max';

/** The figures the failover-time SLO bounds: as the client saw it and as Sentinel announced it. */
export const FAILOVER_FIGURES = ['failover_ms', 'sentinel_failover_ms'] as const;

const FAILOVER_CHECK = 'failover-time';
/** How a timing sentence over the bound starts ("expected max failover_ms ≤ …, observed …"). */
const OVER = 'expected ';

export interface GateResult {
  verdict: Verdict;
  /** One paragraph: the failover statistic against the bound, every other failure, then the findings. */
  message: string;
  /** The failover statistic of each figure against the bound, one sentence each (empty when no failover is expected). */
  timing: string[];
  /** Failures other than failover time, one per trial and check. */
  failures: string[];
  /** Things worth a human's attention that do not change the verdict by themselves (lost elections). */
  findings: string[];
}

/**
 * Judges a scenario over its trials.
 *
 * - The failover-time SLO: the `stat` (nearest-rank, see {@link quantile}) of each of failover_ms and
 *   sentinel_failover_ms over the trials must be ≤ `slo.failoverMs`. With 'p95' or 'median' a trial
 *   slower than the bound can be outvoted; with 'max' (the default) it cannot.
 * - Any other failure still fails the scenario whatever the statistic: a failing check other than
 *   failover-time (lost writes, no rejoin, phases out of order), a trial that failed with no failing check,
 *   or a trial where no failover was observed at all (a missing failover is not a slow one).
 * - A trial whose outcome is unknown makes the scenario unknown unless something failed; skipped trials
 *   are left out; with no trial left the verdict is 'unknown' (or 'skipped' when every trial was skipped).
 * - A scenario that expects no failover (no trial has a failover-time check or failover figure) is judged
 *   on its other checks only.
 * - A lost election ({@link lostElections}) is reported as a finding of its own, never averaged away.
 */
export function gateScenario(trials: readonly TrialResult[], slo: { failoverMs: number }, stat: GateStat = DEFAULT_GATE_STAT): GateResult {
  if (!(GATE_STATS as readonly string[]).includes(stat)) {
    throw new RangeError(`gate statistic must be one of ${GATE_STATS.join(', ')}, got ${String(stat)}`);
  }
  const findings = trials.map(lostElections).filter((f): f is string => f !== null);
  const timing: string[] = [];
  const failures: string[] = [];
  const done = (verdict: Verdict, parts: string[]): GateResult => ({
    verdict,
    message: [...parts, ...findings].join('; '),
    timing,
    failures,
    findings,
  });

  const counted = trials.filter((t) => t.verdict !== 'skipped');
  if (counted.length === 0) {
    return trials.length === 0
      ? done('unknown', ['no trial ran'])
      : done('skipped', [trials.length === 1 ? 'the trial was skipped' : `all ${trials.length} trials were skipped`]);
  }

  const unknowns: string[] = [];
  let noFailover = false;
  for (const t of counted) {
    if (t.verdict === 'unknown') {
      unknowns.push(`trial ${t.index} outcome unknown${t.message ? `: ${t.message}` : ''}`);
      continue;
    }
    const failing = t.checks.filter((c) => c.valid === false);
    const other = failing.filter((c) => c.name !== FAILOVER_CHECK);
    for (const c of other) failures.push(`trial ${t.index} ${c.name}: ${c.explanation}`);
    if (failing.some((c) => c.name === FAILOVER_CHECK)) {
      const missing = FAILOVER_FIGURES.filter((f) => typeof t.figures[f] !== 'number');
      if (missing.length > 0) {
        noFailover = true;
        failures.push(`trial ${t.index}: no failover observed (${missing.join(', ')} not measured)`);
      }
    }
    if (t.verdict === 'fail' && failing.length === 0) failures.push(`trial ${t.index} failed: ${t.message ?? 'no reason given'}`);
    for (const c of t.checks.filter((x) => x.valid === 'unknown')) {
      if (t.verdict !== 'fail') unknowns.push(`trial ${t.index} ${c.name} could not be decided: ${c.explanation}`);
    }
  }

  let slow = false;
  // Scenarios that expect no failover (no failover-time check, no failover figure) are judged on their other checks only.
  const expectsFailover = counted.some((t) => t.checks.some((c) => c.name === FAILOVER_CHECK) || FAILOVER_FIGURES.some((f) => f in t.figures));
  for (const figure of expectsFailover ? FAILOVER_FIGURES : []) {
    const measured = counted
      .map((t) => ({ index: t.index, v: t.figures[figure] }))
      .filter((x): x is { index: number; v: number } => typeof x.v === 'number' && Number.isFinite(x.v));
    if (measured.length === 0) {
      if (!noFailover) unknowns.push(`${figure} was not measured in any trial`);
      continue;
    }
    const sorted = measured.map((x) => x.v).sort((a, b) => a - b);
    const value = stat === 'max' ? sorted[sorted.length - 1]! : quantile(sorted, stat === 'p95' ? 0.95 : 0.5);
    const over = value > slo.failoverMs;
    slow ||= over;
    const worst = measured.filter((x) => x.v > slo.failoverMs).map((x) => x.index);
    const which = worst.length > 0 ? ` (trial${worst.length > 1 ? 's' : ''} ${worst.join(', ')} over the bound)` : '';
    timing.push(
      over
        ? `${OVER}${stat} ${figure} ≤ ${slo.failoverMs} ms, observed ${value} ms over ${trialsText(measured.length)}${which}`
        : `${stat} ${figure} ${value} ms ≤ ${slo.failoverMs} ms over ${trialsText(measured.length)}${which}`,
    );
  }

  if (slow || failures.length > 0) {
    const slowParts = timing.filter((p) => p.startsWith(OVER));
    return done('fail', [...slowParts, ...failures, ...unknowns]);
  }
  if (unknowns.length > 0) return done('unknown', [...unknowns, ...timing]);
  return done(
    'pass',
    expectsFailover ? timing : [`no failover expected; ${counted.length === 1 ? 'the trial passed its' : `all ${counted.length} trials passed their`} checks`],
  );
}

/**
 * The gate in one line for a summary: the failover statistics, then how many other failures there were
 * (each is listed with its trial below), then anything still undecided.
 */
export function gateSummary(gate: GateResult): string {
  const parts = gate.verdict === 'unknown' ? [gate.message] : gate.timing.filter((t) => gate.verdict !== 'fail' || t.startsWith(OVER));
  if (gate.verdict === 'fail' && gate.failures.length > 0) {
    parts.push(`${gate.failures.length} other failure${gate.failures.length === 1 ? '' : 's'} (trials listed below)`);
  }
  if (parts.length === 0) parts.push(gate.message);
  return parts.join('; ');
}

/**
 * The finding for a trial that lost a Sentinel election (figures.lost_election === 1): a failover that
 * only succeeded at a later attempt, typically 2 × failover-timeout later. null when it did not.
 */
export function lostElections(trial: TrialResult): string | null {
  if (trial.figures.lost_election !== 1) return null;
  const explanation = trial.checks.find((c) => c.name === 'failover-phases')?.explanation ?? '';
  const why = /lost election: ([^;]*)/.exec(explanation)?.[1];
  const fo = trial.figures.failover_ms;
  return `trial ${trial.index} lost a Sentinel election${why ? ` (${why})` : ''}` + `${typeof fo === 'number' ? `; its failover took ${fo} ms` : ''}`;
}

function trialsText(n: number): string {
  return n === 1 ? '1 trial' : `${n} trials`;
}
