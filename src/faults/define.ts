// A fault kind as one definition (schema, inject, dry-run plan, abilities it needs), and the registry over them.
import { HarnessError } from '../errors.ts';
import { z } from 'zod';
import type { FaultPlan, PlanTarget } from '../model/fault-plan.ts';
import type { Ability } from './abilities.ts';
import type { FaultContext, InjectedFault } from './fault.ts';

export interface InjectOptions {
  /** The scenario's `restart`: a killed pod is restarted and must rejoin. */
  restart: boolean;
}

/** The zod object a definition's fields make, with its `kind` literal first. */
export type FaultSchemaOf<K extends string, F extends z.ZodRawShape> = z.ZodObject<{ kind: z.ZodLiteral<K> } & F, z.core.$strict>;

export interface FaultDefinition<K extends string = string, F extends z.ZodRawShape = z.ZodRawShape> {
  kind: K;
  /** The scenario's `fault:` object for this kind (kind plus the definition's fields, unknown keys rejected). */
  schema: FaultSchemaOf<K, F>;
  /** Abilities the target must have; without one the trial is skipped with the reason before anything is injected. */
  needs?: readonly Ability[];
  inject(ctx: FaultContext, spec: z.output<FaultSchemaOf<K, F>>, opts: InjectOptions): Promise<InjectedFault>;
  /** The --dry-run line: what the fault would do on `target`, to whom, and its heal. Pure. */
  plan(spec: z.output<FaultSchemaOf<K, F>>, target: PlanTarget): FaultPlan;
  /** Whether a client should also write straight to the victim, as an application on its side would. */
  isolatedClient?(spec: z.output<FaultSchemaOf<K, F>>): boolean;
  /** How a soak draws this kind (`npm run chaos -- soak`); absent: soaks never draw it. */
  soak?: SoakDraw<z.output<FaultSchemaOf<K, F>>>;
}

/** Whom a soak step hits: the current master, one of the replicas, one pod's sentinel, or the master's node. */
export type SoakVictim = 'master' | 'replica' | 'sentinel' | 'node';

export interface SoakDraw<S> {
  /** Default weight in the soak's fault mix (relative to the other kinds'). */
  weight: number;
  /** The victims this kind can hit; the soak draws one at random. */
  victims: readonly SoakVictim[];
  /** The step's spec for `victim`, held about `holdMs` (the step's duration). Pure. */
  spec(victim: SoakVictim, holdMs: number): S;
}

/** A fault definition from its kind, its spec fields (with their JSDoc) and its behaviour. */
export function defineFault<const K extends string, F extends z.ZodRawShape>(
  def: { kind: K; fields: F } & Omit<FaultDefinition<K, F>, 'kind' | 'schema'>,
): FaultDefinition<K, F> {
  const { fields, ...rest } = def;
  return { ...rest, schema: z.strictObject({ kind: z.literal(def.kind), ...fields }) as FaultSchemaOf<K, F> };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry holds definitions of every spec shape
export type AnyFaultDefinition = FaultDefinition<string, any>;

/** The spec type of a (union of) definition(s). */
export type SpecOf<D> = D extends FaultDefinition<infer _K, infer _F> ? z.output<D['schema']> : never;

export interface FaultRegistry<D extends AnyFaultDefinition> {
  readonly definitions: readonly D[];
  /** The scenario's `fault:` schema: a discriminated union over `kind` of every definition's schema. */
  readonly schema: z.ZodType<SpecOf<D>>;
  get(kind: string): D | undefined;
}

/** A registry of fault definitions; a kind registered twice is a bug and throws. */
export function faultRegistry<D extends AnyFaultDefinition>(definitions: readonly D[]): FaultRegistry<D> {
  const byKind = new Map<string, D>();
  for (const d of definitions) {
    if (byKind.has(d.kind)) throw new HarnessError('INTERNAL', `fault kind "${d.kind}" is registered twice`);
    byKind.set(d.kind, d);
  }
  const [first, ...others] = definitions.map((d) => d.schema);
  if (!first) throw new HarnessError('INTERNAL', 'a fault registry needs at least one definition');
  return {
    definitions,
    schema: z.discriminatedUnion('kind', [first, ...others]) as unknown as z.ZodType<SpecOf<D>>,
    get: (kind) => byKind.get(kind),
  };
}
