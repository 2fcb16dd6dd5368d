// Scenario durations: ms, or multiples of the deployment's down-after ("3x", "3x+15000"), and their zod fields.
import { z } from 'zod';

/** A whole number of ms from 0 to `max`. */
export const msField = (max: number) => z.number().int().min(0).max(max);

/**
 * A duration in ms, or a multiple of the deployment's down-after-milliseconds written "<n>x", optionally
 * plus a fixed part in ms ("3x+12000"), so one scenario keeps its meaning when down-after changes
 * (integration tests use 1000 ms) while fixed Sentinel periods stay fixed.
 */
export type Duration = number | string;

const DURATION_RE = /^(\d+(?:\.\d+)?)x(?:\+(\d+))?$/;

/** A {@link Duration} field of at most 100x down-after plus `maxMs`. */
export const durationField = (maxMs: number) =>
  z.union([
    msField(maxMs),
    z
      .string()
      .regex(DURATION_RE, 'a number of ms, or a multiple of down-after such as "3x" or "3x+12000"')
      .refine((v) => Number(DURATION_RE.exec(v)?.[1]) <= 100 && Number(DURATION_RE.exec(v)?.[2] ?? 0) <= maxMs, `at most 100x down-after plus ${maxMs} ms`),
  ]);

/** Resolve a {@link Duration} against the deployment's effective down-after. */
export function durationMs(d: Duration, downAfterMs: number): number {
  if (typeof d === 'number') return d;
  const m = DURATION_RE.exec(d);
  if (!m) throw new RangeError(`not a duration: ${d}`);
  return Math.round(Number(m[1]) * downAfterMs) + Number(m[2] ?? 0);
}
