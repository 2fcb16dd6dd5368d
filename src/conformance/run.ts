// Runs conformance groups (the `conformance` command, and the default suite before its scenarios) and records them in the journal.
import path from 'node:path';
import type { Design } from '../config/design.ts';
import { describeDeployment, loadDeployment, type DeploymentModel } from '../config/manifests.ts';
import { HarnessError } from '../errors.ts';
import type { Journal } from '../report/journal.ts';
import { JOURNAL_SCHEMA } from '../report/journal.ts';
import { createRedactor } from '../process/redact.ts';
import { newRunId } from '../report/run-id.ts';
import { writeReports } from '../report/write-reports.ts';
import type { Binaries } from '../targets/local/binaries.ts';
import { startLocalDeployment, type ConfigOverrides } from '../targets/local/local-target.ts';
import type { StartedDeployment } from '../targets/target.ts';
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
      throw new HarnessError('USAGE', `--group ${n}: ${known ? 'not available in this version' : 'unknown group'}; choose from ${registry.map((g) => g.name).join(', ')}`);
    }
  }
  return registry.filter((g) => names.includes(g.name));
}

/**
 * Run each group in order. A group that throws becomes one failing check "<group>.evaluation"; a group that
 * needs a deployment when there is none becomes one skipped check. Never throws.
 */
export async function runGroups(groups: readonly ConformanceGroup[], ctx: ConformanceContext): Promise<ConformanceGroupResult[]> {
  const results: ConformanceGroupResult[] = [];
  for (const g of groups) {
    const started = performance.now();
    let checks: ConformanceCheck[];
    if (g.needsDeployment && !ctx.deployment) {
      checks = [{ name: `${g.name}.evaluation`, group: g.name, valid: 'skipped', reason: 'no running deployment', expected: 'a running deployment', observed: 'none', explanation: `The ${g.name} checks need a running deployment.` }];
    } else {
      ctx.log?.(`conformance: ${g.name} …`);
      try {
        checks = await g.run(ctx);
      } catch (e) {
        checks = [];
        checks.push({
          name: `${g.name}.evaluation`,
          group: g.name,
          valid: false,
          expected: 'the checks to run',
          observed: `threw: ${e instanceof Error ? e.message : String(e)}`,
          explanation: `The ${g.name} checks could not be evaluated.`,
        });
      }
    }
    const result: ConformanceGroupResult = { group: g.name, verdict: groupVerdict(checks), durationMs: Math.round(performance.now() - started), checks };
    ctx.log?.(`conformance: ${g.name} ${result.verdict} (${checks.filter((c) => c.valid === true).length} passed, ${checks.filter((c) => c.valid === false).length} failed, ${checks.filter((c) => c.valid === 'skipped').length} skipped, ${result.durationMs} ms)`);
    results.push(result);
  }
  return results;
}

export interface ConformanceOptions {
  groups: readonly string[];
  manifestsDir: string;
  reportDir: string;
  subnet?: number;
  overrides?: ConfigOverrides;
  binaries?: Partial<Binaries>;
  argv?: string[];
  log?: (line: string) => void;
  convergeTimeoutMs?: number;
  /** The design to hold the deployment to (--design FILE); absent: the seed's. */
  design?: Design;
}

export interface ConformanceRun {
  journal: Journal;
  runDir: string;
  exitCode: 0 | 1;
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
    target: d ? { name: d.target, redisVersion: d.redisVersion, details: d.describe() } : { name: 'none (static checks only)', redisVersion: null, details: {} },
    deployment: {
      ...describeDeployment(opts.model),
      ...(opts.design ? { design: opts.design.name, design_file: opts.design.file } : {}),
      ...Object.fromEntries(Object.entries(opts.overrides?.sentinel ?? {}).map(([k, v]) => [`override_sentinel_${k}`, v])),
      ...Object.fromEntries(Object.entries(opts.overrides?.redis ?? {}).map(([k, v]) => [`override_redis_${k}`, v])),
    },
    client: {},
    quantileDefinition: '',
    verdict: opts.results.some((r) => r.verdict === 'fail') ? 'fail' : opts.results.every((r) => r.verdict === 'skipped') ? 'skipped' : 'pass',
    scenarios: [],
    conformance: opts.results,
  };
}

/** The `conformance` command: the groups asked for, a deployment only if one of them needs it, the reports. */
export async function runConformance(opts: ConformanceOptions): Promise<ConformanceRun> {
  const groups = selectGroups(opts.groups);
  const model = await loadDeployment(opts.manifestsDir);
  const runId = newRunId();
  const startedAt = new Date();
  let deployment: StartedDeployment | undefined;
  try {
    if (groups.some((g) => g.needsDeployment)) {
      opts.log?.('conformance: starting the deployment …');
      deployment = await startLocalDeployment({
        model,
        runId,
        subnet: opts.subnet,
        binaries: opts.binaries,
        overrides: opts.overrides,
        logsDir: path.join(opts.reportDir, runId, 'logs'),
      });
    }
    const results = await runGroups(groups, {
      model,
      ...(deployment ? { deployment } : {}),
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      ...(opts.design ? { design: opts.design } : {}),
      convergeTimeoutMs: opts.convergeTimeoutMs ?? CONFORMANCE_DEFAULTS.convergeTimeoutMs,
      ...(opts.log ? { log: opts.log } : {}),
    });
    const journal = conformanceJournal({ runId, startedAt, finishedAt: new Date(), argv: opts.argv ?? [], model, ...(deployment ? { deployment } : {}), ...(opts.overrides ? { overrides: opts.overrides } : {}), ...(opts.design ? { design: opts.design } : {}), results });
    const secrets = deployment ? deployment.passwords : model.password.value !== null ? [model.password.value] : [];
    const redactor = createRedactor(secrets);
    const { runDir } = await writeReports({ reportDir: opts.reportDir, journal, histories: new Map(), redactor });
    // Redacted: the caller prints from it.
    return { journal: redactor.value(journal), runDir, exitCode: conformanceExitCode(results) };
  } finally {
    await deployment?.down();
  }
}
