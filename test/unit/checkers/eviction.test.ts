import { describe, expect, it } from 'vitest';
import { evictedAway } from '../../../src/checkers/eviction.ts';
import { checkWriteLossAttributed } from '../../../src/checkers/loss-attribution.ts';
import { withEvictedEvents } from '../../../src/observers/evictions.ts';
import type { EvictedKey } from '../../../src/model/history.ts';
import { FAULT_MS, NEW, OLD, history, ns, readBack, steadyWrites, trial } from './builders.ts';

// k0..k9 acknowledged by the old master before the fault (at -1000 .. -100 ms).
const BEFORE = steadyWrites('k', FAULT_MS - 1000, FAULT_MS, 100, OLD.addr);
// n0..n4 acknowledged by the new master after the failover.
const AFTER = steadyWrites('n', FAULT_MS + 7000, FAULT_MS + 7500, 100, NEW.addr);
const ALL = [...BEFORE, ...AFTER].map((w) => w.key);
const evicted = (key: string, atMs: number, node: string): EvictedKey => ({ key, node, ns: ns(atMs) });

function loss(absent: string[], keys: EvictedKey[], gaps: string[] = []) {
  const input = trial({
    history: history(...BEFORE, ...AFTER),
    readBack: readBack(ALL.filter((k) => !absent.includes(k))),
    evictions: { keys, total: keys.length + 1000, gaps },
  });
  const e = evictedAway(input, ns(FAULT_MS));
  const l = checkWriteLossAttributed(e.input, { maxLost: 0, acceptLossFromOldMaster: false, sinceNs: ns(FAULT_MS) });
  return { ...e, check: l.check };
}

describe('evictedAway: eviction by the memory policy is not loss, and hides no loss', () => {
  it('sets aside a write the final master evicted, and one the old master evicted before the fault', () => {
    const r = loss(['n2', 'k3'], [evicted('n2', FAULT_MS + 9000, NEW.addr), evicted('k3', FAULT_MS - 500, OLD.addr)]);
    expect(r.check.valid).toBe(true);
    expect(r.check.figures.writes_lost).toBe(0);
    expect(r.figures).toEqual({ evictions_total: 1002, writes_evicted: 2, writes_evicted_elsewhere: 0 });
    expect(r.warning).toContain('2 acknowledged writes were evicted by the memory policy (not counted as lost)');
  });

  it('fails without the observer: an evicted write is a lost write (the check can fail on eviction)', () => {
    const input = trial({ history: history(...BEFORE, ...AFTER), readBack: readBack(ALL.filter((k) => k !== 'n2')) });
    const e = evictedAway(input, ns(FAULT_MS));
    expect(e.figures).toEqual({});
    const l = checkWriteLossAttributed(e.input, { maxLost: 0, acceptLossFromOldMaster: false });
    expect(l.check.valid).toBe(false);
    expect(l.check.figures.writes_lost).toBe(1);
  });

  it('counts a write lost by the failover as lost even when an eviction of it was seen elsewhere', () => {
    // k8 and k9 never reached the new master; the old master, back after the fault, evicted k9 from its discarded dataset.
    const r = loss(['k8', 'k9'], [evicted('k9', FAULT_MS + 3000, OLD.addr)]);
    expect(r.check.valid).toBe(false);
    expect(r.check.figures.writes_lost).toBe(2);
    expect(r.figures.writes_evicted).toBe(0);
    expect(r.figures.writes_evicted_elsewhere).toBe(1);
    expect(r.warning).toContain('1 evicted by a node that was not master of the surviving dataset (counted as lost)');
  });

  it('does not accept an eviction notified before the write was invoked (an older key of the same name)', () => {
    const r = loss(['k5'], [evicted('k5', FAULT_MS - 2000, OLD.addr)]);
    expect(r.check.valid).toBe(false);
    expect(r.check.figures.writes_lost).toBe(1);
    expect(r.figures.writes_evicted).toBe(0);
  });

  it('keeps losses next to evictions apart: one evicted, one lost, both reported', () => {
    const r = loss(['n1', 'k9'], [evicted('n1', FAULT_MS + 8000, NEW.addr)]);
    expect(r.figures.writes_evicted).toBe(1);
    expect(r.check.figures.writes_lost).toBe(1);
    expect(r.check.valid).toBe(false);
    expect(r.check.explanation).toContain('k9');
  });

  it('names the observer gaps in the warning', () => {
    const r = loss(['n2'], [evicted('n2', FAULT_MS + 9000, NEW.addr)], [OLD.addr]);
    expect(r.warning).toContain(`gaps on ${OLD.addr}`);
  });

  it('ignores an eviction of a key that is present (re-created) and without a read-back says nothing', () => {
    const r = loss([], [evicted('n2', FAULT_MS + 9000, NEW.addr)]);
    expect(r.figures.writes_evicted).toBe(0);
    expect(r.warning).toBeNull();
    const none = evictedAway(trial({ history: history(...BEFORE), readBack: null, evictions: { keys: [], total: 3, gaps: [] } }));
    expect(none.figures).toEqual({ evictions_total: 3, writes_evicted: null, writes_evicted_elsewhere: null });
  });
});

describe('withEvictedEvents', () => {
  it('adds E and e to the node setting, keeping what it had', () => {
    expect(withEvictedEvents('')).toBe('Ee');
    expect(withEvictedEvents('Kx')).toBe('KxEe');
    expect(withEvictedEvents('EA')).toBe('EA');
    expect(withEvictedEvents('Ee')).toBe('Ee');
  });
});
