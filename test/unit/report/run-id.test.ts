// Run ids: compact UTC timestamp plus random suffix, sortable by start time.
import { describe, expect, it } from 'vitest';
import { newRunId } from '../../../src/report/run-id.ts';

describe('newRunId', () => {
  it('formats the UTC time compactly with a 4-hex suffix', () => {
    expect(newRunId(new Date('2026-11-25T18:30:12.987Z'))).toMatch(/^20261125T183012Z-[0-9a-f]{4}$/);
    expect(newRunId()).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
  });

  it('sorts by start time and differs between runs started in the same second', () => {
    const times = ['2026-01-02T03:04:05Z', '2026-01-02T03:04:06Z', '2026-10-02T00:00:00Z', '2027-01-01T00:00:00Z'];
    const ids = times.map((t) => newRunId(new Date(t)));
    expect([...ids].reverse().sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 20 }, () => newRunId(new Date(times[0]!))));
    expect(same.size).toBeGreaterThan(1);
  });
});
