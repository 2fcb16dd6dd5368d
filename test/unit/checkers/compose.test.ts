import { describe, expect, it } from 'vitest';
import { checkAvailability } from '../../../src/checkers/availability.ts';
import { bindCheck, mergeFigures, overall, runChecks } from '../../../src/checkers/compose.ts';
import type { CheckResult, Validity } from '../../../src/model/check.ts';
import { history, trial } from './builders.ts';

const result = (name: string, valid: Validity, figures: CheckResult['figures'] = {}): CheckResult => ({
  name,
  valid,
  figures,
  explanation: name,
});

describe('runChecks', () => {
  it('turns a throwing checker into unknown and still runs the others', () => {
    const input = trial({ history: history({ key: 'a', at: 0 }) });
    const results = runChecks(input, [
      {
        name: 'boom',
        run: () => {
          throw new Error('kaboom');
        },
      },
      bindCheck('availability', checkAvailability, {}),
      {
        name: 'weird',
        run: () => {
          throw 'not an error';
        },
      },
    ]);
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual({ name: 'boom', valid: 'unknown', figures: {}, explanation: 'checker threw: kaboom' });
    expect(results[1]?.name).toBe('availability');
    expect(results[1]?.valid).toBe(true);
    expect(results[2]?.explanation).toBe('checker threw: not an error');
  });

  it('passes the input to bound checkers with their config', () => {
    const input = trial({ history: history({ key: 'a', at: 0, done: 0 }, { key: 'b', at: 10, done: 5000 }) });
    const [r] = runChecks(input, [bindCheck('availability', checkAvailability, { maxOutageMs: 100 })]);
    expect(r?.valid).toBe(false);
  });
});

describe('overall', () => {
  it('is false if any result is false, else unknown if any is unknown, else true', () => {
    expect(overall([result('a', true), result('b', 'unknown'), result('c', false)])).toBe(false);
    expect(overall([result('a', true), result('b', 'unknown')])).toBe('unknown');
    expect(overall([result('a', true), result('b', true)])).toBe(true);
    expect(overall([])).toBe(true);
  });
});

describe('mergeFigures', () => {
  it('merges all figures, keeping the first non-null value of a repeated name', () => {
    const merged = mergeFigures([result('a', true, { x: 1, y: null }), result('b', true, { x: 2, y: 3, z: 0 })]);
    expect(merged).toEqual({ x: 1, y: 3, z: 0 });
  });
});
