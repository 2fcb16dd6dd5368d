// Live progress of a run: one redrawn status line on a terminal, one key=value line per event in CI logs.
import { fmt, fmtDuration, VERDICT_LABEL } from './format.ts';
import type { Journal, TrialResult } from './journal.ts';

export interface Progress {
  runStart(runId: string, target: string): void;
  scenarioStart(name: string, trials: number): void;
  trialStart(scenario: string, index: number, of: number): void;
  /** The trial entered a runner phase ("converge", "fault", "heal", ...). */
  phase(name: string): void;
  /** Cumulative counts of the current trial's writes; called often, redraws at most 10 times a second. */
  writes(ok: number, failed: number): void;
  trialEnd(result: TrialResult): void;
  runEnd(journal: Journal, runDir: string): void;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream;
  isTTY: boolean;
  /** Milliseconds clock; `performance.now` unless a test supplies one. */
  now?: () => number;
}

/** Minimum interval between two redraws caused by {@link Progress.writes}. */
export const REDRAW_INTERVAL_MS = 100;

/** The figures a trial_end line carries, in this order, when the trial has them. */
const TRIAL_FIGURES = ['failover_ms', 'sentinel_failover_ms', 'outage_ms', 'availability', 'writes_acked', 'writes_lost', 'split_brain_ms'] as const;

/**
 * A progress reporter writing to `stream`.
 *
 * TTY: permanent lines for the run, each scenario and each finished trial, and below them one live status
 * line (scenario, trial, phase, elapsed time, acknowledged / failed writes) redrawn in place with `\r`,
 * cut to the terminal width so it never wraps; write counts redraw it at most every {@link REDRAW_INTERVAL_MS}.
 *
 * Not a TTY (CI logs): nothing is redrawn and write counts print nothing; one line per event of
 * `key=value` pairs (logfmt: values with spaces, quotes or `=` are JSON-quoted), e.g.
 * `event=trial_end scenario=master-kill trial=1 of=2 verdict=pass failover_ms=6210.1 ...`.
 *
 * It only ever prints what it is given: run ids, names, phase names and journal figures and messages.
 */
export function createProgress(opts: ProgressOptions): Progress {
  return opts.isTTY ? ttyProgress(opts) : lineProgress(opts);
}

interface TrialState {
  scenario: string;
  index: number;
  of: number;
  phase: string;
  startedMs: number;
  ok: number;
  failed: number;
}

