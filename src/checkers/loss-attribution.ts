// Who acknowledged the writes that were lost: the old master after the fault (a loss the seed's settings allow) or anyone else.
import type { Op } from '../model/history.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';
import { checkWriteLoss } from './write-loss.ts';

/**
 * Lost writes (acknowledged, absent from the read-back) split by who acknowledged them and when.
 * `sinceNs` (default: the fault landing) is where "after the fault" starts; the harness passes the
 * instant it began injecting, since a write the old master acknowledged while the fault was being
 * put in place is lost for the same reason.
 */
export function attributeLoss(input: TrialInput, sinceNs: number | null = input.faultNs): { fromOldMasterAfterFault: Op[]; other: Op[] } {
  const present = input.readBack?.present ?? new Set<string>();
  const firstAck = new Map<string, Op>();
  for (const op of input.history) if (op.type === 'ok' && !firstAck.has(op.key)) firstAck.set(op.key, op);
  const lost = [...firstAck.values()].filter((op) => !present.has(op.key));
  const fromOld = (op: Op) => sinceNs !== null && op.ns > sinceNs && op.node !== undefined && op.node === input.oldMaster;
  return { fromOldMasterAfterFault: lost.filter(fromOld), other: lost.filter((op) => !fromOld(op)) };
}

/**
 * write-loss with the scenario's acceptance: lost writes the old master acknowledged after the fault
 * are accepted (and returned as a warning) when `acceptLossFromOldMaster`; every other lost write
 * counts against maxLost. Figures: those of checkWriteLoss plus writes_lost_old_master.
 */
export function checkWriteLossAttributed(
  input: TrialInput,
  config: { maxLost: number; acceptLossFromOldMaster: boolean; maxLostFromOldMaster?: number; sinceNs?: number | null },
): { check: CheckResult; warning: string | null } {
  const { fromOldMasterAfterFault: old, other } = attributeLoss(input, config.sinceNs === undefined ? input.faultNs : config.sinceNs);
  return attributedResult(
    input,
    { fromOldMasterAfterFault: old.length, other: other.length, otherFirst: other.slice(0, 3) },
    (maxLost) => checkWriteLoss(input, { maxLost }),
    config,
  );
}

/** Lost writes by attribution: counts, and the first few (by acknowledgement) of those not excused, to name them. */
export interface LossAttribution {
  fromOldMasterAfterFault: number;
  other: number;
  otherFirst: Op[];
}

/** write-loss with the acceptance, from the attribution and the base check at a given bound (in memory above, in one pass in history-fold.ts). */
export function attributedResult(
  input: Pick<TrialInput, 'readBack' | 'oldMaster'>,
  attribution: LossAttribution,
  baseCheck: (maxLost: number) => CheckResult,
  config: { maxLost: number; acceptLossFromOldMaster: boolean; maxLostFromOldMaster?: number },
): { check: CheckResult; warning: string | null } {
  const { fromOldMasterAfterFault: old, other, otherFirst } = attribution;
  // Beyond maxLostFromOldMaster the old master's losses count against maxLost like any other.
  const accepted = config.acceptLossFromOldMaster ? Math.min(old, config.maxLostFromOldMaster ?? Infinity) : 0;
  const base = baseCheck(config.maxLost + accepted);
  if (input.readBack === null || base.valid === 'unknown') return { check: base, warning: null };
  const unexpected = base.figures.writes_unexpected ?? 0;
  const counted = other + (old - accepted);
  const valid = counted <= config.maxLost && unexpected === 0;
  const figures = { ...base.figures, writes_lost_old_master: old };
  const warning =
    accepted > 0
      ? config.maxLostFromOldMaster === undefined
        ? `${accepted} writes acknowledged by the old master ${input.oldMaster} after the fault were lost (accepted: the deployment has no min-replicas-to-write, so an isolated or returning master keeps acknowledging writes that the failover discards)`
        : `${accepted} writes acknowledged by the old master ${input.oldMaster} after the fault were lost (accepted up to ${config.maxLostFromOldMaster}: the bound min-replicas-to-write / min-replicas-max-lag puts on what an isolated or returning master acknowledges)`
      : null;
  const explanation = valid
    ? base.explanation
    : `${counted} lost writes count against the bound of ${config.maxLost}` +
      (other
        ? ` (${other} not acknowledged by the old master after the fault, e.g. ${otherFirst
            .slice(0, 3)
            .map((o) => `${o.key} by ${o.node ?? '?'}`)
            .join(', ')})`
        : '') +
      (unexpected ? `; ${unexpected} unexpected keys present` : '') +
      `; ${base.explanation}`;
  return { check: { name: 'write-loss', valid, figures, explanation }, warning };
}
