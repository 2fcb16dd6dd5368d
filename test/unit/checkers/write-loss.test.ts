import { describe, expect, it } from 'vitest';
import { checkWriteLoss } from '../../../src/checkers/write-loss.ts';
import { FAULT_MS, NEW, OLD, history, readBack, steadyWrites, trial, type WriteSpec } from './builders.ts';

const ACKED: WriteSpec[] = steadyWrites('k', FAULT_MS - 1000, FAULT_MS, 100, OLD.addr); // k0..k9, k9 acked at -99 ms
const keys = (specs: WriteSpec[]): string[] => specs.map((w) => w.key);

describe('checkWriteLoss', () => {
  it('passes a clean history where every acked write is present', () => {
    const h = history(...ACKED, { key: 'n0', at: FAULT_MS + 7000, node: NEW.addr });
    const r = checkWriteLoss(trial({ history: h, readBack: readBack([...keys(ACKED), 'n0']) }), { maxLost: 0 });
    expect(r.name).toBe('write-loss');
    expect(r.valid).toBe(true);
    expect(r.figures).toEqual({
      writes_lost: 0,
      writes_recovered: 0,
      writes_unexpected: 0,
      lost_first_ms: null,
      lost_last_ms: null,
    });
    expect(r.explanation).toContain(`all 11 acknowledged writes present on ${NEW.addr}`);
  });

  it('finds, names and counts lost acknowledged writes and their window', () => {
    const present = keys(ACKED).filter((k) => k !== 'k3' && k !== 'k7');
    const r = checkWriteLoss(trial({ history: history(...ACKED), readBack: readBack(present) }), { maxLost: 0 });
    expect(r.valid).toBe(false);
    expect(r.figures.writes_lost).toBe(2);
    expect(r.figures.lost_first_ms).toBe(-699); // k3 invoked at -700, acked 1 ms later
    expect(r.figures.lost_last_ms).toBe(-299);
    expect(r.explanation).toContain('2 of 10 acknowledged writes lost (max 0)');
    expect(r.explanation).toContain(': k3, k7;');
    expect(r.explanation).toContain('between -699 ms and -299 ms relative to the fault');
  });

  it('tolerates losses up to maxLost', () => {
    const present = keys(ACKED).filter((k) => k !== 'k3');
    const r = checkWriteLoss(trial({ history: history(...ACKED), readBack: readBack(present) }), { maxLost: 1 });
    expect(r.valid).toBe(true);
    expect(r.figures.writes_lost).toBe(1);
  });

  it('names at most 10 lost keys', () => {
    const many = steadyWrites('m', 0, 1500, 100, OLD.addr);
    const r = checkWriteLoss(trial({ history: history(...many), readBack: readBack([]) }), { maxLost: 0 });
    expect(r.figures.writes_lost).toBe(15);
    expect(r.explanation).toContain('m0, m1, m2, m3, m4, m5, m6, m7, m8, m9 and 5 more');
    expect(r.explanation).not.toContain('m10');
  });

  it('counts indeterminate writes found on the master as recovered, not as a problem', () => {
    const h = history(
      ...ACKED,
      { key: 'maybe', at: FAULT_MS + 10, done: FAULT_MS + 3010, outcome: 'info' },
      { key: 'gone', at: FAULT_MS + 20, done: FAULT_MS + 3020, outcome: 'info' },
      { key: 'pending', at: FAULT_MS + 30, outcome: null },
    );
    const r = checkWriteLoss(trial({ history: h, readBack: readBack([...keys(ACKED), 'maybe', 'pending']) }), {
      maxLost: 0,
    });
    expect(r.valid).toBe(true);
    expect(r.figures.writes_recovered).toBe(2);
    expect(r.figures.writes_unexpected).toBe(0);
    expect(r.explanation).toContain('2 of 3 indeterminate writes recovered');
  });

  it('flags a definitely failed write that is present', () => {
    const h = history(...ACKED, { key: 'refused', at: FAULT_MS + 10, outcome: 'fail' });
    const r = checkWriteLoss(trial({ history: h, readBack: readBack([...keys(ACKED), 'refused']) }), { maxLost: 5 });
    expect(r.valid).toBe(false);
    expect(r.figures.writes_unexpected).toBe(1);
    expect(r.figures.writes_lost).toBe(0);
    expect(r.explanation).toContain('1 unexpected keys present (never invoked or definitely failed): refused');
  });

  it('flags a present key that was never invoked', () => {
    const r = checkWriteLoss(trial({ history: history(...ACKED), readBack: readBack([...keys(ACKED), 'ghost']) }), {
      maxLost: 0,
    });
    expect(r.valid).toBe(false);
    expect(r.figures.writes_unexpected).toBe(1);
    expect(r.explanation).toContain('ghost');
  });

  it('counts losses without a window when there was no fault', () => {
    const r = checkWriteLoss(trial({ history: history(...ACKED), readBack: readBack([]), faultNs: null }), { maxLost: 0 });
    expect(r.figures.writes_lost).toBe(10);
    expect(r.figures.lost_first_ms).toBeNull();
    expect(r.explanation).not.toContain('relative to the fault');
  });

  it('is unknown without a read-back', () => {
    const r = checkWriteLoss(trial({ history: history(...ACKED) }), { maxLost: 0 });
    expect(r.valid).toBe('unknown');
    expect(r.figures.writes_lost).toBeNull();
  });
});
