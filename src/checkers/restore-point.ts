// A restore to a backup discards what came after the backup: set those writes aside before the loss check.
import type { Figures, TrialInput } from '../model/check.ts';

/**
 * Without a restore point, the input unchanged. With one, the keys whose first acknowledgement came
 * after it leave the history and the read-back (their loss is the restore's, by design), and the
 * figures say how many there were and how many of them the restore discarded.
 */
export function restoredAway(input: TrialInput, restorePointNs: number | undefined): { input: TrialInput; figures: Figures; warning: string | null } {
  if (restorePointNs === undefined) return { input, figures: {}, warning: null };
  const firstAck = new Map<string, number>();
  for (const op of input.history) if (op.type === 'ok' && !firstAck.has(op.key)) firstAck.set(op.key, op.ns);
  const after = new Set([...firstAck].filter(([, ns]) => ns > restorePointNs).map(([k]) => k));
  const history = input.history.filter((o) => !after.has(o.key));
  const readBack = input.readBack && { ...input.readBack, present: new Set([...input.readBack.present].filter((k) => !after.has(k))) };
  const lost = input.readBack ? [...after].filter((k) => !input.readBack!.present.has(k)).length : null;
  return {
    input: { ...input, history, readBack },
    figures: { writes_acked_after_backup: after.size, writes_lost_after_backup: lost },
    warning: lost
      ? `${lost} of ${after.size} writes acknowledged after the backup were discarded by the restore (by design: a restore returns to the backup)`
      : null,
  };
}
