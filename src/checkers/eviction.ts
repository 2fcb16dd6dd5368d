// Near maxmemory, allkeys-lru evicts keys: a write the memory policy removed is not a write a failover lost.
import type { Figures, TrialInput } from '../model/check.ts';

/**
 * The keys whose absence the memory policy explains, set aside before the loss check; every other
 * absent key stays a loss. An eviction explains an absent key only when it is sound to say the
 * deployment's dataset lost it through eviction, not through the failover:
 *  - it was evicted after the write was invoked (a notification of an earlier key of the same name is not this write's), and
 *  - by the node the read-back came from (the final master's own dataset dropped it), or by the old
 *    master before the fault was injected (the master in charge then; the eviction's DEL is in its
 *    replication stream, so a replica that was in sync dropped the key too).
 * An eviction on any other node (an old master after the fault, an intermediate master) is not
 * accepted: the failover may have lost that write first, so it is counted as lost (and shown as
 * writes_evicted_elsewhere). Evictions the observer missed (its gaps) leave the key counted as lost:
 * the checker can over-count loss, never hide it.
 */
export function evictedAway(input: TrialInput, injectNs: number | null = input.faultNs): { input: TrialInput; figures: Figures; warning: string | null } {
  const ev = input.evictions;
  const rb = input.readBack;
  if (!ev) return { input, figures: {}, warning: null };
  const figures: Figures = { evictions_total: ev.total, writes_evicted: null, writes_evicted_elsewhere: null };
  if (!rb) return { input, figures, warning: null };
  const invokedNs = new Map<string, number>();
  const acked = new Set<string>();
  for (const op of input.history) {
    if (op.type === 'invoke' && !invokedNs.has(op.key)) invokedNs.set(op.key, op.ns);
    if (op.type === 'ok') acked.add(op.key);
  }
  const sound = new Set<string>();
  const elsewhere = new Set<string>();
  for (const e of ev.keys) {
    const invoked = invokedNs.get(e.key);
    if (invoked === undefined || e.ns < invoked || rb.present.has(e.key)) continue;
    const byFinal = e.node === rb.node;
    const byOldMasterBefore = e.node === input.oldMaster && injectNs !== null && e.ns < injectNs;
    if (byFinal || byOldMasterBefore) sound.add(e.key);
    else elsewhere.add(e.key);
  }
  for (const k of sound) elsewhere.delete(k);
  figures.writes_evicted = [...sound].filter((k) => acked.has(k)).length;
  figures.writes_evicted_elsewhere = [...elsewhere].filter((k) => acked.has(k)).length;
  const present = new Set([...rb.present, ...sound]);
  const gaps = ev.gaps.length ? `; the eviction observer has gaps on ${ev.gaps.join(', ')}, so evictions there count as lost` : '';
  const warning =
    figures.writes_evicted || figures.writes_evicted_elsewhere
      ? `${figures.writes_evicted} acknowledged writes were evicted by the memory policy (not counted as lost)` +
        (figures.writes_evicted_elsewhere
          ? `; ${figures.writes_evicted_elsewhere} evicted by a node that was not master of the surviving dataset (counted as lost)`
          : '') +
        gaps
      : null;
  return { input: { ...input, readBack: { ...rb, present } }, figures, warning };
}
