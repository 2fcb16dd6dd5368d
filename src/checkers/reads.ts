// Session reads: read-your-writes on the master path (a violation fails), stale reads from replicas (counted), and which of them span the failover.
import type { CheckResult, Figures } from '../model/check.ts';
import type { ReadOp } from '../model/reads.ts';
import { READ_FS } from '../model/reads.ts';

export interface ReadsConfig {
  /** Read-your-writes violations on the master path allowed before the check fails. Default 0. */
  maxRywViolations?: number;
  /**
   * Accept (counted, reported) violations across the fault: a write the old master acknowledged that a read
   * after the fault no longer finds, i.e. an acknowledged write the failover threw away (the seed's
   * asynchronous replication allows it; the scenario's acceptLossFromOldMaster says whether it is accepted).
   */
  acceptAcrossFault?: boolean;
  /** Stale reads from replicas allowed; unset: counted, not judged (replication is asynchronous). */
  maxStaleReplicaReads?: number;
}

export interface ReadsFault {
  faultNs: number | null;
  /** host:port of the master when the fault landed. */
  oldMaster: string | null;
}

interface Write {
  value: string | null | undefined;
  invokeNs: number;
  endNs: number | null;
  outcome: 'ok' | 'fail' | 'info' | 'pending';
  node?: string;
}

export interface JudgedRead {
  process: string;
  key: string;
  path: 'master' | 'replica';
  invokeNs: number;
  okNs: number;
  value: string | null;
  node?: string;
  /** fresh: one of the values it may see; stale: older or missing; unconstrained: no write of its session acknowledged before it. */
  verdict: 'fresh' | 'stale' | 'unconstrained';
  /** stale: the key was missing (rather than holding an older value). */
  missing?: boolean;
  /** stale: the value it should at least have seen was acknowledged before the fault and the read came after it (or the old master acknowledged it after the fault). */
  acrossFault?: boolean;
  /** stale: how long before the read's invoke the write it missed was acknowledged, ms. */
  staleByMs?: number;
}

const ms = (ns: number): number => Math.round(ns / 1e6);

/** Pair each invoke with the next completion of the same process, f and key. */
function pair(ops: readonly ReadOp[]): {
  writes: Map<string, Write[]>;
  reads: Omit<JudgedRead, 'verdict'>[];
  failedReads: Record<'master' | 'replica', number>;
} {
  const writes = new Map<string, Write[]>();
  const reads: Omit<JudgedRead, 'verdict'>[] = [];
  const failedReads = { master: 0, replica: 0 };
  const open = new Map<string, ReadOp>();
  const sorted = [...ops].sort((a, b) => a.ns - b.ns);
  for (const o of sorted) {
    if (o.f !== READ_FS.write && o.f !== READ_FS.read && o.f !== READ_FS.replicaRead) continue;
    const id = `${o.process}\u0000${o.f}\u0000${o.key}`;
    const wid = `${o.process}\u0000${o.key}`;
    if (o.type === 'invoke') {
      open.set(id, o);
      if (o.f === READ_FS.write) {
        const list = writes.get(wid) ?? [];
        list.push({ value: o.value, invokeNs: o.ns, endNs: null, outcome: 'pending' });
        writes.set(wid, list);
      }
      continue;
    }
    const inv = open.get(id);
    if (!inv) continue;
    open.delete(id);
    if (o.f === READ_FS.write) {
      const w = writes.get(wid)!.find((x) => x.invokeNs === inv.ns)!;
      w.outcome = o.type;
      w.endNs = o.ns;
      if (o.node) w.node = o.node;
      continue;
    }
    const path = o.f === READ_FS.read ? 'master' : 'replica';
    if (o.type !== 'ok' || o.value === undefined) {
      if (o.type !== 'ok') failedReads[path]++;
      continue;
    }
    reads.push({ process: o.process, key: o.key, path, invokeNs: inv.ns, okNs: o.ns, value: o.value, ...(o.node ? { node: o.node } : {}) });
  }
  return { writes, reads, failedReads };
}

/**
 * Judge every read against its own session's writes of the key. The read must see at least the latest write
 * acknowledged before it was invoked: that value, or that of a later write of the session not known to have
 * failed and invoked before the read returned (concurrent with it). Anything else (an older value, the key
 * missing) is stale.
 */
