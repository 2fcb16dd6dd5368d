// The pod a fault hit must come back as a replica of the current master with its link up.
import type { CheckResult, TrialInput } from '../model/check.ts';

/** valid when the pod was seen rejoined (`rejoinMs` after the heal); false when the wait of `timeoutMs` ran out (`rejoinMs` null). */
export function checkRejoin(_input: TrialInput, config: { pod: string; rejoinMs: number | null; timeoutMs: number }): CheckResult {
  const { pod, rejoinMs, timeoutMs } = config;
  const rejoined = rejoinMs !== null;
  return {
    name: 'rejoin',
    valid: rejoined,
    figures: { rejoin_ms: rejoinMs },
    explanation: rejoined
      ? `${pod} is a replica of the current master with its link up ${rejoinMs} ms after the heal`
      : `${pod} was not a replica of the current master with its link up within ${timeoutMs} ms of the heal`,
  };
}
