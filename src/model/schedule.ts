// A fault schedule (a composed fault's or a soak's steps), what became of each step, and the invariants' violations.

/** One step as written (scenario file) or drawn (soak): a fault spec, when it starts, how long it holds. */
export interface ScheduleStep {
  /** The fault, as a scenario's `fault:` holds it (a registered kind other than composed). */
  fault: { kind: string } & Record<string, unknown>;
  /** ms after the step's reference: the schedule's start (parallel), the previous step's end (serial), or the `after` event. */
  at: number | string;
  /** Start on the first Sentinel event of this type seen after the reference, then `at`. */
  after?: string;
  /** How long the step holds after it landed before its heal, ms (at least the fault's own hold). */
  durationMs: number | string;
  /** Which replica (0-based, pods in name order) a fault aimed at "replica" hits. */
  replica: number;
}

/** What became of a step: when it started, landed and healed (ms from the schedule's start), on whom; or why it was skipped. */
export interface RealisedStep {
  /** 0-based index into the schedule's steps. */
  step: number;
  kind: string;
  /** The pod hit (and its role then), e.g. "redis-1 (master)". */
  victim?: string;
  startMs: number;
  landedMs?: number;
  healedMs?: number;
  /** Not injected: its victim was already under another step, or the target lacks an ability. */
  skipped?: string;
  error?: string;
}

/** An invariant broken: which, when (ms from the schedule's start), how, and the steps started before it (newest last). */
export interface Violation {
  invariant: string;
  atMs: number;
  detail: string;
  /** Indexes of the steps started before the violation, at most the last five. */
  steps: number[];
}

/** A schedule as it ran, for the journal: the steps (replayable), the seed and options that drew them, and what happened. */
export interface ScheduleRecord {
  mode: 'serial' | 'parallel';
  steps: ScheduleStep[];
  /** Soak: the PRNG seed and the generator's options; `--replay` runs `steps` again. */
  seed?: number;
  options?: Record<string, unknown>;
  realised: RealisedStep[];
  violations: Violation[];
  /** Quiescent points (no step active) at which the invariants were checked during the run. */
  checkpoints: number;
}
