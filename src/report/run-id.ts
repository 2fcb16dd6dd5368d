// Run identifiers: a UTC timestamp that sorts by start time, plus a random suffix so concurrent runs don't collide.
import { randomBytes } from 'node:crypto';

/**
 * A run id such as `20261125T183012Z-3f9a`: compact UTC time to the second and 4 random hex chars.
 * Ids sort lexicographically by start second; runs started within the same second sort arbitrarily.
 */
export function newRunId(date: Date = new Date()): string {
  const stamp = date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}
