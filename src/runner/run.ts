// A harness run: bring the deployment up, run every scenario's trials, gate on the SLOs, write the reports.
import type { Design } from '../config/design.ts';
import path from 'node:path';
import type { Op } from '../model/history.ts';
import { createClock, type Clock } from '../clock.ts';
import { summarize, QUANTILE_DEFINITION } from '../checkers/stats.ts';
import { assertRunnable, describeDeployment, type DeploymentModel } from '../config/manifests.ts';
import { applyMonitoring } from '../config/monitoring.ts';
import { assertMonitoringPortsFree, SCRAPABLE_TARGETS } from '../observers/prometheus.ts';
import { startRunAlerts } from './run-alerts.ts';
import { loadProfiledDeployment, type ProfileName } from '../config/profiles.ts';
import { HarnessError } from '../errors.ts';
import type { Journal, ScenarioResult, Stats, TrialResult, Verdict } from '../report/journal.ts';
import { JOURNAL_SCHEMA } from '../report/journal.ts';
import { createRedactor } from '../process/redact.ts';
import { newRunId } from '../report/run-id.ts';
import { writeReports } from '../report/write-reports.ts';
import type { ConfigOverrides } from '../targets/local/local-target.ts';
import { startTarget, type DockerFlags, type KubeFlags } from '../targets/start.ts';
import type { Binaries } from '../targets/local/binaries.ts';
import { HARNESS } from '../version.ts';
import { DEFAULT_GATE_STAT, gateScenario, type GateStat } from '../report/gate.ts';
import type { Progress } from '../report/progress.ts';
import { describeClient, type ClientOptions } from '../workload/sentinel-client.ts';
import { haltConditionsOf, type Scenario } from './scenario.ts';
import { figureHalt } from '../probes/halt.ts';
import { runTrial, unfinishedTrial, type TrialOutcome } from './trial.ts';
import { onInterrupt } from '../process/interrupt.ts';
import { runGroups, selectGroups } from '../conformance/run.ts';
import type { ConformanceGroupResult } from '../conformance/types.ts';
import type { StartedDeployment } from '../targets/target.ts';
import { waitForConvergence } from '../targets/convergence.ts';
import { assertDatasetFits, generateDataset, type DatasetFigures } from '../workload/dataset.ts';
import { humanBytes } from '../model/quantity.ts';

export interface RunOptions {
  scenarios: Scenario[];
  trials: number;
  target: 'local' | 'docker' | 'kind' | 'kube';
  manifestsDir: string;
  reportDir: string;
  overrides?: ConfigOverrides;
  subnet?: number;
  /** docker target: --image, --stable-addresses. */
  docker?: DockerFlags;
  binaries?: Partial<Binaries>;
  client?: Partial<ClientOptions>;
  argv?: string[];
  /** Progress output (a TTY status line, or one logfmt line per event for CI). */
  progress?: Progress;
  /** Which statistic over the trials is held to the failover bound (default max). */
  gate?: GateStat;
  /** Conformance groups run on the deployment before the scenarios (none unless named; the CLI's default is DEFAULT_SUITE_GROUPS). */
  conformance?: readonly string[];
  /** The design the conformance groups hold the deployment to (--design FILE); absent: the seed's. */
  design?: Design;
  /** Deployment profile whose redis.conf overlay is applied (src/config/profiles.ts); see runProfiles. */
  profile?: ProfileName;
  /** Run the pods with the redis_exporter sidecars (--monitoring, src/config/monitoring.ts) and record every trial's alerts. */
  monitoring?: boolean;
  /** With monitoring: the alert rules Prometheus evaluates (--alert-rules; default monitoring/alerts.yaml). */
  alertRules?: string;
  /** Return the journal, histories and passwords without writing reports (runProfiles merges several runs). */
  collect?: boolean;
  /**
   * Long runs (soaks): each trial's operations go to `<run dir>/history/<scenario>-<n>.jsonl` as they happen, the
   * checks read that file in one pass at the end and the report draws a bounded summary (ignored with `collect`).
   */
  streamHistory?: boolean;
  /** kind / kube targets: context, guard, cluster lifetime. */
  kube?: Partial<KubeFlags>;
  /** --dataset: bytes of used_memory to fill the master with once the deployment converged, before the scenarios. */
  dataset?: number;
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
  /** 0 every trial passed, 1 a check or SLO failed (or could not be decided), 3 a safeguard (haltOn) halted the run. */
  exitCode: 0 | 1 | 3;
  /** With `collect`: what writeReports needs. */
  collected?: { histories: Map<string, string>; passwords: string[] };
}

