import { describe, expect, it } from 'vitest';
import { checkAvailability, longestOutage } from '../../../src/checkers/availability.ts';
import {
  AvailabilityFold,
  LATENCY_RELATIVE_ERROR,
  LatencyCounts,
  INVOKE_RING,
  LatencyFold,
  RecentInvokes,
  MAX_EXACT_LATENCIES,
  NewMasterAckFold,
  WriteFold,
  attributedLossOfFold,
  foldAll,
  writeLossOfFold,
} from '../../../src/checkers/history-fold.ts';
import { ackedOutside } from '../../../src/checkers/invariants.ts';
import { latencyFigures, latencyResult, latencyWindows } from '../../../src/checkers/latency.ts';
import { nearestRank } from '../../../src/checkers/stats.ts';
import { attributeLoss, checkWriteLossAttributed } from '../../../src/checkers/loss-attribution.ts';
import { firstNewMasterAckNs } from '../../../src/checkers/phases.ts';
import { checkWriteLoss } from '../../../src/checkers/write-loss.ts';
import type { Op } from '../../../src/model/history.ts';
import { FAULT_MS, NEW, OLD, history, ns, readBack, steadyWrites, trial, type WriteSpec } from './builders.ts';

// The workload's key shape (prefix:seq), acked before the fault on OLD, a gap, then on NEW; plus the odd ones out.
const WRITES: WriteSpec[] = [
  ...steadyWrites('t1:sentinel-client:', 0, FAULT_MS, 50, OLD.addr),
  { key: 'lost:1', at: FAULT_MS + 100, done: FAULT_MS + 101, node: OLD.addr }, // acked by the old master after the fault, then lost
  { key: 'lost:2', at: FAULT_MS - 500, done: FAULT_MS - 499, node: OLD.addr }, // acked before the fault, lost
  { key: 'info:1', at: FAULT_MS + 200, done: FAULT_MS + 3200, outcome: 'info' }, // indeterminate, recovered
  { key: 'info:2', at: FAULT_MS + 300, done: FAULT_MS + 3300, outcome: 'info' }, // indeterminate, not recovered
  { key: 'pending', at: FAULT_MS + 400, outcome: null }, // invoked, never completed
  { key: 'failed:1', at: FAULT_MS + 500, done: FAULT_MS + 510, outcome: 'fail' },
  ...steadyWrites('t1:sentinel-client:after-', FAULT_MS + 6200, FAULT_MS + 9000, 50, NEW.addr),
];

function withLate(h: Op[]): Op[] {
  // A late acknowledgement after a client timeout: info, then ok with late.
  const late: Op[] = [
    { process: 'c1', type: 'invoke', f: 'write', key: 'late:1', ns: ns(FAULT_MS + 600) },
    { process: 'c1', type: 'info', f: 'write', key: 'late:1', ns: ns(FAULT_MS + 3600), error: 'no reply' },
    { process: 'c1', type: 'ok', f: 'write', key: 'late:1', ns: ns(FAULT_MS + 6300), node: NEW.addr, late: true },
  ];
  return [...h, ...late].sort((a, b) => a.ns - b.ns);
}

const H = withLate(history(...WRITES));
const PRESENT = [
  ...H.filter((o) => o.type === 'ok' && !o.key.startsWith('lost:')).map((o) => o.key),
  'info:1',
  'failed:1', // a definitely failed write present: unexpected
  'never-invoked',
];

