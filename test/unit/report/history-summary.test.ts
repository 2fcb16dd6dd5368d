import { describe, expect, it } from 'vitest';
import type { Op } from '../../../src/model/history.ts';
import { downsampleMax, MAX_RATE_POINTS, SummaryFold, windowCoverage } from '../../../src/report/history-summary.ts';

const MS = 1e6;

describe('downsampleMax', () => {
  it('keeps at most max points, and each one-bucket spike and gap', () => {
    const points = Array.from({ length: 36_000 }, (_, i) => ({ x: i * 100, y: 20 }));
    points[12_345]!.y = 900; // a burst of late acknowledgements
    points[30_001]!.y = 0; // an outage of one bucket
    const d = downsampleMax(points, 1000);
    expect(d.length).toBeLessThanOrEqual(1000);
    expect(Math.max(...d.map((p) => p.max))).toBe(900);
    expect(Math.min(...d.map((p) => p.min))).toBe(0);
    const spike = d.find((p) => p.max === 900)!;
    expect(spike.x).toBeLessThanOrEqual(12_345 * 100);
    expect(d[1]!.x - d[0]!.x).toBe(3600); // 36 buckets of 100 ms per point
    expect(d.every((p, i) => i === 0 || p.x > d[i - 1]!.x)).toBe(true);
  });

  it('leaves a short series as it is and refuses a zero budget', () => {
    const pts = [
      { x: 0, y: 1 },
      { x: 1, y: 5 },
    ];
    expect(downsampleMax(pts, 10)).toEqual([
      { x: 0, max: 1, min: 1 },
      { x: 1, max: 5, min: 5 },
    ]);
    expect(downsampleMax([], 10)).toEqual([]);
    expect(() => downsampleMax(pts, 0)).toThrow(RangeError);
  });
});

describe('SummaryFold', () => {
  // One write every 10 ms for 200 s; a fault window from 100 s to 110 s in which writes time out; one slow write.
  function run(): { ops: Op[]; lost: Set<string> } {
    const ops: Op[] = [];
    const lost = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const t = i * 10 * MS;
      const key = `c:${i}`;
      ops.push({ process: 'c', type: 'invoke', f: 'write', key, ns: t });
      if (t >= 100_000 * MS && t < 110_000 * MS) ops.push({ process: 'c', type: 'info', f: 'write', key, ns: t + 3000 * MS, error: 'timeout' });
      else {
        const lat = i === 15_000 ? 2500 : 1;
        ops.push({ process: 'c', type: 'ok', f: 'write', key, ns: t + lat * MS, node: 'n1' });
        if (i === 9000) lost.add(key);
      }
    }
    return { ops: ops.sort((a, b) => a.ns - b.ns), lost };
  }

  it('samples a bounded set that keeps the slowest write, the failures and the lost write; the rate and the window figures', () => {
    const { ops, lost } = run();
    const fold = new SummaryFold({
      fromNs: 0,
      toNs: ops.at(-1)!.ns,
      originNs: 0,
      isLost: (k) => lost.has(k),
      windows: [{ label: 'step 0 pause', startNs: 100_000 * MS, endNs: 110_000 * MS }],
    });
    for (const op of ops) fold.add(op);
    const { sample, summary } = fold.finish();
    expect(summary.ops).toBe(ops.length);
    expect(sample.length).toBeLessThan(20_000);
    expect(sample.length).toBe(summary.sampled);
    expect(sample.some((o) => o.key === 'c:15000' && o.type === 'ok')).toBe(true); // the slow one
    expect(sample.some((o) => o.key === 'c:9000' && o.type === 'ok')).toBe(true); // the lost one
    expect(sample.filter((o) => o.type === 'info')).toHaveLength(1000);
    expect(summary.rate.bucketMs).toBe(1000);
    expect(summary.rate.points.length).toBeLessThanOrEqual(MAX_RATE_POINTS);
    expect(Math.max(...summary.rate.points.map((p) => p.max))).toBe(101); // 100 a second, plus the slow write acked 2.5 s late
    expect(summary.rate.points.some((p) => p.min === 0)).toBe(true); // the window's outage (info only)
    const [step, outside] = summary.windows;
    expect(step).toMatchObject({ label: 'step 0 pause', invoked: 1001, acked: 1, notOk: 1000, lost: 0 });
    expect(outside).toMatchObject({ label: 'outside every window', invoked: 18_999, acked: 18_999, notOk: 0, lost: 1, maxLatencyMs: 2500 });
  });

  it('coverage: the share of the run inside a window (overlaps counted once) and the writes first acknowledged inside and outside', () => {
    // A write every 10 ms for 100 s, acknowledged 1 ms later; windows 10–30 s and 20–40 s (overlapping) and 90–120 s
    // (past the history's end): 20 + 10 of 100 s. Inside the windows every other write is lost, outside one.
    const ops: Op[] = [];
    const lost = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const t = i * 10 * MS;
      const key = `c:${i}`;
      ops.push({ process: 'c', type: 'invoke', f: 'write', key, ns: t });
      ops.push({ process: 'c', type: 'ok', f: 'write', key, ns: t + MS, node: 'n1' });
      const inside = (t >= 10_000 * MS && t < 40_000 * MS) || t >= 90_000 * MS;
      if ((inside && i % 2 === 0) || i === 5000) lost.add(key);
    }
    ops.push({ process: 'c', type: 'ok', f: 'write', key: 'c:5000', ns: 99_999.5 * MS, node: 'n1' }); // a second ack counts once
    ops.sort((a, b) => a.ns - b.ns);
    const fold = new SummaryFold({
      fromNs: 0,
      toNs: 100_000 * MS,
      originNs: 0,
      isLost: (k) => lost.has(k),
      windows: [
        { label: 'step 1', startNs: 10_000 * MS, endNs: 30_000 * MS },
        { label: 'step 2', startNs: 20_000 * MS, endNs: 40_000 * MS },
        { label: 'step 3', startNs: 90_000 * MS, endNs: 120_000 * MS },
      ],
    });
    for (const op of ops) fold.add(op);
    const { coverage } = fold.finish().summary;
    // Acknowledged inside: the writes whose ack (t + 1 ms) falls in [10 s, 40 s] or [90 s, …]: 3000 + 1000 (the write
    // at 40 s, acknowledged at 40.001 s, is outside).
    expect(coverage).toEqual({
      faultWindowCoverage: 0.4,
      ackedInside: 4000,
      ackedOutside: 6000,
      lostInside: 2000,
      lostOutside: 1,
      lostShareInside: 0.5,
    });
    expect(windowCoverage([], 0, 10)).toBe(0);
    expect(windowCoverage([{ startNs: 0, endNs: 10 }], 5, 5)).toBeNull();
  });
});
