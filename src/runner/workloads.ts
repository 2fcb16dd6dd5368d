// The scenario's own workloads (`workloads:`, `--workload-exec`) beside the trial's client: started, stopped, and checked with the trial's checkers, figures prefixed by name.
import { checkAvailability } from '../checkers/availability.ts';
import { checkWriteLossAttributed } from '../checkers/loss-attribution.ts';
import { checkPubSub } from '../checkers/pubsub.ts';
import { checkReads } from '../checkers/reads.ts';
import { checkResumeTime } from '../checkers/resume-time.ts';
import { runChecks, bindCheck, type BoundCheck } from '../checkers/compose.ts';
import type { CheckResult, TrialInput } from '../model/check.ts';
import { inNodeIdentity, type NodeIdentity, type Op, type ReadBack } from '../model/history.ts';
import { startWorkload, workloadNames, type RunningWorkload, type WorkloadContext, type WorkloadSpec } from '../workload/registry.ts';

/** What the checks hold each workload to (the scenario's expectations). */
export interface WorkloadExpect {
  failover: boolean;
  failoverMs: number;
  maxOutageMs?: number;
  maxLostWrites: number;
  acceptLossFromOldMaster: boolean;
  maxLostFromOldMaster?: number;
}

export class TrialWorkloads {
  private running: RunningWorkload[] = [];
  private readonly failures = new Map<string, string>();
  private readonly names: string[];
  private readonly specs: readonly WorkloadSpec[];
  private readonly nodeIdentity: NodeIdentity | undefined;
  /** The workloads' keys read back from the master after the trial (their own, so that neither history sees the other's keys as unexpected). */
  readBack: ReadBack | null = null;

  /** `nodeIdentity`: the target's name for the node a write reached (the deployment's), applied to every history here. */
  constructor(specs: readonly WorkloadSpec[], nodeIdentity?: NodeIdentity) {
    this.specs = specs;
    this.nodeIdentity = nodeIdentity;
    this.names = workloadNames(specs);
  }

  /** Start every workload; `ctxOf(name)` gives each its key prefix. A workload that does not start stops the others and throws. */
  async start(ctxOf: (name: string) => WorkloadContext): Promise<void> {
    const started = await Promise.allSettled(this.specs.map((s, i) => startWorkload(this.names[i]!, s, ctxOf(this.names[i]!))));
    this.running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
  }

  /** Stop every workload; a failure (exit code, malformed line) is kept and fails that workload's write-loss check. */
  async stop(): Promise<void> {
    await Promise.all(
      this.running.map((w) =>
        w.stop().catch((e: unknown) => {
          this.failures.set(w.name, e instanceof Error ? e.message : String(e));
        }),
      ),
    );
  }

  /**
   * Wait until every pub/sub workload has observed its window after the fault: its first publish acknowledged after
   * `faultNs` plus its observeAfterMs (a dead subscriber needs that long to be told apart). Bounded: at most
   * `boundMs` from now; returns at once without pub/sub workloads.
   */
  async observeAfterFault(faultNs: number, nowNs: () => number, boundMs: number, signal?: AbortSignal): Promise<void> {
    const ps = this.running.flatMap((w) => (w.pubsub ? [w.pubsub] : []));
    if (ps.length === 0) return;
    const doneBy = (p: (typeof ps)[number]): number | null => {
      const h = p.history();
      const ack = h.ops.find((o) => o.process === h.publisher && o.f === 'publish' && o.type === 'ok' && o.ns > faultNs);
      return ack ? ack.ns + p.observeAfterMs * 1e6 : null;
    };
    const end = performance.now() + boundMs;
    while (performance.now() < end && !signal?.aborted) {
      const by = ps.map(doneBy);
      const now = nowNs();
      if (by.every((b) => b !== null && b <= now)) return;
      const waitMs = Math.min(200, Math.max(5, ...by.map((b) => (b === null ? 200 : (b - now) / 1e6))));
      await new Promise((r) => setTimeout(r, Math.min(waitMs, end - performance.now())));
    }
  }

  keys(): string[] {
    return this.running.flatMap((w) => w.keys());
  }

