// A trial phase: a named step with its own time limit; plus the bounded wait and the cleanup stack phases share.
import { setTimeout as sleep } from 'node:timers/promises';

/** The longest delay setTimeout honours; a longer limit means no limit. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A phase threw or ran out of time: `phase` names it, `cause` is what it threw. */
export class PhaseFailed extends Error {
  override readonly name = 'PhaseFailed';
  readonly phase: string;
  override readonly cause: unknown;
  constructor(phase: string, cause: unknown) {
    super(`${phase}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.phase = phase;
    this.cause = cause;
  }
}

/** The trial stopped on purpose (a `before` probe failed, a safeguard halted it): a verdict from its checks, not an error. */
export class TrialStopped extends Error {
  override readonly name = 'TrialStopped';
}

/**
 * Run `work` as the phase `name`: announce it, and fail with PhaseFailed when it throws or outlasts
 * `timeoutMs`, or at once (cause: the signal's reason) when `signal` aborts.
 */
export async function runPhase<T>(
  name: string,
  timeoutMs: number,
  enter: ((name: string) => void) | undefined,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) throw new PhaseFailed(name, signal.reason);
  enter?.(name);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    if (timeoutMs <= MAX_TIMER_MS) timer = setTimeout(() => reject(new Error(`${name} did not finish within ${timeoutMs} ms`)), timeoutMs);
    if (signal) signal.addEventListener('abort', (onAbort = () => reject(signal.reason)), { once: true });
  });
  try {
    const working = work();
    // A phase given up on (its limit, an interrupt) may still reject later, e.g. a command on a client closed since: not unhandled.
    working.catch(() => {});
    return await Promise.race([working, limit]);
  } catch (e) {
    throw new PhaseFailed(name, e);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/** Poll `cond` every `pollMs` until true; false on timeout, or as soon as `signal` aborts. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 5, signal?: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > deadline || signal?.aborted) return false;
    await sleep(pollMs);
  }
  return true;
}

/** What a trial must undo whatever path it ends on: run newest first, each on its own (one failing does not stop the rest). */
export class CleanupStack {
  private readonly steps: Array<() => unknown> = [];

  defer(step: () => unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // a cleanup that fails must not keep the others from running
      }
    }
  }
}

/**
 * Heal an injection once it lands. Wait for the landing at most `waitMs` (one that lands later is healed
 * then); a landed fault's heal is awaited in full, so the next trial never starts beside it.
 */
export async function healWhenLanded(injecting: Promise<{ heal(): Promise<void> }>, waitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), waitMs)));
  const landed = await Promise.race([injecting.catch(() => null), late]);
  clearTimeout(timer);
  if (landed) await landed.heal().catch(() => {});
  else if (landed === undefined) injecting.then((f) => f.heal()).catch(() => {});
}