function lineProgress(opts: ProgressOptions): Progress {
  const now = opts.now ?? (() => performance.now());
  let trial: TrialState | null = null;
  let runStartedMs = now();
  const emit = (pairs: [string, unknown][]): void => {
    opts.stream.write(
      `${pairs
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${logfmt(v)}`)
        .join(' ')}\n`,
    );
  };
  return {
    runStart(runId, target) {
      runStartedMs = now();
      emit([
        ['event', 'run_start'],
        ['run', runId],
        ['target', target],
      ]);
    },
    scenarioStart(name, trials) {
      emit([
        ['event', 'scenario_start'],
        ['scenario', name],
        ['trials', trials],
      ]);
    },
    trialStart(scenario, index, of) {
      trial = { scenario, index, of, phase: '', startedMs: now(), ok: 0, failed: 0 };
      emit([
        ['event', 'trial_start'],
        ['scenario', scenario],
        ['trial', index],
        ['of', of],
      ]);
    },
    phase(name) {
      if (trial) trial.phase = name;
      emit([
        ['event', 'phase'],
        ['scenario', trial?.scenario],
        ['trial', trial?.index],
        ['phase', name],
        ['elapsed_ms', trial ? Math.round(now() - trial.startedMs) : undefined],
      ]);
    },
    writes(ok, failed) {
      if (trial) {
        trial.ok = ok;
        trial.failed = failed;
      }
    },
    trialEnd(result) {
      const scenario = trial?.scenario;
      const of = trial?.of;
      trial = null;
      emit([
        ['event', 'trial_end'],
        ['scenario', scenario],
        ['trial', result.index],
        ['of', of],
        ['verdict', result.verdict],
        ...TRIAL_FIGURES.filter((f) => f in result.figures).map((f): [string, unknown] => [f, result.figures[f] ?? 'n/a']),
        ['duration_ms', Math.round(result.durationMs)],
        ['warnings', result.warnings?.length || undefined],
        ['message', result.message],
      ]);
    },
    runEnd(journal, runDir) {
      const trials = journal.scenarios.flatMap((s) => s.trials);
      const count = (v: string): number => trials.filter((t) => t.verdict === v).length;
      emit([
        ['event', 'run_end'],
        ['run', journal.run.id],
        ['verdict', journal.verdict],
        ['trials', trials.length],
        ['passed', count('pass')],
        ['failed', count('fail')],
        ['unknown', count('unknown')],
        ['skipped', count('skipped')],
        ['duration_ms', Math.round(journal.run.durationMs ?? now() - runStartedMs)],
        ['report', runDir],
      ]);
    },
  };
}

function ttyProgress(opts: ProgressOptions): Progress {
  const { stream } = opts;
  const now = opts.now ?? (() => performance.now());
  let trial: TrialState | null = null;
  let statusShown = false;
  let lastDrawMs = -Infinity;

  const width = (): number => Math.max(20, (stream.columns || 80) - 1);
  const clear = (): void => {
    if (statusShown) stream.write('\r\x1b[2K');
    statusShown = false;
  };
  const draw = (): void => {
    if (!trial) return;
    lastDrawMs = now();
    const elapsed = fmtDuration(Math.max(0, now() - trial.startedMs));
    const parts = [
      `▶ ${clean(trial.scenario)}`,
      `trial ${trial.index}/${trial.of}`,
      trial.phase ? clean(trial.phase) : 'starting',
      elapsed,
      `writes ok ${trial.ok} failed ${trial.failed}`,
    ];
    stream.write(`\r\x1b[2K${cut(parts.join('  ·  '), width())}`);
    statusShown = true;
  };
  const line = (text: string): void => {
    clear();
    stream.write(`${text}\n`);
    draw();
  };

  return {
    runStart(runId, target) {
      line(`sentinel-chaos run ${clean(runId)} on target ${clean(target)}`);
    },
    scenarioStart(name, trials) {
      line(`${clean(name)}: ${trials} trial${trials === 1 ? '' : 's'}`);
    },
    trialStart(scenario, index, of) {
      trial = { scenario, index, of, phase: '', startedMs: now(), ok: 0, failed: 0 };
      draw();
    },
    phase(name) {
      if (!trial) return;
      trial.phase = name;
      draw();
    },
    writes(ok, failed) {
      if (!trial) return;
      trial.ok = ok;
      trial.failed = failed;
      if (now() - lastDrawMs >= REDRAW_INTERVAL_MS) draw();
    },
    trialEnd(result) {
      trial = null;
      const f = result.figures;
      const mark = result.verdict === 'pass' ? '✓' : result.verdict === 'fail' ? '✗' : result.verdict === 'skipped' ? '–' : '?';
      const bits = [`  ${mark} trial ${result.index} ${VERDICT_LABEL[result.verdict] ?? clean(result.verdict)}`];
      if ('failover_ms' in f || 'sentinel_failover_ms' in f) bits.push(`failover ${ms(f.failover_ms)} (Sentinel ${ms(f.sentinel_failover_ms)})`);
      if ('writes_acked' in f) bits.push(`${fmt(f.writes_acked, 0)} writes acked, ${fmt(f.writes_lost, 0)} lost`);
      if (typeof f.split_brain_ms === 'number') bits.push(`split brain ${ms(f.split_brain_ms)}`);
      let text = bits.join(' · ');
      if (result.message) text += ` — ${clean(result.message)}`;
      for (const w of result.warnings ?? []) text += `\n    ! ${clean(w)}`;
      line(text);
    },
    runEnd(journal, runDir) {
      clear();
      trial = null;
      const trials = journal.scenarios.flatMap((s) => s.trials);
      const passed = trials.filter((t) => t.verdict === 'pass').length;
      stream.write(
        `verdict: ${VERDICT_LABEL[journal.verdict] ?? clean(journal.verdict)} — ${passed}/${trials.length} trials passed in ${fmtDuration(journal.run.durationMs)}; reports in ${clean(runDir)}\n`,
      );
    },
  };
}

function ms(v: number | null | undefined): string {
  return typeof v === 'number' ? `${fmt(v)} ms` : 'n/a';
}

/** Text without control characters (no stray escape sequence reaches the terminal). */
function clean(s: unknown): string {
  return String(s).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

function cut(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s;
}

/** A logfmt value: bare when it is a plain token, JSON-quoted otherwise (spaces, quotes, `=`, controls, empty). */
export function logfmt(v: unknown): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'n/a') : String(v);
  if (s !== '' && /^[^\s"=\\\u0000-\u001f\u007f-\u009f]+$/.test(s)) return s;
  // JSON escapes C0 controls; C1 ones (U+0080–U+009F, e.g. CSI) it leaves raw, and some terminals obey them.
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