export function judgeReads(ops: readonly ReadOp[], fault: ReadsFault): { reads: JudgedRead[]; failedReads: Record<'master' | 'replica', number> } {
  const { writes, reads, failedReads } = pair(ops);
  const judged = reads.map((r): JudgedRead => {
    const ws = writes.get(`${r.process}\u0000${r.key}`) ?? [];
    const acked = ws.filter((w) => w.outcome === 'ok' && w.endNs !== null && w.endNs < r.invokeNs);
    if (acked.length === 0) return { ...r, verdict: 'unconstrained' };
    const last = acked.reduce((a, b) => (b.invokeNs > a.invokeNs ? b : a));
    const may = new Set<string | null | undefined>([last.value]);
    for (const w of ws) if (w.invokeNs > last.invokeNs && w.invokeNs < r.okNs && w.outcome !== 'fail') may.add(w.value);
    if (may.has(r.value)) return { ...r, verdict: 'fresh' };
    const f = fault.faultNs;
    const acrossFault = f !== null && r.invokeNs >= f && (last.endNs! < f || (fault.oldMaster !== null && last.node === fault.oldMaster));
    return { ...r, verdict: 'stale', missing: r.value === null, acrossFault, staleByMs: ms(r.invokeNs - last.endNs!) };
  });
  return { reads: judged, failedReads };
}

/** The reads check: fails on a read-your-writes violation on the master path (beyond the accepted), or on more stale replica reads than allowed. */
export function checkReads(ops: readonly ReadOp[], fault: ReadsFault, config: ReadsConfig = {}): CheckResult {
  const { reads, failedReads } = judgeReads(ops, fault);
  const master = reads.filter((r) => r.path === 'master');
  const replica = reads.filter((r) => r.path === 'replica');
  const stale = (rs: JudgedRead[]) => rs.filter((r) => r.verdict === 'stale');
  const ryw = stale(master);
  const rywAcross = ryw.filter((r) => r.acrossFault);
  const staleReplica = stale(replica);
  const after = (r: JudgedRead) => fault.faultNs !== null && r.invokeNs >= fault.faultNs;
  const maxOf = (xs: number[]) => (xs.length ? xs.reduce((a, b) => Math.max(a, b)) : null);
  const figures: Figures = {
    master_reads: master.length,
    master_reads_failed: failedReads.master,
    master_reads_unconstrained: master.filter((r) => r.verdict === 'unconstrained').length,
    ryw_violations: ryw.length,
    ryw_violations_missing: ryw.filter((r) => r.missing).length,
    ryw_violations_across_fault: rywAcross.length,
    replica_reads: replica.length,
    replica_reads_failed: failedReads.replica,
    stale_replica_reads: staleReplica.length,
    stale_replica_reads_missing: staleReplica.filter((r) => r.missing).length,
    stale_replica_reads_after_fault: staleReplica.filter(after).length,
    stale_replica_read_max_ms: maxOf(staleReplica.map((r) => r.staleByMs!)),
  };
  const judgedMaster = master.length - (figures.master_reads_unconstrained as number);
  const judgedReplica = replica.filter((r) => r.verdict !== 'unconstrained').length;
  if (judgedMaster + judgedReplica === 0)
    return { name: 'reads', valid: 'unknown', figures, explanation: 'no read could be judged: none followed an acknowledged write of its session' };

  const maxRyw = config.maxRywViolations ?? 0;
  const counted = config.acceptAcrossFault ? ryw.length - rywAcross.length : ryw.length;
  const problems: string[] = [];
  const example = (r: JudgedRead) =>
    `${r.process} read ${r.key} ${r.missing ? 'missing' : `as "${r.value}"`} ${r.staleByMs} ms after its write was acknowledged${r.node ? ` (from ${r.node})` : ''}`;
  if (counted > maxRyw)
    problems.push(
      `${counted} read-your-writes violation(s) on the master path (allowed ${maxRyw}${config.acceptAcrossFault ? `; ${rywAcross.length} across the fault accepted` : ''}), e.g. ${example(
        ryw.find((r) => !config.acceptAcrossFault || !r.acrossFault)!,
      )}`,
    );
  if (config.maxStaleReplicaReads !== undefined && staleReplica.length > config.maxStaleReplicaReads)
    problems.push(`${staleReplica.length} stale replica read(s) (allowed ${config.maxStaleReplicaReads}), e.g. ${example(staleReplica[0]!)}`);
  const summary =
    `master path: ${ryw.length} of ${judgedMaster} judged reads stale (${rywAcross.length} across the fault, ${figures.ryw_violations_missing} missing), ${failedReads.master} failed; ` +
    `replicas: ${staleReplica.length} of ${judgedReplica} judged reads stale${figures.stale_replica_read_max_ms === null ? '' : ` (up to ${figures.stale_replica_read_max_ms} ms behind)`}, ${failedReads.replica} failed` +
    (config.maxStaleReplicaReads === undefined ? ' (counted, not judged: replication is asynchronous)' : '');
  return {
    name: 'reads',
    valid: problems.length === 0,
    figures,
    explanation: problems.length
      ? `${problems.join('; ')}. ${summary}`
      : `every master-path read saw its session's latest acknowledged write${config.acceptAcrossFault && rywAcross.length ? `, except ${rywAcross.length} across the fault (accepted: writes the old master acknowledged)` : ''}. ${summary}`,
  };
}
