// Shrinking a failing schedule with a deterministic predicate: the result still fails and no step of it can go.
import { describe, expect, it } from 'vitest';
import { shrinkSteps } from '../../../src/runner/shrink.ts';

describe('shrinkSteps', () => {
  it('finds the two steps whose pair makes the failure, keeping their order', async () => {
    const steps = Array.from({ length: 20 }, (_, i) => i);
    const fails = async (c: number[]) => c.includes(7) && c.includes(13);
    const r = await shrinkSteps(steps, fails, { maxRuns: 200 });
    expect(r.steps).toEqual([7, 13]);
    expect(await fails(r.steps)).toBe(true);
    // 1-minimal: dropping either step passes.
    expect(await fails([7])).toBe(false);
    expect(await fails([13])).toBe(false);
    expect(r.runs).toBe(r.tried.length);
    expect(r.runs).toBeLessThan(60);
  });

  it('shrinks to one step when one alone fails, and stops at maxRuns with the best found so far', async () => {
    const steps = Array.from({ length: 32 }, (_, i) => i);
    expect((await shrinkSteps(steps, async (c) => c.includes(30), { maxRuns: 100 })).steps).toEqual([30]);
    const bounded = await shrinkSteps(steps, async (c) => c.includes(30), { maxRuns: 2 });
    expect(bounded.runs).toBe(2);
    expect(bounded.steps).toContain(30);
    expect(bounded.steps.length).toBeLessThan(32);
  });

  it('leaves a schedule whose every step is needed as it is', async () => {
    const steps = [1, 2, 3, 4];
    const r = await shrinkSteps(steps, async (c) => c.length === 4, { maxRuns: 50 });
    expect(r.steps).toEqual(steps);
    expect(r.tried.every((t) => !t.failed)).toBe(true);
  });
});
