// Runs a trial's checkers so that one crashing checker cannot hide the others, and combines their verdicts.
import type { CheckResult, Checker, Figures, TrialInput, Validity } from '../model/check.ts';

/** A checker with its configuration bound; name is used when the checker throws before naming its result. */
export interface BoundCheck {
  name: string;
  run: (input: TrialInput) => CheckResult;
}

/** Binds a checker to its configuration under the given name. */
export function bindCheck<C>(name: string, checker: Checker<C>, config: C): BoundCheck {
  return { name, run: (input) => checker(input, config) };
}

/**
 * Runs every check on the input in order. A check that throws yields
 * { valid: 'unknown', explanation: 'checker threw: <message>' } instead of aborting the rest (Jepsen check-safe).
 */
export function runChecks(input: TrialInput, checks: readonly BoundCheck[]): CheckResult[] {
  return checks.map((check) => {
    try {
      return check.run(input);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { name: check.name, valid: 'unknown', figures: {}, explanation: `checker threw: ${message}` };
    }
  });
}

/** false if any result is false, else 'unknown' if any is unknown, else true (also for no results). */
export function overall(results: readonly CheckResult[]): Validity {
  if (results.some((r) => r.valid === false)) return false;
  if (results.some((r) => r.valid === 'unknown')) return 'unknown';
  return true;
}

/** All results' figures in one record; when two results name the same figure, the first non-null value wins. */
export function mergeFigures(results: readonly CheckResult[]): Figures {
  const merged: Figures = {};
  for (const { figures } of results) {
    for (const [key, value] of Object.entries(figures)) {
      if (merged[key] === undefined || merged[key] === null) merged[key] = value;
    }
  }
  return merged;
}
