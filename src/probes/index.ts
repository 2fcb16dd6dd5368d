// The probe registry: the scenario's `probes:` schema from every registered kind, and taking one sample of a spec.
import { z } from 'zod';
import { PROBE_COMMON, type ProbeDefinition, type ProbeRunContext, type ProbeSample } from './probe.ts';
import * as registered from './registry.ts';

export { PROBE_MODES, type ProbeMode, type ProbeRunContext, type ProbeSample } from './probe.ts';

type Registered = (typeof registered)[keyof typeof registered];
type SchemaOf<D> = D extends ProbeDefinition<infer K, infer F> ? z.ZodObject<{ kind: z.ZodLiteral<K> } & typeof PROBE_COMMON & F, z.core.$strict> : never;

const schemaOf = <K extends string, F extends z.ZodRawShape>(d: ProbeDefinition<K, F>) =>
  z.strictObject({ kind: z.literal(d.kind), ...PROBE_COMMON, ...d.fields });

const DEFINITIONS: readonly Registered[] = Object.values(registered);

/** One entry of the scenario's `probes:` list: a discriminated union over `kind` of every registered probe. */
export const ProbeSchema = z.discriminatedUnion(
  'kind',
  DEFINITIONS.map((d) => schemaOf(d as ProbeDefinition<string, z.ZodRawShape>)) as unknown as [SchemaOf<Registered>, ...SchemaOf<Registered>[]],
);

export type ProbeSpec = z.output<typeof ProbeSchema>;

/** Every probe kind, for messages. */
export const PROBE_KINDS = DEFINITIONS.map((d) => d.kind);

/** How the trial takes a sample (a unit test passes a scripted one). */
export type SampleProbe = (spec: ProbeSpec, ctx: ProbeRunContext) => Promise<ProbeSample>;

/** Take one sample of `spec`; never throws (a probe that throws is a failed sample). */
export async function sampleProbe(spec: ProbeSpec, ctx: ProbeRunContext): Promise<ProbeSample> {
  const def = DEFINITIONS.find((d) => d.kind === spec.kind) as ProbeDefinition<string, z.ZodRawShape> | undefined;
  if (!def) return { ok: false, detail: `no probe kind "${spec.kind}"` };
  try {
    return await def.sample(spec as never, ctx);
  } catch (e) {
    return { ok: false, detail: `probe error: ${(e as Error).message}` };
  }
}
