// Bench: the checkers on a synthetic history of N operations (default 10 million), each mode in a process of its own so
// that its peak RSS is its own: `fold` (operations generated one at a time into the one-pass folds, as a run's file feeds
// them), `file` (the same history written as JSON lines, then folded from the file in one pass: parsing included), and
// `memory` (the history as an array of operations and a Set read-back, checked by the in-memory checkers, as before).
// `end --minutes M` is a soak's end of trial at 2000 writes/s for M minutes under a dense schedule (fault windows 50 s of
// every 60 s, 54 % of the writes acknowledged inside them lost, their acknowledgements up to 5 s late): the folds, then
// what the end does with the lost writes (loss and its attribution, the lost keys, the summary, the invariant's final check).
// Usage: npm run bench:history -- [--ops 10000000] [--memory-ops 1000000,3000000] [--modes fold,file,memory] [--dir /tmp]
//        npm run bench:history -- --modes end --minutes 10,60
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkAvailability } from '../src/checkers/availability.ts';
import { AvailabilityFold, LatencyFold, WriteFold, attributedLossOfFold, type KeyTable } from '../src/checkers/history-fold.ts';
import { latencyFigures, type LatencyWindows } from '../src/checkers/latency.ts';
import { checkWriteLossAttributed } from '../src/checkers/loss-attribution.ts';
import type { TrialInput } from '../src/model/check.ts';
import type { Op } from '../src/model/history.ts';
import { CompactKeySet } from '../src/model/key-set.ts';
import { foldHistoryFile, HistoryLog } from '../src/report/history-file.ts';
import { SummaryFold } from '../src/report/history-summary.ts';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '10000000' },
    'memory-ops': { type: 'string', default: '1000000,3000000' },
    /** Which modes to run: fold, file, memory (the folds are also run at the memory sizes, for the comparison). */
    modes: { type: 'string', default: 'fold,file,memory' },
    dir: { type: 'string', default: '/tmp' },
    /** Soak lengths for the `end` mode, minutes at 2000 writes/s. */
    minutes: { type: 'string', default: '10,60' },
    child: { type: 'string' },
    n: { type: 'string' },
  },
});

const OLD = '127.0.141.1:6379';
const NEW = '127.0.141.2:6379';
const STEP_NS = 5e6; // a write every 5 ms (200/s)

/** The synthetic history, generated in time order: mostly acknowledged writes, 1 % indeterminate (half of them late acks), 0.5 % failed. */
function* synthetic(n: number): Generator<Op> {
  let emitted = 0;
  for (let i = 0; emitted < n; i++) {
    const t = i * STEP_NS;
    const key = `bench:sentinel-client:${i}`;
    const node = t < faultNs(n) ? OLD : NEW;
    yield { process: 'sentinel-client', type: 'invoke', f: 'write', key, ns: t };
    emitted++;
    const lat = 1e5 + ((i * 7919) % 2900) * 1e3; // 0.1 ms to 3 ms
    if (i % 200 === 7) {
      yield { process: 'sentinel-client', type: 'fail', f: 'write', key, ns: t + lat, error: 'READONLY' };
      emitted++;
    } else if (i % 100 === 3) {
      yield { process: 'sentinel-client', type: 'info', f: 'write', key, ns: t + lat, error: 'no reply within 1000 ms (client timeout)' };
      emitted++;
      if (i % 200 === 3) {
        yield { process: 'sentinel-client', type: 'ok', f: 'write', key, ns: t + lat + 1e6, node, late: true };
        emitted++;
      }
    } else {
      yield { process: 'sentinel-client', type: 'ok', f: 'write', key, ns: t + lat, node };
      emitted++;
    }
  }
}
const writesOf = (n: number) => Math.ceil(n / 2);
const faultNs = (n: number) => Math.floor(writesOf(n) / 2) * STEP_NS;
/** Acknowledged keys present on the final master, but every 1000th write (lost); indeterminate ones present every other time. */
function presentKeys(n: number, into: { add(k: string): unknown }): void {
  for (let i = 0; i < writesOf(n); i++) {
    if (i % 1000 === 500 || i % 200 === 7 || (i % 100 === 3 && i % 300 !== 3)) continue;
    into.add(`bench:sentinel-client:${i}`);
  }
}
const windowsOf = (n: number): LatencyWindows => ({ faultNs: faultNs(n), recoveryNs: faultNs(n) + 5e9, recovery: 'first-ack' });

function peak(): { rss_mib: number; heap_mib: number } {
  return { rss_mib: Math.round(process.resourceUsage().maxRSS / 1024), heap_mib: Math.round(process.memoryUsage().heapUsed / 2 ** 20) };
}

