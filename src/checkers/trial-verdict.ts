// A trial's verdict from its check results and how it ended: skipped, stopped by an error, or completed.
import { overall } from './compose.ts';
import type { CheckResult } from '../model/check.ts';

/** How a trial ended: every phase ran, a fault needed an ability the target lacks, or a phase threw or timed out. */
export type TrialEnd =
  | { kind: 'completed' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'error'; phase: string; error: string }
  /** Stopped on purpose in `phase`: a `before` probe failed, or a safeguard (haltOn) halted the run. */
  | { kind: 'stopped'; phase: string; reason: string };

export type TrialVerdict = 'pass' | 'fail' | 'unknown' | 'skipped';

/**
 * skipped (never pass) when the target lacked an ability; unknown when a phase did not finish (whatever the
 * checks say: they saw a partial trial); fail when stopped on purpose (a probe broke); otherwise the checks' combined validity. The message names the
 * reason, or every check that did not pass.
 */
export function trialVerdict(results: readonly CheckResult[], end: TrialEnd): { verdict: TrialVerdict; message?: string } {
  if (end.kind === 'skipped') return { verdict: 'skipped', message: `skipped: ${end.reason}` };
  if (end.kind === 'error') return { verdict: 'unknown', message: `trial could not complete: ${end.error}` };
  const validity = overall(results);
  const failing = results.filter((r) => r.valid !== true).map((r) => `${r.name}: ${r.explanation}`);
  // A stopped trial fails whatever its partial checks say: it stopped because a steady-state condition broke.
  if (end.kind === 'stopped') return { verdict: 'fail', message: [`stopped in ${end.phase}: ${end.reason}`, ...failing].join('; ') };
  const verdict = validity === true ? 'pass' : validity === false ? 'fail' : 'unknown';
  return failing.length ? { verdict, message: failing.join('; ') } : { verdict };
}
