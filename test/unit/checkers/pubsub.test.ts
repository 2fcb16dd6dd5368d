// The pub/sub checker on hand-built histories: a clean subscriber, one that never resubscribes, a measured gap.
import { describe, expect, it } from 'vitest';
import { checkPubSub, subscriberStats } from '../../../src/checkers/pubsub.ts';
import type { PubSubHistory, PubSubOp } from '../../../src/model/pubsub.ts';

const MS = 1e6;
const FAULT = 1000 * MS;
const OLD = '127.0.0.1:6379';
const NEW = '127.0.0.2:6379';

/** Publisher: one message every 100 ms from 0 to `endMs`, acknowledged except while `down` (ms, inclusive-exclusive). */
function publisher(endMs: number, down: [number, number]): PubSubOp[] {
  const ops: PubSubOp[] = [];
  for (let t = 0, n = 0; t <= endMs; t += 100, n++) {
    const ok = t < down[0] || t >= down[1];
    ops.push({ process: 'pub', type: 'invoke', f: 'publish', key: `m:${n}`, ns: t * MS });
    ops.push(
      ok
        ? { process: 'pub', type: 'ok', f: 'publish', key: `m:${n}`, ns: t * MS + 1, receivers: 1 }
        : { process: 'pub', type: 'fail', f: 'publish', key: `m:${n}`, ns: t * MS + 1 },
    );
  }
  return ops;
}

/** A subscriber receiving every acknowledged message in [from, to) ms (several ranges). */
function receives(name: string, pub: PubSubOp[], ranges: [number, number][]): PubSubOp[] {
  return pub
    .filter((o) => o.type === 'ok' && ranges.some(([a, b]) => o.ns >= a * MS && o.ns < b * MS))
    .map((o) => ({ process: name, type: 'ok', f: 'receive', key: o.key, ns: o.ns + 2 * MS }));
}

const info = (process: string, f: string, atMs: number, node?: string): PubSubOp => ({
  process,
  type: 'info',
  f,
  key: 'ch',
  ns: atMs * MS,
  ...(node ? { node } : {}),
});

function history(extra: PubSubOp[], pub: PubSubOp[]): PubSubHistory {
  return {
    publisher: 'pub',
    subscribers: [{ name: 'sub', path: 'sentinel', library: 'test' }],
    ops: [...pub, ...extra].sort((a, b) => a.ns - b.ns),
  };
}

