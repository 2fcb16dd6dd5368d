// The JSON-lines driver protocol: one line of a driver's stdout ► an Op on the run clock, a hello, a bye, or a clear error.
import { HarnessError } from '../../errors.ts';
import type { Op, OpType } from '../../model/history.ts';

/**
 * An operation as a driver reports it: like Op, but `f` may be any operation ("write", "read", "update" …), and
 * `value` is what a session write (setex invoke) wrote or a read (ok) read, null for a missing key (src/model/reads.ts).
 */
export type DriverOp = Omit<Op, 'f'> & { f: string; value?: string | null };

/** The optional first line: what the driver runs. `client` and `version` are required, other fields are kept as given. */
export interface DriverHello {
  client: string;
  version: string;
  [field: string]: unknown;
}

/** The optional last line: what the driver counted but did not report as operations. */
export interface DriverBye {
  /** Ticks not issued because too many writes were awaiting replies. */
  skipped?: number;
  [field: string]: unknown;
}

export type DriverLine = { kind: 'op'; op: DriverOp } | { kind: 'hello'; hello: DriverHello } | { kind: 'bye'; bye: DriverBye };

/** A line a driver wrote that the protocol does not allow; names the driver, the line number and the line. */
export class DriverProtocolError extends HarnessError {
  readonly driver: string;
  readonly lineNo: number;
  readonly line: string;
  /** What is wrong with the line. */
  readonly why: string;
  constructor(driver: string, lineNo: number, line: string, why: string) {
    const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
    super('PROCESS_FAILED', `driver "${driver}" line ${lineNo}: ${why}: ${shown}`);
    this.driver = driver;
    this.lineNo = lineNo;
    this.line = shown;
    this.why = why;
  }
}

export interface ParseContext {
  /** The driver's name, in errors and as the op's default `process`. */
  driver: string;
  /** 1-based line number, in errors. */
  lineNo: number;
  /** The run clock's origin in CLOCK_MONOTONIC ns (Clock.originHrtimeNs). */
  originHrtimeNs: bigint;
  /** Now on the run clock: a line stamped later than this (plus a second of slack) is not CLOCK_MONOTONIC. */
  nowNs?: number;
}

export const MAX_LINE_CHARS = 65_536;
const OP_TYPES: ReadonlySet<string> = new Set<OpType>(['invoke', 'ok', 'fail', 'info']);
const HOST_PORT = /^[^\s:]+(:[^\s:]+)*:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/;
const FUTURE_SLACK_NS = 1e9;

/** Parse one stdout line. Throws DriverProtocolError for anything the protocol does not allow. */
export function parseDriverLine(line: string, ctx: ParseContext): DriverLine {
  const bad = (why: string): never => {
    throw new DriverProtocolError(ctx.driver, ctx.lineNo, line, why);
  };
  if (line.length > MAX_LINE_CHARS) bad(`line longer than ${MAX_LINE_CHARS} characters`);
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    bad('not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('not a JSON object');
  const o = v as Record<string, unknown>;

  if ('hello' in o) {
    const h = o.hello as Record<string, unknown> | null;
    if (h === null || typeof h !== 'object' || typeof h.client !== 'string' || typeof h.version !== 'string') {
      bad('"hello" must be an object with string "client" and "version"');
    }
    return { kind: 'hello', hello: h as DriverHello };
  }
  if ('bye' in o) {
    const b = o.bye as Record<string, unknown> | null;
    if (b === null || typeof b !== 'object') bad('"bye" must be an object');
    if (b!.skipped !== undefined && !(Number.isInteger(b!.skipped) && (b!.skipped as number) >= 0)) bad('"bye.skipped" must be a non-negative integer');
    return { kind: 'bye', bye: b as DriverBye };
  }

  const { type, f, key, ns, node, error, process: proc, late, value } = o;
  if (typeof type !== 'string' || !OP_TYPES.has(type)) bad('"type" must be one of invoke, ok, fail, info');
  if (typeof f !== 'string' || f === '') bad('"f" must be a non-empty string');
  if (typeof key !== 'string' || key === '') bad('"key" must be a non-empty string');
  if (node !== undefined && (typeof node !== 'string' || !HOST_PORT.test(node))) bad('"node" must be "host:port"');
  if (error !== undefined && typeof error !== 'string') bad('"error" must be a string');
  if (proc !== undefined && (typeof proc !== 'string' || proc === '')) bad('"process" must be a non-empty string');
  if (late !== undefined && !(late === true && type === 'ok')) bad('"late" may only be true, on an ok');
  if (value !== undefined && value !== null && (typeof value !== 'string' || value.length > 1024))
    bad('"value" must be a string (at most 1024 characters) or null');

  let abs: bigint;
  if (typeof ns === 'number' && Number.isSafeInteger(ns) && ns >= 0) abs = BigInt(ns);
  else if (typeof ns === 'string' && /^\d{1,20}$/.test(ns)) abs = BigInt(ns);
  else return bad('"ns" must be a non-negative integer (CLOCK_MONOTONIC nanoseconds), as a number or a string of digits');
  const rel = abs - ctx.originHrtimeNs;
  if (rel < 0n) bad('"ns" is before the run clock started: is it CLOCK_MONOTONIC in nanoseconds?');
  const relNs = Number(rel);
  if (ctx.nowNs !== undefined && relNs > ctx.nowNs + FUTURE_SLACK_NS) bad('"ns" is ahead of the harness clock: is it CLOCK_MONOTONIC in nanoseconds?');

  const op: DriverOp = {
    process: (proc as string | undefined) ?? ctx.driver,
    type: type as OpType,
    f: f as string,
    key: key as string,
    ns: relNs,
    ...(node !== undefined ? { node: node as string } : {}),
    ...(error !== undefined ? { error: (error as string).slice(0, 300) } : {}),
    ...(late === true ? { late: true as const } : {}),
    ...(value !== undefined ? { value: value as string | null } : {}),
  };
  return { kind: 'op', op };
}

/** The write operations of a driver history, typed as the checkers' Op. */
export function writeOps(ops: readonly DriverOp[]): Op[] {
  return ops.filter((o): o is Op => o.f === 'write');
}
