// A restarted replica's resync check: complete, on its first full sync; a restarted sync or none at all fails it.
import { describe, expect, it } from 'vitest';
import { resyncCheck } from '../../../src/faults/pod-restart.ts';

describe('resyncCheck', () => {
  it('passes a resync done on one full sync', () => {
    const c = resyncCheck('redis-2', 5900, 1, 300_000);
    expect(c.valid).toBe(true);
    expect(c.figures).toEqual({ resync_ms: 5900, sync_full_delta: 1 });
    expect(c.explanation).toBe('redis-2 resynced in 5900 ms with 1 full sync(s)');
  });

  it('fails a resync that completed only after the master dropped the replica mid-sync', () => {
    const c = resyncCheck('redis-2', 122_805, 3, 300_000);
    expect(c.valid).toBe(false);
    expect(c.explanation).toMatch(/needed 3 full syncs: the master dropped it mid-sync at its replica output-buffer limit/);
  });

  it('fails a resync that did not complete in time', () => {
    const c = resyncCheck('redis-2', null, 4, 20_000);
    expect(c.valid).toBe(false);
    expect(c.explanation).toMatch(/had not finished its resync after 20000 ms \(4 full syncs started/);
  });
});
