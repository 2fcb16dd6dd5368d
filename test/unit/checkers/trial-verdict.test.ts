// A trial's verdict: skipped never passes, an unfinished trial is unknown, otherwise the checks decide.
import { describe, expect, it } from 'vitest';
import { trialVerdict } from '../../../src/checkers/trial-verdict.ts';
import type { CheckResult } from '../../../src/model/check.ts';

const ok: CheckResult = { name: 'a', valid: true, figures: {}, explanation: 'fine' };
const bad: CheckResult = { name: 'b', valid: false, figures: {}, explanation: 'lost 3 writes' };
const unsure: CheckResult = { name: 'c', valid: 'unknown', figures: {}, explanation: 'checker threw: boom' };

describe('trialVerdict', () => {
  it('passes a completed trial whose checks all pass, with no message', () => {
    expect(trialVerdict([ok], { kind: 'completed' })).toEqual({ verdict: 'pass' });
  });

  it('fails on a failing check and names every check that did not pass', () => {
    expect(trialVerdict([ok, bad, unsure], { kind: 'completed' })).toEqual({ verdict: 'fail', message: 'b: lost 3 writes; c: checker threw: boom' });
  });

  it('is unknown when a check could not decide', () => {
    expect(trialVerdict([ok, unsure], { kind: 'completed' }).verdict).toBe('unknown');
  });

  it('skipped for a missing ability, never passed, whatever the checks say', () => {
    expect(trialVerdict([ok], { kind: 'skipped', reason: 'no CAP_NET_ADMIN' })).toEqual({ verdict: 'skipped', message: 'skipped: no CAP_NET_ADMIN' });
    expect(trialVerdict([bad], { kind: 'skipped', reason: 'no CAP_NET_ADMIN' }).verdict).toBe('skipped');
  });

  it('unknown when a phase threw (a heal that threw), even if every check passed', () => {
    expect(trialVerdict([ok], { kind: 'error', phase: 'heal', error: 'spawn ELOOP' })).toEqual({
      verdict: 'unknown',
      message: 'trial could not complete: spawn ELOOP',
    });
    expect(trialVerdict([bad], { kind: 'error', phase: 'heal', error: 'spawn ELOOP' }).verdict).toBe('unknown');
  });
});
