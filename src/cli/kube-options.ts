// The kind / kube flags and --dry-run of the run and conformance commands, kept out of main.ts.
import type { Command } from 'commander';
import type { Scenario } from '../runner/scenario.ts';
import type { ConformanceGroup } from '../conformance/types.ts';
import { planFault } from '../faults/index.ts';
import { buildPlan, formatPlan } from '../runner/plan.ts';
import { checkContext } from '../targets/kube/guard.ts';
import { KUBE_FLAG_DEFAULTS, type KubeFlags } from '../targets/start.ts';

export interface KubeCliFlags {
  context?: string;
  allowContext: string[];
  reuse?: boolean;
  keep?: boolean;
  dryRun?: boolean;
  kindConfig: string;
  kubeconfig?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function addKubeOptions(cmd: Command): Command {
  return cmd
    .option('--context <name>', 'kube target: the kubeconfig context of the cluster')
    .option('--allow-context <name>', 'let faults run in this context besides kind-* (repeatable)', collect, [])
    .option('--kubeconfig <file>', 'kube target: kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--kind-config <file>', 'kind target: cluster config', KUBE_FLAG_DEFAULTS.kindConfig)
    .option('--reuse', 'kind target: run on the cluster if it already exists')
    .option('--keep', 'kind: keep the cluster; kube: keep the objects the harness created')
    .option('--dry-run', 'print the plan of faults (scenarios, victims, heals) and exit without touching any cluster');
}

export const kubeFlags = (o: KubeCliFlags): Partial<KubeFlags> => ({
  ...(o.context ? { context: o.context } : {}),
  allowContexts: o.allowContext,
  reuse: o.reuse === true,
  keep: o.keep === true,
  kindConfig: o.kindConfig,
  ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
});

/** The --dry-run output: where it would run, whether the context guard would let it, and each fault with its heal. */
export function dryRunText(target: string, o: KubeCliFlags, scenarios: readonly Scenario[], trials: number): string {
  const [first, ...rest] = targetHeader(target, o);
  return formatPlan(buildPlan(scenarios), [first!, `trials per scenario: ${trials}`, ...rest]);
}

/** The conformance command's --dry-run: where it would run, the guard, each group with what it needs and its disruptive steps and heals. */
export function conformanceDryRunText(target: string, o: KubeCliFlags, groups: readonly ConformanceGroup[]): string {
  const lines = [...targetHeader(target, o), ''];
  for (const g of groups) {
    lines.push(`${g.name}${g.needsDeployment ? '' : ' (no deployment)'}${g.needs?.length ? `, needs: ${g.needs.join(', ')} (skipped with the reason on a target without)` : ''}`);
    const steps = g.disruptive ?? [];
    if (g.needsDeployment && steps.length === 0) lines.push('  reads the deployment only');
    for (const s of steps) {
      const planned = s.fault && target !== 'local' && target !== 'docker' ? planFault(s.fault, 'kube') : null;
      lines.push(`  ${s.unit ? `${s.unit}: ` : ''}${planned ? planned.action : s.action}`, `    heal: ${planned ? planned.heal : s.heal}`);
    }
  }
  lines.push('', 'between groups: wait until every sentinel sees every peer and replica usable (as between trials)', 'dry run: nothing was applied, injected or deleted.');
  return lines.join('\n');
}

function targetHeader(target: string, o: KubeCliFlags): string[] {
  const header = [`target: ${target}`];
  if (target === 'kube') {
    const guard = checkContext(o.context ?? '', o.allowContext);
    header.push(`context: ${o.context ?? '(none: pass --context NAME)'}`, `context guard: ${guard.allowed ? `allowed (${guard.by})` : `would refuse: ${guard.reason}`}`);
  }
  if (target === 'kind') header.push(`kind config: ${o.kindConfig}`, `cluster: ${o.reuse ? 'reused if it exists' : 'created'}, ${o.keep ? 'kept' : 'deleted'} after the run`);
  return header;
}
