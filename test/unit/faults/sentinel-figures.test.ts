// The sentinels' figures after a fault, from hand-built events: TILT, +sdown of the master, elections, and several +switch-master (flapping).
import { describe, expect, it } from 'vitest';
import { lazySentinelCheck, sentinelFigures } from '../../../src/faults/sentinel-figures.ts';
import type { TrialEvent } from '../../../src/model/events.ts';

const s = (ms: number, source: string, type: string, detail = ''): TrialEvent => ({ ns: ms * 1e6, kind: 'sentinel', source, type, detail });

describe('sentinelFigures', () => {
  const events = [
    s(100, 'sentinel-1', '+sdown', 'master mymaster a 6379'), // before the fault: ignored
    s(2_000, 'sentinel-1', '+tilt', '#tilt mode entered'),
    s(2_050, 'sentinel-2', '+tilt', '#tilt mode entered'),
    s(32_000, 'sentinel-1', '-tilt', '#tilt mode exited'),
    s(32_050, 'sentinel-2', '-tilt', '#tilt mode exited'),
    s(32_100, 'sentinel-1', '+sdown', 'master mymaster a 6379'),
    s(32_200, 'sentinel-2', '+sdown', 'slave b:6379 b 6379 @ mymaster a 6379'),
    s(32_300, 'sentinel-1', '+try-failover', 'master mymaster a 6379'),
    s(33_000, 'sentinel-1', '+switch-master', 'mymaster a 6379 b 6379'),
    s(33_010, 'sentinel-2', '+switch-master', 'mymaster a 6379 b 6379'),
    s(50_000, 'sentinel-2', '-sdown', 'master mymaster b 6379'),
    s(60_000, 'sentinel-2', '+switch-master', 'mymaster b 6379 c 6379'),
  ];

  it('counts TILT, master +sdown / -sdown, attempts, and distinct masters switched to; the failover after a mark', () => {
    expect(sentinelFigures(events, 1000e6, 70_000e6, 30_000e6)).toEqual({
      tilt_episodes: 2,
      tilt_open_at_check: 0,
      tilt_first_ms: 1000,
      tilt_longest_ms: 30_000,
      tilt_total_ms: 60_000,
      failover_abort_events: 0,
      switch_master_ms: 32_000,
      switch_master_events: 3,
      masters_switched_to: 2,
      master_sdown_events: 1,
      master_sdown_cleared: 1,
      try_failover_events: 1,
      switch_master_after_mark_ms: 3000,
    });
  });

  it('no events: no TILT, no failover, and no mark figure without a mark', () => {
    const f = sentinelFigures([], 0, 1e9);
    expect(f.switch_master_ms).toBeNull();
    expect(f.masters_switched_to).toBe(0);
    expect(f).not.toHaveProperty('switch_master_after_mark_ms');
  });

  it('the lazy check reads the events when asked, with extra figures', () => {
    const seen: TrialEvent[] = [];
    const c = lazySentinelCheck('x', { events: () => seen, fromNs: 0, nowNs: () => 40_000e6, extra: () => ({ stall_ms: 5000 }) });
    expect(c.figures.tilt_episodes).toBe(0);
    seen.push(...events.slice(1, 3));
    expect(c.figures).toMatchObject({ tilt_episodes: 2, tilt_open_at_check: 2, stall_ms: 5000 });
    expect(c.explanation).toContain('2 TILT episode(s)');
    expect(c.valid).toBe(true);
  });
});