describe('the one-pass folds give the in-memory checkers’ results', () => {
  it('write-loss: lost, recovered, indeterminate and unexpected writes, same figures and explanation', () => {
    const input = trial({ history: H, readBack: readBack(PRESENT) });
    const fold = new WriteFold();
    foldAll(H, fold);
    for (const maxLost of [0, 1, 5]) expect(writeLossOfFold(fold, input.readBack, input.faultNs, { maxLost })).toEqual(checkWriteLoss(input, { maxLost }));
    const r = writeLossOfFold(fold, input.readBack, input.faultNs, { maxLost: 0 });
    expect(r.figures).toMatchObject({ writes_lost: 2, writes_recovered: 1, writes_unexpected: 2 });
    expect(r.explanation).toContain('1 of 3 indeterminate writes recovered');
    expect(writeLossOfFold(fold, null, input.faultNs, { maxLost: 0 })).toEqual(checkWriteLoss(trial({ history: H }), { maxLost: 0 }));
  });

  it('write-loss with attribution to the old master', () => {
    const input = trial({ history: H, readBack: readBack(PRESENT) });
    const fold = new WriteFold();
    foldAll(H, fold);
    for (const accept of [true, false]) {
      const config = { maxLost: 1, acceptLossFromOldMaster: accept, sinceNs: ns(FAULT_MS) };
      const got = attributedLossOfFold(fold, input, config);
      expect(got).toEqual(checkWriteLossAttributed(input, config));
      expect(got.check.figures.writes_lost_old_master).toBe(1);
    }
  });

  it('availability: counts, late acks and the longest outage', () => {
    const fold = new AvailabilityFold();
    foldAll(H, fold);
    expect(fold.outage()).toEqual(longestOutage(H));
    for (const config of [{}, { maxOutageMs: 1000 }, { maxOutageMs: 60_000 }])
      expect(fold.check(ns(FAULT_MS), config)).toEqual(checkAvailability(trial({ history: H }), config));
    expect(fold.check(ns(FAULT_MS), {}).figures).toMatchObject({ writes_late: 1, writes_indeterminate: 3, writes_failed: 1 });
  });

  it('availability: no ack at all, a tail after the last ack, nothing invoked', () => {
    const cases = [
      history({ key: 'a:0', at: 0, done: 3000, outcome: 'info' }, { key: 'a:1', at: 3000, outcome: null }),
      history({ key: 'a:0', at: 0, done: 1 }, { key: 'a:1', at: 100, done: 3100, outcome: 'info' }, { key: 'a:2', at: 3200, done: 6200, outcome: 'info' }),
      [],
    ];
    for (const h of cases) {
      const fold = new AvailabilityFold();
      foldAll(h, fold);
      expect(fold.check(null, {})).toEqual(checkAvailability(trial({ history: h, faultNs: null }), {}));
    }
  });

  it('latency: the same quantiles per phase (exact at the figures’ µs rounding)', () => {
    // Latencies spread over several orders of magnitude, so quantiles fall on distinct values.
    const spread: WriteSpec[] = Array.from({ length: 997 }, (_, i) => ({
      key: `s:${i}`,
      at: i * 20,
      done: i * 20 + 0.137 * ((i * 7919) % 211) + 0.001,
      node: i * 20 < FAULT_MS + 6000 ? OLD.addr : NEW.addr,
    }));
    const h = withLate(history(...spread, ...WRITES));
    const input = trial({ history: h });
    const first = new NewMasterAckFold(input.faultNs, input.oldMaster);
    foldAll(h, first);
    expect(first.first).toBe(firstNewMasterAckNs(input));
    const fold = new LatencyFold(latencyWindows(input));
    foldAll(h, fold);
    expect(fold.figures()).toEqual(latencyFigures(input));
    expect(fold.figures().latency_acks_after).toBeGreaterThan(0);
  });

  it('the invariants’ acknowledged writes outside the windows, in first-acknowledgement order', () => {
    const windows = [{ startNs: ns(FAULT_MS), endNs: ns(FAULT_MS + 7000) }];
    const fold = new WriteFold({ newAcks: true });
    foldAll(H, fold);
    const inside = (t: number) => windows.some((w) => t >= w.startNs && t <= w.endNs);
    const expected = [...ackedOutside(H, windows, ns(0), ns(FAULT_MS + 20_000)).values()];
    expect(fold.acknowledged((t) => t >= ns(0) && t < ns(FAULT_MS + 20_000) && !inside(t))).toEqual(expected);
    expect(fold.takeNewAcks().map((o) => o.key)).toEqual(H.filter((o) => o.type === 'ok').map((o) => o.key));
    expect(fold.takeNewAcks()).toEqual([]);
  });

  it('hands out the same new acknowledgements when more came between two takes than it holds', () => {
    const small = new WriteFold({ newAcks: true, maxPending: 10 });
    const big = new WriteFold({ newAcks: true });
    const oks = H.filter((o) => o.type === 'ok');
    const half = H.indexOf(oks[15]!);
    foldAll(H.slice(0, half), small, big);
    const brief = (ops: Op[]) => ops.map((o) => [o.key, o.ns, o.node, o.process]);
    expect(small.takeNewAcks()).toEqual(big.takeNewAcks());
    foldAll(H.slice(half), small, big);
    const rest = small.takeNewAcks();
    expect(brief(rest)).toEqual(brief(big.takeNewAcks()));
    expect(rest.length).toBe(oks.length - 15);
    expect(small.takeNewAcks()).toEqual([]);
  });

  it('lost writes counted once per read-back: the same result until the next operation, a filter counts its own', () => {
    const oks = H.filter((o) => o.type === 'ok');
    const present = new Set(oks.slice(2).map((o) => o.key));
    const f = new WriteFold();
    foldAll(H, f);
    const lost = f.lostWrites(present);
    const expected = [...new Set(oks.map((o) => o.key))].filter((k) => !present.has(k));
    expect(lost.sample.map((o) => o.key)).toEqual(expected);
    expect(lost.count).toBe(expected.length);
    expect(lost.count).toBeGreaterThan(0);
    expect(f.lostWrites(present)).toBe(lost);
    expect(f.lostWrites(new Set(present))).not.toBe(lost);
    expect(f.lostWrites(present, { sinceNs: 0, oldMaster: OLD.addr })).not.toBe(lost);
    const first = lost.sample[0]!;
    expect(f.lostWrites(present, { keep: (_ns, key) => key !== first.key }).sample.map((o) => o.key)).toEqual(lost.sample.slice(1).map((o) => o.key));
    f.add({ process: 'c', type: 'invoke', f: 'write', key: 'added:1', ns: ns(99_000) });
    f.add({ process: 'c', type: 'ok', f: 'write', key: 'added:1', ns: ns(99_001) });
    const again = f.lostWrites(present);
    expect(again).not.toBe(lost);
    expect(again.sample.map((o) => o.key)).toEqual([...lost.sample.map((o) => o.key), 'added:1']);
    expect(again.byProcess).toEqual({ ...lost.byProcess, c: 1 });
  });

  it('many lost writes: counts per process and attribution, and only the first and last of them by acknowledgement', () => {
    // 5000 writes over two processes, acknowledged in the reverse order of their numbers (the columns are scanned by
    // number); every write but the multiples of 10 lost, those acknowledged by OLD after 2.5 s from the old master.
    const ops: Op[] = [];
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const process = i % 2 ? 'p1' : 'p2';
      const t = ns(10_000 + (n - i));
      ops.push({ process, type: 'invoke', f: 'write', key: `w:${i}`, ns: t - 1 });
      ops.push({ process, type: 'ok', f: 'write', key: `w:${i}`, ns: t, node: i % 3 ? OLD.addr : NEW.addr });
    }
    ops.sort((a, b) => a.ns - b.ns);
    const present = new Set(ops.filter((o) => o.type === 'ok' && Number(o.key.slice(2)) % 10 === 0).map((o) => o.key));
    const f = new WriteFold();
    foldAll(ops, f);
    const sinceNs = ns(10_000 + 2500);
    const lost = f.lostWrites(present, { sinceNs, oldMaster: OLD.addr, sampleSize: 100 });
    const byAck = ops.filter((o) => o.type === 'ok' && !present.has(o.key));
    expect(lost.count).toBe(4500);
    expect(lost.sample.map((o) => o.key)).toEqual([...byAck.slice(0, 100), ...byAck.slice(-100)].map((o) => o.key));
    expect(lost.firstNs).toBe(byAck[0]!.ns);
    expect(lost.lastNs).toBe(byAck.at(-1)!.ns);
    expect(lost.byProcess).toEqual({ p1: 2500, p2: 2000 });
    const inMemory = attributeLoss(trial({ history: ops, readBack: readBack([...present]), faultNs: sinceNs }));
    expect(lost.fromOldMasterAfterFault).toBe(inMemory.fromOldMasterAfterFault.length);
    expect(lost.other).toBe(inMemory.other.length);
    expect(lost.otherFirst.map((o) => o.key)).toEqual(inMemory.other.slice(0, 3).map((o) => o.key));
    const config = { maxLost: 0, acceptLossFromOldMaster: true, sinceNs };
    const input = trial({ history: ops, readBack: readBack([...present]), faultNs: sinceNs, oldMaster: OLD.addr });
    expect(attributedLossOfFold(f, input, config)).toEqual(checkWriteLossAttributed(input, config));
  });

  it('told as they come: given the read-back up front, the same lost writes, attribution and selection at a byte a key', () => {
    // The 5000 writes of the test above plus H: acknowledged out of number order, two processes, old and new master.
    const ops: Op[] = [...H];
    for (let i = 0; i < 5000; i++) {
      const process = i % 2 ? 'p1' : 'p2';
      const t = ns(10_000 + (5000 - i));
      ops.push({ process, type: 'invoke', f: 'write', key: `w:${i}`, ns: t - 1 });
      ops.push({ process, type: 'ok', f: 'write', key: `w:${i}`, ns: t, node: i % 3 ? OLD.addr : NEW.addr });
    }
    ops.sort((a, b) => a.ns - b.ns);
    const present = new Set(ops.filter((o) => o.type === 'ok' && !/^(w:\d*[1-9]$|lost:)/.test(o.key)).map((o) => o.key));
    const sinceNs = ns(10_000 + 2500);
    const outside = { keep: (t: number, key: string) => t < ns(12_000) && key !== 'w:4990', sampleSize: 7 };
    const kept = new WriteFold();
    const told = new WriteFold({ lost: { present, sinceNs, oldMaster: OLD.addr, also: [outside] } });
    foldAll(ops, kept, told);
    const attribution = { sinceNs, oldMaster: OLD.addr };
    expect(told.lostWrites(present, attribution)).toEqual(kept.lostWrites(present, attribution));
    expect(told.lostWrites(present, attribution).count).toBe(4502);
    expect(told.lostWrites(present, attribution).fromOldMasterAfterFault).toBeGreaterThan(0);
    expect(told.lostWrites(present, outside)).toEqual(kept.lostWrites(present, outside));
    expect(told.lostWrites(present, outside).count).toBeGreaterThan(0);
    // Asked without the attribution (the lost keys for the journal): the counts, no split.
    const plain = kept.lostWrites(present);
    expect(told.lostWrites(present)).toEqual({ ...plain, otherFirst: plain.sample.slice(0, 3) });
    const input = trial({ history: ops, readBack: { ns: 0, present, node: NEW.addr }, faultNs: sinceNs, oldMaster: OLD.addr });
    const config = { maxLost: 0, acceptLossFromOldMaster: true, sinceNs };
    expect(attributedLossOfFold(told, input, config)).toEqual(attributedLossOfFold(kept, input, config));
    expect(writeLossOfFold(told, input.readBack, input.faultNs, { maxLost: 0 })).toEqual(writeLossOfFold(kept, input.readBack, input.faultNs, { maxLost: 0 }));
    // Only what it was told: another read-back, selection or attribution is a mistake, not a silent wrong answer.
    expect(() => told.lostWrites(new Set(present), attribution)).toThrow(/another read-back/);
    expect(() => told.lostWrites(present, { keep: () => true })).toThrow(/another selection/);
    expect(() => told.lostWrites(present, { sinceNs: 0, oldMaster: OLD.addr })).toThrow(/another attribution/);
    const keys = new Set(ops.map((o) => o.key)).size;
    expect(told.keys.bytes()).toBeLessThan(2 * keys + 2048);
    expect(kept.keys.bytes()).toBeGreaterThan(15 * keys);
  });

  it('flags only: the checkpoints get the same new acknowledgements, and those beyond what it holds are counted, not kept', () => {
    const oks = H.filter((o) => o.type === 'ok');
    const brief = (ops: Op[]) => ops.map((o) => [o.key, o.ns, o.node, o.process]);
    const kept = new WriteFold({ newAcks: true });
    const flags = new WriteFold({ newAcks: true, details: false });
    const small = new WriteFold({ newAcks: true, details: false, maxPending: 10 });
    const half = H.indexOf(oks[15]!);
    foldAll(H.slice(0, half), kept, flags, small);
    expect(brief(flags.takeNewAcks())).toEqual(brief(kept.takeNewAcks()));
    expect(small.takeNewAcks()).toHaveLength(10);
    expect(small.dropped).toBe(5);
    foldAll(H.slice(half), kept, flags, small);
    const rest = flags.takeNewAcks();
    expect(brief(rest)).toEqual(brief(kept.takeNewAcks()));
    expect(rest.length).toBe(oks.length - 15);
    expect(flags.takeNewAcks()).toEqual([]);
    expect(flags.dropped).toBe(0);
    expect(() => flags.lostWrites(new Set())).toThrow(/keeps no acknowledgements/);
  });

  it('keys outside the prefix:seq shape and sparse numbers still count, one slot each', () => {
    const odd: Op[] = ['x', 'x:007', 'x:1', 'y:99999999', 'y:0', 'z:'].flatMap((key, i): Op[] => [
      { process: 'c1', type: 'invoke', f: 'write', key, ns: i * 10 },
      { process: 'c1', type: 'ok', f: 'write', key, ns: i * 10 + 1, node: OLD.addr },
    ]);
    const fold = new WriteFold();
    foldAll(odd, fold);
    expect(fold.acked).toBe(6);
    expect([...fold.invokedKeys()].sort()).toEqual(['x', 'x:007', 'x:1', 'y:0', 'y:99999999', 'z:'].sort());
    const input = trial({ history: odd, readBack: readBack(['x', 'y:0']) });
    expect(writeLossOfFold(fold, input.readBack, input.faultNs, { maxLost: 0 })).toEqual(checkWriteLoss(input, { maxLost: 0 }));
    expect(fold.keys.bytes()).toBeLessThan(200_000);
  });
});

