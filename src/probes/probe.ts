// A probe kind as one definition (its fields, how one sample is taken), and the fields every probe shares.
import { z } from 'zod';
import { msField } from '../model/duration.ts';

/** One probe sample: whether the steady-state condition held, and a short description (never a secret). */
export interface ProbeSample {
  ok: boolean;
  detail: string;
}

/** What a probe gets to take one sample. */
export interface ProbeRunContext {
  /** Aborted when the trial stops polling: the sample is abandoned and anything it started ends. */
  signal: AbortSignal;
  /** The deployment's password, for a probe that asks for it (exec: env REDIS_PASSWORD only). */
  password: string | undefined;
}

/**
 * When a probe is sampled: `before` once before the fault (a failure stops the trial without injecting),
 * `during` polled while the fault is in place, `continuous` polled from warm-up to the end, `after` once
 * after convergence.
 */
export const PROBE_MODES = ['before', 'during', 'continuous', 'after'] as const;
export type ProbeMode = (typeof PROBE_MODES)[number];

/** Fields every probe has, whatever its kind. */
export const PROBE_COMMON = {
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  mode: z.enum(PROBE_MODES),
  /** Pause between two samples of a polled probe, ms. */
  intervalMs: msField(3_600_000).min(10).default(1000),
  /** One sample's limit; a sample that outlasts it fails, ms. */
  timeoutMs: msField(600_000).min(1).default(2000),
  /** Failed samples tolerated: the probe breaks at maxFailures + 1 (consecutive or total, per `count`). */
  maxFailures: z.number().int().min(0).default(0),
  /** Whether maxFailures counts consecutive failed samples (an ok sample resets it) or all of them. */
  count: z.enum(['consecutive', 'total']).default('consecutive'),
};

export interface ProbeDefinition<K extends string, F extends z.ZodRawShape> {
  kind: K;
  /** The kind's own fields. */
  fields: F;
  /** Take one sample. Must honour ctx.signal and spec.timeoutMs, and never throw. */
  sample(spec: z.output<z.ZodObject<F>> & { timeoutMs: number }, ctx: ProbeRunContext): Promise<ProbeSample>;
}

export const defineProbe = <K extends string, F extends z.ZodRawShape>(def: ProbeDefinition<K, F>): ProbeDefinition<K, F> => def;

/** A sample's signal: the trial's, plus the probe's own timeout. */
export const sampleSignal = (ctx: ProbeRunContext, timeoutMs: number): AbortSignal => AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);

/** Why a fetch failed, in a few words. */
export function fetchFailure(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } };
  if (err.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (err.name === 'AbortError') return 'abandoned';
  const c = err.cause;
  return c?.code ?? c?.errors?.[0]?.code ?? c?.message ?? err.message;
}
