// Summary statistics over a figure's values across trials, using the nearest-rank quantile.
import type { Stats } from '../model/figures.ts';

export const QUANTILE_DEFINITION =
  'The p-quantile of n values sorted ascending is the value at 1-based rank ceil(p × n) (nearest rank, no interpolation), so the median is the value at rank ceil(0.5 × n).';

// p * n can land a hair above an integer (0.07 * 100 = 7.000000000000001), which would skip a rank.
const RANK_EPSILON = 1e-9;

/**
 * Nearest-rank quantile of an ascending-sorted, non-empty array: the value at 1-based rank ceil(p × n).
 * p = 0 yields the minimum. Throws RangeError on an empty array or p outside [0, 1].
 */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of an empty array');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantile p must be in [0, 1], got ${p}`);
  return sorted[nearestRank(sorted.length, p) - 1]!;
}

/** The 1-based rank `quantile` takes among n values (for counted values, e.g. a histogram). */
export function nearestRank(n: number, p: number): number {
  return Math.min(n, Math.max(1, Math.ceil(p * n - RANK_EPSILON)));
}

/**
 * n, min, median, p95, max and mean of the values (nearest-rank quantiles, mean rounded to 3 decimals);
 * null for an empty input. Throws RangeError if any value is not finite.
 */
export function summarize(values: readonly number[]): Stats | null {
  if (values.length === 0) return null;
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`cannot summarize a non-finite value: ${v}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((acc, v) => acc + v, 0);
  return {
    n: sorted.length,
    min: sorted[0]!,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted[sorted.length - 1]!,
    mean: Math.round((sum / sorted.length) * 1e3) / 1e3,
  };
}
