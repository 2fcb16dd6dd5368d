// Failover duration as the client saw it (first ack by a new master) and as Sentinel announced it (+switch-master), against an SLO.
import { nsToMs } from '../clock.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';
import { firstEventAfter, firstNewMasterAckNs, isSwitchMaster } from './phases.ts';

/**
 * Figures failover_ms (fault → first write acknowledged by a node other than the old master) and
 * sentinel_failover_ms (fault → first +switch-master for this master), in ms.
 * valid: 'unknown' without a fault or old master; false when either was not observed or exceeds sloMs.
 */
export function checkFailoverTime(input: TrialInput, config: { sloMs: number }): CheckResult {
  const name = 'failover-time';
  const { faultNs, oldMaster, masterName } = input;
  const slo = `SLO ≤ ${config.sloMs} ms`;

  const ackNs = firstNewMasterAckNs(input);
  const switchNs = faultNs === null ? undefined : firstEventAfter(input.events, faultNs, (e) => isSwitchMaster(e, masterName))?.ns;
  const clientMs = faultNs === null || ackNs === null ? null : nsToMs(ackNs - faultNs);
  const sentinelMs = faultNs === null || switchNs === undefined ? null : nsToMs(switchNs - faultNs);
  const figures = { failover_ms: clientMs, sentinel_failover_ms: sentinelMs };

  if (faultNs === null || oldMaster === null) {
    const what = faultNs === null ? 'no fault landed' : 'the master at fault time is unknown';
    return { name, valid: 'unknown', figures, explanation: `${what}, so failover time cannot be measured (${slo})` };
  }

  const over = (ms: number | null): boolean => ms !== null && ms > config.sloMs;
  const clientText =
    clientMs === null
      ? `no write acknowledged by a node other than the old master ${oldMaster} after the fault`
      : `client-observed failover ${clientMs} ms (${slo}${over(clientMs) ? ', exceeded' : ''})`;
  const sentinelText =
    sentinelMs === null
      ? `no +switch-master for ${masterName} after the fault`
      : `Sentinel-observed ${sentinelMs} ms${over(sentinelMs) ? ` (exceeds ${slo})` : ''}`;

  const valid = clientMs !== null && sentinelMs !== null && !over(clientMs) && !over(sentinelMs);
  return { name, valid, figures, explanation: `${clientText}; ${sentinelText}` };
}
