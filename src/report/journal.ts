// The run journal (result.json): a versioned, self-describing record of one harness run.
import type { HistorySummary } from './history-summary.ts';
import type { AlertWindow } from '../model/alerts.ts';
import type { CheckResult, Figures, Validity } from '../model/check.ts';
import type { ConformanceGroupResult } from '../model/conformance.ts';
import type { Verdict } from '../model/verdict.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Phase, Stats } from '../model/figures.ts';
import type { ScheduleRecord } from '../model/schedule.ts';

export type { Phase, Stats } from '../model/figures.ts';

export const JOURNAL_SCHEMA = 'sentinel-chaos/result@1';

export type { Verdict } from '../model/verdict.ts';

export interface TrialResult {
  /** 1-based. */
  index: number;
  verdict: Verdict;
  startedAt: string;
  durationMs: number;
  /** Named figures: failover_ms, sentinel_failover_ms, writes_acked, writes_lost, ... */
  figures: Figures;
  phases: Phase[];
  checks: CheckResult[];
  events: TrialEvent[];
  /** Why a trial failed, errored or was skipped, in one line. */
  message?: string;
  /**
   * Who made (or could not make) this trial's fault: kind / kube's fault backend (chaos-mesh, kind-node), else the
   * target itself (local, docker). Absent in journals written before it was recorded.
   */
  faultBackend?: string;
  /**
   * Findings within the accepted bounds that a reader must still see, e.g. lost writes the seed's
   * settings make unavoidable, or a failover outside the expected band.
   */
  warnings?: string[];
  /** Relative path (from the run dir) of the full operation history, JSON lines. */
  historyFile?: string;
  /**
   * A streamed (long) trial: what the report draws instead of every operation (a bounded sample, the rate downsampled,
   * figures per fault window), computed in one pass over the history file.
   */
  historySummary?: HistorySummary;
  /**
   * Keys of acknowledged writes missing from the final read-back, when the runner records them; the HTML
   * report marks them in the trial's write strip. Absent: nothing is derived.
   */
  lostKeys?: string[];
  /**
   * A streamed trial's `lostKeys` is a sample: how many writes were lost, how many keys it keeps and which (a run
   * that loses millions keeps the first and last few hundred by first acknowledgement).
   */
  lostKeysSample?: { total: number; kept: number; rule: string };
  /**
   * Monotonic ns (the events' clock) the trial's phases and *_ms figures are measured from: the fault
   * landing, or for a staged fault the instant the failover clock starts. When absent the HTML report infers
   * it from the fault events.
   */
  clockStartNs?: number;
  /** A composed fault's (a soak's) schedule: its steps (replayable), the seed that drew them, what became of each, and the invariants' violations. */
  schedule?: ScheduleRecord;
  /**
   * With --monitoring: every alert the run's Prometheus fired during the trial, ms from the fault landing (from the
   * trial's start when no fault landed), with its clear time also from the heal. Absent: no alerts were watched;
   * [] watched and none fired.
   */
  alerts?: AlertWindow[];
}

export interface ScenarioResult {
  name: string;
  description: string;
  /** The bounds the scenario declared. */
  slo: Record<string, number>;
  verdict: Verdict;
  trials: TrialResult[];
  /** Per-figure statistics over the trials where it was measured. */
  stats: Record<string, Stats>;
  /** The SLO gate over the trials: which statistic was held to the failover bound, and its reasoning. */
  gate?: { stat: 'max' | 'p95' | 'median'; message: string };
  /** The deployment profile (`--profile`) the scenario ran under, when one was chosen. */
  profile?: string;
}

/**
 * One scenario under one profile (`--profile both`), for the side-by-side view: the worst trial's
 * figures (max over the trials; null when never measured) and the old-master loss bound declared.
 */
export interface ProfileComparisonRow {
  scenario: string;
  profile: string;
  verdict: Verdict;
  trials: number;
  writes_acked: number | null;
  writes_lost: number | null;
  writes_lost_old_master: number | null;
  /** The scenario's bound on accepted old-master loss under this profile; null: unbounded (accepted) or not accepted. */
  writes_lost_old_master_max: number | null;
  outage_ms: number | null;
  availability: number | null;
  failover_ms: number | null;
  split_brain_ms: number | null;
}

export interface Journal {
  schema: typeof JOURNAL_SCHEMA;
  harness: { name: string; version: string; node: string };
  run: {
    id: string;
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    argv: string[];
    interrupted: boolean;
    /**
     * A safeguard (a scenario's haltOn) halted the run: `by` is the probe (probe/<name>) or the figure
     * bound, `at` the wall-clock time, `reason` what broke; the trials and scenarios after it did not run.
     * The run's verdict is then fail and the exit code 3.
     */
    halted?: { by: string; at: string; reason: string; scenario: string; trial: number };
    /** --dataset: what filling the master cost (write and replication time, used_memory, AOF size). */
    dataset?: Record<string, number | null>;
  };
  target: { name: string; redisVersion: string | null; details: Record<string, string> };
  /** Parameters of the deployment under test, read from the manifests; never the password. */
  deployment: Record<string, string | number | boolean>;
  /** The workload client and the options that shape what it observes. */
  client: Record<string, string | number | boolean>;
  quantileDefinition: string;
  verdict: Verdict;
  scenarios: ScenarioResult[];
  /** Conformance groups run (static, live, peer, …), one entry per group; absent when none ran. */
  conformance?: ConformanceGroupResult[];
  /** Under more than one profile: each profile's settings, and every scenario's figures per profile. */
  profiles?: { name: string; description: string; settings: Record<string, string> }[];
  profileComparison?: ProfileComparisonRow[];
}

export type { Validity };
