// A schedule's invariants on hand-built histories: windows, two masters outside them, lost writes outside them.
import { describe, expect, it } from 'vitest';
import { acceptedWindows, ackedOutside, invariantChecks, multiMasterOutside, outside, stepsBefore } from '../../../src/checkers/invariants.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import type { Op } from '../../../src/model/history.ts';

const MS = 1e6;
const role = (ms: number, node: string, r: string): TrialEvent => ({ ns: ms * MS, kind: 'role', source: node, type: r, detail: '' });
const ok = (ms: number, key: string, node = 'a:1'): Op => ({ process: 'c', type: 'ok', f: 'write', key, ns: ms * MS, node });

describe('schedule invariants', () => {
  it('ends a step window at the first convergence after its heal, or at heal + the bound; an unhealed step stays open', () => {
    const w = acceptedWindows(
      [
        { step: 0, startNs: 100 * MS, healedNs: 200 * MS },
        { step: 1, startNs: 300 * MS, healedNs: 400 * MS },
        { step: 2, startNs: 500 * MS },
      ],
      [250 * MS],
      1000,
      900 * MS,
    );
    expect(w).toEqual([
      { step: 0, startNs: 100 * MS, endNs: 250 * MS },
      { step: 1, startNs: 300 * MS, endNs: 1400 * MS },
      { step: 2, startNs: 500 * MS, endNs: 900 * MS },
    ]);
  });

  it('subtracts windows from an interval', () => {
    expect(
      outside({ startNs: 0, endNs: 100 }, [
        { startNs: 20, endNs: 30 },
        { startNs: 50, endNs: 200 },
      ]),
    ).toEqual([
      { startNs: 0, endNs: 20 },
      { startNs: 30, endNs: 50 },
    ]);
    expect(outside({ startNs: 0, endNs: 100 }, [{ startNs: 0, endNs: 100 }])).toEqual([]);
  });

  it('accepts two masters inside a window and reports the part outside it', () => {
    const events = [role(0, 'a', 'master'), role(0, 'b', 'slave'), role(150, 'b', 'master'), role(400, 'a', 'slave')];
    const windows = [{ startNs: 100 * MS, endNs: 300 * MS }];
    expect(multiMasterOutside(events, windows, 0, 1000 * MS)).toEqual([{ startNs: 300 * MS, endNs: 400 * MS, masters: ['a', 'b'] }]);
    expect(multiMasterOutside(events, [{ startNs: 100 * MS, endNs: 500 * MS }], 0, 1000 * MS)).toEqual([]);
    // Only the stretch asked for.
    expect(multiMasterOutside(events, windows, 350 * MS, 1000 * MS)).toEqual([{ startNs: 350 * MS, endNs: 400 * MS, masters: ['a', 'b'] }]);
  });

  it('counts a write by its first acknowledgement, outside every window and within the stretch', () => {
    const h = [ok(10, 'k1'), ok(150, 'k2'), ok(160, 'k1'), ok(350, 'k3'), ok(900, 'k4')];
    const acked = ackedOutside(h, [{ startNs: 100 * MS, endNs: 300 * MS }], 0, 800 * MS);
    expect([...acked.keys()]).toEqual(['k1', 'k3']);
  });

  it('names the last five steps started before a violation', () => {
    const steps = Array.from({ length: 8 }, (_, i) => ({ step: i, startNs: i * 10 * MS }));
    expect(stepsBefore(steps, 65 * MS)).toEqual([2, 3, 4, 5, 6]);
    expect(stepsBefore(steps, -1)).toEqual([]);
  });

  it('gives one check per invariant, failing with the first violation and the steps before it', () => {
    const checks = invariantChecks(
      [
        { invariant: 'no-lost-writes', atMs: 900, detail: 'later', steps: [1] },
        { invariant: 'no-lost-writes', atMs: 500, detail: '2 writes missing', steps: [0, 1] },
      ],
      3,
      (s) => s.map((i) => `step ${i + 1}`).join(', '),
    );
    expect(checks.map((c) => [c.name, c.valid])).toEqual([
      ['invariant/single-master', true],
      ['invariant/convergence', true],
      ['invariant/sentinels-agree', true],
      ['invariant/no-lost-writes', false],
    ]);
    expect(checks[3]!.explanation).toBe('2 violation(s); the first at 500 ms: 2 writes missing; after step 1, step 2');
    expect(checks[3]!.figures).toEqual({ violations_no_lost_writes: 2 });
    expect(checks[0]!.explanation).toBe('held at 3 quiescent point(s) and at the end');
  });
});
