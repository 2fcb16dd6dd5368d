// Failover time as any client sees it, with or without the acknowledging node: fault → first acknowledged write invoked after the fault.
import { nsToMs } from '../clock.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';
import type { Op } from '../model/history.ts';

/** Nanoseconds of the first acknowledgement of a write invoked after `faultNs` (a write the dead master cannot have taken). */
export function firstAckInvokedAfter(history: readonly Op[], faultNs: number): number | null {
  const invokedAt = new Map<string, number>();
  let first: number | null = null;
  for (const op of history) {
    if (op.type === 'invoke') invokedAt.set(op.key, op.ns);
    else if (op.type === 'ok' && (invokedAt.get(op.key) ?? -1) > faultNs && (first === null || op.ns < first)) first = op.ns;
  }
  return first;
}

/**
 * Figure failover_ms: fault → first acknowledged write invoked after the fault. Unlike checkFailoverTime it
 * needs no `node` on the acknowledgements (a driver may not know which server answered).
 * valid: 'unknown' without a fault; false when no such write was acknowledged or it came after sloMs.
 */
export function checkResumeTime(input: TrialInput, config: { sloMs: number }): CheckResult {
  const name = 'failover-time';
  const { faultNs } = input;
  if (faultNs === null) return { name, valid: 'unknown', figures: { failover_ms: null }, explanation: 'no fault landed, so failover time cannot be measured' };
  const ackNs = firstAckInvokedAfter(input.history, faultNs);
  const ms = ackNs === null ? null : nsToMs(ackNs - faultNs);
  const slo = `SLO ≤ ${config.sloMs} ms`;
  return {
    name,
    valid: ms !== null && ms <= config.sloMs,
    figures: { failover_ms: ms },
    explanation:
      ms === null
        ? `no write invoked after the fault was acknowledged (${slo})`
        : `first acknowledged write invoked after the fault: ${ms} ms (${slo}${ms > config.sloMs ? ', exceeded' : ''})`,
  };
}
