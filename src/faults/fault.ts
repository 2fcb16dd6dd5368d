// A fault and its heal, packaged together; every fault proves it landed before the scenario clock starts.
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { CheckResult, Figures } from '../model/check.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Op } from '../model/history.ts';
import type { Topology } from '../targets/convergence.ts';
import type { Pod, StartedDeployment } from '../targets/target.ts';
import type { Duration } from '../model/duration.ts';

export interface FaultContext {
  deployment: StartedDeployment;
  topology: Topology;
  clock: Clock;
  /** Resolve a scenario duration ("3x" = 3 × down-after) against the running deployment. */
  ms(d: Duration): number;
  /** Record a fault mark ("inject", "landed", "heal", "healed", …) on the trial's timeline. */
  mark(type: string, detail: string): void;
  /** Record a pod lifecycle event ("ready", "not-ready", "evicted", "eviction-refused", "cordoned", …). */
  podEvent(type: string, detail: string): void;
  /** Everything observed so far (sentinel and role events), to verify what must not happen. */
  events(): readonly TrialEvent[];
  /** The workload's operations so far, to verify what a fault must not disturb. */
  history(): readonly Op[];
  /** Give every workload client a new password for its next connections (the applications' config change). */
  setClientPassword(password: string): void;
  /** In a composition (a soak): the pods under another step now, whose disruption is not this fault's doing. */
  otherSteps?(): ReadonlySet<string>;
}

export interface InjectedFault {
  /** The pod the fault hit. */
  victim: Pod;
  /** When the fault was proven in effect (or, for quorum loss, the quorum restored): failover figures start here. */
  landedNs: number;
  /** The fault stays in place at least until this instant (pause and partition durations, kill holds). */
  holdUntilNs?: number;
  /**
   * Heal only once the failover has been observed (a killed pod is restarted after its replacement
   * took over); otherwise the heal comes at holdUntilNs, whether or not the failover is done.
   */
  healAfterFailover: boolean;
  /** Undo the fault; idempotent, safe on every path (success, failure, interrupt). */
  heal(): Promise<void>;
  /** Results the fault itself established (e.g. INPROG on a second failover call). */
  checks: CheckResult[];
  figures: Figures;
  /** After the heal, this pod must be a replica of the current master with its link up. */
  mustRejoin?: Pod;
  /**
   * The failover was requested (SENTINEL FAILOVER, a hand-over), not detected: there is no
   * +sdown → +odown path before the election, so the phase-order check does not apply.
   */
  failoverRequested?: true;
  /**
   * The deployment was restored to a backup taken at this instant: writes first acknowledged after it
   * are lost by design (reported as writes_lost_after_backup, with a warning), not counted as loss.
   */
  restorePointNs?: number;
  /** Events the fault observed itself (e.g. the sentinels of pods it added), merged into the trial's. */
  events?: () => readonly TrialEvent[];
  /** A composed fault: settles once its last step has healed (rejects when a step failed); the hold lasts until then. */
  done?: Promise<void>;
}

/** A heal that runs once, whatever path calls it (success, failure, interrupt, halt), marking the timeline; every caller awaits it. */
export function healOnce(ctx: FaultContext, what: string, done: string | (() => string), fn: () => Promise<void>): () => Promise<void> {
  let healing: Promise<void> | null = null;
  return () => {
    // A later caller (the cleanup after a halt mid-heal) waits for the heal under way; its failure is the first caller's to report.
    if (healing) return healing.catch(() => {});
    healing = (async () => {
      ctx.mark('heal', what);
      await fn();
      ctx.mark('healed', typeof done === 'string' ? done : done());
    })();
    return healing;
  };
}

/** Which pod a fault hits: the current master, or its first replica. */
export const podRole = z.enum(['master', 'replica']);

export const victimOf = (topology: Topology, which: 'master' | 'replica'): Pod => (which === 'master' ? topology.master : topology.replicas[0]!);
