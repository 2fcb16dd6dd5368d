// Failover phases and summary statistics: what checkers compute and the journal carries.

export interface Phase {
  /** e.g. "+sdown", "+odown", "+elected-leader", "+promoted-slave", "+switch-master", "first-ack". */
  name: string;
  /** Milliseconds from the fault landing to this phase; null when it did not happen. */
  ms: number | null;
}

export interface Stats {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
  mean: number;
}
