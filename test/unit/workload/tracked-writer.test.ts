import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { Op } from '../../../src/model/history.ts';
import { TrackedWriter } from '../../../src/workload/tracked-writer.ts';

describe('TrackedWriter with keepMs (a streamed history)', () => {
  it('hands every operation to onOp and keeps only the recent ones', async () => {
    const clock = createClock();
    const streamed: Op[] = [];
    const w = new TrackedWriter({
      name: 'c',
      client: { set: async () => 'OK' },
      clock,
      keyPrefix: 'p',
      rateHz: 20_000,
      maxInFlight: 1000,
      timeoutMs: 1000,
      onOp: (op) => streamed.push(op),
      keepMs: 50,
    });
    const held = w.history;
    w.start();
    // Until three trims' worth, not for a fixed time: a loaded machine writes slower (bounded at 20 s).
    for (let t = 0; streamed.length <= 4096 * 3 && t < 400; t++) await new Promise((r) => setTimeout(r, 50));
    await w.stop(100);
    expect(streamed.length).toBeGreaterThan(4096 * 2);
    expect(w.acked).toBe(streamed.filter((o) => o.type === 'ok').length);
    expect(w.history.length).toBeLessThan(streamed.length / 2);
    const last = w.history.at(-1)!.ns;
    // Trimmed every 4096 records: what is kept reaches back keepMs, plus at most one batch, from the newest.
    expect(w.history.length <= 4096 + streamed.filter((o) => last - o.ns <= 50e6).length).toBe(true);
    expect(w.history).toEqual(streamed.slice(streamed.length - w.history.length));
    // Trimmed in place, not copied.
    expect(w.history).toBe(held);
  });
});
