// One monotonic clock for history, events and fault marks, so that phases line up.

export interface Clock {
  /** Nanoseconds since the clock's origin, monotonic. */
  nowNs(): number;
  /** Wall-clock time of the origin, for display only. */
  readonly originWallMs: number;
  /** Wall-clock display time of a monotonic instant. */
  wallIso(ns: number): string;
  /**
   * The origin as `process.hrtime.bigint()` read it: CLOCK_MONOTONIC on Linux, the clock of Python's
   * `time.monotonic_ns()`, so another process's readings convert to this clock by subtracting it.
   */
  readonly originHrtimeNs: bigint;
}

export function createClock(): Clock {
  const origin = process.hrtime.bigint();
  const originWallMs = Date.now();
  return {
    nowNs: () => Number(process.hrtime.bigint() - origin),
    originWallMs,
    originHrtimeNs: origin,
    wallIso: (ns) => new Date(originWallMs + ns / 1e6).toISOString(),
  };
}

export const nsToMs = (ns: number): number => Math.round(ns / 1e3) / 1e3;
