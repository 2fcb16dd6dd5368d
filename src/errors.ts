// Errors the harness expects and can explain: a stable code, a message a human can act on and an exit status.

/** Stable identifiers for expected failures; callers branch on these, never on message text. */
export type HarnessErrorCode =
  | 'USAGE'
  | 'SCENARIO_INVALID'
  | 'SCENARIO_UNKNOWN'
  | 'DESIGN_INVALID'
  | 'MANIFEST_INVALID'
  | 'BINARY_MISSING'
  | 'PORT_BUSY'
  | 'PRIVILEGE_MISSING'
  | 'REPORT_DIR_UNWRITABLE'
  | 'TARGET_UNAVAILABLE'
  | 'CONTEXT_FORBIDDEN'
  | 'TIMEOUT'
  | 'PROCESS_FAILED'
  /** The target cannot do what a fault or check asks: the trial is skipped with the message as its reason, never passed. */
  | 'ABILITY_MISSING'
  /** A step of a fault or check did not do what it must (a refused eviction, a pod never in sync): the trial fails with the message. */
  | 'FAULT_FAILED'
  /** The harness broke one of its own invariants (a registry with a duplicate kind, a run id that is not a path segment): a bug. */
  | 'INTERNAL'
  /** A step already recorded as a failed check ends the rest of its unit (a peer unit, a procedure): not reported again. */
  | 'STEP_FAILED';

/** Codes that are not the user's to fix: they end a run with status 1, not 2. */
const FAILURE_CODES: ReadonlySet<HarnessErrorCode> = new Set(['FAULT_FAILED', 'INTERNAL', 'STEP_FAILED']);

/** An expected failure of the harness itself (bad usage, missing tool, unusable environment), as opposed to a bug. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code: HarnessErrorCode;
  /** Process exit status to end with: 2 for usage and environment problems, 1 for a failed step or a bug. */
  readonly exitCode: 1 | 2;

  constructor(code: HarnessErrorCode, message: string, options: { cause?: unknown; exitCode?: 1 | 2 } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.exitCode = options.exitCode ?? (FAILURE_CODES.has(code) ? 1 : 2);
  }
}

/** True when `e` is a {@link HarnessError}. */
export function isHarnessError(e: unknown): e is HarnessError {
  return e instanceof HarnessError;
}

/** The target lacks an ability (pause, partition, volumes, …): skipped with this reason, never passed. */
export const abilityMissing = (reason: string): HarnessError => new HarnessError('ABILITY_MISSING', reason);

/** The reason to skip when `e` says the target is not able, else undefined. */
export const skipReason = (e: unknown): string | undefined => (isHarnessError(e) && e.code === 'ABILITY_MISSING' ? e.message : undefined);
