// Latency per phase on hand-built histories: known latencies give known nearest-rank percentiles, empty phases give null.
import { describe, expect, it } from 'vitest';
import { ackRate, checkLatency, latencyFigures, latencySamples, latencyWindows } from '../../../src/checkers/latency.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import type { Op } from '../../../src/model/history.ts';
import { FAULT_MS, NEW, OLD, history, ns, trial, type WriteSpec } from './builders.ts';

/** n writes invoked every 10 ms from `from`, write i taking latencies[i % latencies.length] ms. */
function writes(prefix: string, from: number, latencies: number[], n: number, node = OLD.addr): WriteSpec[] {
  return Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, at: from + i * 10, done: from + i * 10 + latencies[i % latencies.length]!, node }));
}

const healed = (ms: number): TrialEvent => ({ ns: ns(ms), kind: 'fault', source: 'harness', type: 'healed', detail: '' });
const inject = (ms: number): TrialEvent => ({ ns: ns(ms), kind: 'fault', source: 'harness', type: 'inject', detail: '' });

describe('latencyFigures', () => {
  it('gives nearest-rank p50 / p99 / max per phase, split at the fault and the first ack on the new master', () => {
    // before: latencies 1..100 ms (one each): p50 = rank 50 → 50, p99 = rank 99 → 99, max 100.
    const before = Array.from({ length: 100 }, (_, i) => ({ key: `b${i}`, at: 1000 + i * 10, done: 1000 + i * 10 + (i + 1), node: OLD.addr }));
    // during: 4 writes invoked after the fault, acknowledged by the new master late.
    const during: WriteSpec[] = [
      { key: 'd0', at: FAULT_MS + 10, done: FAULT_MS + 6000, node: NEW.addr },
      { key: 'd1', at: FAULT_MS + 20, done: FAULT_MS + 6001, node: NEW.addr },
      { key: 'd2', at: FAULT_MS + 30, outcome: 'info', done: FAULT_MS + 1030 },
      { key: 'd3', at: FAULT_MS + 40, done: FAULT_MS + 6002, node: NEW.addr },
    ];
    const after = writes('a', FAULT_MS + 7000, [2, 2, 3, 4], 10, NEW.addr);
    const f = latencyFigures(trial({ history: history(...before, ...during, ...after) }));
    expect(f).toMatchObject({ latency_p50_before_ms: 50, latency_p99_before_ms: 99, latency_max_before_ms: 100, latency_acks_before: 100 });
    // First new-master ack at +5990 ms latency → d0 is the first-ack; invoked before it: d0, d1, d3 (the info is not acknowledged).
    expect(f).toMatchObject({ latency_p50_during_ms: 5981, latency_p99_during_ms: 5990, latency_max_during_ms: 5990, latency_acks_during: 3 });
    // after: 2,2,3,4,2,2,3,4,2,2 → sorted 2×6, 3×2, 4×2: p50 rank 5 → 2, p99 rank 10 → 4.
    expect(f).toMatchObject({ latency_p50_after_ms: 2, latency_p99_after_ms: 4, latency_max_after_ms: 4, latency_acks_after: 10 });
  });

  it('gives null, not 0, for a phase without an acknowledged operation', () => {
    const f = latencyFigures(trial({ history: history(...writes('b', 1000, [1], 5)) }));
    expect(f.latency_p50_before_ms).toBe(1);
    for (const p of ['during', 'after']) {
      expect(f[`latency_p50_${p}_ms`]).toBeNull();
      expect(f[`latency_p99_${p}_ms`]).toBeNull();
      expect(f[`latency_max_${p}_ms`]).toBeNull();
      expect(f[`latency_acks_${p}`]).toBe(0);
    }
  });

  it('without a failover ends "during" at the heal, and starts it at the inject mark', () => {
    const h = history(...writes('b', FAULT_MS - 100, [1], 5), ...writes('d', FAULT_MS, [7], 10), ...writes('a', FAULT_MS + 2000, [3], 10));
    const input = trial({ history: h, events: [inject(FAULT_MS - 60), healed(FAULT_MS + 2000)] });
    expect(latencyWindows(input)).toEqual({ faultNs: ns(FAULT_MS - 60), recoveryNs: ns(FAULT_MS + 2000), recovery: 'healed' });
    // b4 (invoked at -60 ms) is after the inject mark: "during".
    expect(latencyFigures(input)).toMatchObject({ latency_acks_before: 4, latency_acks_during: 11, latency_max_during_ms: 7, latency_max_after_ms: 3 });
  });

  it('without a fault puts every operation before', () => {
    const f = latencyFigures(trial({ faultNs: null, history: history(...writes('b', 0, [1, 2], 10)) }));
    expect(f).toMatchObject({ latency_acks_before: 10, latency_max_before_ms: 2, latency_p50_during_ms: null });
  });

  it('pairs per process and key and counts a late ok after a client timeout at its ack', () => {
    const h: Op[] = [
      { process: 'p1', type: 'invoke', f: 'write', key: 'k', ns: ns(0) },
      { process: 'p2', type: 'invoke', f: 'write', key: 'k', ns: ns(5) },
      { process: 'p2', type: 'ok', f: 'write', key: 'k', ns: ns(6) },
      { process: 'p1', type: 'info', f: 'write', key: 'k', ns: ns(1000), error: 'timeout' },
      { process: 'p1', type: 'ok', f: 'write', key: 'k', ns: ns(1500), late: true },
    ];
    expect(latencySamples(h).map((s) => [s.process, s.type, s.latencyMs])).toEqual([
      ['p1', 'ok', 1500],
      ['p2', 'ok', 1],
    ]);
  });
});

describe('checkLatency', () => {
  const input = trial({ history: history(...writes('b', 1000, [1], 5), ...writes('a', FAULT_MS + 100, [4, 6], 10, NEW.addr)) });

  it('passes without bounds and within them', () => {
    expect(checkLatency(input, {}).valid).toBe(true);
    expect(checkLatency(input, { bounds: { p99AfterMs: 6, p50BeforeMs: 1 } }).valid).toBe(true);
  });

  it('fails a breach, naming the figure, the bound and the value', () => {
    const r = checkLatency(input, { bounds: { p99AfterMs: 5 } });
    expect(r.valid).toBe(false);
    expect(r.explanation).toContain('latency_p99_after_ms = 6 ms exceeds the bound 5 ms');
  });

  it('is unknown when a bounded phase had no acknowledged operation', () => {
    const r = checkLatency(trial({ history: history(...writes('b', 1000, [1], 5)) }), { bounds: { maxAfterMs: 100 } });
    expect(r.valid).toBe('unknown');
    expect(r.explanation).toContain('latency_max_after_ms (bound 100 ms): no acknowledged operation after recovery');
  });
});

describe('ackRate', () => {
  it('counts acks per bucket by completion time, empty buckets included', () => {
    const h = history(...writes('x', FAULT_MS - 150, [1], 3), ...writes('y', FAULT_MS + 200, [1], 2));
    expect(ackRate(h, ns(FAULT_MS), 100)).toEqual([
      { startMs: -200, acks: 3 },
      { startMs: -100, acks: 0 },
      { startMs: 0, acks: 0 },
      { startMs: 100, acks: 0 },
      { startMs: 200, acks: 2 },
    ]);
  });
});