describe('LatencyCounts', () => {
  it('exact up to MAX_EXACT_LATENCIES distinct values, then log buckets within the stated relative error; max exact', () => {
    const exact = new LatencyCounts();
    const values: number[] = [];
    for (let i = 0; i < MAX_EXACT_LATENCIES; i++) values.push(100 + ((i * 7919) % MAX_EXACT_LATENCIES) * 37);
    for (const v of values) exact.add(v);
    const sorted = [...values].sort((a, b) => a - b);
    expect(exact.approximate).toBe(false);
    for (const q of [0.5, 0.99]) expect(exact.at(nearestRank(sorted.length, q))).toBe(sorted[nearestRank(sorted.length, q) - 1]);

    // One more distinct value: the counts turn into buckets; the quantiles stay within the error, the maximum exact.
    const more = [...values, 4_321_987, 0, 0];
    for (const v of more.slice(values.length)) exact.add(v);
    const all = [...more].sort((a, b) => a - b);
    expect(exact.approximate).toBe(true);
    expect(exact.n).toBe(all.length);
    expect(exact.max).toBe(4_321_987);
    for (const q of [0.01, 0.5, 0.9, 0.99, 1]) {
      const truth = all[nearestRank(all.length, q) - 1]!;
      const got = exact.at(nearestRank(all.length, q));
      expect(Math.abs(got - truth)).toBeLessThanOrEqual(truth * LATENCY_RELATIVE_ERROR + 0.5);
    }
    expect(exact.at(1)).toBe(0);
    expect(LATENCY_RELATIVE_ERROR).toBeLessThan(0.0006);
  });

  it('a latency fold with more distinct values than the cap says so in the check, and its memory stops growing', () => {
    const w = { faultNs: null, recoveryNs: null, recovery: null } as const;
    const fold = new LatencyFold(w);
    const n = MAX_EXACT_LATENCIES * 2;
    for (let i = 0; i < n; i++) {
      fold.add({ process: 'c', type: 'invoke', f: 'write', key: `k:${i}`, ns: i * 1e6 });
      fold.add({ process: 'c', type: 'ok', f: 'write', key: `k:${i}`, ns: i * 1e6 + 1000 + i * 1000 }); // i µs + 1 µs: all distinct
    }
    const f = fold.figures();
    expect(f.latency_acks_before).toBe(n);
    expect(f.latency_max_before_ms).toBe(n / 1e3);
    const p50 = (nearestRank(n, 0.5) + 0) / 1e3;
    expect(Math.abs(f.latency_p50_before_ms! - p50)).toBeLessThanOrEqual(p50 * LATENCY_RELATIVE_ERROR + 0.001);
    expect(fold.note()).toMatch(/before had more than 100000 distinct µs values.*within 0\.05 %/);
    expect(latencyResult(f, w, {}, fold.note()).explanation).toContain('nearest-rank');
  });
});

