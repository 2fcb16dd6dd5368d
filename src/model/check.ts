// What every checker returns: a verdict, the figures behind it and a sentence a human can act on.
import type { EvictionRecord, Op, ReadBack } from './history.ts';
import type { TrialEvent } from './events.ts';

export type Validity = true | false | 'unknown';

/** Figures are milliseconds (suffix _ms), counts, or null when not measurable in this trial. */
export type Figures = Record<string, number | null>;

export interface CheckResult {
  name: string;
  valid: Validity;
  figures: Figures;
  explanation: string;
}

export interface TrialInput {
  history: readonly Op[];
  events: readonly TrialEvent[];
  readBack: ReadBack | null;
  /** The instant the fault landed (the scenario clock starts here). */
  faultNs: number | null;
  /** host:port of the master when the fault was injected. */
  oldMaster: string | null;
  /** Name Sentinel monitors, e.g. "mymaster". */
  masterName: string;
  /** The memory policy's evictions during the trial, when the eviction observer ran. */
  evictions?: EvictionRecord;
}

export type Checker<C = unknown> = (input: TrialInput, config: C) => CheckResult;

/**
 * An information-only check (always valid) whose figures are computed each time they are read: the trial
 * reads them after the heal and the convergence, so events that arrive late (TILT, a failover completing
 * after the heal) are counted.
 */
export function lazyInfoCheck(name: string, figures: () => Figures, explain: (f: Figures) => string): CheckResult {
  return {
    name,
    valid: true,
    get figures() {
      return figures();
    },
    get explanation() {
      return explain(figures());
    },
  };
}
