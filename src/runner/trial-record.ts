// A trial's two recordings: the timeline (marks and every observer's events) and the workload (writers and their history).
import type { Clock } from '../clock.ts';
import type { TrialEvent } from '../model/events.ts';
import { WriteFold } from '../checkers/history-fold.ts';
import { inNodeIdentity, type NodeIdentity, type Op } from '../model/history.ts';
import { CompactKeySet } from '../model/key-set.ts';
import { HistoryLog } from '../report/history-file.ts';
import { TrackedWriter } from '../workload/tracked-writer.ts';
import type { WorkloadClient } from './trial-io.ts';

/** The trial's events on the run clock: the harness's own marks plus every source followed, in time order. */
export class Timeline {
  private readonly marks: TrialEvent[] = [];
  private readonly sources: Array<() => readonly TrialEvent[]> = [];
  private readonly clock: Clock;
  /** Streaming to disk: the file, and how many of the marks and of each source's events are written. */
  private log: { file: HistoryLog; marks: number; sources: number[]; timer: NodeJS.Timeout } | null = null;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /**
   * Append every event to `file` (JSON lines) as it comes, at most `everyMs` late: the marks and each followed source
   * are written from where the last write stopped (sources only grow), so a crash leaves the events so far on disk.
   */
  streamTo(file: string, redact: (text: string) => string, everyMs = 1000): void {
    const timer = setInterval(() => this.drain(), everyMs);
    timer.unref();
    this.log = { file: new HistoryLog(file, { redact, flushMs: everyMs }), marks: 0, sources: [], timer };
  }

  private drain(): void {
    const log = this.log;
    if (!log) return;
    for (; log.marks < this.marks.length; log.marks++) log.file.append(this.marks[log.marks]!);
    this.sources.forEach((source, i) => {
      const events = source();
      let from = Math.min(log.sources[i] ?? 0, events.length);
      for (; from < events.length; from++) log.file.append(events[from]!);
      log.sources[i] = from;
    });
  }

  /** Write what is left and close the events file (a no-op without one). */
  closeStream(): void {
    if (!this.log) return;
    this.drain();
    clearInterval(this.log.timer);
    this.log.file.close();
    this.log = null;
  }

  /** A harness mark: a phase reached ("converged", "workload-start", …) or a fault step ("inject", "landed", …). */
  note(kind: 'fault' | 'phase', type: string, detail: string): void {
    this.marks.push({ ns: this.clock.nowNs(), kind, source: 'harness', type, detail });
  }

  /** A pod lifecycle event; `detail` starts with the pod name and a colon. */
  pod(type: string, detail: string): void {
    this.marks.push({ ns: this.clock.nowNs(), kind: 'pod', source: detail.split(':')[0]!, type, detail });
  }

  /** A probe's sample ("ok" | "fail") or its break ("broken"); `name` is the probe's. */
  probe(name: string, type: 'ok' | 'fail' | 'broken', detail: string): void {
    this.marks.push({ ns: this.clock.nowNs(), kind: 'probe', source: `probe/${name}`, type, detail });
  }

  /** Include another recorder's events (sentinel events, ROLE samples, a fault's own observers). */
  follow(source: () => readonly TrialEvent[]): void {
    this.sources.push(source);
  }

  /** The first harness mark of this kind and type. */
  firstMark(kind: TrialEvent['kind'], type: string): TrialEvent | undefined {
    return this.marks.find((e) => e.kind === kind && e.type === type);
  }

  all(): TrialEvent[] {
    return [...this.marks, ...this.sources.flatMap((s) => s())].sort((a, b) => a.ns - b.ns);
  }
}

export interface WorkloadOptions {
  clock: Clock;
  /** Prefix of every key; unique per trial so that read-back only sees this trial's keys. */
  keyPrefix: string;
  rateHz: number;
  /** The application's command timeout (see TrackedWriter). */
  timeoutMs: number;
  /** The target's name for the node a write reached (the deployment's `nodeIdentity`). */
  nodeIdentity?: NodeIdentity;
  /**
   * Long runs: every operation goes to `file` (JSON lines) as it is recorded, and the writers keep only the last
   * `keepMs` in memory (what faults and phases look at); the checks read the file at the end.
   */
  stream?: { file: string; redact: (text: string) => string; keepMs: number };
}

