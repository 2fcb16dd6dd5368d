// The invariants of a running schedule, checked at every quiescent point (no step active) and at the end.
import type { Clock } from '../clock.ts';
import type { LostWrites, WriteFold } from '../checkers/history-fold.ts';
import {
  acceptedWindows,
  covered,
  describeLost,
  describeMasters,
  multiMasterOutside,
  stepsBefore,
  type InvariantName,
  type StepSpan,
  type StepWindow,
} from '../checkers/invariants.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Op, ReadBack } from '../model/history.ts';
import type { RealisedStep, Violation } from '../model/schedule.ts';
import { until } from './phase.ts';

/** What a checkpoint asks of the deployment. */
export interface MonitorIo {
  /** One non-strict look at the deployment. */
  inspect(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Which of `keys` the current master holds. */
  readBack(keys: readonly string[]): Promise<ReadBack>;
  /** The master each sentinel that answers names (host:port), by sentinel. */
  sentinelMasters(): Promise<Array<{ sentinel: string; master: string | null }>>;
}

export interface MonitorOptions {
  clock: Clock;
  /** The schedule's start (run clock) and its steps as they happen. */
  startNs: number;
  realised: () => readonly RealisedStep[];
  events: () => readonly TrialEvent[];
  /** The workload's acknowledgements, folded as they come from the schedule's start (never the whole history). */
  writes: WriteFold;
  convergeMs: number;
  io: MonitorIo;
  signal: AbortSignal;
  /** Called on every violation as it is found (the first one may halt the run). */
  onViolation(v: Violation): void;
}

/** The final check's selection of lost writes: those acknowledged outside every window and not reported yet. */
export interface LostSelection {
  keep: (ns: number, key: string) => boolean;
  sampleSize: number;
}

/** Checks the invariants at quiescent points; violations in the order found, at most 1000 kept. */
export class ScheduleMonitor {
  readonly violations: Violation[] = [];
  checkpoints = 0;
  private readonly convergedNs: number[] = [];
  private readonly reportedLost = new Set<string>();
  /** First acknowledgements taken from the fold that belong to a later checkpoint's stretch. */
  private carry: Op[] = [];
  private readonly o: MonitorOptions;
  private epoch = 0;
  private lastNs: number;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(o: MonitorOptions) {
    this.o = o;
    this.lastNs = o.startNs;
  }

  /** A step started: a checkpoint waiting for convergence is abandoned (it is no quiescent point any more). */
  stepStarted(): void {
    this.epoch++;
  }

