// Jepsen set-style durability: every acknowledged write must be found on the final master, and nothing that never happened.
import { nsToMs } from '../clock.ts';
import type { CheckResult, Figures, TrialInput } from '../model/check.ts';

export const MAX_NAMED_KEYS = 10;

/**
 * Compares the read-back set with the history (each write key unique).
 * lost: acknowledged but absent. recovered: indeterminate (info, or invoked and never completed) but present.
 * unexpected: present but never invoked, or definitely failed.
 * Figures writes_lost, writes_recovered, writes_unexpected, and lost_first_ms / lost_last_ms (ack time of the
 * earliest / latest lost write relative to the fault; null when nothing was lost or there was no fault).
 * valid: 'unknown' without a read-back; false when lost > maxLost or anything unexpected is present.
 */
export function checkWriteLoss(input: TrialInput, config: { maxLost: number }): CheckResult {
  const name = 'write-loss';
  const { readBack, faultNs } = input;
  if (readBack === null) {
    const figures: Figures = {
      writes_lost: null,
      writes_recovered: null,
      writes_unexpected: null,
      lost_first_ms: null,
      lost_last_ms: null,
    };
    return { name, valid: 'unknown', figures, explanation: 'no read-back after the trial, so lost writes cannot be determined' };
  }

  const invoked = new Set<string>();
  const ackNs = new Map<string, number>();
  const failedOrInfo = new Map<string, 'fail' | 'info'>();
  for (const op of input.history) {
    if (op.f !== 'write') continue;
    if (op.type === 'invoke') invoked.add(op.key);
    else if (op.type === 'ok') ackNs.set(op.key, Math.min(op.ns, ackNs.get(op.key) ?? Infinity));
    else if (failedOrInfo.get(op.key) !== 'fail') failedOrInfo.set(op.key, op.type);
  }
  const failed = (key: string): boolean => !ackNs.has(key) && failedOrInfo.get(key) === 'fail';
  const indeterminate = [...invoked].filter((key) => !ackNs.has(key) && failedOrInfo.get(key) !== 'fail');

  const present = readBack.present;
  const lost = [...ackNs].filter(([key]) => !present.has(key)).sort((a, b) => a[1] - b[1]);
  return writeLossResult(
    {
      acked: ackNs.size,
      lost: { count: lost.length, firstNs: lost[0]?.[1] ?? null, lastNs: lost.at(-1)?.[1] ?? null, keys: lost.slice(0, MAX_NAMED_KEYS).map(([key]) => key) },
      recovered: indeterminate.filter((key) => present.has(key)).length,
      indeterminate: indeterminate.length,
      unexpected: [...present].filter((key) => !invoked.has(key) || failed(key)).sort(),
    },
    readBack.node,
    faultNs,
    config,
  );
}

/** What write-loss counts, however the history was read (in memory here, in one pass in history-fold.ts). */
export interface WriteLossCounts {
  acked: number;
  /** How many writes were lost, the earliest and latest first acknowledgement among them, the first MAX_NAMED_KEYS keys by that time. */
  lost: LostCounts;
  recovered: number;
  indeterminate: number;
  /** Sorted. */
  unexpected: string[];
}

export interface LostCounts {
  count: number;
  firstNs: number | null;
  lastNs: number | null;
  keys: string[];
}

/** The write-loss check from its counts. */
export function writeLossResult(c: WriteLossCounts, node: string, faultNs: number | null, config: { maxLost: number }): CheckResult {
  const name = 'write-loss';
  const { lost, unexpected } = c;
  const relative = (ns: number | null): number | null => (ns === null || faultNs === null ? null : nsToMs(ns - faultNs));
  const figures: Figures = {
    writes_lost: lost.count,
    writes_recovered: c.recovered,
    writes_unexpected: unexpected.length,
    lost_first_ms: relative(lost.firstNs),
    lost_last_ms: relative(lost.lastNs),
  };

  const parts: string[] = [];
  if (lost.count === 0) {
    parts.push(`all ${c.acked} acknowledged writes present on ${node}`);
  } else {
    const window = faultNs === null ? '' : `; acknowledged between ${figures.lost_first_ms} ms and ${figures.lost_last_ms} ms relative to the fault`;
    parts.push(`${lost.count} of ${c.acked} acknowledged writes lost (max ${config.maxLost}), missing on ${node}: ${named(lost.keys, lost.count)}${window}`);
  }
  if (unexpected.length > 0) {
    parts.push(`${unexpected.length} unexpected keys present (never invoked or definitely failed): ${named(unexpected, unexpected.length)}`);
  }
  parts.push(`${c.recovered} of ${c.indeterminate} indeterminate writes recovered`);

  const valid = lost.count <= config.maxLost && unexpected.length === 0;
  return { name, valid, figures, explanation: parts.join('; ') };
}

/** The first keys of `count` (`keys` holds at least the first MAX_NAMED_KEYS of them). */
function named(keys: readonly string[], count: number): string {
  const shown = keys.slice(0, MAX_NAMED_KEYS);
  return count > shown.length ? `${shown.join(', ')} and ${count - shown.length} more` : shown.join(', ');
}
