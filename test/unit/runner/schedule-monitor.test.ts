import { describe, expect, it, vi } from 'vitest';
import { WriteFold } from '../../../src/checkers/history-fold.ts';
import type { Clock } from '../../../src/clock.ts';
import type { Op } from '../../../src/model/history.ts';
import type { RealisedStep, Violation } from '../../../src/model/schedule.ts';
import { ScheduleMonitor, type LostSelection } from '../../../src/runner/schedule-monitor.ts';

const S = 1e9;
const ok = (key: string, at: number): Op[] => [
  { process: 'c', type: 'invoke', f: 'write', key, ns: at - 1e6 },
  { process: 'c', type: 'ok', f: 'write', key, ns: at, node: '127.0.0.1:6379' },
];

/** The final check's lost writes as a streamed run tells them: every operation folded again with the selection. */
function fromFile(file: Op[]) {
  return (present: ReadonlySet<string>) => async (sel: LostSelection) => {
    const fold = new WriteFold({ lost: { present, also: [sel] } });
    for (const op of file) fold.add(op);
    return fold.lostWrites(present, sel);
  };
}

describe('ScheduleMonitor over the live fold', () => {
  it.each([
    ['in memory', false],
    ['streamed: flags only, the end from the file', true],
  ])('reads each stretch once: a lost write outside the windows is reported at its checkpoint, once, and a later one at the end (%s)', async (_, streamed) => {
    let now = 0;
    const clock = { nowNs: () => now } as unknown as Clock;
    const live = new WriteFold({ newAcks: true, details: !streamed });
    const file: Op[] = [];
    const writes = { add: (op: Op) => (live.add(op), file.push(op)) };
    const present = new Set(['k:0', 'k:2', 'k:3']);
    const asked: string[][] = [];
    const violations: Violation[] = [];
    // Step 0 from 4 s to its heal at 5 s: k:3, acked at 4.5 s, is inside its window and excused.
    const realised: RealisedStep[] = [{ step: 0, kind: 'pause', startMs: 4000, landedMs: 4100, healedMs: 5000 }];
    const m = new ScheduleMonitor({
      clock,
      startNs: 0,
      realised: () => realised,
      events: () => [],
      writes: live,
      convergeMs: 1000,
      signal: new AbortController().signal,
      io: {
        inspect: async () => ({ ok: true }),
        readBack: async (keys) => {
          asked.push([...keys]);
          return { ns: now, present: new Set([...keys].filter((k) => present.has(k))), node: 'redis-0' };
        },
        sentinelMasters: async () => [],
      },
      onViolation: (v) => violations.push(v),
    });
    for (const op of [...ok('k:0', 1 * S), ...ok('k:1', 2 * S)]) writes.add(op);
    now = 3 * S;
    m.quiescent();
    await m.final(3 * S, null, null); // waits for the checkpoint; no read-back yet
    expect(asked).toEqual([['k:0', 'k:1']]);
    expect(violations.map((v) => [v.invariant, v.atMs])).toEqual([['no-lost-writes', 2000]]);
    expect(violations[0]!.detail).toContain('k:1');

    for (const op of [...ok('k:2', 3.5 * S), ...ok('k:3', 4.5 * S), ...ok('k:4', 6.5 * S)]) writes.add(op);
    now = 7 * S;
    m.quiescent();
    await vi.waitFor(() => expect(asked).toHaveLength(2));
    // The second checkpoint asked only for its own stretch, without the window's write (step 0 until convergence, 6 s).
    expect(asked[1]).toEqual(['k:2', 'k:4']);
    for (const op of ok('k:5', 7.2 * S)) writes.add(op);
    const end = new Set(['k:0', 'k:2', 'k:3']);
    await m.final(7.5 * S, { ns: now, present: end, node: 'redis-0' }, { ok: true, reason: '' }, streamed ? fromFile(file)(end) : undefined);
    // k:4 at its checkpoint; at the end k:1 and k:4 not again, k:3 excused by the window, k:5 lost.
    const lost = violations.filter((v) => v.invariant === 'no-lost-writes');
    expect(lost.map((v) => v.atMs)).toEqual([2000, 6500, 7200]);
    expect(lost[1]!.detail).toContain('1 acknowledged write(s)');
    expect(lost[2]!.detail).toMatch(/^1 acknowledged write\(s\) .*k:5/);
  });

  it('names the step that lost a write even when it started after the acknowledgement', async () => {
    let now = 0;
    const clock = { nowNs: () => now } as unknown as Clock;
    const writes = new WriteFold({ newAcks: true });
    const violations: Violation[] = [];
    // k:0 acknowledged at 1 s, outside every window; step 0 (the master restarted on a stale data dir) from 2 s to 2.5 s.
    const realised: RealisedStep[] = [{ step: 0, kind: 'pod-restart', startMs: 2000, landedMs: 2010, healedMs: 2500 }];
    const m = new ScheduleMonitor({
      clock,
      startNs: 0,
      realised: () => realised,
      events: () => [],
      writes,
      convergeMs: 1000,
      signal: new AbortController().signal,
      io: {
        inspect: async () => ({ ok: true }),
        readBack: async () => ({ ns: now, present: new Set<string>(), node: 'redis-0' }),
        sentinelMasters: async () => [],
      },
      onViolation: (v) => violations.push(v),
    });
    for (const op of ok('k:0', 1 * S)) writes.add(op);
    now = 3 * S;
    m.quiescent();
    await m.final(3 * S, null, null);
    expect(violations.map((v) => [v.invariant, v.atMs, v.steps])).toEqual([['no-lost-writes', 1000, [0]]]);
  });
});
