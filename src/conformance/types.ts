// What every conformance group returns, and the registry the `conformance` command and the default suite run.
import type { Design } from '../config/design.ts';
import type { DeploymentModel } from '../config/manifests.ts';
import type { ConformanceCheck, ConformanceGroupName } from '../model/conformance.ts';
import type { FaultSpec } from '../faults/index.ts';
import type { StartedDeployment } from '../targets/target.ts';

export {
  CONFORMANCE_GROUP_NAMES,
  conformanceExitCode,
  formatConformanceCheck,
  groupVerdict,
  type ConformanceCheck,
  type ConformanceFigures,
  type ConformanceGroupName,
  type ConformanceGroupResult,
  type ConformanceVerdict,
} from '../model/conformance.ts';

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
  /** The alert rules the monitoring group evaluates (--alert-rules); absent: monitoring/alerts.yaml. */
  alertRules?: string;
}

/** Optional target abilities a group can need (the type guards in src/targets/target.ts). */
export type TargetAbility = 'services' | 'pause' | 'network' | 'nodes' | 'volumes' | 'scale';

/** One step of a group that disturbs the deployment, and how it is healed (for --dry-run). */
export interface DisruptiveStep {
  /** Where it happens, e.g. the peer unit's upstream file. */
  unit?: string;
  /** What is done, e.g. "SIGKILL both containers of the master pod". */
  action: string;
  heal: string;
  /** When the step is a scenario fault: its spec (a dry run on Kubernetes shows the fault's own plan). */
  fault?: FaultSpec;
}

export interface ConformanceGroup {
  name: ConformanceGroupName;
  description: string;
  /** Whether the group needs a running deployment (ctx.deployment). */
  needsDeployment: boolean;
  /** Abilities the target must have; without one the group is skipped with the reason, never passed. */
  needs?: readonly TargetAbility[];
  /** The steps that disturb the deployment, each with its heal (none for a read-only group). */
  disruptive?: readonly DisruptiveStep[];
  run(ctx: ConformanceContext): Promise<ConformanceCheck[]>;
}
