// A fault that must not cause a failover: no +switch-master while it was in place.
import { isSwitchMaster } from './phases.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';

/**
 * valid: no +switch-master for this master after the fault landed and up to `untilNs` (the end of the
 * fault's hold, before the heal); 'unknown' without a fault.
 */
export function checkNoFailover(input: TrialInput, config: { untilNs: number }): CheckResult {
  const name = 'no-failover';
  const { faultNs, masterName } = input;
  if (faultNs === null) return { name, valid: 'unknown', figures: {}, explanation: 'no fault landed, so there was no failover to rule out' };
  const switches = input.events.filter((e) => e.ns > faultNs && e.ns <= config.untilNs && isSwitchMaster(e, masterName));
  return {
    name,
    valid: switches.length === 0,
    figures: {},
    explanation:
      switches.length === 0
        ? 'no +switch-master while the fault was in place, as expected'
        : `unexpected failover: ${switches[0]!.source} ${switches[0]!.detail}`,
  };
}
