// Split brain: intervals with more than one node answering ROLE "master", their writers, and the bound.
import { describe, expect, it } from 'vitest';
import { checkSplitBrain, splitBrainIntervals } from '../../../src/checkers/split-brain.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import { FAULT_MS, NEW, OLD, history, ns, sentinel, trial } from './builders.ts';

const THIRD = '10.0.0.3:6379';

/** A ROLE sample of `node`, `afterMs` after the fault. */
const role = (afterMs: number, node: string, type: 'master' | 'slave' | 'unreachable'): TrialEvent => ({
  ns: ns(FAULT_MS + afterMs),
  kind: 'role',
  source: node,
  type,
  detail: type,
});

/** Before the fault: OLD master, NEW replica. */
const BEFORE: TrialEvent[] = [role(-5000, OLD.addr, 'master'), role(-5000, NEW.addr, 'slave')];

/** Clean failover: OLD unreachable from +1 s, NEW promoted at +7 s, OLD still unreachable at +15 s. */
const CLEAN: TrialEvent[] = [...BEFORE, role(1000, OLD.addr, 'unreachable'), role(7000, NEW.addr, 'master'), role(15_000, OLD.addr, 'unreachable')];

/** OLD comes back at +20 s still claiming master, and is demoted at +30 s. */
const RETURNING: TrialEvent[] = [...CLEAN, role(20_000, OLD.addr, 'master'), role(25_000, NEW.addr, 'master'), role(30_000, OLD.addr, 'slave')];

const BOUND = { maxSplitBrainMs: 0 };

describe('splitBrainIntervals', () => {
  it('finds nothing in a clean failover', () => {
    expect(splitBrainIntervals(CLEAN, ns(FAULT_MS + 60_000))).toEqual([]);
  });

  it('finds the interval a returning old master claims master alongside the new one', () => {
    expect(splitBrainIntervals(RETURNING, ns(FAULT_MS + 60_000))).toEqual([
      { startNs: ns(FAULT_MS + 20_000), endNs: ns(FAULT_MS + 30_000), masters: [OLD.addr, NEW.addr].sort() },
    ]);
  });

  it('ignores non-role events and sorts role events by time', () => {
    const shuffled = [...RETURNING].reverse();
    const withNoise = [
      ...shuffled,
      // A sentinel event whose source is a node address and whose type is "master" is not a ROLE sample.
      { ns: ns(FAULT_MS + 40_000), kind: 'sentinel' as const, source: THIRD, type: 'master', detail: 'x' },
    ];
    expect(splitBrainIntervals(withNoise, ns(FAULT_MS + 60_000))).toEqual([
      { startNs: ns(FAULT_MS + 20_000), endNs: ns(FAULT_MS + 30_000), masters: [OLD.addr, NEW.addr].sort() },
    ]);
  });

  it('closes an interval left open at endNs', () => {
    const open = [...CLEAN, role(20_000, OLD.addr, 'master')];
    expect(splitBrainIntervals(open, ns(FAULT_MS + 26_000))).toEqual([
      { startNs: ns(FAULT_MS + 20_000), endNs: ns(FAULT_MS + 26_000), masters: [OLD.addr, NEW.addr].sort() },
    ]);
  });

  it('never counts "unreachable" as a master claim', () => {
    const events = [
      role(0, OLD.addr, 'master'),
      role(0, NEW.addr, 'unreachable'),
      role(0, THIRD, 'unreachable'),
      role(1000, OLD.addr, 'unreachable'),
      role(2000, NEW.addr, 'master'),
      role(3000, THIRD, 'unreachable'),
    ];
    expect(splitBrainIntervals(events, ns(FAULT_MS + 60_000))).toEqual([]);
  });

  it('reports three masters at once, and every node that claimed master during one interval', () => {
    const events = [
      ...BEFORE,
      role(-5000, THIRD, 'slave'),
      role(1000, NEW.addr, 'master'), // OLD and NEW: opens
      role(2000, THIRD, 'master'), // three at once
      role(3000, NEW.addr, 'slave'), // OLD and THIRD: still open
      role(4000, OLD.addr, 'slave'), // THIRD alone: closes
      role(10_000, OLD.addr, 'master'), // OLD and THIRD again: a second interval
      role(12_000, THIRD, 'unreachable'), // closes
    ];
    expect(splitBrainIntervals(events, ns(FAULT_MS + 60_000))).toEqual([
      { startNs: ns(FAULT_MS + 1000), endNs: ns(FAULT_MS + 4000), masters: [OLD.addr, NEW.addr, THIRD].sort() },
      { startNs: ns(FAULT_MS + 10_000), endNs: ns(FAULT_MS + 12_000), masters: [OLD.addr, THIRD].sort() },
    ]);
  });
});

