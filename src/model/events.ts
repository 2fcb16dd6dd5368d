// Events observed during a trial, on the same clock as the history.

export type EventKind = 'sentinel' | 'fault' | 'role' | 'phase' | 'pod' | 'probe' | 'alert';

export interface TrialEvent {
  /** Monotonic nanoseconds on the run clock. */
  ns: number;
  kind: EventKind;
  /** Who reported it: "sentinel-1", "harness", "redis-0". */
  source: string;
  /**
   * sentinel: the pub/sub channel, e.g. "+switch-master".
   * fault: "inject" | "landed" | "heal" | "healed".
   * phase: a runner phase such as "workload-start".
   * pod: a pod lifecycle change: "ready", "not-ready", "evicted", "eviction-refused", "scheduled", "cordoned".
   * probe: a steady-state probe's sample, "ok" | "fail", or "broken" when it ran out of tolerance (source: probe/<name>).
   * alert: a Prometheus alert (--monitoring) seen "firing" or, after that, "resolved" (source: alert/<name>; detail: its instances).
   */
  type: string;
  /** Raw payload (sentinel message) or a short description. */
  detail: string;
}
