// The HarnessError parseDesign throws for a design text, asserting it is a DESIGN_INVALID usage error (exit 2).
import { expect } from 'vitest';
import { parseDesign } from '../../src/config/design.ts';
import { HarnessError } from '../../src/errors.ts';

export function designError(text: string, file: string): HarnessError {
  let caught: unknown;
  try {
    parseDesign(text, file);
  } catch (e) {
    caught = e;
  }
  expect(caught, 'parseDesign should throw').toBeInstanceOf(HarnessError);
  const e = caught as HarnessError;
  expect(e.code).toBe('DESIGN_INVALID');
  expect(e.exitCode).toBe(2);
  return e;
}
