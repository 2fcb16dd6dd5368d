// Writes unique keys at a steady rate and records every operation (invoke / ok / fail / info) on the run clock.
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Op } from '../model/history.ts';

/** What the writer needs of a client: an ioredis client, or one shaped like it. */
export interface WriterClient {
  set(key: string, value: string): Promise<unknown>;
  /** The connection's socket, for the acknowledging node's address. */
  readonly stream?: unknown;
}

export interface WriterOptions {
  /** Name of this client in the history. */
  name: string;
  client: Redis | WriterClient;
  clock: Clock;
  /** Unique per trial, so that read-back only sees this trial's keys. */
  keyPrefix: string;
  /** Writes per second, issued open-loop (on schedule, whether or not earlier writes returned). */
  rateHz: number;
  /** Upper bound on writes awaiting a reply; beyond it the schedule skips (counted in `skipped`). */
  maxInFlight: number;
  /**
   * The application's command timeout: a write without a reply by then is recorded as info. The
   * reply is still awaited and, if it comes, recorded as a late ok: ioredis's own commandTimeout
   * would discard it, hiding when the new master really acknowledged queued writes.
   */
  timeoutMs: number;
  /** Every operation as it is recorded (a history file on disk, the checkers' folds). */
  onOp?: (op: Op) => void;
  /**
   * Keep only the operations of the last `keepMs` in `history` (long runs: the full history is what `onOp`
   * streams); undefined keeps every one.
   */
  keepMs?: number;
}

/** Errors with which the server refused the write: it was definitely not applied. */
const DEFINITE = /^(READONLY|NOAUTH|WRONGPASS|NOPERM|OOM|MISCONF|NOREPLICAS|ERR|WRONGTYPE|LOADING|MASTERDOWN)\b/;

export class TrackedWriter {
  /** Every operation, or with `keepMs` those of the last `keepMs`, in the order recorded (trimmed in place: always this array). */
  readonly history: Op[] = [];
  /** Scheduled writes not issued because maxInFlight was reached. */
  skipped = 0;
  /** Running counts, for progress output without scanning the history. */
  okCount = 0;
  notOkCount = 0;
  private ackedCount = 0;
  private seq = 0;
  private sinceTrim = 0;
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private startNs = 0;
  private readonly opts: WriterOptions;

  constructor(opts: WriterOptions) {
    if (!(opts.rateHz > 0)) throw new RangeError('rateHz must be positive');
    this.opts = opts;
  }

  start(): void {
    this.startNs = this.opts.clock.nowNs();
    this.tick();
  }

  /** Stop issuing; wait up to `drainMs` for outstanding replies (those still pending stay indeterminate). */
  async stop(drainMs: number): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (t = setTimeout(r, drainMs)))]);
    clearTimeout(t);
  }

  /** Every key this writer invoked (with `keepMs`, those of the last keepMs only: the full set is the streamed history's). */
  keys(): string[] {
    return this.history.filter((o) => o.type === 'invoke').map((o) => o.key);
  }

  /** Writes acknowledged so far (late acknowledgements included). */
  get acked(): number {
    return this.ackedCount;
  }

  private record(op: Op): void {
    const h = this.history;
    h.push(op);
    this.opts.onOp?.(op);
    const keep = this.opts.keepMs;
    // Drop the operations older than keepMs once every 4096 records: a scan per record would cost more than the write.
    // In place: a copy of the window each time (megabytes at 2000 writes/s) piled up as garbage until the next full GC.
    if (keep !== undefined && ++this.sinceTrim >= 4096) {
      this.sinceTrim = 0;
      const cut = h.findIndex((o) => op.ns - o.ns <= keep * 1e6);
      if (cut > 0) h.splice(0, cut);
    }
  }

  private tick = (): void => {
    const periodNs = 1e9 / this.opts.rateHz;
    const due = Math.floor((this.opts.clock.nowNs() - this.startNs) / periodNs) + 1;
    // After a stall (GC, a blocked loop) catch up in bounded bursts rather than all at once.
    for (let n = 0; this.seq < due && n < 100; n++) {
      if (this.inFlight.size >= this.opts.maxInFlight) {
        this.skipped += due - this.seq;
        this.seq = due;
        break;
      }
      this.issue();
    }
    const nextNs = this.startNs + this.seq * periodNs;
    this.timer = setTimeout(this.tick, Math.max(0, (nextNs - this.opts.clock.nowNs()) / 1e6));
  };

  private issue(): void {
    const { client, clock, name, keyPrefix, timeoutMs } = this.opts;
    const key = `${keyPrefix}:${this.seq++}`;
    this.record({ process: name, type: 'invoke', f: 'write', key, ns: clock.nowNs() });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.notOkCount++;
      this.record({ process: name, type: 'info', f: 'write', key, ns: clock.nowNs(), error: `no reply within ${timeoutMs} ms (client timeout)` });
    }, timeoutMs);
    const p = (client as WriterClient).set(key, '1').then(
      () => {
        clearTimeout(timer);
        const s = client.stream as { remoteAddress?: string; remotePort?: number } | undefined;
        const node = s?.remoteAddress ? `${s.remoteAddress}:${s.remotePort}` : undefined;
        this.ackedCount++;
        this.record({
          process: name,
          type: 'ok',
          f: 'write',
          key,
          ns: clock.nowNs(),
          ...(node ? { node } : {}),
          ...(timedOut ? { late: true as const } : {}),
        });
        if (!timedOut) this.okCount++;
      },
      (err: Error) => {
        clearTimeout(timer);
        if (timedOut) return;
        const type = DEFINITE.test(err.message) ? 'fail' : 'info';
        this.notOkCount++;
        this.record({ process: name, type, f: 'write', key, ns: clock.nowNs(), error: err.message.slice(0, 200) });
      },
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }
}
