// The reads checker on hand-built histories: fresh sessions pass; a stale master read fails; stale replica reads are counted (and fail only when bounded); violations across the fault attributed.
import { describe, expect, it } from 'vitest';
import { checkReads, judgeReads } from '../../../src/checkers/reads.ts';
import type { ReadOp } from '../../../src/model/reads.ts';

const MS = 1e6;
const OLD = '127.0.0.1:6379';
const NEW = '127.0.0.2:6379';

/** A session step at `t` ms: SETEX key=value (acknowledged by `node` 1 ms later), then a GET on `f` 2 ms later reading `read`. */
function step(t: number, key: string, value: string, read: string | null, f = 'read', node = OLD, proc = 'c'): ReadOp[] {
  return [
    { process: proc, type: 'invoke', f: 'setex', key, ns: t * MS, value },
    { process: proc, type: 'ok', f: 'setex', key, ns: (t + 1) * MS, node },
    { process: proc, type: 'invoke', f, key, ns: (t + 2) * MS },
    { process: proc, type: 'ok', f, key, ns: (t + 3) * MS, value: read, node },
  ];
}

const session = (n: number, from = 0, f = 'read'): ReadOp[] =>
  Array.from({ length: n }, (_, i) => step(from + i * 10, `s:${i % 3}`, String(from + i), String(from + i), f)).flat();

describe('checkReads', () => {
  it('passes when every read sees its session latest acknowledged write', () => {
    const r = checkReads(session(20), { faultNs: 100 * MS, oldMaster: OLD });
    expect(r.valid).toBe(true);
    expect(r.figures.master_reads).toBe(20);
    expect(r.figures.ryw_violations).toBe(0);
  });

  it('fails on a master-path read returning an older value', () => {
    const ops = [...step(0, 'k', 'v1', 'v1'), ...step(10, 'k', 'v2', 'v1')];
    const r = checkReads(ops, { faultNs: null, oldMaster: null });
    expect(r.valid).toBe(false);
    expect(r.figures.ryw_violations).toBe(1);
    expect(r.figures.ryw_violations_missing).toBe(0);
    expect(r.explanation).toMatch(/read-your-writes violation/);
  });

  it('accepts a value of a concurrent later write of the session, not of a failed one', () => {
    const ops: ReadOp[] = [
      ...step(0, 'k', 'v1', 'v1'),
      { process: 'c', type: 'invoke', f: 'setex', key: 'k', ns: 10 * MS, value: 'v2' },
      { process: 'c', type: 'invoke', f: 'read', key: 'k', ns: 11 * MS },
      { process: 'c', type: 'ok', f: 'read', key: 'k', ns: 12 * MS, value: 'v2' },
      { process: 'c', type: 'info', f: 'setex', key: 'k', ns: 13 * MS },
    ];
    expect(checkReads(ops, { faultNs: null, oldMaster: null }).valid).toBe(true);
    const failed = ops.map((o) => (o.type === 'info' ? { ...o, type: 'fail' as const } : o));
    // fail means definitely not applied: its value seen is not the session's.
    expect(checkReads(failed, { faultNs: null, oldMaster: null }).valid).toBe(false);
    const readAfterFail: ReadOp[] = [
      ...step(0, 'k', 'v1', 'v1'),
      { process: 'c', type: 'invoke', f: 'setex', key: 'k', ns: 10 * MS, value: 'v2' },
      { process: 'c', type: 'fail', f: 'setex', key: 'k', ns: 11 * MS, error: 'READONLY' },
      { process: 'c', type: 'invoke', f: 'read', key: 'k', ns: 12 * MS },
      { process: 'c', type: 'ok', f: 'read', key: 'k', ns: 13 * MS, value: 'v3' },
    ];
    expect(checkReads(readAfterFail, { faultNs: null, oldMaster: null }).valid).toBe(false);
  });

  it('counts stale replica reads without failing, and fails once they are bounded', () => {
    const ops = [...session(10, 0, 'replica-read'), ...step(200, 'k', 'new', 'old', 'replica-read'), ...step(210, 'k2', 'x', null, 'replica-read')];
    const r = checkReads(ops, { faultNs: null, oldMaster: null });
    expect(r.valid).toBe(true);
    expect(r.figures.replica_reads).toBe(12);
    expect(r.figures.stale_replica_reads).toBe(2);
    expect(r.figures.stale_replica_reads_missing).toBe(1);
    expect(r.figures.stale_replica_read_max_ms).toBe(1);
    const bounded = checkReads(ops, { faultNs: null, oldMaster: null }, { maxStaleReplicaReads: 1 });
    expect(bounded.valid).toBe(false);
    expect(bounded.explanation).toMatch(/2 stale replica read/);
  });

  it('flags a read-your-writes violation across the failover, and accepts it only when told', () => {
    // Acknowledged by the old master before the fault at 50 ms, missing on the new master after it.
    const ops: ReadOp[] = [
      ...step(0, 'k', 'v1', 'v1'),
      ...step(40, 'k', 'v2', 'v2'),
      { process: 'c', type: 'invoke', f: 'read', key: 'k', ns: 300 * MS },
      { process: 'c', type: 'ok', f: 'read', key: 'k', ns: 301 * MS, value: 'v1', node: NEW },
    ];
    const fault = { faultNs: 50 * MS, oldMaster: OLD };
    const r = checkReads(ops, fault);
    expect(r.valid).toBe(false);
    expect(r.figures.ryw_violations_across_fault).toBe(1);
    const j = judgeReads(ops, fault).reads.find((x) => x.verdict === 'stale')!;
    expect(j.acrossFault).toBe(true);
    expect(j.staleByMs).toBe(259);
    const accepted = checkReads(ops, fault, { acceptAcrossFault: true });
    expect(accepted.valid).toBe(true);
    expect(accepted.explanation).toMatch(/1 across the fault/);
    // A violation not across the fault is not accepted by that.
    const notAcross = [...ops, ...step(400, 'j', 'a', null, 'read', NEW)];
    expect(checkReads(notAcross, fault, { acceptAcrossFault: true }).valid).toBe(false);
  });

  it('does not judge a read with no acknowledged write before it, nor a failed read; none judged is unknown', () => {
    const ops: ReadOp[] = [
      { process: 'c', type: 'invoke', f: 'setex', key: 'k', ns: 0, value: 'v1' },
      { process: 'c', type: 'info', f: 'setex', key: 'k', ns: 1 * MS, error: 'timeout' },
      { process: 'c', type: 'invoke', f: 'read', key: 'k', ns: 2 * MS },
      { process: 'c', type: 'ok', f: 'read', key: 'k', ns: 3 * MS, value: null },
      { process: 'c', type: 'invoke', f: 'replica-read', key: 'k', ns: 4 * MS },
      { process: 'c', type: 'fail', f: 'replica-read', key: 'k', ns: 5 * MS, error: 'no replica' },
    ];
    const r = checkReads(ops, { faultNs: null, oldMaster: null });
    expect(r.valid).toBe('unknown');
    expect(r.figures.master_reads_unconstrained).toBe(1);
    expect(r.figures.replica_reads_failed).toBe(1);
  });

  it('keeps sessions apart: another process writing the key does not make a read stale or fresh', () => {
    const ops = [...step(0, 'k', 'a1', 'a1', 'read', OLD, 'a'), ...step(5, 'k', 'b1', 'b1', 'read', OLD, 'b'), ...step(20, 'k', 'a2', 'b1', 'read', OLD, 'a')];
    const r = checkReads(ops, { faultNs: null, oldMaster: null });
    expect(r.figures.ryw_violations).toBe(1);
  });
});