/** The operations of a streamed history, where the run left them. */
export interface StreamedHistory {
  file: string;
  /** Operations and bytes written. */
  ops: number;
  bytes: number;
}

/** The trial's writing clients, each with a tracked writer; together they make the trial's history. */
export class TrialWorkload {
  private readonly writers: TrackedWriter[] = [];
  private readonly clients: WorkloadClient[] = [];
  private readonly opts: WorkloadOptions;
  private readonly log: HistoryLog | null;
  /** Every invoked key (streamed runs: the writers no longer hold them), a bit per numbered key. */
  private readonly invoked: CompactKeySet | null;
  private live: WriteFold | null = null;

  constructor(opts: WorkloadOptions) {
    this.opts = opts;
    this.log = opts.stream ? new HistoryLog(opts.stream.file, { redact: opts.stream.redact }) : null;
    this.invoked = opts.stream ? new CompactKeySet() : null;
  }

  /** Each operation as recorded, in the target's node identity, to the history file and the folds. */
  private onOp = (raw: Op): void => {
    const id = this.opts.nodeIdentity;
    const op = id && raw.node !== undefined ? { ...raw, node: id(raw.node) } : raw;
    this.log?.append(op);
    if (op.type === 'invoke') this.invoked?.add(op.key);
    this.live?.add(op);
  };

  /**
   * The acknowledgements from now on, folded as they come (the schedule's invariants take the new ones at each
   * checkpoint). A streamed run's keeps flags only: its final check reads the history file.
   */
  liveWrites(): WriteFold {
    return (this.live ??= new WriteFold({ newAcks: true, details: !this.opts.stream }));
  }

  /** The history file of a streamed run, flushed (null when the history is only in memory). */
  streamed(): StreamedHistory | null {
    if (!this.log) return null;
    this.log.flush();
    return { file: this.log.file, ops: this.log.ops, bytes: this.log.bytes };
  }

  /** Append operations recorded elsewhere (the own workloads') and close the history file. */
  closeStream(extra: readonly Op[]): void {
    for (const op of extra) this.log?.append(op);
    this.log?.close();
  }

  /** Take `client` into the workload (closed by {@link close}), check that it answers, and give it a writer named `name`. */
  async add(name: string, client: WorkloadClient): Promise<TrackedWriter> {
    this.clients.push(client);
    await client.ping();
    const { clock, keyPrefix, rateHz, timeoutMs } = this.opts;
    const w = new TrackedWriter({
      name,
      client,
      clock,
      keyPrefix: `${keyPrefix}:${name}`,
      rateHz,
      maxInFlight: 100_000,
      timeoutMs,
      onOp: this.onOp,
      ...(this.opts.stream ? { keepMs: this.opts.stream.keepMs } : {}),
    });
    this.writers.push(w);
    return w;
  }

  get size(): number {
    return this.writers.length;
  }

  start(): void {
    for (const w of this.writers) w.start();
  }

  /** Stop issuing; wait up to `drainMs` for outstanding replies. */
  async stop(drainMs: number): Promise<void> {
    await Promise.all(this.writers.map((w) => w.stop(drainMs)));
  }

  /** Stop at once and close every client. */
  async close(): Promise<void> {
    await this.stop(0);
    for (const c of this.clients) c.disconnect();
  }

  /** Every operation of every writer, in time order, nodes in the target's identity. */
  history(): Op[] {
    return inNodeIdentity(
      this.writers.flatMap((w) => w.history).sort((a, b) => a.ns - b.ns),
      this.opts.nodeIdentity,
    );
  }

  /** Every key invoked (streamed runs: generated from the compact record, not held as strings). */
  keys(): Iterable<string> {
    return this.invoked ?? this.writers.flatMap((w) => w.keys());
  }

  okCount(): number {
    return this.writers.reduce((n, w) => n + w.okCount, 0);
  }

  notOkCount(): number {
    return this.writers.reduce((n, w) => n + w.notOkCount, 0);
  }

  skipped(): number {
    return this.writers.reduce((n, w) => n + w.skipped, 0);
  }

  /** One line per writer: how many writes it got acknowledged. */
  describeAcked(): string {
    return this.writers.map((w) => `${w.acked} acknowledged by ${w.history[0]?.process ?? 'client'}`).join(', ');
  }

  /** The applications' config change after a password rotation: every client's next connection uses `password`. */
  setPassword(password: string): void {
    for (const c of this.clients) c.options.password = password;
  }
}