  /** The keys by the db they are in (the pub/sub workloads' and the others' in 0). */
  keysByDb(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const w of this.running) out.set(w.db ?? 0, [...(out.get(w.db ?? 0) ?? []), ...w.keys()]);
    return out;
  }

  ops(): Op[] {
    return this.running.flatMap((w) => this.opsOf(w));
  }

  private opsOf(w: RunningWorkload): Op[] {
    return inNodeIdentity(w.ops(), this.nodeIdentity);
  }

  /** One line per workload for the trial's events. */
  describe(): string {
    return this.running
      .map(
        (w) =>
          `${w.name} (${w.library}): ${(w.pubsub ? w.pubsub.history().ops.filter((o) => o.f === 'publish') : w.ops()).filter((o) => o.type === 'ok').length} acknowledged`,
      )
      .join(', ');
  }

  /**
   * Each workload's write-loss, failover-time (fault → first acknowledged write invoked after it: a driver
   * need not say which node answered) and availability, named and figured `<name>.<…>`. `input` is the
   * trial's, whose history is replaced by the workload's.
   */
  checks(input: TrialInput, expect: WorkloadExpect, sinceNs: number | null): CheckResult[] {
    return this.running.flatMap((w) => {
      if (w.pubsub) return [this.pubsubCheck(w, w.pubsub, input)];
      const mine = new Set(w.keys());
      const readBack = this.readBack && { ...this.readBack, present: new Set([...this.readBack.present].filter((k) => mine.has(k))) };
      const own: TrialInput = { ...input, history: this.opsOf(w), readBack };
      const bound: BoundCheck[] = [bindCheck('availability', checkAvailability, expect.maxOutageMs === undefined ? {} : { maxOutageMs: expect.maxOutageMs })];
      if (expect.failover) bound.unshift(bindCheck('failover-time', checkResumeTime, { sloMs: expect.failoverMs }));
      const loss = checkWriteLossAttributed(own, {
        maxLost: expect.maxLostWrites,
        acceptLossFromOldMaster: expect.acceptLossFromOldMaster,
        ...(expect.maxLostFromOldMaster === undefined ? {} : { maxLostFromOldMaster: expect.maxLostFromOldMaster }),
        sinceNs,
      });
      const failure = this.failures.get(w.name);
      const lossCheck: CheckResult =
        failure === undefined ? loss.check : { ...loss.check, valid: false, explanation: `the workload failed: ${failure}; ${loss.check.explanation}` };
      // Only session reads (after a setex) are judged: the Django driver's own reads carry no value.
      const reads = w.readOps?.() ?? [];
      const sessions = reads.some((o) => o.f === 'setex');
      // Read-your-writes across the fault is a lost acknowledged write seen by its session: accepted exactly when the scenario accepts that loss.
      const readsCheck: CheckResult[] = sessions
        ? [
            checkReads(
              reads,
              { faultNs: input.faultNs, oldMaster: input.oldMaster },
              {
                acceptAcrossFault: expect.acceptLossFromOldMaster,
                ...(w.maxStaleReplicaReads === undefined ? {} : { maxStaleReplicaReads: w.maxStaleReplicaReads }),
              },
            ),
          ]
        : [];
      return [...runChecks(own, bound), lossCheck, ...readsCheck].map((c) => ({
        ...c,
        name: `${w.name}.${c.name}`,
        figures: Object.fromEntries(Object.entries(c.figures).map(([k, v]) => [`${w.name}.${k}`, v])),
        explanation: `${w.library}${w.path ? ` (${w.path} path)` : ''}: ${c.explanation}`,
      }));
    });
  }

  /** A pub/sub workload's one check, `<name>.pubsub`; a workload that failed (its driver) fails it. */
  private pubsubCheck(w: RunningWorkload, ps: NonNullable<RunningWorkload['pubsub']>, input: TrialInput): CheckResult {
    const h = ps.history();
    const c = checkPubSub(
      { ...h, ops: inNodeIdentity([...h.ops], this.nodeIdentity) },
      { faultNs: input.faultNs, oldMaster: input.oldMaster },
      { deadAfterMs: ps.deadAfterMs, observeAfterMs: ps.observeAfterMs, ...(ps.maxLost === undefined ? {} : { maxLost: ps.maxLost }) },
    );
    const failure = this.failures.get(w.name);
    return {
      ...c,
      ...(failure === undefined ? {} : { valid: false, explanation: `the workload failed: ${failure}; ${c.explanation}` }),
      name: `${w.name}.${c.name}`,
      figures: Object.fromEntries(Object.entries(c.figures).map(([k, v]) => [`${w.name}.${k}`, v])),
    };
  }
}
