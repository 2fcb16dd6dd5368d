// A trial's history as JSON lines on disk: appended as the operations happen (a crash leaves every line written so
// far readable), read back in one pass without holding the file or its operations in memory.
import { createReadStream, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { TrialEvent } from '../model/events.ts';
import type { Op } from '../model/history.ts';

/** One line of a history file as an operation, or null for a line that is not one (a torn last line after a crash). */
export function parseOpLine(line: string): Op | null {
  if (line.trim() === '') return null;
  try {
    const op: unknown = JSON.parse(line);
    if (op !== null && typeof op === 'object' && typeof (op as Op).ns === 'number' && typeof (op as Op).type === 'string') return op as Op;
  } catch {
    // not an operation
  }
  return null;
}

export interface HistoryLogOptions {
  /** Applied to every chunk before it is written (the run's password redaction). */
  redact?: (text: string) => string;
  /** Buffered lines are written at least this often (ms) and whenever the buffer passes `maxBufferBytes`. */
  flushMs?: number;
  maxBufferBytes?: number;
}

/** Appends operations to a JSON-lines file; at most `flushMs` of them are only in memory at any time. */
export class HistoryLog {
  readonly file: string;
  /** Operations and bytes written so far. */
  ops = 0;
  bytes = 0;
  private fd: number | null;
  private buffer: string[] = [];
  private buffered = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly o: Required<HistoryLogOptions>;

  constructor(file: string, o: HistoryLogOptions = {}) {
    this.file = file;
    this.o = { redact: (t) => t, flushMs: 200, maxBufferBytes: 1 << 20, ...o };
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
    this.timer = setInterval(() => this.flush(), this.o.flushMs);
    this.timer.unref();
  }

  /** One record (an operation; or an event, for the timeline's file) as a line. */
  append(op: Op | TrialEvent): void {
    if (this.fd === null) return;
    const line = JSON.stringify(op);
    this.buffer.push(line);
    this.buffered += line.length + 1;
    this.ops++;
    if (this.buffered >= this.o.maxBufferBytes) this.flush();
  }

  flush(): void {
    if (this.fd === null || this.buffer.length === 0) return;
    const text = this.o.redact(`${this.buffer.join('\n')}\n`);
    this.buffer = [];
    this.buffered = 0;
    this.bytes += writeSync(this.fd, text);
  }

  /** Flush and close; appending afterwards is ignored. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Every operation of a history file, in file order, in one pass (lines that are not operations skipped). */
export async function* readHistory(file: string): AsyncGenerator<Op> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of lines) {
    const op = parseOpLine(line);
    if (op) yield op;
  }
}

/** Feed every operation of a history file to `each`, in one pass; the number of operations read. */
export async function foldHistoryFile(file: string, each: (op: Op) => void): Promise<number> {
  let n = 0;
  for await (const op of readHistory(file)) {
    each(op);
    n++;
  }
  return n;
}
