// Bench: the checkers on a synthetic history of N operations (default 10 million), each mode in a process of its own so
// that its peak RSS is its own: `fold` (operations generated one at a time into the one-pass folds, as a run's file feeds
// them), `file` (the same history written as JSON lines, then folded from the file in one pass: parsing included), and
// `memory` (the history as an array of operations and a Set read-back, checked by the in-memory checkers, as before).
// Usage: npm run bench:history -- [--ops 10000000] [--memory-ops 1000000,3000000] [--modes fold,file,memory] [--dir /tmp]
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

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '10000000' },
    'memory-ops': { type: 'string', default: '1000000,3000000' },
    /** Which modes to run: fold, file, memory (the folds are also run at the memory sizes, for the comparison). */
    modes: { type: 'string', default: 'fold,file,memory' },
    dir: { type: 'string', default: '/tmp' },
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

if (values.child) {
  await child(values.child, Number(values.n));
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