describe('RecentInvokes: the passes know a write’s invoke by a ring per client, not a slot per key', () => {
  it('a result within the ring finds its invoke; one whose slot a later write took is counted as missed and told', () => {
    const w = { faultNs: null, recoveryNs: null, recovery: null } as const;
    const fold = new LatencyFold(w);
    const op = (type: Op['type'], key: string, at: number): Op => ({
      process: 'c',
      type,
      f: 'write',
      key,
      ns: at * 1e6,
      ...(type === 'ok' ? { node: NEW.addr } : {}),
    });
    fold.add(op('invoke', 'c:0', 0));
    fold.add(op('invoke', 'c:1', 1));
    fold.add(op('invoke', 'other', 2));
    fold.add(op('ok', 'c:1', 5));
    fold.add(op('ok', 'other', 9));
    // c:INVOKE_RING takes c:0's slot: c:0's acknowledgement, INVOKE_RING writes later, no longer has an invoke.
    fold.add(op('invoke', `c:${INVOKE_RING}`, 10));
    fold.add(op('ok', 'c:0', 11));
    fold.add(op('ok', `c:${INVOKE_RING}`, 13));
    const f = fold.figures();
    expect(f.latency_acks_before).toBe(3);
    expect(f.latency_max_before_ms).toBe(7);
    expect(fold.note()).toMatch(/^1 acknowledgements are not counted: their invoke was not known any more/);
    // A second acknowledgement of a write is not counted again.
    fold.add(op('ok', 'c:1', 20));
    expect(fold.figures().latency_acks_before).toBe(3);
  });

  it('keeps an indeterminate write’s invoke for its late acknowledgement, forgets a failed one', () => {
    const r = new RecentInvokes();
    r.set('c:7', 70);
    r.set('c:7', 71);
    r.set('x', 5);
    expect(r.get('c:7')).toBe(70);
    expect(r.get('c:7', true)).toBe(70);
    expect(r.get('c:7')).toBeUndefined();
    r.forget('x');
    expect(r.get('x')).toBeUndefined();
    expect(r.missed).toBe(2);
  });
});
