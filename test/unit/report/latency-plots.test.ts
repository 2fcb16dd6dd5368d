// The latency scatter and rate plot: drawn from a history, downsampled to at most 4000 points, fault window shaded.
import { describe, expect, it } from 'vitest';
import { latencySamples } from '../../../src/checkers/latency.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import type { Op } from '../../../src/model/history.ts';
import { downsample, latencyPlots, MAX_SCATTER_POINTS } from '../../../src/report/latency-plots.ts';

const MS = 1e6;

/** n acked writes, one per ms from t = -1000 ms, 0.5 ms each except every 100th (50 ms); plus `fails` failed ones. */
function ops(n: number, fails = 0): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < n; i++) {
    const at = (i - 1000) * MS;
    out.push({ process: 'c', type: 'invoke', f: 'write', key: `k${i}`, ns: at });
    out.push({ process: 'c', type: i < fails ? 'fail' : 'ok', f: 'write', key: `k${i}`, ns: at + (i % 100 === 0 ? 50 : 0.5) * MS });
  }
  return out;
}

const events: TrialEvent[] = [
  { ns: 0, kind: 'fault', source: 'harness', type: 'landed', detail: '' },
  { ns: 2000 * MS, kind: 'fault', source: 'harness', type: 'healed', detail: '' },
];

const count = (html: string, re: RegExp): number => (html.match(re) ?? []).length;

describe('latencyPlots', () => {
  it('draws every operation of a small history, the rate path and the fault window', () => {
    const html = latencyPlots('s-1', events, ops(3000, 3), { ns: 0, axis: 'fault landed' }, 1000 * MS);
    expect(html).toContain('<svg id="latency-s-1"');
    expect(html).toContain('<svg id="rate-s-1"');
    expect(count(html, /<circle /g)).toBe(3000);
    expect(html).toContain('class="lat-fail"');
    expect(count(html, /class="fault-window"/g)).toBe(2);
    expect(count(html, /class="recovery-line"/g)).toBe(2);
    expect(html).toMatch(/<path d="M[^"]+Z" class="rate-area"/);
    expect(html).toContain('All 3000 completed operations drawn.');
  });

  it("keeps at most 4000 points of a large history, every failure and each slice's slowest ack", () => {
    const history = ops(60_000, 50);
    const html = latencyPlots('s-2', events, history, { ns: 0, axis: 'fault landed' }, null);
    const points = count(html, /<circle /g);
    expect(points).toBeLessThanOrEqual(MAX_SCATTER_POINTS);
    expect(points).toBeGreaterThan(1000);
    expect(html).toMatch(/\d+ of 60000 operations drawn/);
    const all = latencySamples(history);
    const kept = downsample(all, (s) => s.invokeNs / (60_000 * MS), 976);
    expect(kept.filter((s) => s.type === 'fail')).toHaveLength(50);
    expect(Math.max(...kept.map((s) => s.latencyMs))).toBe(50);
  });

  it('says so when nothing completed', () => {
    expect(latencyPlots('s-3', events, [], { ns: 0, axis: 'fault landed' }, null)).toContain('No completed operation');
  });
});
