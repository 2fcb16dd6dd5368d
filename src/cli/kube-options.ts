// The kind / kube flags and --dry-run of the run and conformance commands, kept out of main.ts.
import { Option, type Command } from 'commander';
import { HarnessError } from '../errors.ts';
import type { Scenario } from '../runner/scenario.ts';
import type { ConformanceGroup } from '../conformance/types.ts';
import { planFault } from '../faults/index.ts';
import { buildPlan, formatPlan } from '../runner/plan.ts';
import { checkContext } from '../targets/kube/guard.ts';
import type { FaultBackendName } from '../targets/kube/backends/backend.ts';
import { kubeFaultSupport, type FaultShape } from '../faults/kube-support.ts';
import { KUBE_FLAG_DEFAULTS, type KubeFlags } from '../targets/start.ts';

export interface KubeCliFlags {
  context?: string;
  allowContext: string[];
  reuse?: boolean;
  keep?: boolean;
  dryRun?: boolean;
  kindConfig: string;
  kubeconfig?: string;
  faultBackend?: 'auto' | 'chaos-mesh' | 'kind-node';
  maxDisruption?: number;
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
    .option('--dry-run', 'print the plan of faults (scenarios, victims, heals) and exit without touching any cluster')
    .addOption(
      new Option(
        '--fault-backend <backend>',
        'kind/kube: who kills containers and partitions pods: Chaos Mesh objects, or the kind node (docker exec); auto: chaos-mesh when its CRDs are installed',
      )
        .choices(['auto', 'chaos-mesh', 'kind-node'])
        .default('auto'),
    )
    .option('--max-disruption <n>', 'kind/kube: refuse (exit 2, before anything is created) a scenario disrupting more pods at once than this', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new HarnessError('USAGE', `--max-disruption ${v}: expected a whole number of pods >= 1`);
      return n;
    });
}

export const kubeFlags = (o: KubeCliFlags): Partial<KubeFlags> => ({
  ...(o.context ? { context: o.context } : {}),
  allowContexts: o.allowContext,
  reuse: o.reuse === true,
  keep: o.keep === true,
  kindConfig: o.kindConfig,
  ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
  faultBackend: o.faultBackend ?? 'auto',
  ...(o.maxDisruption !== undefined ? { maxDisruption: o.maxDisruption } : {}),
});

/** Pods a fault disrupts at once (default 1): what --max-disruption is held against. */
const PODS_AT_ONCE: Record<string, (replicas: number) => number> = {
  'sentinel-quorum-loss': () => 3,
  'full-restart': (n) => n,
  // Every pod held down while its claim is restored.
  'backup-restore': (n) => n,
  // Every pod loses DNS (dns-down), or every other pod cannot resolve the killed master (dns-record-gone).
  'dns-down': (n) => n,
  'dns-record-gone': (n) => n,
  // The master's pod, then the failover leader's.
  'leader-kill': () => 2,
  'password-rotation': () => 0,
  'manual-failover': () => 0,
};
export const podsAtOnce = (kind: string, replicas = 3): number => (PODS_AT_ONCE[kind] ?? (() => 1))(replicas);

/** --max-disruption: the first scenario over the limit is refused with exit 2, before any cluster is touched. */
export function checkMaxDisruption(scenarios: readonly Pick<Scenario, 'name' | 'fault'>[], max: number | undefined, replicas = 3): void {
  if (max === undefined) return;
  const over = scenarios.find((s) => podsAtOnce(s.fault.kind, replicas) > max);
  if (over)
    throw new HarnessError(
      'USAGE',
      `--max-disruption ${max}: scenario ${over.name} (${over.fault.kind}) disrupts ${podsAtOnce(over.fault.kind, replicas)} pods at once; raise --max-disruption or leave ${over.name} out of --scenario`,
    );
}

/** The backends --dry-run describes: the one chosen, or both for auto (decided at start from the CRDs). */
const backendsOf = (o: KubeCliFlags): FaultBackendName[] =>
  o.faultBackend === 'chaos-mesh' ? ['chaos-mesh'] : o.faultBackend === 'kind-node' ? ['kind-node'] : ['chaos-mesh', 'kind-node'];

/** Whether the harness will have a shell on the nodes: kind, or a kind-* context (with docker on this machine). */
const nodeShellOf = (target: string, o: KubeCliFlags) => target === 'kind' || (o.context ?? '').startsWith('kind-');

/** Per backend: how the scenario's fault is made, the objects it creates, or its skip reason. */
function backendLines(target: 'kind' | 'kube', f: FaultShape, o: KubeCliFlags): string[] {
  const lines: string[] = [];
  for (const b of backendsOf(o)) {
    const s = kubeFaultSupport(f, b, target, nodeShellOf(target, o));
    const tag = `  backend ${b}${o.faultBackend === 'auto' || o.faultBackend === undefined ? (b === 'chaos-mesh' ? ' (auto, CRDs installed)' : ' (auto, no CRDs)') : ''}`;
    if (s.skip) lines.push(`${tag}: SKIPPED: ${s.skip}`);
    else {
      lines.push(`${tag}: ${s.via}`);
      lines.push(...s.objects.map((x) => `    creates ${x}`));
      lines.push(...(s.patches ?? []).map((x) => `    patches ${x}`));
    }
  }
  return lines;
}

