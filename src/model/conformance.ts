// Conformance results: one check (expected, observed, why), a group's outcome, and the verdicts and exit status derived from them.
import type { Validity } from './check.ts';
import type { Verdict } from './verdict.ts';

/** Groups of conformance checks; each is one function registered in src/conformance/groups.ts. */
export const CONFORMANCE_GROUP_NAMES = ['static', 'live', 'peer', 'app-paths', 'scaling', 'profile', 'monitoring', 'security'] as const;
export type ConformanceGroupName = (typeof CONFORMANCE_GROUP_NAMES)[number];

/** Figures are milliseconds (suffix _ms) or counts, as in checker results. */
export type ConformanceFigures = Record<string, number | null>;

/** A moment on a group's timeline, e.g. an alert firing or clearing (ms after the group's fault landed). */
export interface ConformanceEvent {
  kind: 'alert';
  type: 'fire' | 'clear';
  /** The alert's name. */
  name: string;
  atMs: number;
  detail: string;
}

/** One conformance check: what was expected, what was observed, and why it matters. */
export interface ConformanceCheck {
  /** Stable identifier within its group, e.g. "config.redis.appendonly". */
  name: string;
  group: ConformanceGroupName;
  /** The checkers' verdict (true, false, or 'unknown' when it could not be decided); 'skipped': the check could not be run here, `reason` says why. */
  valid: Validity | 'skipped';
  /** Why a check was skipped (required when valid is 'skipped'). */
  reason?: string;
  /** Never a password: say "set, equal to the Secret" instead. */
  expected: string;
  observed: string;
  explanation: string;
  /** The redis/redis test this check mirrors, e.g. `tests/sentinel/tests/00-base.tcl: "Basic failover works if the master is down"`. */
  upstream?: string;
  /** Where in the manifests (static checks). */
  file?: string;
  object?: string;
  field?: string;
  figures?: ConformanceFigures;
  /** How long the check took (live and peer checks). */
  durationMs?: number;
  /** What the check saw happen, for the report's timeline (the monitoring group's alert windows). */
  events?: ConformanceEvent[];
}

/** A group's verdict, as a scenario's: 'unknown' when a check could not be decided. */
export type ConformanceVerdict = Verdict;

/** One group's outcome, as the journal (result.json) carries it. */
export interface ConformanceGroupResult {
  group: ConformanceGroupName;
  verdict: ConformanceVerdict;
  durationMs: number;
  checks: ConformanceCheck[];
}

/** fail when any check failed; unknown when one could not be decided; skipped when every check was skipped (or none ran); else pass. */
export function groupVerdict(checks: readonly ConformanceCheck[]): ConformanceVerdict {
  if (checks.some((c) => c.valid === false)) return 'fail';
  if (checks.some((c) => c.valid === 'unknown')) return 'unknown';
  if (checks.every((c) => c.valid === 'skipped')) return 'skipped';
  return 'pass';
}

/** Exit status of the conformance command: 0 when nothing failed or stayed undecided, 1 otherwise. */
export function conformanceExitCode(groups: readonly ConformanceGroupResult[]): 0 | 1 {
  return groups.some((g) => g.verdict === 'fail' || g.verdict === 'unknown') ? 1 : 0;
}

/** One line a human can act on. */
export function formatConformanceCheck(c: ConformanceCheck): string {
  const v = c.valid === true ? 'ok  ' : c.valid === false ? 'FAIL' : c.valid === 'unknown' ? '????' : 'skip';
  const where = [c.file, c.object, c.field].filter(Boolean).join(' ');
  const detail = c.valid === 'skipped' ? `skipped: ${c.reason ?? 'no reason given'}` : `expected ${c.expected}, observed ${c.observed}. ${c.explanation}`;
  return `${v} ${c.group}/${c.name}: ${where ? `${where}: ` : ''}${detail}`;
}
