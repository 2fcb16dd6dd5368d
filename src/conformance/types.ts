// What every conformance group returns, and the registry the `conformance` command and the default suite run.
import type { Design } from '../config/design.ts';
import type { DeploymentModel } from '../config/manifests.ts';
import type { StartedDeployment } from '../targets/target.ts';

/** Groups of conformance checks; each is one function registered in src/conformance/groups.ts. */
export const CONFORMANCE_GROUP_NAMES = ['static', 'live', 'peer', 'app-paths', 'scaling', 'profile'] as const;
export type ConformanceGroupName = (typeof CONFORMANCE_GROUP_NAMES)[number];

/** Figures are milliseconds (suffix _ms) or counts, as in checker results. */
export type ConformanceFigures = Record<string, number | null>;

/** One conformance check: what was expected, what was observed, and why it matters. */
export interface ConformanceCheck {
  /** Stable identifier within its group, e.g. "config.redis.appendonly". */
  name: string;
  group: ConformanceGroupName;
  /** 'skipped': the check could not be run here; `reason` says why. */
  valid: boolean | 'skipped';
  /** Why a check was skipped (required when valid is 'skipped'). */
  reason?: string;
  /** Never a password: say "set, equal to the Secret" instead. */
  expected: string;
  observed: string;
  explanation: string;
  /** The redis/redis test this check mirrors, e.g. `tests/sentinel/tests/00-base.tcl: "Basic failover works if the master is down"`. */
  upstream?: string;
  /** Where in the manifests (static checks). */
  file?: string;
  object?: string;
  field?: string;
  figures?: ConformanceFigures;
  /** How long the check took (live and peer checks). */
  durationMs?: number;
}

/** What a group gets to work with; target-agnostic (a StartedDeployment, never a target's internals). */
export interface ConformanceContext {
  model: DeploymentModel;
  /** Present when a group that needs a deployment runs. */
  deployment?: StartedDeployment;
  /**
   * The design to hold the deployment to (--design FILE); absent: the seed's (scaled to the manifests' replicas,
   * as today). Each value where it differs from the seed is a `design.<field>` check of the static and live groups.
   */
  design?: Design;
  /** Config the deployment runs with on top of the manifests (--set), so expectations follow explicit overrides. */
  overrides?: { sentinel?: Record<string, string>; redis?: Record<string, string> };
  /** Bound for waiting until the deployment has converged again (after a peer check). */
  convergeTimeoutMs: number;
  /** One line of progress (never a password). */
  log?: (line: string) => void;
}

export interface ConformanceGroup {
  name: ConformanceGroupName;
  description: string;
  /** Whether the group needs a running deployment (ctx.deployment). */
  needsDeployment: boolean;
  run(ctx: ConformanceContext): Promise<ConformanceCheck[]>;
}

export type ConformanceVerdict = 'pass' | 'fail' | 'skipped';

/** One group's outcome, as the journal (result.json) carries it. */
export interface ConformanceGroupResult {
  group: ConformanceGroupName;
  verdict: ConformanceVerdict;
  durationMs: number;
  checks: ConformanceCheck[];
}

/** fail when any check failed; skipped when every check was skipped (or none ran); else pass. */
export function groupVerdict(checks: readonly ConformanceCheck[]): ConformanceVerdict {
  if (checks.some((c) => c.valid === false)) return 'fail';
  if (checks.every((c) => c.valid === 'skipped')) return 'skipped';
  return 'pass';
}

/** Exit status of the conformance command: 0 when nothing failed, 1 otherwise. */
export function conformanceExitCode(groups: readonly ConformanceGroupResult[]): 0 | 1 {
  return groups.some((g) => g.verdict === 'fail') ? 1 : 0;
}

/** One line a human can act on. */
export function formatConformanceCheck(c: ConformanceCheck): string {
  const v = c.valid === true ? 'ok  ' : c.valid === false ? 'FAIL' : 'skip';
  const where = [c.file, c.object, c.field].filter(Boolean).join(' ');
  const detail = c.valid === 'skipped' ? `skipped: ${c.reason ?? 'no reason given'}` : `expected ${c.expected}, observed ${c.observed}. ${c.explanation}`;
  return `${v} ${c.group}/${c.name}: ${where ? `${where}: ` : ''}${detail}`;
}