  /** No step is active: check the invariants (one checkpoint at a time; a later call runs another after it). */
  quiescent(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.checkpoint().catch(() => {});
      } while (this.again && !this.o.signal.aborted);
      this.running = null;
    })();
  }

  /** Every step as a span on the run clock. */
  spans(): StepSpan[] {
    const ns = (ms: number) => this.o.startNs + ms * 1e6;
    return this.o
      .realised()
      .filter((r) => r.skipped === undefined && r.landedMs !== undefined)
      .map((r) => ({ step: r.step, startNs: ns(r.startMs), ...(r.healedMs !== undefined ? { healedNs: ns(r.healedMs) } : {}) }));
  }

  windows(endNs: number): StepWindow[] {
    return acceptedWindows(this.spans(), this.convergedNs, this.o.convergeMs, endNs);
  }

  /** `seenNs`: when the violation was found, if later than `ns`; the steps that led to it are those started before then. */
  private violation(invariant: InvariantName, ns: number, detail: string, seenNs = ns): void {
    const v: Violation = { invariant, atMs: Math.round((ns - this.o.startNs) / 1e6), detail, steps: stepsBefore(this.spans(), seenNs) };
    if (this.violations.length < 1000) this.violations.push(v);
    this.o.onViolation(v);
  }

  private async checkpoint(): Promise<void> {
    const { io, clock, convergeMs, signal } = this.o;
    const epoch = this.epoch;
    let reason = 'not checked';
    const converged = await until(
      async () => {
        if (this.epoch !== epoch) return true;
        const r = await io.inspect();
        reason = r.ok ? 'converged' : r.reason;
        return r.ok;
      },
      convergeMs,
      100,
      signal,
    );
    if (this.epoch !== epoch || signal.aborted) return;
    const now = clock.nowNs();
    this.checkpoints++;
    if (converged) this.convergedNs.push(now);
    else this.violation('convergence', now, `not converged within ${convergeMs} ms of the last heal: ${reason}`);
    await this.agree(now);
    await this.scan(this.lastNs, now, null);
    this.lastNs = now;
  }

  private async agree(now: number): Promise<void> {
    const named = (await this.o.io.sentinelMasters()).filter((s) => s.master !== null);
    const distinct = [...new Set(named.map((s) => s.master))];
    if (distinct.length > 1)
      this.violation('sentinels-agree', now, `the sentinels name different masters: ${named.map((s) => `${s.sentinel} → ${s.master}`).join(', ')}`);
  }

  /** Two masters and lost writes in [fromNs, toNs]; `rb` null: read back the writes acknowledged outside the windows now. */
  private async scan(fromNs: number, toNs: number, rb: ReadBack | null): Promise<void> {
    const windows = this.windows(toNs);
    for (const iv of multiMasterOutside(this.o.events(), windows, fromNs, toNs))
      this.violation('single-master', iv.startNs, describeMasters(iv, this.o.startNs));
    // Only the acknowledgements since the last checkpoint: each stretch is read once, not the whole history again.
    const acked = new Map<string, Op>();
    const fresh = [...this.carry, ...this.o.writes.takeNewAcks()];
    this.carry = [];
    for (const op of fresh) {
      if (op.ns >= toNs) this.carry.push(op);
      else if (op.ns >= fromNs && !covered(op.ns, windows) && !this.reportedLost.has(op.key)) acked.set(op.key, op);
    }
    if (acked.size === 0) return;
    const read = rb ?? (await this.o.io.readBack([...acked.keys()]));
    const lost = [...acked.values()].filter((op) => !read.present.has(op.key));
    for (const op of lost) this.reportedLost.add(op.key);
    // A write is lost after its acknowledgement (a master restarted on a stale data dir): the step that lost it may
    // have started after it, so the steps named are those started before the read-back, not before the write.
    if (lost.length) this.violation('no-lost-writes', lost[0]!.ns, describeLost(lost, read.node), toNs);
  }

  /**
   * The end of the run: the last stretch for two masters, every write acknowledged outside the windows against
   * the final read-back (a write can be lost after the checkpoint that saw it), and the final convergence.
   */
  async final(
    endNs: number,
    rb: ReadBack | null,
    converged: { ok: boolean; reason: string } | null,
    lostOf: (sel: LostSelection) => Promise<LostWrites> = async (sel) => this.o.writes.lostWrites(rb!.present, sel),
  ): Promise<void> {
    await this.running;
    if (converged && !converged.ok) this.violation('convergence', endNs, `not converged after the last heal: ${converged.reason}`);
    const windows = this.windows(endNs);
    for (const iv of multiMasterOutside(this.o.events(), windows, this.lastNs, endNs))
      this.violation('single-master', iv.startNs, describeMasters(iv, this.o.startNs));
    if (!rb) return;
    const { startNs } = this.o;
    // Counts and the first few, whatever the number lost (the windows excuse the rest, which may be millions).
    const lost = await lostOf({
      keep: (ns, key) => ns >= startNs && ns < endNs && !covered(ns, windows) && !this.reportedLost.has(key),
      sampleSize: 5,
    });
    if (lost.count) this.violation('no-lost-writes', lost.firstNs!, describeLost(lost.sample, rb.node, lost.count), endNs);
  }
}
