// Hand-built trials and scenarios for the report tests (gate, compare, markdown).
import { summarize } from '../../../src/checkers/stats.ts';
import type { CheckResult, Figures } from '../../../src/model/check.ts';
import { JOURNAL_SCHEMA, type Journal, type ScenarioResult, type Stats, type TrialResult, type Verdict } from '../../../src/report/journal.ts';

/** A check result; valid true unless given. */
export function check(name: string, valid: CheckResult['valid'] = true, explanation = `${name} ok`, figures: Figures = {}): CheckResult {
  return { name, valid, figures, explanation };
}

/**
 * A trial with the given figures. Its verdict follows its checks unless given; by default it has a
 * failover-time check that fails when failover_ms or sentinel_failover_ms exceeds `sloMs` (10 000) or is null.
 */
export function trial(
  index: number,
  figures: Figures,
  opts: { checks?: CheckResult[]; verdict?: Verdict; sloMs?: number; message?: string; warnings?: string[] } = {},
): TrialResult {
  const slo = opts.sloMs ?? 10_000;
  const fo = figures.failover_ms;
  const sfo = figures.sentinel_failover_ms;
  const timely = (v: number | null | undefined): boolean => typeof v === 'number' && v <= slo;
  const checks = opts.checks ?? [
    check('failover-time', timely(fo) && timely(sfo), `client-observed failover ${fo} ms; Sentinel-observed ${sfo} ms`, {
      failover_ms: fo ?? null,
      sentinel_failover_ms: sfo ?? null,
    }),
  ];
  const verdict: Verdict = opts.verdict ?? (checks.some((c) => c.valid === false) ? 'fail' : checks.some((c) => c.valid === 'unknown') ? 'unknown' : 'pass');
  return {
    index,
    verdict,
    startedAt: '2026-11-25T18:30:14.120Z',
    durationMs: 20_000,
    figures,
    phases: [],
    checks,
    events: [],
    ...(opts.message ? { message: opts.message } : {}),
    ...(opts.warnings ? { warnings: opts.warnings } : {}),
  };
}

/** Failover trials: one per client failover time, Sentinel 20 ms earlier, nothing lost. */
export function failoverTrials(...ms: number[]): TrialResult[] {
  return ms.map((v, i) => trial(i + 1, { failover_ms: v, sentinel_failover_ms: v - 20, writes_lost: 0 }));
}

/** A scenario over `trials` with the journal's statistics and verdict computed as the runner does. */
export function scenario(name: string, trials: TrialResult[]): ScenarioResult {
  const stats: Record<string, Stats> = {};
  for (const f of [...new Set(trials.flatMap((t) => Object.keys(t.figures)))].sort()) {
    const st = summarize(trials.map((t) => t.figures[f]).filter((v): v is number => typeof v === 'number'));
    if (st) stats[f] = st;
  }
  const vs = trials.map((t) => t.verdict);
  const verdict: Verdict = vs.includes('fail') ? 'fail' : vs.includes('unknown') ? 'unknown' : 'pass';
  return {
    name,
    description: `${name} scenario`,
    slo: { failover_ms_max: 10_000, failover_band_low_ms: 5_000, failover_band_high_ms: 10_000, writes_lost_max: 0 },
    verdict,
    trials,
    stats,
  };
}

/** A minimal journal holding `scenarios`. */
export function journal(id: string, ...scenarios: ScenarioResult[]): Journal {
  const vs = scenarios.map((s) => s.verdict);
  return {
    schema: JOURNAL_SCHEMA,
    harness: { name: 'sentinel-chaos', version: '0.1.0', node: 'v24.21.0' },
    run: { id, startedAt: '2026-11-25T18:30:12.004Z', finishedAt: '2026-11-25T18:31:09.871Z', durationMs: 57_867, argv: [], interrupted: false },
    target: { name: 'local', redisVersion: '7.0.15', details: {} },
    deployment: {},
    client: {},
    quantileDefinition: 'nearest rank',
    verdict: vs.includes('fail') ? 'fail' : vs.includes('unknown') ? 'unknown' : 'pass',
    scenarios,
  };
}