describe('checkPubSub', () => {
  const pub = publisher(12_000, [1000, 3000]);

  it('passes a subscriber that resubscribes on the new master, and reports what it missed', () => {
    const h = history(
      [
        info('sub', 'subscribed', -1, OLD),
        info('sub', 'disconnected', 1001),
        info('sub', 'connected', 2500),
        info('sub', 'subscribed', 2600, NEW),
        ...receives('sub', pub, [
          [0, 1000],
          [2700, 13_000],
        ]),
      ],
      pub,
    );
    const r = checkPubSub(h, { faultNs: FAULT, oldMaster: OLD });
    expect(r.valid).toBe(true);
    expect(r.figures['sub.resubscribe_ms']).toBe(1600);
    expect(r.figures['sub.dead_subscribers']).toBeUndefined();
    expect(r.figures.dead_subscribers).toBe(0);
    // Messages published 3000 ms on were delivered; the failed ones are not counted as published.
    expect(r.figures['sub.lost']).toBe(0);
    expect(r.figures['sub.first_receive_after_fault_ms']).toBe(2002);
  });

  it('flags a subscriber that reconnects but never resubscribes as dead', () => {
    const h = history(
      [info('sub', 'subscribed', -1, OLD), info('sub', 'disconnected', 1001), info('sub', 'connected', 2500), ...receives('sub', pub, [[0, 1000]])],
      pub,
    );
    const r = checkPubSub(h, { faultNs: FAULT, oldMaster: OLD });
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/sub is a dead subscriber/);
    expect(r.figures.dead_subscribers).toBe(1);
    expect(r.figures['sub.silent_ms']).toBe(9000);
    expect(r.figures['sub.resubscribe_ms']).toBeNull();
  });

  it('flags a subscriber still connected to the old master that receives nothing; not when the silence is shorter than the limit', () => {
    const h = history([info('sub', 'subscribed', -1, OLD), ...receives('sub', pub, [[0, 1000]])], pub);
    expect(checkPubSub(h, { faultNs: FAULT, oldMaster: OLD }).valid).toBe(false);
    expect(checkPubSub(h, { faultNs: FAULT, oldMaster: OLD }, { deadAfterMs: 10_000 }).figures['sub.silent_ms']).toBe(9000);
    expect(checkPubSub(h, { faultNs: FAULT, oldMaster: OLD }, { deadAfterMs: 10_000 }).explanation).toMatch(/received nothing after the fault/);
  });

  it('measures the gap: the longest run of missing messages and the time it spans', () => {
    // Publisher acknowledged throughout; the subscriber misses 1000–2900 ms (20 messages) and 5000–5200 (3).
    const all = publisher(8000, [0, 0]);
    const h = history(
      [
        info('sub', 'subscribed', -1, OLD),
        info('sub', 'disconnected', 1001),
        info('sub', 'subscribed', 2950, NEW),
        ...receives('sub', all, [
          [0, 1000],
          [3000, 5000],
          [5300, 9000],
        ]),
      ],
      all,
    );
    const [s] = subscriberStats(h, { faultNs: FAULT, oldMaster: OLD });
    expect(s!.published).toBe(81);
    expect(s!.lost).toBe(23);
    expect(s!.gapMessages).toBe(20);
    expect(s!.gapMs).toBe(2100); // from the ack of m:9 (900 ms) to that of m:30 (3000 ms)
    expect(s!.dead).toBe(false);
    expect(checkPubSub(h, { faultNs: FAULT, oldMaster: OLD }).valid).toBe(true);
    expect(checkPubSub(h, { faultNs: FAULT, oldMaster: OLD }, { maxLost: 10 }).valid).toBe(false);
  });

  it('fails a subscriber that never subscribed', () => {
    const r = checkPubSub(history([], pub), { faultNs: FAULT, oldMaster: OLD });
    expect(r.valid).toBe(false);
    expect(r.explanation).toMatch(/never subscribed/);
  });

  it('cannot say "none dead" when the history ends sooner after the publisher resumed than deadAfterMs', () => {
    // The publisher resumes at 3000 ms; the history ends at 6000 ms: 3000 ms observed, a 5000 ms limit. The subscriber
    // receives again 3000–3500 ms, then nothing: silent 2500 ms by the end, which may be a dead subscriber or not.
    const short = publisher(6000, [1000, 3000]);
    const sub = [info('sub', 'subscribed', -1, OLD), info('sub', 'disconnected', 1001), info('sub', 'subscribed', 2500, NEW)];
    const window = (p: PubSubOp[]) =>
      receives('sub', p, [
        [0, 1000],
        [3000, 3500],
      ]);
    const r = checkPubSub(history([...sub, ...window(short)], short), { faultNs: FAULT, oldMaster: OLD }, { observeAfterMs: 7000 });
    expect(r.valid).toBe('unknown');
    expect(r.explanation).toMatch(/observed only 3000 ms .*raise observeAfterMs/);
    expect(r.figures.observe_after_ms).toBe(7000);
    // Observed long enough (to 12 000 ms), the same subscriber is flagged dead.
    const long = checkPubSub(history([...sub, ...window(pub)], pub), { faultNs: FAULT, oldMaster: OLD });
    expect(long.valid).toBe(false);
    expect(long.explanation).toMatch(/dead subscriber/);
    // A short window that covers the limit is judged.
    const ok = history([info('sub', 'subscribed', -1, OLD), ...receives('sub', short, [[0, 7000]])], short);
    expect(checkPubSub(ok, { faultNs: FAULT, oldMaster: OLD }, { deadAfterMs: 2000 }).valid).toBe(true);
  });
});
