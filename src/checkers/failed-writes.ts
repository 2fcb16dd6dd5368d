// Faults that must not disturb the workload: a bound on writes refused or not acknowledged in time.
import type { CheckResult, TrialInput } from '../model/check.ts';

/** Counts distinct keys with a fail or info (no reply within the client's timeout) op; valid when at most `maxFailedWrites`. */
export function checkFailedWrites(input: TrialInput, config: { maxFailedWrites: number; commandTimeoutMs: number }): CheckResult {
  const refused = new Set(input.history.filter((o) => o.type === 'fail' || o.type === 'info').map((o) => o.key));
  return {
    name: 'failed-writes',
    valid: refused.size <= config.maxFailedWrites,
    figures: { writes_not_acked_in_time: refused.size },
    explanation: `${refused.size} writes failed or were not acknowledged within ${config.commandTimeoutMs} ms (bound ${config.maxFailedWrites})`,
  };
}
