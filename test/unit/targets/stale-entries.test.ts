// The stale-entry invariant's pieces: which SENTINEL REPLICAS / SENTINELS entries count as down, the bound, and the reason.
import { describe, expect, it } from 'vitest';
import { describeDownEntry, downEntries, staleBoundMs } from '../../../src/targets/convergence.ts';

describe('stale replica / sentinel entries', () => {
  it('the bound is 3 × the 10 s INFO period plus down-after', () => {
    expect(staleBoundMs(5000)).toBe(35_000);
  });

  it('picks s_down, o_down and disconnected entries with their age, and leaves healthy ones', () => {
    const entries: Record<string, string>[] = [
      { ip: 'redis-1.h', port: '6379', flags: 'slave' },
      { ip: '127.0.122.12', port: '6379', flags: 's_down,slave', 's-down-time': '40000', 'last-ok-ping-reply': '41500' },
      { ip: '127.0.122.13', port: '6379', flags: 'slave,disconnected', 'last-ok-ping-reply': '1200' },
    ];
    const down = downEntries('redis-0', 'replica', entries);
    expect(down).toEqual([
      { sentinel: 'redis-0', kind: 'replica', address: '127.0.122.12:6379', flags: 's_down,slave', ageMs: 40_000 },
      { sentinel: 'redis-0', kind: 'replica', address: '127.0.122.13:6379', flags: 'slave,disconnected', ageMs: 1200 },
    ]);
    expect(describeDownEntry(down[0]!, 35_000)).toBe(
      'redis-0/sentinel keeps replica entry 127.0.122.12:6379 (s_down,slave) down for 40000 ms: stale, beyond the 35000 ms bound (3 × INFO period + down-after)',
    );
    expect(describeDownEntry(down[1]!, 35_000)).toBe('redis-0/sentinel keeps replica entry 127.0.122.13:6379 (slave,disconnected) down for 1200 ms');
  });
});
