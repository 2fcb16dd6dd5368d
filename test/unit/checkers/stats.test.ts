import { describe, expect, it } from 'vitest';
import { QUANTILE_DEFINITION, quantile, summarize } from '../../../src/checkers/stats.ts';

const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('quantile (nearest rank)', () => {
  it('p95 of 1..20 is 19', () => {
    expect(quantile(oneTo(20), 0.95)).toBe(19);
  });

  it('does not skip a rank when p × n rounds above an integer', () => {
    // 0.07 * 100 === 7.000000000000001 in floating point.
    expect(quantile(oneTo(100), 0.07)).toBe(7);
  });

  it('p 0 is the minimum and p 1 the maximum', () => {
    expect(quantile([2, 4, 8], 0)).toBe(2);
    expect(quantile([2, 4, 8], 1)).toBe(8);
  });

  it('rejects an empty array and p outside [0, 1]', () => {
    expect(() => quantile([], 0.5)).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
    expect(() => quantile([1], Number.NaN)).toThrow(RangeError);
  });

  it('definition states the rank rule', () => {
    expect(QUANTILE_DEFINITION).toContain('ceil(p × n)');
  });
});

describe('summarize', () => {
  it('median of [5, 1, 3] is 3', () => {
    expect(summarize([5, 1, 3])?.median).toBe(3);
  });

  it('median of [1, 2, 3, 4] is 2 by nearest rank, not 2.5', () => {
    expect(summarize([1, 2, 3, 4])?.median).toBe(2);
  });

  it('summarizes 1..20 completely', () => {
    const shuffled = [7, 20, 1, 13, 2, 19, 3, 18, 4, 17, 5, 16, 6, 15, 8, 14, 9, 12, 10, 11];
    expect(summarize(shuffled)).toEqual({ n: 20, min: 1, median: 10, p95: 19, max: 20, mean: 10.5 });
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    summarize(values);
    expect(values).toEqual([3, 1, 2]);
  });

  it('rounds the mean to 3 decimals', () => {
    expect(summarize([1, 1, 2])?.mean).toBe(1.333);
  });

  it('returns null for no values and throws on non-finite ones', () => {
    expect(summarize([])).toBeNull();
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
  });
});
