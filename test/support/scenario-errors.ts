// The HarnessError parseScenario throws for a scenario text, asserting it is a SCENARIO_INVALID usage error.
import { expect } from 'vitest';
import { HarnessError } from '../../src/errors.ts';
import { parseScenario } from '../../src/runner/scenario.ts';

export function scenarioError(text: string, file: string): HarnessError {
  let caught: unknown;
  try {
    parseScenario(text, file);
  } catch (e) {
    caught = e;
  }
  expect(caught, 'parseScenario should throw').toBeInstanceOf(HarnessError);
  const e = caught as HarnessError;
  expect(e.code).toBe('SCENARIO_INVALID');
  expect(e.exitCode).toBe(2);
  return e;
}
