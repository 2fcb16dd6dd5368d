// --dry-run: what a run would do to the cluster, scenario by scenario, without touching it.
import { planFault } from '../faults/index.ts';
import type { FaultPlan } from '../model/fault-plan.ts';
import type { Scenario } from './scenario.ts';

export interface PlanStep extends FaultPlan {
  scenario: string;
  fault: string;
}

/** Each scenario's fault as its definition describes it on Kubernetes (a composed fault: each step's). Pure. */
export function buildPlan(scenarios: readonly Pick<Scenario, 'name' | 'fault'>[]): PlanStep[] {
  return scenarios.flatMap((s) =>
    s.fault.kind === 'composed'
      ? s.fault.steps.map((st, i) => ({ scenario: s.name, ...planFault(st.fault, 'kube'), fault: `composed step ${i + 1}: ${st.fault.kind}` }))
      : [{ scenario: s.name, ...planFault(s.fault, 'kube') }],
  );
}

export function formatPlan(steps: readonly PlanStep[], header: readonly string[]): string {
  const lines = [...header, ''];
  for (const s of steps) {
    lines.push(`${s.scenario} (${s.fault}, victim: ${s.victim})`);
    lines.push(`  inject: ${s.action}`);
    lines.push(`  heal:   ${s.heal}`);
  }
  lines.push('', 'dry run: nothing was applied, injected or deleted.');
  return lines.join('\n');
}
