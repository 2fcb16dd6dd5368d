// Shrinking a failing schedule: drop steps (delta debugging over complements) while the schedule still fails.

export interface ShrinkResult<T> {
  steps: T[];
  /** How many candidate schedules were tried. */
  runs: number;
  /** Each candidate's size and whether it still failed, in order. */
  tried: Array<{ size: number; failed: boolean }>;
}

/**
 * The smallest schedule found (within `maxRuns` tries of `fails`) that still fails: try the schedule without
 * one of n chunks, keep the first that still fails (n shrinks by one), otherwise split finer (n doubles), until
 * single steps have been tried. Steps keep their order and their own offsets.
 */
export async function shrinkSteps<T>(steps: readonly T[], fails: (candidate: T[]) => Promise<boolean>, opts: { maxRuns: number }): Promise<ShrinkResult<T>> {
  let current = [...steps];
  let n = 2;
  const tried: ShrinkResult<T>['tried'] = [];
  while (current.length > 1 && tried.length < opts.maxRuns) {
    const size = Math.ceil(current.length / n);
    let reduced = false;
    for (let i = 0; i < current.length && tried.length < opts.maxRuns; i += size) {
      const candidate = [...current.slice(0, i), ...current.slice(i + size)];
      const failed = await fails(candidate);
      tried.push({ size: candidate.length, failed });
      if (failed) {
        current = candidate;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (size === 1) break;
      n = Math.min(current.length, n * 2);
    }
  }
  return { steps: current, runs: tried.length, tried };
}
