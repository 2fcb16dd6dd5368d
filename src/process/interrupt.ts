// Cleanups that must run when the harness is interrupted (SIGINT / SIGTERM) rather than finishing normally.

const cleanups = new Set<() => Promise<void>>();

/** Register `fn` to run on interrupt; returns a function that unregisters it. */
export function onInterrupt(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Run every registered cleanup once, newest first, within `timeoutMs`. */
export async function runInterruptCleanups(timeoutMs: number): Promise<void> {
  const fns = [...cleanups].reverse();
  cleanups.clear();
  let t: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(fns.map((f) => f())),
    new Promise((r) => {
      t = setTimeout(r, timeoutMs);
    }),
  ]);
  clearTimeout(t);
}
