// Durations: plain ms, or multiples of down-after-milliseconds ("3x", "3x+12000"), and what the schema refuses.
import { scenarioError } from '../../support/scenario-errors.ts';
import { describe, expect, it } from 'vitest';
import { durationMs, parseScenario } from '../../../src/runner/scenario.ts';

const FILE = 'scenarios/duration-case.yaml';

/** A valid partition scenario with the given YAML value for fault.durationMs and expect.maxSplitBrainMs. */
const scenario = (durationMsValue: string, maxSplitBrainMs = '0'): string =>
  [
    'name: duration-case',
    'description: partition the master',
    'fault:',
    '  kind: partition',
    `  durationMs: ${durationMsValue}`,
    'expect:',
    `  maxSplitBrainMs: ${maxSplitBrainMs}`,
    '',
  ].join('\n');

const rejection = (text: string) => scenarioError(text, FILE);

describe('durationMs', () => {
  it('returns a number of ms as is, whatever down-after is', () => {
    expect(durationMs(2500, 5000)).toBe(2500);
    expect(durationMs(2500, 1000)).toBe(2500);
    expect(durationMs(0, 5000)).toBe(0);
  });

  it('multiplies "<n>x" by down-after', () => {
    expect(durationMs('3x', 5000)).toBe(15_000);
    expect(durationMs('3x', 1000)).toBe(3000);
    expect(durationMs('1.5x', 1000)).toBe(1500);
    expect(durationMs('0x', 5000)).toBe(0);
  });

  it('adds the fixed part of "<n>x+<ms>"', () => {
    expect(durationMs('3x+15000', 1000)).toBe(18_000);
    expect(durationMs('3x+12000', 5000)).toBe(27_000);
    expect(durationMs('0.5x+1', 999)).toBe(501); // 499.5 rounds to 500, then + 1
  });

  it('throws on a string that is not a duration', () => {
    for (const bad of ['3', 'x3', '3y', '-1x', '3x+', '3x-100', '']) expect(() => durationMs(bad, 1000), bad).toThrow(RangeError);
  });
});

describe('parseScenario durations', () => {
  it('keeps "3x" and "3x+12000" as written, for durationMs to resolve later', () => {
    const s = parseScenario(scenario('"3x"', '"1.5x+12000"'), FILE);
    expect(s.fault).toMatchObject({ kind: 'partition', durationMs: '3x' });
    expect(s.expect.maxSplitBrainMs).toBe('1.5x+12000');
    expect(durationMs(s.expect.maxSplitBrainMs, 1000)).toBe(13_500);
    expect(parseScenario(scenario('2500'), FILE).fault).toMatchObject({ durationMs: 2500 });
    // Unquoted, YAML reads 3x as a string too.
    expect(parseScenario(scenario('3x'), FILE).fault).toMatchObject({ durationMs: '3x' });
  });

  for (const bad of ['"3"', '"x3"', '"3y"', '"-1x"']) {
    it(`rejects ${bad} naming the field`, () => {
      expect(rejection(scenario(bad)).message).toContain('field fault.durationMs');
      expect(rejection(scenario('1000', bad)).message).toContain('field expect.maxSplitBrainMs');
    });
  }

  it('rejects a negative number of ms', () => {
    expect(rejection(scenario('-1')).message).toContain('field fault.durationMs');
  });
});