/** The --dry-run output: where it would run, whether the context guard would let it, and each fault with its backends, objects, skips and heal. */
export function dryRunText(target: string, o: KubeCliFlags, scenarios: readonly Scenario[], trials: number): string {
  const [first, ...rest] = targetHeader(target, o);
  const text = formatPlan(buildPlan(scenarios), [first!, `trials per scenario: ${trials}`, ...rest]);
  if (target !== 'kind' && target !== 'kube') return text;
  // Each scenario's backend lines after its heal line, then the blast radius.
  const out: string[] = [];
  for (const line of text.split('\n')) {
    out.push(line);
    const s = scenarios.find((x) => line.startsWith(`${x.name} (`));
    if (s) {
      const n = podsAtOnce(s.fault.kind);
      out.push(
        `  pods disrupted at once: ${n}${o.maxDisruption !== undefined && n > o.maxDisruption ? ` (over --max-disruption ${o.maxDisruption}: the run would be refused)` : ''}`,
      );
      out.push(...backendLines(target, s.fault as FaultShape, o));
    }
  }
  const most = Math.max(0, ...scenarios.map((s) => podsAtOnce(s.fault.kind)));
  const all = scenarios.flatMap((s) => kubeFaultSupport(s.fault as FaultShape, 'chaos-mesh', target, nodeShellOf(target, o)).objects);
  // Helper pods are made on either backend; the Chaos Mesh objects only on chaos-mesh.
  // backup-restore makes one helper per pod (one object line in its plan).
  const helpers = scenarios.flatMap((s) =>
    kubeFaultSupport(s.fault as FaultShape, 'chaos-mesh', target, nodeShellOf(target, o))
      .objects.filter((x) => x.startsWith('Pod '))
      .flatMap((x) => Array<string>(s.fault.kind === 'backup-restore' ? podsAtOnce(s.fault.kind) : 1).fill(x)),
  );
  const objs = all.filter((x) => !x.startsWith('Pod '));
  const cordoning = scenarios.filter((s) => ['node-drain', 'empty-volume', 'aof-damage'].includes(s.fault.kind)).map((s) => s.name);
  const cordoningAll = scenarios.filter((s) => s.fault.kind === 'backup-restore').map((s) => s.name);
  const cordoned = [
    ...(cordoning.length ? [`the victim's node, one at a time, by ${cordoning.join(', ')}`] : []),
    ...(cordoningAll.length ? [`every pod's node at once by ${cordoningAll.join(', ')}`] : []),
  ];
  const kinds = [...new Set(objs.map((x) => x.split(' ')[0]!))].sort();
  const end = out.lastIndexOf('dry run: nothing was applied, injected or deleted.');
  out.splice(
    end,
    0,
    `blast radius: the manifests' namespace only; only pods carrying the StatefulSet's labels (others refused); at most ${most} pod(s) disrupted at once; ${backendsOf(o).includes('chaos-mesh') ? `Chaos Mesh objects: ${objs.length} over the suite (${kinds.join(', ') || 'none'}), at most 3 at once, each labelled sentinel-chaos.run=<run> and app.kubernetes.io/managed-by=sentinel-chaos, deleted on heal, on SIGINT and by down --target ${target}` : 'no Chaos Mesh objects'}; helper pods: ${helpers.length} over the suite, one at a time (labelled the same and sentinel-chaos/role=volume-helper, deleted once done, on SIGINT and by down); nodes cordoned: ${cordoned.length ? `${cordoned.join('; ')} (annotated sentinel-chaos/cordoned-by=<run>; uncordoned on heal, on SIGINT and by down)` : 'none'}`,
    '',
  );
  return out.join('\n');
}

/** The conformance command's --dry-run: where it would run, the guard, each group with what it needs and its disruptive steps and heals. */
export function conformanceDryRunText(target: string, o: KubeCliFlags, groups: readonly ConformanceGroup[]): string {
  const lines = [...targetHeader(target, o), ''];
  for (const g of groups) {
    lines.push(
      `${g.name}${g.needsDeployment ? '' : ' (no deployment)'}${g.needs?.length ? `, needs: ${g.needs.join(', ')} (skipped with the reason on a target without)` : ''}`,
    );
    const steps = g.disruptive ?? [];
    if (g.needsDeployment && steps.length === 0) lines.push('  reads the deployment only');
    for (const s of steps) {
      const planned = s.fault && target !== 'local' && target !== 'docker' ? planFault(s.fault, 'kube') : null;
      lines.push(`  ${s.unit ? `${s.unit}: ` : ''}${planned ? planned.action : s.action}`, `    heal: ${planned ? planned.heal : s.heal}`);
    }
  }
  lines.push(
    '',
    'between groups: wait until every sentinel sees every peer and replica usable (as between trials)',
    'dry run: nothing was applied, injected or deleted.',
  );
  return lines.join('\n');
}

function targetHeader(target: string, o: KubeCliFlags): string[] {
  const header = [`target: ${target}`];
  if (target === 'kube') {
    const guard = checkContext(o.context ?? '', o.allowContext);
    header.push(
      `context: ${o.context ?? '(none: pass --context NAME)'}`,
      `context guard: ${guard.allowed ? `allowed (${guard.by})` : `would refuse: ${guard.reason}`}`,
    );
  }
  if (target === 'kind')
    header.push(`kind config: ${o.kindConfig}`, `cluster: ${o.reuse ? 'reused if it exists' : 'created'}, ${o.keep ? 'kept' : 'deleted'} after the run`);
  if (target !== 'local')
    header.push(
      `fault backend: ${o.faultBackend ?? 'auto'}${(o.faultBackend ?? 'auto') === 'auto' ? ' (chaos-mesh if networkchaos.chaos-mesh.org and podchaos.chaos-mesh.org are installed, else kind-node; decided at start)' : ''}`,
    );
  return header;
}
