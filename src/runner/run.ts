// A harness run: bring the deployment up, run every scenario's trials, gate on the SLOs, write the reports.
import path from 'node:path';
import { createClock } from '../clock.ts';
import { summarize, QUANTILE_DEFINITION } from '../checkers/stats.ts';
import { describeDeployment, loadDeployment } from '../config/manifests.ts';
import { HarnessError } from '../errors.ts';
import type { Journal, ScenarioResult, Stats, TrialResult, Verdict } from '../report/journal.ts';
import { JOURNAL_SCHEMA } from '../report/journal.ts';
import { createRedactor } from '../report/redact.ts';
import { newRunId } from '../report/run-id.ts';
import { writeReports } from '../report/write-reports.ts';
import type { ConfigOverrides } from '../targets/local/local-target.ts';
import { startTarget, type KubeFlags } from '../targets/start.ts';
import type { Binaries } from '../targets/local/binaries.ts';
import { HARNESS } from '../version.ts';
import { DEFAULT_GATE_STAT, gateScenario, type GateStat } from '../report/gate.ts';
import type { Progress } from '../report/progress.ts';
import { describeClient, type ClientOptions } from '../workload/sentinel-client.ts';
import type { Scenario } from './scenario.ts';
import { runTrial } from './trial.ts';

export interface RunOptions {
  scenarios: Scenario[];
  trials: number;
  target: 'local' | 'kind' | 'kube';
  manifestsDir: string;
  reportDir: string;
  overrides?: ConfigOverrides;
  subnet?: number;
  binaries?: Partial<Binaries>;
  client?: Partial<ClientOptions>;
  argv?: string[];
  /** Progress output (a TTY status line, or one logfmt line per event for CI). */
  progress?: Progress;
  /** Which statistic over the trials is held to the failover bound (default max). */
  gate?: GateStat;
  /** kind / kube targets: context, guard, cluster lifetime. */
  kube?: Partial<KubeFlags>;
}

/** Defaults of {@link RunOptions}. */
export const RUN_DEFAULTS = {
  trials: 1,
  target: 'local',
  manifestsDir: path.resolve(import.meta.dirname, '../../manifests'),
  reportDir: 'reports',
  convergeTimeoutMs: 30_000,
} as const;

export interface RunResult {
  journal: Journal;
  runDir: string;
  /** 0 every trial passed, 1 a check or SLO failed (or could not be decided). */
  exitCode: 0 | 1;
}

function combine(verdicts: Verdict[]): Verdict {
  if (verdicts.includes('fail')) return 'fail';
  if (verdicts.includes('unknown')) return 'unknown';
  if (verdicts.length > 0 && verdicts.every((v) => v === 'skipped')) return 'skipped';
  return 'pass';
}

function figureStats(trials: TrialResult[]): Record<string, Stats> {
  const names = new Set(trials.flatMap((t) => Object.keys(t.figures)));
  const out: Record<string, Stats> = {};
  for (const name of [...names].sort()) {
    const values = trials.map((t) => t.figures[name]).filter((v): v is number => typeof v === 'number');
    const st = summarize(values);
    if (st) out[name] = st;
  }
  return out;
}

export async function runSuite(opts: RunOptions): Promise<RunResult> {
  const progress = opts.progress;
  const gateStat = opts.gate ?? DEFAULT_GATE_STAT;
  if (!Number.isInteger(opts.trials) || opts.trials < 1 || opts.trials > 1000) throw new HarnessError('USAGE', `--trials must be an integer from 1 to 1000, got ${opts.trials}`);
  const model = await loadDeployment(opts.manifestsDir);
  const runId = newRunId();
  const clock = createClock();
  const startedNs = clock.nowNs();
  const histories = new Map<string, string>();
  const scenarioResults: ScenarioResult[] = [];

  await using deployment = await startTarget({
    target: opts.target,
    kube: opts.kube,
    model,
    runId,
    subnet: opts.subnet,
    binaries: opts.binaries,
    overrides: opts.overrides,
    logsDir: path.join(opts.reportDir, runId, 'logs'),
  });
  progress?.runStart(runId, deployment.target);

  for (const scenario of opts.scenarios) {
    const trials: TrialResult[] = [];
    progress?.scenarioStart(scenario.name, opts.trials);
    for (let i = 1; i <= opts.trials; i++) {
      progress?.trialStart(scenario.name, i, opts.trials);
      const { result, history } = await runTrial({
        deployment,
        scenario,
        index: i,
        clock,
        runId,
        client: opts.client,
        convergeTimeoutMs: RUN_DEFAULTS.convergeTimeoutMs,
        ...(progress ? { progress } : {}),
      });
      const file = `history/${scenario.name}-${i}.jsonl`;
      histories.set(file, history.map((o) => JSON.stringify(o)).join('\n') + '\n');
      result.historyFile = file;
      trials.push(result);
      progress?.trialEnd(result);
    }
    const gate = gateScenario(trials, { failoverMs: scenario.expect.failoverMs }, gateStat);
    scenarioResults.push({
      name: scenario.name,
      description: scenario.description,
      slo: {
        failover_ms_max: scenario.expect.failoverMs,
        failover_band_low_ms: scenario.expect.failoverBandMs[0],
        failover_band_high_ms: scenario.expect.failoverBandMs[1],
        writes_lost_max: scenario.expect.maxLostWrites,
      },
      verdict: trials.every((t) => t.verdict === 'skipped') ? 'skipped' : gate.verdict,
      trials,
      stats: figureStats(trials),
      gate: { stat: gateStat, message: gate.message },
    });
  }

  const verdict = combine(scenarioResults.map((r) => r.verdict));
  const finishedNs = clock.nowNs();
  const journal: Journal = {
    schema: JOURNAL_SCHEMA,
    harness: { ...HARNESS, node: process.version },
    run: {
      id: runId,
      startedAt: clock.wallIso(startedNs),
      finishedAt: clock.wallIso(finishedNs),
      durationMs: Math.round((finishedNs - startedNs) / 1e6),
      argv: opts.argv ?? [],
      interrupted: false,
    },
    target: { name: deployment.target, redisVersion: deployment.redisVersion, details: deployment.describe() },
    deployment: {
      ...describeDeployment(model),
      ...Object.fromEntries(Object.entries(opts.overrides?.sentinel ?? {}).map(([k, v]) => [`override_sentinel_${k}`, v])),
      ...Object.fromEntries(Object.entries(opts.overrides?.redis ?? {}).map(([k, v]) => [`override_redis_${k}`, v])),
    },
    client: describeClient(opts.client),
    quantileDefinition: QUANTILE_DEFINITION,
    verdict,
    scenarios: scenarioResults,
  };
  const { runDir } = await writeReports({ reportDir: opts.reportDir, journal, histories, redactor: createRedactor(deployment.passwords) });
  progress?.runEnd(journal, runDir);
  return { journal, runDir, exitCode: verdict === 'pass' ? 0 : 1 };
}
