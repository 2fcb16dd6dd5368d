// Runs conformance groups (the `conformance` command, and the default suite before its scenarios) and records them in the journal.
import path from 'node:path';
import type { Design } from '../config/design.ts';
import { applyMonitoring } from '../config/monitoring.ts';
import { assertMonitoringPortsFree, SCRAPABLE_TARGETS } from '../observers/prometheus.ts';
import { describeDeployment, type DeploymentModel } from '../config/manifests.ts';
import { loadProfiledDeployment, type ProfileName } from '../config/profiles.ts';
import { HarnessError } from '../errors.ts';
import type { Journal, Verdict } from '../report/journal.ts';
import { JOURNAL_SCHEMA } from '../report/journal.ts';
import { createRedactor } from '../process/redact.ts';
import { newRunId } from '../report/run-id.ts';
import { writeReports } from '../report/write-reports.ts';
import type { Binaries } from '../targets/local/binaries.ts';
import type { ConfigOverrides } from '../targets/local/local-target.ts';
import { waitForConvergence, type Topology } from '../targets/convergence.ts';
import { startTarget, type DockerFlags, type KubeFlags, type TargetName } from '../targets/start.ts';
import type { TargetDeps } from '../targets/kube/start-kube.ts';
import { hasNetwork, hasNodes, hasPause, hasScale, hasServices, hasVolumes, type StartedDeployment } from '../targets/target.ts';
import { HARNESS } from '../version.ts';
import { CONFORMANCE_GROUPS } from './groups.ts';
import {
  CONFORMANCE_GROUP_NAMES,
  conformanceExitCode,
  groupVerdict,
  type ConformanceCheck,
  type ConformanceContext,
  type ConformanceGroup,
  type ConformanceGroupName,
  type ConformanceGroupResult,
  type TargetAbility,
} from './types.ts';

/** Defaults of the conformance command. */
export const CONFORMANCE_DEFAULTS = {
  groups: ['static', 'scaling', 'profile', 'live', 'app-paths', 'peer'] as readonly ConformanceGroupName[],
  convergeTimeoutMs: 60_000,
} as const;

/**
 * The registered groups named in `names` (in registry order). Throws USAGE for an unknown name, or for a
 * group that exists as a name but is not registered in this build.
 */
export function selectGroups(names: readonly string[], registry: readonly ConformanceGroup[] = CONFORMANCE_GROUPS): ConformanceGroup[] {
  if (names.length === 0) throw new HarnessError('USAGE', `--group needs at least one group (${registry.map((g) => g.name).join(', ')})`);
  for (const n of names) {
    if (!registry.some((g) => g.name === n)) {
      const known = (CONFORMANCE_GROUP_NAMES as readonly string[]).includes(n);
      throw new HarnessError(
        'USAGE',
        `--group ${n}: ${known ? 'not available in this version' : 'unknown group'}; choose from ${registry.map((g) => g.name).join(', ')}`,
      );
    }
  }
  return registry.filter((g) => names.includes(g.name));
}

const notRun = (g: ConformanceGroup, reason: string, expected: string): ConformanceCheck => ({
  name: `${g.name}.evaluation`,
  group: g.name,
  valid: 'skipped',
  reason,
  expected,
  observed: 'not run',
  explanation: `The ${g.name} checks need ${expected}.`,
});

/** The first ability of `needs` the deployment lacks, as a skip reason; null when it has them all. */
export function missingAbility(d: StartedDeployment, needs: readonly TargetAbility[] = []): string | null {
  const guards: Record<TargetAbility, (x: StartedDeployment) => boolean> = {
    services: hasServices,
    pause: hasPause,
    network: hasNetwork,
    nodes: hasNodes,
    volumes: hasVolumes,
    scale: hasScale,
  };
  const missing = needs.find((a) => !guards[a](d));
  return missing ? `the ${d.target} target lacks the ${missing} ability` : null;
}

/** How the group runner waits for convergence before a group that needs the deployment (tests replace it). */
export type Converge = (d: StartedDeployment, timeoutMs: number) => Promise<Topology>;

/** The strict definition every trial starts from (src/targets/convergence.ts): every sentinel sees every peer usable. */
export const convergeStrict: Converge = (d, timeoutMs) =>
  waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs });

