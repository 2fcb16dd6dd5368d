import { describe, expect, it } from 'vitest';
import { checkAvailability, longestOutage } from '../../../src/checkers/availability.ts';
import { FAULT_MS, NEW, OLD, history, ns, steadyWrites, trial, type WriteSpec } from './builders.ts';

// Acked writes every 100 ms to OLD until the fault, a 3 s-timeout outage, then acked writes to NEW from +6200 ms.
const OUTAGE_WRITES: WriteSpec[] = [
  ...steadyWrites('before-', 0, FAULT_MS, 100, OLD.addr), // last invoked 9900, acked 9901
  { key: 'lost-conn', at: FAULT_MS, done: FAULT_MS + 3000, outcome: 'info' },
  { key: 'readonly', at: FAULT_MS + 3000, done: FAULT_MS + 3010, outcome: 'fail' },
  { key: 'timeout', at: FAULT_MS + 3100, done: FAULT_MS + 6100, outcome: 'info' },
  ...steadyWrites('after-', FAULT_MS + 6200, FAULT_MS + 8000, 100, NEW.addr), // first acked 16201
];

describe('longestOutage', () => {
  it('is the longest gap between consecutive acks', () => {
    expect(longestOutage(history(...OUTAGE_WRITES))).toEqual({
      ms: 6300,
      startNs: 9901e6,
      endNs: 16201e6,
    });
  });

  it('counts from the first invoke to the first ack', () => {
    const h = history({ key: 'a', at: 0, done: 3000, outcome: 'info' }, { key: 'b', at: 3000, done: 4500 }, { key: 'c', at: 4600, done: 4700 });
    expect(longestOutage(h)?.ms).toBe(4500);
  });

  it('counts the tail when writes keep failing after the last ack', () => {
    const h = history({ key: 'a', at: 0, done: 1 }, { key: 'b', at: 100, done: 3100, outcome: 'info' }, { key: 'c', at: 3200, done: 6200, outcome: 'info' });
    expect(longestOutage(h)?.ms).toBe(6199);
  });

  it('does not count a tail when nothing was invoked after the last ack', () => {
    const h = history({ key: 'a', at: 0, done: 1000, outcome: 'info' }, { key: 'b', at: 10, done: 20 });
    // 0 → 20 (first invoke → first ack), not 20 → 1000 (the late info of a write invoked earlier).
    expect(longestOutage(h)?.ms).toBe(20);
  });

  it('spans the whole history when nothing was acked', () => {
    const h = history({ key: 'a', at: 100, done: 3100, outcome: 'info' }, { key: 'b', at: 3200, done: 3300, outcome: 'fail' });
    expect(longestOutage(h)?.ms).toBe(3200);
  });

  it('is null when nothing was invoked', () => {
    expect(longestOutage([])).toBeNull();
  });
});

describe('checkAvailability', () => {
  it('counts writes by outcome and computes availability', () => {
    const r = checkAvailability(trial({ history: history(...OUTAGE_WRITES) }), {});
    expect(r.name).toBe('availability');
    expect(r.valid).toBe(true);
    expect(r.figures).toEqual({
      writes_invoked: 121,
      writes_acked: 118,
      writes_failed: 1,
      writes_indeterminate: 2,
      writes_late: 0,
      availability: 0.9752,
      outage_ms: 6300,
    });
    expect(r.explanation).toContain('from -99 ms to 6201 ms relative to the fault');
  });

  it('counts a late acknowledgement for the outage but not as available to the client', () => {
    const ops = history({ key: 'a', at: 0, done: 1 }, { key: 'b', at: 10, done: 1010, outcome: 'info' }, { key: 'c', at: 3000, done: 3001 });
    // b timed out at 1010 ms, then its reply arrived at 2000 ms: the server acknowledged it then.
    ops.push({ process: 'c1', type: 'ok', f: 'write', key: 'b', ns: ns(2000), node: OLD.addr, late: true });
    const r = checkAvailability(trial({ history: ops }), {});
    expect(r.figures.writes_acked).toBe(2);
    expect(r.figures.writes_late).toBe(1);
    expect(r.figures.availability).toBe(0.6667);
    // Acknowledgements at 1, 2000 (late) and 3001 ms: the longest gap is 1999 ms, not the 3000 ms
    // it would be if the late acknowledgement were ignored.
    expect(r.figures.outage_ms).toBe(1999);
  });

  it('fails when the outage exceeds maxOutageMs', () => {
    const input = trial({ history: history(...OUTAGE_WRITES) });
    const r = checkAvailability(input, { maxOutageMs: 5000 });
    expect(r.valid).toBe(false);
    expect(r.explanation).toContain('6300 ms (max 5000 ms)');
    expect(checkAvailability(input, { maxOutageMs: 6300 }).valid).toBe(true);
  });

  it('is unknown when no writes were invoked', () => {
    const r = checkAvailability(trial(), { maxOutageMs: 1 });
    expect(r.valid).toBe('unknown');
    expect(r.figures.availability).toBeNull();
    expect(r.figures.outage_ms).toBeNull();
  });
});
