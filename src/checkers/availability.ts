// Write availability over the trial: how many writes were acknowledged and the longest stretch without an acknowledgement.
import { nsToMs } from '../clock.ts';
import type { Op } from '../model/history.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';

export interface Outage {
  ms: number;
  startNs: number;
  endNs: number;
}

/**
 * The longest interval without an acknowledged write: first invoke → first ok, then between consecutive oks,
 * and, when writes were still invoked after the last ok, last ok → last operation in the history
 * (otherwise a failover that never recovered would hide behind a short earlier gap).
 * With no ok at all it spans first invoke → last operation. null when nothing was invoked.
 */
export function longestOutage(history: readonly Op[]): Outage | null {
  const invokes = history.filter((op) => op.type === 'invoke').map((op) => op.ns);
  if (invokes.length === 0) return null;
  // Reduce rather than Math.min(...xs): long histories overflow the argument limit.
  const firstInvoke = invokes.reduce((a, b) => Math.min(a, b));
  const lastInvoke = invokes.reduce((a, b) => Math.max(a, b));
  const lastNs = history.reduce((a, op) => Math.max(a, op.ns), lastInvoke);
  const oks = history
    .filter((op) => op.type === 'ok')
    .map((op) => op.ns)
    .sort((a, b) => a - b);

  const points = [firstInvoke, ...oks];
  if (oks.length === 0 || lastInvoke > oks[oks.length - 1]!) points.push(lastNs);
  let best: Outage = { ms: 0, startNs: firstInvoke, endNs: firstInvoke };
  for (let i = 1; i < points.length; i++) {
    const startNs = points[i - 1]!;
    const endNs = points[i]!;
    const ms = nsToMs(endNs - startNs);
    if (ms > best.ms) best = { ms, startNs, endNs };
  }
  return best;
}

/**
 * Figures writes_invoked, writes_acked (within the client's timeout), writes_failed, writes_indeterminate,
 * writes_late (acknowledged after the timeout), availability (acked / invoked, 4 decimals) and outage_ms (see longestOutage). valid: 'unknown' when no write was invoked; false when
 * maxOutageMs is given and outage_ms exceeds it; true otherwise.
 */
export function checkAvailability(input: TrialInput, config: { maxOutageMs?: number }): CheckResult {
  const writes = input.history.filter((op) => op.f === 'write');
  const count = (type: Op['type']): number => writes.filter((op) => op.type === type).length;
  const invoked = count('invoke');
  // A late acknowledgement reached the client after it had given up: not available from its view.
  const acked = writes.filter((op) => op.type === 'ok' && !op.late).length;
  const late = writes.filter((op) => op.type === 'ok' && op.late).length;
  const failed = count('fail');
  const indeterminate = count('info');
  const outage = longestOutage(writes);
  const availability = invoked === 0 ? null : Math.round((acked / invoked) * 1e4) / 1e4;
  const figures = {
    writes_invoked: invoked,
    writes_acked: acked,
    writes_failed: failed,
    writes_indeterminate: indeterminate,
    writes_late: late,
    availability,
    outage_ms: outage?.ms ?? null,
  };

  return availabilityResult(figures, outage, input.faultNs, config);
}

/** The availability check from its figures and longest outage (in memory above, in one pass in history-fold.ts). */
export function availabilityResult(
  figures: {
    writes_invoked: number;
    writes_acked: number;
    writes_failed: number;
    writes_indeterminate: number;
    writes_late: number;
    availability: number | null;
    outage_ms: number | null;
  },
  outage: Outage | null,
  faultNs: number | null,
  config: { maxOutageMs?: number },
): CheckResult {
  const name = 'availability';
  const { writes_invoked: invoked, writes_acked: acked, writes_failed: failed, writes_indeterminate: indeterminate, writes_late: late } = figures;
  if (invoked === 0 || outage === null) {
    return { name, valid: 'unknown', figures, explanation: 'no writes were invoked, so availability cannot be measured' };
  }

  const window = faultNs === null ? '' : ` (from ${nsToMs(outage.startNs - faultNs)} ms to ${nsToMs(outage.endNs - faultNs)} ms relative to the fault)`;
  const bound = config.maxOutageMs === undefined ? '' : ` (max ${config.maxOutageMs} ms)`;
  const valid = config.maxOutageMs === undefined || outage.ms <= config.maxOutageMs;
  return {
    name,
    valid,
    figures,
    explanation:
      `${acked}/${invoked} writes acknowledged within the client's timeout (${failed} failed, ${indeterminate} indeterminate, ${late} of those acknowledged late); ` +
      `longest interval without an acknowledged write ${outage.ms} ms${bound}${window}`,
  };
}