export function combine(verdicts: Verdict[]): Verdict {
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

/** What the journal is built from while a run goes on (the deployment, conformance and halt fill in as it does). */
interface RunState {
  opts: RunOptions;
  model: DeploymentModel;
  runId: string;
  clock: Clock;
  startedNs: number;
  deployment: StartedDeployment | undefined;
  conformance: ConformanceGroupResult[];
  halted: Journal['run']['halted'];
  /** With --monitoring: the rules and whether the trials' alerts were watched. */
  alerts: Record<string, string>;
  dataset: DatasetFigures | undefined;
}

/** The run's journal as it stands: finished scenarios, the target, the deployment's description, the verdict. */
function journalOf(st: RunState, scenarios: ScenarioResult[], interrupted: boolean): Journal {
  const { opts, model, runId, clock, startedNs, deployment, conformance, halted, alerts, dataset } = st;
  const finishedNs = clock.nowNs();
  return {
    schema: JOURNAL_SCHEMA,
    harness: { ...HARNESS, node: process.version },
    run: {
      id: runId,
      startedAt: clock.wallIso(startedNs),
      finishedAt: clock.wallIso(finishedNs),
      durationMs: Math.round((finishedNs - startedNs) / 1e6),
      argv: opts.argv ?? [],
      interrupted,
      ...(halted ? { halted } : {}),
      ...(dataset ? { dataset } : {}),
    },
    target: deployment
      ? { name: deployment.target, redisVersion: deployment.redisVersion, details: deployment.describe() }
      : { name: opts.target, redisVersion: null, details: { state: 'interrupted before the deployment was up' } },
    deployment: {
      ...describeDeployment(model),
      ...(opts.profile ? { profile: opts.profile } : {}),
      ...(opts.design ? { design: opts.design.name, design_file: opts.design.file } : {}),
      ...alerts,
      ...Object.fromEntries(Object.entries(opts.overrides?.sentinel ?? {}).map(([k, v]) => [`override_sentinel_${k}`, v])),
      ...Object.fromEntries(Object.entries(opts.overrides?.redis ?? {}).map(([k, v]) => [`override_redis_${k}`, v])),
    },
    client: describeClient(opts.client),
    quantileDefinition: QUANTILE_DEFINITION,
    verdict: interrupted ? 'unknown' : halted ? 'fail' : combine([...conformance.map((g) => g.verdict), ...scenarios.map((r) => r.verdict)]),
    scenarios,
    ...(conformance.length ? { conformance } : {}),
  };
}

/** --dataset: once the deployment converged, fill its master and wait for the replicas; the figures go into the journal. */
async function fillDataset(d: StartedDeployment, bytes: number, progress: Progress | undefined): Promise<DatasetFigures> {
  const topology = await waitForConvergence(
    { pods: d.pods, password: d.password, masterName: d.model.masterName },
    { timeoutMs: RUN_DEFAULTS.convergeTimeoutMs },
  );
  progress?.phase(`dataset ${humanBytes(bytes)} on ${topology.master.name}`);
  return generateDataset(topology.master.redis, d.password, { bytes, replicas: topology.replicas.length, timeoutMs: DATASET_TIMEOUT_MS });
}

/** Writing a --dataset and replicating it, at most (1.5 GiB takes about a minute here). */
const DATASET_TIMEOUT_MS = 15 * 60_000;

// eslint-disable-next-line max-lines-per-function -- over 120 lines only as Prettier wraps it; left for a split of its own
export async function runSuite(opts: RunOptions): Promise<RunResult> {
  const progress = opts.progress;
  const gateStat = opts.gate ?? DEFAULT_GATE_STAT;
  if (!Number.isInteger(opts.trials) || opts.trials < 1 || opts.trials > 1000)
    throw new HarnessError('USAGE', `--trials must be an integer from 1 to 1000, got ${opts.trials}`);
  const groups = opts.conformance?.length ? selectGroups(opts.conformance) : [];
  const model = applyMonitoring(await loadProfiledDeployment(opts.manifestsDir, opts.profile), opts.monitoring);
  assertRunnable(model);
  if (opts.monitoring && SCRAPABLE_TARGETS.includes(opts.target)) await assertMonitoringPortsFree();
  if (opts.dataset !== undefined) assertDatasetFits(opts.dataset, model, opts.overrides?.redis?.maxmemory);
  const runId = newRunId();
  const clock = createClock();
  const startedNs = clock.nowNs();
  const histories = new Map<string, string>();
  /** Streamed trials: the bounded sample of each history file the report draws (the file itself is already written). */
  const samples = new Map<string, Op[]>();
  const streaming = opts.streamHistory === true && !opts.collect;
  const historyRel = (scenario: Scenario, i: number) => `history/${scenario.name}-${i}.jsonl`;
  const scenarioResults: ScenarioResult[] = [];
  let deployment: StartedDeployment | undefined;
  /** The scenario and trial under way, for the partial report an interrupt writes. */
  let current: { scenario: Scenario; trials: TrialResult[]; trial: { index: number; phase: string; startedNs: number } | null } | null = null;
  let finalReport: Promise<unknown> | null = null;
  let conformance: ConformanceGroupResult[] = [];
  /** The safeguard that halted the run (haltOn), if one did. */
  let halted: Journal['run']['halted'];
  let alerts: Record<string, string> = {};
  let dataset: DatasetFigures | undefined;

  const state = (): RunState => ({ opts, model, runId, clock, startedNs, deployment, conformance, halted, alerts, dataset });
  const secrets = () => deployment?.passwords ?? (model.password.value ? [model.password.value] : []);

  // On SIGINT / SIGTERM: what finished, plus the trial under way marked unfinished, as a report marked
  // interrupted. The deployment's own cleanup (registered later, so run first) stops processes and faults.
  const unregisterInterrupt = onInterrupt(async () => {
    if (finalReport) {
      await finalReport.catch(() => {});
      return;
    }
    const scenarios = [...scenarioResults];
    if (current) {
      const t = current.trial;
      const unfinished: TrialResult[] = t
        ? [{ ...unfinishedTrial(t.index, t.phase, t.startedNs, clock), ...(streaming ? { historyFile: historyRel(current.scenario, t.index) } : {}) }]
        : [];
      scenarios.push(
        scenarioResult(
          current.scenario,
          [...current.trials, ...unfinished],
          'unknown',
          { stat: gateStat, message: 'not gated: the run was interrupted' },
          opts.profile,
        ),
      );
    }
    const journal = journalOf(state(), scenarios, true);
    const { runDir } = await writeReports({
      reportDir: opts.reportDir,
      journal,
      histories,
      samples,
      redactor: createRedactor(secrets()),
      runDirMayExist: true,
    });
    progress?.runEnd(journal, runDir);
  });

  try {
    await using d = await startTarget({
      target: opts.target,
      kube: opts.kube,
      model,
      runId,
      subnet: opts.subnet,
      ...(opts.docker ? { docker: opts.docker } : {}),
      binaries: opts.binaries,
      overrides: opts.overrides,
      logsDir: path.join(opts.reportDir, runId, 'logs'),
    });
    deployment = d;
    progress?.runStart(runId, d.target);
    conformance = await runGroups(groups, {
      model,
      deployment: d,
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      ...(opts.design ? { design: opts.design } : {}),
      ...(opts.alertRules ? { alertRules: opts.alertRules } : {}),
      convergeTimeoutMs: RUN_DEFAULTS.convergeTimeoutMs,
    });
    if (opts.dataset !== undefined) dataset = await fillDataset(d, opts.dataset, progress);
    // After the groups: the monitoring group starts and stops a Prometheus of its own.
    const runAlerts = opts.monitoring ? await startRunAlerts(d, opts.alertRules) : null;
    await using _stopAlerts = { [Symbol.asyncDispose]: () => runAlerts?.stop() ?? Promise.resolve() };
    alerts = runAlerts?.describe ?? {};

    for (const scenario of opts.scenarios) {
      const trials: TrialResult[] = [];
      current = { scenario, trials, trial: null };
      progress?.scenarioStart(scenario.name, opts.trials);
      for (let i = 1; i <= opts.trials; i++) {
        const cur = { index: i, phase: '', startedNs: clock.nowNs() };
        current.trial = cur;
        progress?.trialStart(scenario.name, i, opts.trials);
        const outcome = await runTrial({
          deployment: d,
          scenario,
          index: i,
          clock,
          runId,
          client: opts.client,
          convergeTimeoutMs: RUN_DEFAULTS.convergeTimeoutMs,
          ...(runAlerts?.source ? { alerts: runAlerts.source } : {}),
          ...(streaming
            ? {
                historyStream: {
                  file: path.join(path.resolve(opts.reportDir), runId, historyRel(scenario, i)),
                  eventsFile: path.join(path.resolve(opts.reportDir), runId, `events/${scenario.name}-${i}.jsonl`),
                  redact: (t: string) => createRedactor(d.passwords).text(t),
                },
              }
            : {}),
          progress: {
            phase: (name) => {
              cur.phase = name;
              progress?.phase(name);
            },
            writes: (ok, failed) => progress?.writes(ok, failed),
          },
        });
        const { result, history } = outcome;
        const file = historyRel(scenario, i);
        if (outcome.streamed) samples.set(file, outcome.streamed.sample);
        else histories.set(file, history.map((o) => JSON.stringify(o)).join('\n') + '\n');
        result.historyFile = file;
        trials.push(result);
        current.trial = null;
        progress?.trialEnd(result);
        if ((halted = haltOf(outcome, scenario, i, clock))) break;
      }
      current = null;
      const gate = gateScenario(trials, { failoverMs: scenario.expect.failoverMs }, gateStat);
      const verdict = trials.every((t) => t.verdict === 'skipped') ? 'skipped' : halted ? 'fail' : gate.verdict;
      scenarioResults.push(
        scenarioResult(
          scenario,
          trials,
          verdict,
          { stat: gateStat, message: halted ? `halted by ${halted.by} in trial ${halted.trial}: ${halted.reason}` : gate.message },
          opts.profile,
        ),
      );
      if (halted) break;
    }

    const journal = journalOf(state(), scenarioResults, false);
    const exitCode = halted ? 3 : journal.verdict === 'pass' ? 0 : 1;
    if (opts.collect) return { journal, runDir: '', exitCode, collected: { histories, passwords: [...d.passwords] } };
    const written = writeReports({ reportDir: opts.reportDir, journal, histories, samples, redactor: createRedactor(d.passwords), runDirMayExist: streaming });
    finalReport = written;
    const { runDir } = await written;
    progress?.runEnd(journal, runDir);
    return { journal, runDir, exitCode };
  } finally {
    unregisterInterrupt();
  }
}

/** The safeguard a trial triggered: a haltOn probe broke during it, or its figures meet a haltOn bound. */
function haltOf(outcome: TrialOutcome, scenario: Scenario, trial: number, clock: Clock): Journal['run']['halted'] {
  const figure = outcome.halted ? null : figureHalt(haltConditionsOf(scenario), outcome.result.figures);
  const h = outcome.halted ?? (figure ? { ...figure, ns: clock.nowNs() } : null);
  return h ? { by: h.by, at: clock.wallIso(h.ns), reason: h.reason, scenario: scenario.name, trial } : undefined;
}

function scenarioResult(
  scenario: Scenario,
  trials: TrialResult[],
  verdict: Verdict,
  gate: NonNullable<ScenarioResult['gate']>,
  profile: ProfileName | undefined,
): ScenarioResult {
  return {
    name: scenario.name,
    description: scenario.description,
    slo: {
      failover_ms_max: scenario.expect.failoverMs,
      failover_band_low_ms: scenario.expect.failoverBandMs[0],
      failover_band_high_ms: scenario.expect.failoverBandMs[1],
      writes_lost_max: scenario.expect.maxLostWrites,
      ...(scenario.expect.acceptLossFromOldMaster && scenario.expect.maxLostFromOldMaster !== undefined
        ? { writes_lost_old_master_max: scenario.expect.maxLostFromOldMaster }
        : {}),
    },
    verdict,
    trials,
    stats: figureStats(trials),
    gate,
    ...(profile ? { profile } : {}),
  };
}
