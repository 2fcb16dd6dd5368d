// Polling for the peer units: retry a probe until it yields a value or times out, and an error's text.
import { setTimeout as sleep } from 'node:timers/promises';

export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A failed step ends its unit: later steps depend on it. */
/** Poll `probe` until it returns a value (errors count as "not yet"); the last error or value says why not. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  pollMs = 100,
): Promise<{ value: T | undefined; ms: number; last: string }> {
  const start = performance.now();
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return { value: v, ms: Math.round(performance.now() - start), last };
    } catch (e) {
      last = errText(e);
    }
    if (performance.now() - start > timeoutMs) return { value: undefined, ms: Math.round(performance.now() - start), last };
    await sleep(pollMs);
  }
}
