// The scenario's composed fault: steps over the registered fault kinds, serial or parallel, each with a start and a duration.
import { z } from 'zod';
import { FAULTS, FaultSchema, type FaultSpec } from '../faults/index.ts';
import { durationField as duration, msField as ms } from '../model/duration.ts';

/** A Sentinel event type to start on, e.g. "+switch-master", "+odown", "-sdown". */
const SENTINEL_EVENT = /^[+-][a-z][a-z-]*$/;

export const StepSchema = z.strictObject({
  /** The step's fault: any registered kind (not composed). */
  fault: FaultSchema,
  /** ms (or "2x") after the step's reference: the composition's start (parallel), the previous step's end (serial), or the `after` event. */
  at: duration(24 * 3_600_000).default(0),
  /**
   * Start on an observed Sentinel event: the first of this type after the reference (parallel: the
   * composition's start; serial: the previous step's landing, so the step may overlap it), then `at`.
   */
  after: z.string().regex(SENTINEL_EVENT, 'a Sentinel event type such as "+switch-master"').optional(),
  /** How long the step holds after it landed before its heal (at least the fault's own hold; a killed master waits for its failover). */
  durationMs: duration(3_600_000).default(0),
  /** Which replica (0-based, pods in name order) a fault aimed at "replica" hits; past the last one it wraps. */
  replica: z.number().int().min(0).max(64).default(0),
});

export const ComposedSchema = z.strictObject({
  kind: z.literal('composed'),
  /** serial: each step starts when the one before it has healed (or on its `after` event); parallel: every step counts from the start. */
  mode: z.enum(['serial', 'parallel']).default('serial'),
  steps: z.array(StepSchema).min(1).max(10_000),
  /** The soak seed that drew these steps (kept in the journal; the steps alone say what runs). */
  seed: z.number().int().min(0).optional(),
  /** Give up waiting for a step's `after` event after this long (the trial errs), ms. */
  afterTimeoutMs: ms(3_600_000).default(60_000),
  /**
   * A step whose victim is already under another step, or whose kind the target cannot inject, is
   * recorded as skipped, and one whose injection fails is recorded with its error, instead of failing
   * the trial (soaks draw such steps).
   */
  skipUnable: z.boolean().default(false),
  /**
   * Check the invariants at every quiescent point (no step active) and at the end: at most one master
   * outside the steps' windows, convergence within convergeMs of the last heal, sentinels agreeing, no
   * acknowledged write lost outside the windows. `haltOn: invariants` stops the run at the first violation.
   */
  invariants: z
    .strictObject({
      /** Bound on convergence after the last heal of a quiescent point; the steps' windows end there. */
      convergeMs: ms(3_600_000).default(30_000),
    })
    .optional(),
});

export type ComposedSpec = z.output<typeof ComposedSchema>;
export type StepSpec = z.output<typeof StepSchema>;

/** The scenario's `fault:`: one registered kind, or a composition of them. */
export const ScenarioFaultSchema = z.discriminatedUnion('kind', [...FAULTS.definitions.map((d) => d.schema), ComposedSchema] as never) as unknown as z.ZodType<
  FaultSpec | ComposedSpec
>;
