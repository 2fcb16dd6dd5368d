// Pod lifecycle figures from the orchestrator's pod events: when the victim pod was deleted,
// rescheduled and ready again, relative to the fault, next to the failover phases. Pure.
import { nsToMs } from '../clock.ts';
import type { TrialEvent } from '../model/events.ts';

const FIGURES = [
  ['pod-deleted', 'pod_deleted_ms'],
  ['pod-scheduled', 'pod_rescheduled_ms'],
  ['ready', 'pod_ready_ms'],
] as const;

/**
 * The first of each lifecycle event of `pod` at or after `faultNs` (ms from the fault); figures whose
 * event was not seen are left out (targets without pod events, faults that delete nothing).
 */
export function podLifecycleFigures(events: readonly TrialEvent[], pod: string, faultNs: number): Record<string, number> {
  const out: Record<string, number> = {};
  // The victim's "ready" only counts once it was gone or not ready first.
  let down = false;
  for (const e of events) {
    if (e.kind !== 'pod' || e.source !== pod || e.ns < faultNs) continue;
    if (e.type === 'pod-deleted' || e.type === 'pod-terminating' || e.type === 'not-ready') down = true;
    for (const [type, figure] of FIGURES) {
      if (e.type !== type || figure in out) continue;
      if (type === 'ready' && !down) continue;
      out[figure] = nsToMs(e.ns - faultNs);
    }
  }
  return out;
}