const END_STEP_NS = 5e5; // 2000 writes/s
/** In a fault window: the first 50 s of every minute. */
const inWindow = (ns: number) => ns % 60e9 < 50e9;
const endWindows = (writes: number) =>
  Array.from({ length: Math.ceil((writes * END_STEP_NS) / 60e9) }, (_, m) => ({ label: `step ${m + 1}`, startNs: m * 60e9, endNs: m * 60e9 + 50e9 }));

/** The soak's history: every write acknowledged, those in a window late by up to 5 s (distinct µs latencies) and 54 % of them lost. */
function* soakHistory(writes: number): Generator<Op> {
  const late = new OpHeap();
  for (let i = 0; i < writes; i++) {
    const t = i * END_STEP_NS;
    while (late.size && late.top().ns <= t) yield late.pop();
    const key = `soak:sentinel-client:${i}`;
    yield { process: 'sentinel-client', type: 'invoke', f: 'write', key, ns: t };
    const lat = inWindow(t) ? 1e5 + ((i * 7919) % 5_000_000) * 1e3 : 1e5 + ((i * 7919) % 2900) * 1e3;
    late.push({ process: 'sentinel-client', type: 'ok', f: 'write', key, ns: t + lat, node: inWindow(t) && i % 2 ? OLD : NEW });
  }
  while (late.size) yield late.pop();
}

/** Operations by time, smallest first (a binary heap). */
class OpHeap {
  private readonly a: Op[] = [];
  get size(): number {
    return this.a.length;
  }
  top(): Op {
    return this.a[0]!;
  }
  push(op: Op): void {
    const a = this.a;
    let i = a.push(op) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.ns <= a[i]!.ns) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): Op {
    const a = this.a;
    const out = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.ns < a[m]!.ns) m = l;
        if (r < a.length && a[r]!.ns < a[m]!.ns) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return out;
  }
}
const soakLost = (i: number) => inWindow(i * END_STEP_NS) && i % 100 < 54;

async function endChild(minutes: number): Promise<void> {
  const t0 = performance.now();
  const writesN = minutes * 60 * 2000;
  const present = new CompactKeySet();
  for (let i = 0; i < writesN; i++) if (!soakLost(i)) present.add(`soak:sentinel-client:${i}`);
  const stepWindows = endWindows(writesN);
  // As the trial's end does: the lost writes told in the first pass, the schedule's final selection with them.
  const outsideWindows = { keep: (ns: number) => !stepWindows.some((w) => ns >= w.startNs && ns <= w.endNs), sampleSize: 5 };
  const writes = new WriteFold({ lost: { present, sinceNs: 0, oldMaster: OLD, also: [outsideWindows] } });
  const main = new AvailabilityFold();
  const windows: LatencyWindows = { faultNs: 0, recoveryNs: 5e9, recovery: 'first-ack' };
  let ops = 0;
  for (const op of soakHistory(writesN)) {
    ops++;
    writes.add(op);
    main.add(op);
  }
  const foldPeak = peak();
  const t1 = performance.now();
  const latency = new LatencyFold(windows);
  const readBack = { ns: 0, present, node: NEW };
  const base = { events: [], faultNs: 0, oldMaster: OLD, masterName: 'mymaster', readBack };
  const loss = attributedLossOfFold(writes, base, { maxLost: 0, acceptLossFromOldMaster: true, sinceNs: 0 });
  const end = endOfTrial(writes, present, outsideWindows);
  const summary = new SummaryFold({ fromNs: 0, toNs: writesN * END_STEP_NS + 5e9, originNs: 0, isLost: end.isLost, windows: stepWindows });
  for (const op of soakHistory(writesN)) {
    summary.add(op);
    latency.add(op);
  }
  const s = summary.finish();
  const lat = latency.figures();
  process.stdout.write(
    `${JSON.stringify({
      mode: 'end',
      minutes,
      ops,
      acked: writes.acked,
      lost: loss.check.figures.writes_lost,
      lost_old_master: loss.check.figures.writes_lost_old_master,
      lost_keys_kept: end.lostKeys,
      lost_outside_windows: end.lostOutside,
      sampled: s.summary.sampled,
      p99_during_ms: lat.latency_p99_during_ms,
      p99_after_ms: lat.latency_p99_after_ms,
      max_after_ms: lat.latency_max_after_ms,
      latency_histogram: latency.note() !== null,
      end_s: +((performance.now() - t1) / 1e3).toFixed(1),
      total_s: +((performance.now() - t0) / 1e3).toFixed(1),
      rss_mib_after_folds: foldPeak.rss_mib,
      ...peak(),
    })}\n`,
  );
}

/** What the end of a streamed trial does with the lost writes besides the loss check (src/runner/trial-check.ts, schedule-monitor.ts). */
function endOfTrial(writes: WriteFold, present: CompactKeySet, outsideWindows: { keep: (ns: number) => boolean; sampleSize: number }) {
  const lostKeys = writes.lostWrites(present).sample.map((o) => o.key).length;
  const outside = writes.lostWrites(present, outsideWindows);
  return { isLost: (k: string) => !present.has(k) && writes.ackedKey(k), lostKeys, lostOutside: outside.count };
}