/** Run one group that has what it needs; a throw becomes one failing check "<group>.evaluation". */
async function runOne(g: ConformanceGroup, ctx: ConformanceContext): Promise<ConformanceCheck[]> {
  ctx.log?.(`conformance: ${g.name} …`);
  try {
    return await g.run(ctx);
  } catch (e) {
    return [
      {
        name: `${g.name}.evaluation`,
        group: g.name,
        valid: false,
        expected: 'the checks to run',
        observed: `threw: ${e instanceof Error ? e.message : String(e)}`,
        explanation: `The ${g.name} checks could not be evaluated.`,
      },
    ];
  }
}

/** Before a group that needs the deployment: converged as between trials, or one failing check that says what was still wrong. */
async function convergedBefore(g: ConformanceGroup, d: StartedDeployment, ctx: ConformanceContext, converge: Converge): Promise<ConformanceCheck | null> {
  try {
    await converge(d, ctx.convergeTimeoutMs);
    return null;
  } catch (e) {
    return {
      name: `${g.name}.converged-before`,
      group: g.name,
      valid: false,
      expected: `the deployment converged within ${ctx.convergeTimeoutMs} ms before the ${g.name} checks (every sentinel sees every peer and replica usable)`,
      observed: e instanceof Error ? e.message : String(e),
      explanation:
        "Each group starts, as each trial does, from a converged deployment; checks run on a deployment still healing would judge the previous group's disruption.",
    };
  }
}

/** One group's checks: skipped without a deployment or an ability it needs, failed when the deployment did not converge first. */
async function groupChecks(g: ConformanceGroup, ctx: ConformanceContext, converge: Converge): Promise<ConformanceCheck[]> {
  if (!g.needsDeployment) return runOne(g, ctx);
  const d = ctx.deployment;
  if (!d) return [notRun(g, 'no running deployment', 'a running deployment')];
  const missing = missingAbility(d, g.needs);
  if (missing) return [notRun(g, missing, `a target with ${(g.needs ?? []).join(', ')}`)];
  const unconverged = await convergedBefore(g, d, ctx, converge);
  return unconverged ? [unconverged] : runOne(g, ctx);
}

/**
 * Run each group in order. A group that throws becomes one failing check "<group>.evaluation"; a group that
 * needs a deployment (or an ability) the target lacks becomes one skipped check; before each group that needs
 * the deployment, it must have converged (strictly, as before a trial). Never throws.
 */
export async function runGroups(
  groups: readonly ConformanceGroup[],
  ctx: ConformanceContext,
  converge: Converge = convergeStrict,
): Promise<ConformanceGroupResult[]> {
  const results: ConformanceGroupResult[] = [];
  for (const g of groups) {
    const started = performance.now();
    const checks = await groupChecks(g, ctx, converge);
    const result: ConformanceGroupResult = { group: g.name, verdict: groupVerdict(checks), durationMs: Math.round(performance.now() - started), checks };
    const n = (v: ConformanceCheck['valid']) => checks.filter((c) => c.valid === v).length;
    ctx.log?.(
      `conformance: ${g.name} ${result.verdict} (${n(true)} passed, ${n(false)} failed, ${n('skipped')} skipped${n('unknown') ? `, ${n('unknown')} undecided` : ''}, ${result.durationMs} ms)`,
    );
    results.push(result);
  }
  return results;
}

export interface ConformanceOptions {
  groups: readonly string[];
  /** Where the deployment runs (the scenarios' target factory, src/targets/start.ts); default local. */
  target?: TargetName;
  /** kind / kube targets: context, guard, cluster lifetime. */
  kube?: Partial<KubeFlags>;
  manifestsDir: string;
  reportDir: string;
  subnet?: number;
  /** docker target: --image, --stable-addresses. */
  docker?: DockerFlags;
  overrides?: ConfigOverrides;
  binaries?: Partial<Binaries>;
  argv?: string[];
  log?: (line: string) => void;
  convergeTimeoutMs?: number;
  /** The design to hold the deployment to (--design FILE); absent: the seed's. */
  design?: Design;
  /** Run the pods with the redis_exporter sidecars (--monitoring, src/config/monitoring.ts). */
  monitoring?: boolean;
  /** Deployment profile (src/config/profiles.ts); the security group's live checks need `secure`. */
  profile?: ProfileName;
  /** kind / kube: the factory's machine access (tests pass a recording fake); default the real one. */
  targetDeps?: TargetDeps;
  /** The alert rules the monitoring group evaluates (--alert-rules; default monitoring/alerts.yaml). */
  alertRules?: string;
}

