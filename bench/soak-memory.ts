// Bench: a soak on the local target as a child process, watched from outside: the harness's RSS over time (VmRSS every
// half second, the kernel's peak VmHWM, when it was reached, and the end of the trial's own peak from its read-back on), then the run's history file on disk, the checkers' time at the end (the two passes
// over the file, history_fold_ms), the report's size, and the time to render the reports again from the run dir.
// Usage: npm run bench:soak -- --duration 10m --rate 200 --subnet 141 [--seed 17] [--report-dir /tmp/reports-soak-bench]
//        npm run bench:soak -- --run-dir DIR   (a finished run's figures only: history, fold time, report size, render time)
// Run it under the integration lock (it starts a deployment): flock /tmp/sentinel-itest.lock npm run bench:soak -- ...
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Journal } from '../src/report/journal.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10m' },
    rate: { type: 'string', default: '200' },
    subnet: { type: 'string', default: '141' },
    seed: { type: 'string', default: '17' },
    'report-dir': { type: 'string', default: '/tmp/reports-soak-stream' },
    'run-dir': { type: 'string' },
  },
});
const dir = values['report-dir'];
const cli = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

interface Watched {
  runDir: string;
  code: number | null;
  wallS: number | null;
  peakRss: number | null;
  hwm: number | null;
  /** When the peak (VmHWM) last rose, s from the start. */
  hwmAtS: number | null;
  /** VmHWM when the trial's end (its read-back) began, and the highest VmRSS sampled after: the end's own peak. */
  hwmWriting: number | null;
  endStartedS: number | null;
  endPeak: number | null;
  timeline: Array<[number, number]>;
}

/** Run the soak as a child process and watch its RSS; its run directory and what was seen. */
async function runSoak(): Promise<Watched> {
  const before = new Set(existing());
  function existing(): string[] {
    try {
      return readdirSync(dir).filter((d) => d !== 'latest');
    } catch {
      return [];
    }
  }
  const args = ['soak', '--duration', values.duration, '--rate', values.rate, '--seed', values.seed, '--subnet', values.subnet, '--report-dir', dir];
  process.stderr.write(`bench: node src/cli/main.ts ${args.join(' ')}\n`);
  const started = performance.now();
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  // The end of the trial starts at its read-back (the workload stopped at the convergence before it).
  let endStartedS: number | null = null;
  let hwmWriting: number | null = null;
  child.stderr.on('data', (b: Buffer) => {
    const text = b.toString();
    // With the previous chunk's tail: a line can be split between two chunks.
    if (endStartedS === null && /event=phase .*phase="read back"/.test(stderr.slice(-300) + text)) {
      endStartedS = Math.round((performance.now() - started) / 1000);
      hwmWriting = kib('VmHWM');
    }
    stderr += text;
    // Keep the start (the run id) and the tail.
    if (stderr.length > 200_000) stderr = `${stderr.slice(0, 20_000)}\n…\n${stderr.slice(-100_000)}`;
  });
  const kib = (field: string): number | null => {
    try {
      const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  };
  let peakRss = 0;
  let hwm = 0;
  let hwmAtS = 0;
  let endPeak = 0;
  const timeline: Array<[number, number]> = [];
  const poll = setInterval(() => {
    const rss = kib('VmRSS');
    const h = kib('VmHWM');
    const t = Math.round((performance.now() - started) / 1000);
    if (rss !== null) peakRss = Math.max(peakRss, rss);
    if (rss !== null && endStartedS !== null) endPeak = Math.max(endPeak, rss);
    if (h !== null && h > hwm) {
      hwm = h;
      hwmAtS = t;
    }
    if (rss !== null && (timeline.length === 0 || t - timeline.at(-1)![0] >= 60)) timeline.push([t, Math.round(rss / 1024)]);
  }, 500);
  const code: number = await new Promise((r) => child.on('exit', (c, sig) => r(c ?? (sig ? 128 : 1))));
  clearInterval(poll);
  // The run's own id from its progress lines (other runs may write to the same report dir meanwhile).
  const runId = /event=run_start run=(\S+)/.exec(stderr)?.[1] ?? existing().filter((d) => !before.has(d))[0];
  if (!runId) {
    process.stderr.write(stderr.slice(-3000));
    throw new Error(`bench: no run dir of this soak in ${dir} (exit ${code})`);
  }
  const wallS = Math.round((performance.now() - started) / 1000);
  return { runDir: join(dir, runId), code, wallS, peakRss, hwm, hwmAtS, hwmWriting, endStartedS, endPeak: endStartedS === null ? null : endPeak, timeline };
}

// --run-dir: measure a finished run only (its RSS was watched by other means).
const w: Watched = values['run-dir']
  ? {
      runDir: values['run-dir'],
      code: null,
      wallS: null,
      peakRss: null,
      hwm: null,
      hwmAtS: null,
      hwmWriting: null,
      endStartedS: null,
      endPeak: null,
      timeline: [],
    }
  : await runSoak();
const { runDir } = w;
const journal = JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8')) as Journal;
const trial = journal.scenarios[0]?.trials[0];
const f = trial?.figures ?? {};
const size = (p: string): number => {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
};
const historyBytes = readdirSync(join(runDir, 'history')).reduce((n, h) => n + size(join(runDir, 'history', h)), 0);
const out = mkdtempSync(join(tmpdir(), 'soak-render-'));
const r0 = performance.now();
const render = spawnSync(process.execPath, [cli, 'render', '--report', runDir, '--out', out], { encoding: 'utf8' });
const renderMs = Math.round(performance.now() - r0);
rmSync(out, { recursive: true, force: true });
const mib = (b: number) => +(b / 2 ** 20).toFixed(1);
const mibOf = (k: number | null) => (k === null ? null : Math.round(k / 1024));
const result = {
  ...(values['run-dir'] ? {} : { duration: values.duration, rate: Number(values.rate) }),
  exit: w.code,
  verdict: trial?.verdict,
  wall_s: w.wallS,
  trial_s: Math.round(Number(f.trial_ms ?? 0) / 1000),
  writes_invoked: f.writes_invoked,
  writes_per_s: f.writes_invoked && f.trial_ms ? Math.round(Number(f.writes_invoked) / (Number(f.trial_ms) / 1000)) : null,
  writes_skipped: f.writes_skipped,
  history_ops: f.history_ops,
  history_mib: mib(historyBytes),
  checker_fold_ms: f.history_fold_ms,
  steps: f.schedule_steps,
  violations: f.invariant_violations,
  writes_lost: f.writes_lost,
  fault_window_coverage: f.fault_window_coverage,
  writes_acked_in_windows: f.writes_acked_in_windows,
  writes_acked_outside_windows: f.writes_acked_outside_windows,
  lost_share_in_windows: f.lost_share_in_windows,
  peak_rss_mib: mibOf(w.peakRss),
  vmhwm_mib: mibOf(w.hwm),
  peak_reached_at_s: w.hwmAtS,
  peak_until_end_mib: mibOf(w.hwmWriting),
  end_started_at_s: w.endStartedS,
  end_peak_rss_mib: mibOf(w.endPeak),
  rss_per_minute_mib: w.timeline.map(([, m]) => m),
  result_json_kib: Math.round(size(join(runDir, 'result.json')) / 1024),
  index_html_kib: Math.round(size(join(runDir, 'index.html')) / 1024),
  render_ms: render.status === 0 ? renderMs : `failed: ${render.stderr.slice(0, 200)}`,
  run_dir: runDir,
};
console.log(JSON.stringify(result));