async function child(mode: string, n: number): Promise<void> {
  const t0 = performance.now();
  const lossConfig = { maxLost: 0, acceptLossFromOldMaster: true, sinceNs: faultNs(n) };
  const base = { events: [], faultNs: faultNs(n), oldMaster: OLD, masterName: 'mymaster' };
  let out: Record<string, unknown>;
  if (mode === 'fold' || mode === 'file') {
    const present = new CompactKeySet();
    presentKeys(n, present);
    const writes = new WriteFold();
    const main = new AvailabilityFold();
    const latency = new LatencyFold(windowsOf(n));
    const feed = (op: Op) => {
      writes.add(op);
      main.add(op);
      latency.add(op);
    };
    let fileBytes = 0;
    let writeMs = 0;
    let t1 = performance.now();
    if (mode === 'fold') for (const op of synthetic(n)) feed(op);
    else {
      const file = join(values.dir, `bench-history-${process.pid}.jsonl`);
      const log = new HistoryLog(file, { flushMs: 1000, maxBufferBytes: 4 << 20 });
      for (const op of synthetic(n)) log.append(op);
      log.close();
      fileBytes = statSync(file).size;
      writeMs = performance.now() - t1;
      t1 = performance.now();
      await foldHistoryFile(file, feed);
      rmSync(file);
    }
    const readBack = { ns: 0, present, node: NEW };
    const loss = attributedLossOfFold(writes, { ...base, readBack }, lossConfig);
    const avail = main.check(faultNs(n), {});
    const lat = latency.figures();
    out = {
      ...(mode === 'file' ? { file_mib: Math.round(fileBytes / 2 ** 20), write_file_s: +(writeMs / 1e3).toFixed(1) } : {}),
      check_s: +((performance.now() - t1) / 1e3).toFixed(1),
      lost: loss.check.figures.writes_lost,
      lost_old_master: loss.check.figures.writes_lost_old_master,
      acked: avail.figures.writes_acked,
      outage_ms: avail.figures.outage_ms,
      p99_after_ms: lat.latency_p99_after_ms,
      key_columns_mib: Math.round((writes.keys as KeyTable).bytes() / 2 ** 20),
      present_bitmap_kib: Math.round(present.bytes() / 1024),
    };
  } else {
    const present = new Set<string>();
    presentKeys(n, present);
    const t1 = performance.now();
    const history = [...synthetic(n)];
    const buildS = (performance.now() - t1) / 1e3;
    const t2 = performance.now();
    const input: TrialInput = { ...base, history, readBack: { ns: 0, present, node: NEW } };
    const loss = checkWriteLossAttributed(input, lossConfig);
    const avail = checkAvailability(input, {});
    const lat = latencyFigures({ ...input, events: [] });
    out = {
      build_array_s: +buildS.toFixed(1),
      check_s: +((performance.now() - t2) / 1e3).toFixed(1),
      lost: loss.check.figures.writes_lost,
      lost_old_master: loss.check.figures.writes_lost_old_master,
      acked: avail.figures.writes_acked,
      outage_ms: avail.figures.outage_ms,
      p99_after_ms: lat.latency_p99_after_ms,
    };
  }
  process.stdout.write(`${JSON.stringify({ mode, ops: n, total_s: +((performance.now() - t0) / 1e3).toFixed(1), ...out, ...peak() })}\n`);
}

if (values.child === 'end') {
  await endChild(Number(values.n));
} else if (values.child) {
  await child(values.child, Number(values.n));
} else if (values.modes === 'end') {
  console.log(`the end of a streamed soak trial at 2000 writes/s on a synthetic history; node ${process.version}`);
  for (const m of values.minutes.split(',').filter(Boolean)) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=12288', process.argv[1]!, '--child', 'end', '--n', m], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    process.stdout.write(r.status === 0 ? r.stdout : `${JSON.stringify({ mode: 'end', minutes: m, failed: `exit ${r.status ?? r.signal}` })}\n`);
  }
} else {
  const runs: Array<[string, number]> = [
    ['fold', Number(values.ops)],
    ['file', Number(values.ops)],
    ...values['memory-ops']
      .split(',')
      .filter(Boolean)
      .map((s): [string, number] => ['fold', Number(s)]),
    ...values['memory-ops']
      .split(',')
      .filter(Boolean)
      .map((s): [string, number] => ['memory', Number(s)]),
  ];
  console.log(`checkers on a synthetic history (write loss with attribution, availability, latency); node ${process.version}`);
  for (const [mode, n] of runs) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=12288', process.argv[1]!, '--child', mode, '--n', String(n), '--dir', values.dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    process.stdout.write(r.status === 0 ? r.stdout : `${JSON.stringify({ mode, ops: n, failed: `exit ${r.status ?? r.signal}` })}\n`);
  }
}