export interface ConformanceRun {
  journal: Journal;
  runDir: string;
  exitCode: 0 | 1;
}

/** fail, else unknown, else skipped when every group was, else pass (as a suite's verdict). */
export function runVerdict(results: readonly ConformanceGroupResult[]): Verdict {
  if (results.some((r) => r.verdict === 'fail')) return 'fail';
  if (results.some((r) => r.verdict === 'unknown')) return 'unknown';
  return results.every((r) => r.verdict === 'skipped') ? 'skipped' : 'pass';
}

/** The journal of a conformance-only run: no scenarios, the groups' results. */
export function conformanceJournal(opts: {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  argv: string[];
  model: DeploymentModel;
  deployment?: StartedDeployment;
  overrides?: ConfigOverrides;
  design?: Design;
  results: ConformanceGroupResult[];
}): Journal {
  const d = opts.deployment;
  return {
    schema: JOURNAL_SCHEMA,
    harness: { ...HARNESS, node: process.version },
    run: {
      id: opts.runId,
      startedAt: opts.startedAt.toISOString(),
      finishedAt: opts.finishedAt.toISOString(),
      durationMs: opts.finishedAt.getTime() - opts.startedAt.getTime(),
      argv: opts.argv,
      interrupted: false,
    },
    target: d
      ? { name: d.target, redisVersion: d.redisVersion, details: d.describe() }
      : { name: 'none (static checks only)', redisVersion: null, details: {} },
    deployment: {
      ...describeDeployment(opts.model),
      ...(opts.design ? { design: opts.design.name, design_file: opts.design.file } : {}),
      ...Object.fromEntries(Object.entries(opts.overrides?.sentinel ?? {}).map(([k, v]) => [`override_sentinel_${k}`, v])),
      ...Object.fromEntries(Object.entries(opts.overrides?.redis ?? {}).map(([k, v]) => [`override_redis_${k}`, v])),
    },
    client: {},
    quantileDefinition: '',
    verdict: runVerdict(opts.results),
    scenarios: [],
    conformance: opts.results,
  };
}

/** The `conformance` command: the groups asked for, a deployment only if one of them needs it, the reports. */
export async function runConformance(opts: ConformanceOptions): Promise<ConformanceRun> {
  const groups = selectGroups(opts.groups);
  const model = applyMonitoring(await loadProfiledDeployment(opts.manifestsDir, opts.profile), opts.monitoring);
  if (opts.monitoring && SCRAPABLE_TARGETS.includes(opts.target ?? 'local') && groups.some((g) => g.name === 'monitoring')) await assertMonitoringPortsFree();
  const runId = newRunId();
  const startedAt = new Date();
  let deployment: StartedDeployment | undefined;
  try {
    if (groups.some((g) => g.needsDeployment)) {
      opts.log?.('conformance: starting the deployment …');
      deployment = await startTarget(
        {
          target: opts.target ?? 'local',
          ...(opts.kube ? { kube: opts.kube } : {}),
          model,
          runId,
          subnet: opts.subnet,
          ...(opts.docker ? { docker: opts.docker } : {}),
          binaries: opts.binaries,
          overrides: opts.overrides,
          logsDir: path.join(opts.reportDir, runId, 'logs'),
        },
        opts.targetDeps,
      );
    }
    const results = await runGroups(groups, {
      model,
      ...(deployment ? { deployment } : {}),
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      ...(opts.design ? { design: opts.design } : {}),
      convergeTimeoutMs: opts.convergeTimeoutMs ?? CONFORMANCE_DEFAULTS.convergeTimeoutMs,
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.alertRules ? { alertRules: opts.alertRules } : {}),
    });
    const journal = conformanceJournal({
      runId,
      startedAt,
      finishedAt: new Date(),
      argv: opts.argv ?? [],
      model,
      ...(deployment ? { deployment } : {}),
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      ...(opts.design ? { design: opts.design } : {}),
      results,
    });
    const secrets = deployment ? deployment.passwords : model.password.value !== null ? [model.password.value] : [];
    const redactor = createRedactor(secrets);
    const { runDir } = await writeReports({ reportDir: opts.reportDir, journal, histories: new Map(), redactor });
    // Redacted: the caller prints from it.
    return { journal: redactor.value(journal), runDir, exitCode: conformanceExitCode(results) };
  } finally {
    await deployment?.down();
  }
}
