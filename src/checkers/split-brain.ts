// Split brain: every interval in which more than one node claims to be master, and whether more than one accepted writes in it.
import { nsToMs } from '../clock.ts';
import type { TrialEvent } from '../model/events.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';

export interface SplitBrainInterval {
  startNs: number;
  endNs: number;
  /** Nodes claiming master in the interval. */
  masters: string[];
  /** Nodes that acknowledged a write during the interval. */
  writers: string[];
}

/** Intervals, from the role events, in which ≥ 2 nodes' latest answer to ROLE was "master". Open intervals close at `endNs`. */
export function splitBrainIntervals(events: readonly TrialEvent[], endNs: number): Array<{ startNs: number; endNs: number; masters: string[] }> {
  const role = new Map<string, string>();
  const out: Array<{ startNs: number; endNs: number; masters: string[] }> = [];
  let open: { startNs: number; masters: Set<string> } | null = null;
  for (const e of [...events].filter((x) => x.kind === 'role').sort((a, b) => a.ns - b.ns)) {
    role.set(e.source, e.type);
    const masters = [...role].filter(([, r]) => r === 'master').map(([n]) => n);
    if (masters.length > 1 && !open) open = { startNs: e.ns, masters: new Set(masters) };
    else if (masters.length > 1 && open) masters.forEach((m) => open!.masters.add(m));
    else if (masters.length <= 1 && open) {
      out.push({ startNs: open.startNs, endNs: e.ns, masters: [...open.masters].sort() });
      open = null;
    }
  }
  if (open) out.push({ startNs: open.startNs, endNs: Math.max(endNs, open.startNs), masters: [...open.masters].sort() });
  return out;
}

/**
 * Figures split_brain_ms (total time with more than one master), split_brain_intervals,
 * split_brain_dual_write_ms (time within those intervals in which more than one node acknowledged writes),
 * demoted_ms (fault → the old master first answers ROLE as a replica; null if never).
 * valid false when split_brain_ms exceeds maxSplitBrainMs; 'unknown' without role samples.
 */
export function checkSplitBrain(input: TrialInput, config: { maxSplitBrainMs: number }): CheckResult {
  const name = 'split-brain';
  const roles = input.events.filter((e) => e.kind === 'role');
  // A fold, not Math.max(...xs): a long history overflows the argument limit (seen on a 186 s trial).
  const endNs = [...input.events, ...input.history].reduce((m, x) => (x.ns > m ? x.ns : m), 0);
  const intervals: SplitBrainInterval[] = splitBrainIntervals(roles, endNs).map((i) => ({
    ...i,
    writers: [...new Set(input.history.filter((o) => o.type === 'ok' && o.ns >= i.startNs && o.ns <= i.endNs && o.node).map((o) => o.node!))].sort(),
  }));
  const totalMs = nsToMs(intervals.reduce((s, i) => s + (i.endNs - i.startNs), 0));
  const dual = intervals.filter((i) => i.writers.length > 1);
  const demoted =
    input.faultNs !== null && input.oldMaster !== null
      ? roles.find((e) => e.source === input.oldMaster && e.ns > input.faultNs! && e.type === 'slave')
      : undefined;
  const figures = {
    split_brain_ms: totalMs,
    split_brain_intervals: intervals.length,
    split_brain_dual_write_ms: nsToMs(dual.reduce((s, i) => s + (i.endNs - i.startNs), 0)),
    demoted_ms: demoted && input.faultNs !== null ? nsToMs(demoted.ns - input.faultNs) : null,
  };
  if (roles.length === 0) return { name, valid: 'unknown', figures, explanation: 'no ROLE samples were taken' };
  const rel = (ns: number) => (input.faultNs === null ? `${nsToMs(ns)} ms` : `${nsToMs(ns - input.faultNs)} ms`);
  const described = intervals
    .slice(0, 5)
    .map(
      (i) =>
        `${rel(i.startNs)}–${rel(i.endNs)}: ${i.masters.join(' and ')} claim master${i.writers.length > 1 ? `, writes acknowledged by ${i.writers.join(' and ')}` : ''}`,
    )
    .join('; ');
  const valid = totalMs <= config.maxSplitBrainMs;
  return {
    name,
    valid,
    figures,
    explanation:
      intervals.length === 0
        ? 'never more than one node claimed master'
        : `${intervals.length} interval(s), ${totalMs} ms in total with more than one master (bound ${config.maxSplitBrainMs} ms): ${described}`,
  };
}
