// After the heal the deployment must converge again: one master, replicas in sync, sentinels agreeing.
import type { CheckResult, TrialInput } from '../model/check.ts';

/** valid when convergence was seen (`convergenceMs` after the heal); false with the last reason when `timeoutMs` ran out. */
export function checkConvergedAfterHeal(_input: TrialInput, config: { convergenceMs: number | null; lastReason: string; timeoutMs: number }): CheckResult {
  const { convergenceMs, lastReason, timeoutMs } = config;
  const converged = convergenceMs !== null;
  return {
    name: 'convergence',
    valid: converged,
    figures: { convergence_ms: convergenceMs },
    explanation: converged
      ? `converged ${convergenceMs} ms after the heal: one master, replicas online and in sync, sentinels agree on master and epoch, no TILT`
      : `not converged ${timeoutMs} ms after the heal: ${lastReason}`,
  };
}
