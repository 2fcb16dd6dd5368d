// A DNS fault's figures from hand-built sentinel events: TILT episodes (closed and open), aborts, the failover relative to landing and heal.
import { describe, expect, it } from 'vitest';
import { dnsFaultFigures, lazyDnsCheck } from '../../../src/faults/dns-figures.ts';
import type { TrialEvent } from '../../../src/model/events.ts';

const s = (ms: number, source: string, type: string, detail = ''): TrialEvent => ({ ns: ms * 1e6, kind: 'sentinel', source, type, detail });

describe('dnsFaultFigures', () => {
  const events = [
    s(500, 'sentinel-1', '+tilt'), // before the fault: ignored
    s(900, 'sentinel-1', '-tilt'),
    s(14_000, 'sentinel-1', '+tilt'),
    s(14_100, 'sentinel-2', '+tilt'),
    s(44_000, 'sentinel-1', '-tilt'),
    s(50_000, 'sentinel-2', '-failover-abort-not-elected'),
    s(62_000, 'sentinel-2', '+switch-master', 'mymaster a 6379 b 6379'),
  ];

  it('counts episodes per sentinel, an open one up to the check, the aborts and the failover after the heal', () => {
    expect(dnsFaultFigures(events, 1000e6, 31_000e6, 70_000e6)).toEqual({
      dns_fault_ms: 30_000,
      tilt_episodes: 2,
      tilt_open_at_check: 1,
      tilt_first_ms: 13_000,
      tilt_longest_ms: 55_900,
      tilt_total_ms: 85_900,
      failover_abort_events: 1,
      switch_master_ms: 61_000,
      switch_master_after_heal_ms: 31_000,
    });
  });

  it('a quiet outage: no TILT, no failover, not healed yet', () => {
    const f = dnsFaultFigures([], 0, null, 10e6);
    expect(f).toMatchObject({ dns_fault_ms: null, tilt_episodes: 0, tilt_longest_ms: 0, switch_master_ms: null, failover_abort_events: 0 });
  });

  it('the check reads the events when asked, not when made', () => {
    const seen: TrialEvent[] = [];
    let healNs: number | null = null;
    const check = lazyDnsCheck('dns-down', { events: () => seen, landedNs: 0, healNs: () => healNs, nowNs: () => 40_000e6 });
    expect(check.figures.tilt_episodes).toBe(0);
    seen.push(s(10_000, 'sentinel-0', '+tilt'), s(40_000, 'sentinel-0', '-tilt'));
    healNs = 30_000e6;
    expect(check.figures).toMatchObject({ tilt_episodes: 1, tilt_longest_ms: 30_000, dns_fault_ms: 30_000 });
    expect(check.explanation).toBe('1 TILT episode(s), longest 30000 ms, first 10000 ms after landing; no +switch-master; 0 -failover-abort-* event(s)');
    expect(JSON.parse(JSON.stringify(check)).figures.tilt_episodes).toBe(1);
  });
});