describe('checkSplitBrain', () => {
  it('passes a clean failover: no interval, 0 ms, the old master never demoted', () => {
    const r = checkSplitBrain(trial({ events: CLEAN }), BOUND);
    expect(r.name).toBe('split-brain');
    expect(r.valid).toBe(true);
    expect(r.figures).toEqual({ split_brain_ms: 0, split_brain_intervals: 0, split_brain_dual_write_ms: 0, demoted_ms: null });
    expect(r.explanation).toBe('never more than one node claimed master');
  });

  it('measures a returning old master: one 10 s interval, demoted_ms from the fault to its first "slave" after it', () => {
    // OLD was a replica once before the fault (an earlier switchover): that sample is not a demotion.
    const earlier = [role(-9000, OLD.addr, 'slave'), role(-9000, NEW.addr, 'master'), role(-8000, NEW.addr, 'slave'), role(-8000, OLD.addr, 'master')];
    const events = [...earlier, ...RETURNING, role(40_000, OLD.addr, 'slave')];
    const r = checkSplitBrain(trial({ events }), { maxSplitBrainMs: 10_000 });
    expect(r.figures).toEqual({ split_brain_ms: 10_000, split_brain_intervals: 1, split_brain_dual_write_ms: 0, demoted_ms: 30_000 });
    expect(r.valid).toBe(true);
    const pair = [OLD.addr, NEW.addr].sort().join(' and ');
    expect(r.explanation).toContain(`1 interval(s), 10000 ms in total with more than one master (bound 10000 ms)`);
    expect(r.explanation).toContain(`20000 ms–30000 ms: ${pair} claim master`);
  });

  it('closes an interval left open at the last event or operation', () => {
    const events = [...CLEAN, role(20_000, OLD.addr, 'master'), sentinel(FAULT_MS + 22_000, '+sdown', 'slave x')];
    // The last op (an ack at +25 s) is later than the last event (+22 s).
    const h = history({ key: 'a', at: FAULT_MS + 24_000, done: FAULT_MS + 25_000, node: NEW.addr });
    const r = checkSplitBrain(trial({ events, history: h }), BOUND);
    expect(r.figures.split_brain_ms).toBe(5000);
    expect(r.figures.split_brain_intervals).toBe(1);
    expect(r.figures.demoted_ms).toBeNull();
    expect(r.valid).toBe(false);

    // Without history, the last event (+22 s) closes it.
    const r2 = checkSplitBrain(trial({ events }), BOUND);
    expect(r2.figures.split_brain_ms).toBe(2000);
  });

  it('does not count "unreachable" as a master claim', () => {
    const events = [...CLEAN, role(20_000, OLD.addr, 'unreachable'), role(21_000, THIRD, 'unreachable')];
    const r = checkSplitBrain(trial({ events }), BOUND);
    expect(r.valid).toBe(true);
    expect(r.figures.split_brain_ms).toBe(0);
    expect(r.figures.split_brain_intervals).toBe(0);
  });

  it('handles three masters at once', () => {
    const events = [
      ...CLEAN,
      role(-5000, THIRD, 'slave'),
      role(20_000, OLD.addr, 'master'),
      role(21_000, THIRD, 'master'),
      role(23_000, OLD.addr, 'slave'),
      role(24_000, THIRD, 'slave'),
    ];
    const r = checkSplitBrain(trial({ events }), BOUND);
    expect(r.figures.split_brain_ms).toBe(4000);
    expect(r.figures.split_brain_intervals).toBe(1);
    expect(r.figures.demoted_ms).toBe(23_000);
    expect(r.explanation).toContain(`${[OLD.addr, NEW.addr, THIRD].sort().join(' and ')} claim master`);
  });

  it('counts the interval as dual-write time when two nodes acknowledged writes inside it', () => {
    const h = history(
      { key: 'o1', at: FAULT_MS + 24_000, done: FAULT_MS + 25_000, node: OLD.addr },
      { key: 'n1', at: FAULT_MS + 25_500, done: FAULT_MS + 26_000, node: NEW.addr },
    );
    const r = checkSplitBrain(trial({ events: RETURNING, history: h }), { maxSplitBrainMs: 10_000 });
    expect(r.figures.split_brain_ms).toBe(10_000);
    expect(r.figures.split_brain_dual_write_ms).toBe(10_000);
    expect(r.explanation).toContain(`writes acknowledged by ${[OLD.addr, NEW.addr].sort().join(' and ')}`);
  });

  it('reports no dual-write time when only one node acknowledged writes inside the interval', () => {
    const h = history(
      // OLD acked before the fault and after its demotion: outside the interval.
      { key: 'o0', at: FAULT_MS - 2000, node: OLD.addr },
      { key: 'o9', at: FAULT_MS + 35_000, node: OLD.addr },
      { key: 'n1', at: FAULT_MS + 21_000, node: NEW.addr },
      { key: 'n2', at: FAULT_MS + 29_000, node: NEW.addr },
      // Failures and indeterminate writes name no acknowledging node.
      { key: 'f1', at: FAULT_MS + 22_000, outcome: 'fail' },
      { key: 'i1', at: FAULT_MS + 23_000, outcome: 'info' },
    );
    const r = checkSplitBrain(trial({ events: RETURNING, history: h }), { maxSplitBrainMs: 10_000 });
    expect(r.figures.split_brain_ms).toBe(10_000);
    expect(r.figures.split_brain_dual_write_ms).toBe(0);
    expect(r.explanation).not.toContain('writes acknowledged by');
  });

  it('fails when the bound is exceeded and names the bound', () => {
    const r = checkSplitBrain(trial({ events: RETURNING }), { maxSplitBrainMs: 9999 });
    expect(r.valid).toBe(false);
    expect(r.figures.split_brain_ms).toBe(10_000);
    expect(r.explanation).toContain('(bound 9999 ms)');
    expect(r.explanation).toContain('10000 ms in total');
  });

  it('is unknown without role events', () => {
    const events = [sentinel(FAULT_MS + 5000, '+sdown', 'master mymaster 10.0.0.1 6379')];
    const h = history({ key: 'a', at: FAULT_MS + 1000 });
    const r = checkSplitBrain(trial({ events, history: h }), BOUND);
    expect(r.valid).toBe('unknown');
    expect(r.explanation).toMatch(/ROLE/);
    expect(r.figures.split_brain_intervals).toBe(0);
  });
});

describe('checkSplitBrain on a long history', () => {
  it('does not overflow the call stack (300 000 operations)', () => {
    const history = Array.from({ length: 300_000 }, (_, i) => ({
      process: 'c',
      type: 'ok' as const,
      f: 'write' as const,
      key: `k${i}`,
      ns: i * 1000,
      node: 'a:1',
    }));
    const events: TrialEvent[] = [{ ns: 0, kind: 'role', source: 'a:1', type: 'master', detail: '' }];
    const r = checkSplitBrain({ history, events, readBack: null, faultNs: null, oldMaster: null, masterName: 'mymaster' }, { maxSplitBrainMs: 0 });
    expect(r.valid).toBe(true);
  });
});
