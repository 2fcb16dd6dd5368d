// The fault registry: a scenario's fault spec to the definition that injects and plans it.
import { HarnessError } from '../errors.ts';
import type { FaultPlan, PlanTarget } from '../model/fault-plan.ts';
import { ability } from './abilities.ts';
import { faultRegistry, type AnyFaultDefinition, type InjectOptions, type SpecOf } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';
import * as registered from './registry.ts';

type Registered = (typeof registered)[keyof typeof registered];

/** Every fault kind, from src/faults/registry.ts. */
export const FAULTS = faultRegistry<Registered>(Object.values(registered));

/** The scenario's `fault:` field: a discriminated union over `kind` of every registered definition. */
export const FaultSchema = FAULTS.schema;

/** A scenario's fault, as parsed (defaults filled in). */
export type FaultSpec = SpecOf<Registered>;

function definitionOf(spec: { kind: string }): AnyFaultDefinition {
  const def = FAULTS.get(spec.kind);
  if (!def) throw new HarnessError('INTERNAL', `no fault definition for kind "${spec.kind}"`);
  return def;
}

/** Inject the scenario's fault; a target without an ability the fault needs throws ABILITY_MISSING before anything is done. */
export async function injectFault(ctx: FaultContext, spec: FaultSpec, opts: InjectOptions): Promise<InjectedFault> {
  const def = definitionOf(spec);
  for (const a of def.needs ?? []) ability(ctx.deployment, a, def.kind);
  return def.inject(ctx, spec, opts);
}

/** What the fault would do on `target`, for --dry-run. Pure. */
export function planFault(spec: FaultSpec, target: PlanTarget): FaultPlan & { fault: string } {
  return { fault: spec.kind, ...definitionOf(spec).plan(spec, target) };
}

/** The pod-level fault a scenario's spec targets, for the workload's isolated-side client. */
export const isolatedClientWanted = (spec: FaultSpec): boolean => definitionOf(spec).isolatedClient?.(spec) ?? false;
