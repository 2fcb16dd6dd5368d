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
  | 'PROCESS_FAILED';

/** An expected failure of the harness itself (bad usage, missing tool, unusable environment), as opposed to a bug. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly code: HarnessErrorCode;
  /** Process exit status to end with: 2 (the default) for usage and environment problems. */
  readonly exitCode: 1 | 2;

  constructor(code: HarnessErrorCode, message: string, options: { cause?: unknown; exitCode?: 1 | 2 } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** True when `e` is a {@link HarnessError}. */
export function isHarnessError(e: unknown): e is HarnessError {
  return e instanceof HarnessError;
}
