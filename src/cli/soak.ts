// `soak`: a seeded random schedule of composed faults while the workload writes, invariants checked throughout;
// `--replay JOURNAL` runs a journal's schedule again, `--shrink` drops steps while it still fails.
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command, type Option } from 'commander';
import { HarnessError } from '../errors.ts';
import type { Figures } from '../model/check.ts';
import type { ScheduleRecord, ScheduleStep } from '../model/schedule.ts';
import { createProgress } from '../report/progress.ts';
import type { Journal } from '../report/journal.ts';
import { describeSteps } from '../runner/composed.ts';
import { RUN_DEFAULTS, runSuite, type RunOptions, type RunResult } from '../runner/run.ts';
import { parseScenario } from '../runner/scenario.ts';
import { shrinkSteps } from '../runner/shrink.ts';
import { defaultMix, generateSchedule, parseMix, scenarioYaml, SOAK_DEFAULTS, soakScenario, type SoakOptions } from '../runner/soak-schedule.ts';
import type { TargetName } from '../targets/start.ts';

const err = (line: string) => process.stderr.write(`${line}\n`);

/** "300000", "40s", "5m", "1h", "1500ms" ► ms. */
export function parseDuration(flag: string) {
  return (v: string): number => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim());
    if (!m) throw new InvalidArgumentError(`${flag} must be a duration such as 40s, 5m, 1h or a number of ms`);
    const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'];
    if (n <= 0) throw new InvalidArgumentError(`${flag} must be above 0`);
    return Math.round(n);
  };
}

/** "5s-20s" ► [5000, 20000]. */
function parseRange(flag: string) {
  return (v: string): [number, number] => {
    const [lo, hi = lo] = v.split('-').map((x) => parseDuration(flag)(x));
    if (lo! > hi!) throw new InvalidArgumentError(`${flag}: the lower bound ${lo} ms is above the upper ${hi} ms`);
    return [lo!, hi!];
  };
}

export interface SoakFlags {
  duration?: number;
  seed?: number;
  mix?: string;
  interval: [number, number];
  hold: [number, number];
  maxConcurrent: number;
  rate: number;
  converge: number;
  haltOnViolation?: boolean;
  replay?: string;
  shrink?: boolean;
  shrinkRuns: number;
  printScenario?: string;
  target: TargetName;
  reportDir: string;
}

/** The schedule a journal recorded (result.json, or the run directory holding it); a journal without one is a usage error. */
export async function scheduleFromJournal(file: string): Promise<ScheduleRecord> {
  const f = (await stat(file).catch(() => null))?.isDirectory() ? path.join(file, 'result.json') : file;
  let journal: Journal;
  try {
    journal = JSON.parse(await readFile(f, 'utf8')) as Journal;
  } catch (e) {
    throw new HarnessError('USAGE', `--replay ${file}: not a readable journal (${(e as Error).message}); pass a run's result.json`);
  }
  const record = journal.scenarios?.flatMap((s) => s.trials).find((t) => t.schedule)?.schedule;
  if (!record?.steps?.length)
    throw new HarnessError('USAGE', `--replay ${file}: the journal holds no schedule (replay a soak's or a composed fault's result.json)`);
  return record;
}

/** The soak scenario for `steps`, validated as a scenario file would be (so that --print-scenario writes one that loads). */
function scenarioFor(steps: readonly ScheduleStep[], o: SoakFlags, seed: number | undefined, haltOnViolation: boolean, mode?: 'serial' | 'parallel') {
  const s = soakScenario(steps, {
    ...(seed !== undefined ? { seed } : {}),
    ...(mode ? { mode } : {}),
    rateHz: o.rate,
    convergeMs: o.converge,
    haltOnViolation,
  });
  const text = scenarioYaml(s, []);
  return { scenario: parseScenario(text, '<soak>'), text };
}

/** One line per violation (the first few), naming the steps that led to it. */
function describeViolations(r: RunResult): string[] {
  const t = r.journal.scenarios[0]?.trials[0];
  const sch = t?.schedule;
  if (!sch) return [t?.message ? `no schedule recorded: ${t.message}` : 'no schedule recorded'];
  const landed = sch.realised.filter((x) => x.landedMs !== undefined).length;
  const skipped = sch.realised.filter((x) => x.skipped).length;
  const lines = [
    `soak: ${sch.steps.length} step(s) scheduled, ${landed} landed, ${skipped} skipped; ${sch.checkpoints} quiescent checkpoint(s); ${sch.violations.length} violation(s); verdict ${t.verdict}`,
  ];
  const cov = coverageLine(t.figures);
  if (cov) lines.push(cov);
  for (const v of sch.violations.slice(0, 5))
    lines.push(`  ${v.invariant} at ${v.atMs} ms: ${v.detail}; after ${describeSteps({ steps: sch.steps as never }, sch.realised, v.steps)}`);
  return lines;
}

/** How much the no-lost-writes invariant had to judge: a dense schedule's windows excuse most writes. */
export function coverageLine(f: Figures): string | null {
  const cov = f.fault_window_coverage;
  if (typeof cov !== 'number') return null;
  const pct = (v: number) => `${Math.round(v * 1000) / 10} %`;
  const share = f.lost_share_in_windows;
  return (
    `soak: fault windows cover ${pct(cov)} of the run; writes first acknowledged inside them ${f.writes_acked_in_windows ?? 0}` +
    ` (${f.writes_lost_in_windows ?? 0} lost${typeof share === 'number' ? `, ${pct(share)}` : ''}, excused), outside ${f.writes_acked_outside_windows ?? 0} (judged by no-lost-writes)`
  );
}

const firstViolation = (r: RunResult) => r.journal.scenarios[0]?.trials[0]?.schedule?.violations[0];

/** Run the soak; `base` holds the target options the run command would pass. */
export async function soak(o: SoakFlags, base: Omit<RunOptions, 'scenarios' | 'trials'>): Promise<number> {
  const replayed = o.replay ? await scheduleFromJournal(o.replay) : null;
  if (!replayed && o.duration === undefined) throw new HarnessError('USAGE', 'soak needs --duration (e.g. --duration 5m), or --replay JOURNAL');
  if (o.shrink && !replayed) throw new HarnessError('USAGE', '--shrink works on a failing schedule: pass --replay JOURNAL of a soak that found a violation');
  const seed = replayed ? replayed.seed : (o.seed ?? Math.floor(Math.random() * 2 ** 31));
  const options: SoakOptions = {
    seed: seed ?? 0,
    durationMs: o.duration ?? 0,
    mix: o.mix ? parseMix(o.mix) : defaultMix(),
    intervalMs: o.interval,
    holdMs: o.hold,
    maxConcurrent: o.maxConcurrent,
    settleMs: SOAK_DEFAULTS.settleMs,
    replicas: SOAK_DEFAULTS.replicas,
  };
  const steps = replayed ? replayed.steps : generateSchedule(options);
  if (steps.length === 0) throw new HarnessError('USAGE', `--duration ${o.duration} ms holds no step at --interval ${o.interval.join('-')} ms: lengthen it`);
  err(`soak: ${replayed ? `replaying ${steps.length} step(s) of ${o.replay}` : `seed ${seed}, ${steps.length} step(s) over ${o.duration} ms`}`);
  const run = (candidate: readonly ScheduleStep[], halt: boolean) => {
    const { scenario } = scenarioFor(candidate, o, seed, halt, replayed?.mode);
    return runSuite({ ...base, scenarios: [scenario], trials: 1, conformance: [], streamHistory: true });
  };
  const r = await run(steps, o.haltOnViolation === true);
  for (const line of describeViolations(r)) err(line);
  const h = r.journal.run.halted;
  if (h) err(`sentinel-chaos: halted by ${h.by}: ${h.reason}; everything healed (exit 3)`);
  let final: readonly ScheduleStep[] = steps;
  if (o.shrink) {
    const wanted = firstViolation(r)?.invariant ?? replayed?.violations[0]?.invariant;
    if (!wanted) throw new HarnessError('USAGE', `--shrink: the replay of ${o.replay} found no violation, so there is nothing to shrink`);
    const shrunk = await shrinkSteps(
      [...steps],
      async (candidate) => {
        const c = await run(candidate, true);
        const v = firstViolation(c);
        err(`shrink: ${candidate.length} step(s): ${v ? `still fails (${v.invariant})` : 'passes'}`);
        return v?.invariant === wanted;
      },
      { maxRuns: o.shrinkRuns },
    );
    err(`shrink: ${steps.length} ► ${shrunk.steps.length} step(s) still violating ${wanted}, in ${shrunk.runs} replay(s)`);
    final = shrunk.steps;
  }
  if (o.printScenario) {
    const { text } = scenarioFor(final, o, seed, true, replayed?.mode);
    const header = [
      `A soak schedule${seed !== undefined ? ` (seed ${seed})` : ''}${o.shrink ? ', shrunk' : ''}: ${final.length} step(s).`,
      `Run it: npm run chaos -- run --scenario ${o.printScenario} --conformance none`,
    ];
    await writeFile(o.printScenario, scenarioYaml(parseScenarioBody(text), header));
    err(`soak: schedule written to ${o.printScenario}`);
  }
  return r.exitCode;
}

/** The scenario object of a soak's YAML text without its file name (for printing). */
function parseScenarioBody(text: string) {
  const { file: _file, ...rest } = parseScenario(text, '<soak>');
  return rest;
}

/** The soak command; `withTarget` adds the target options and `baseOf` turns them into run options, as for `run`. */
export function addSoakCommand(
  program: Command,
  withTarget: (cmd: Command) => Command,
  targetOption: () => Option,
  baseOf: (o: SoakFlags) => Promise<Omit<RunOptions, 'scenarios' | 'trials'>>,
): void {
  withTarget(
    program
      .command('soak')
      .description('a seeded random schedule of faults (kinds and weights from the registry) while the workload writes; invariants checked throughout')
      .option('--duration <d>', 'how long steps keep starting: 40s, 5m, 1h, or ms', parseDuration('--duration'))
      .option('--seed <n>', 'PRNG seed (default: random; printed and kept in the journal)', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--seed must be a non-negative integer');
        return n;
      })
      .option(
        '--mix <kinds>',
        `fault kinds and weights, e.g. kill-pod=3,pause=1 (default: ${defaultMix()
          .map((m) => `${m.kind}=${m.weight}`)
          .join(',')})`,
      )
      .option('--interval <min-max>', 'gap between step starts', parseRange('--interval'), SOAK_DEFAULTS.intervalMs)
      .option('--hold <min-max>', 'how long each step holds after landing', parseRange('--hold'), SOAK_DEFAULTS.holdMs)
      .option(
        '--max-concurrent <n>',
        'at most this many steps at once',
        (v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--max-concurrent must be a positive integer');
          return n;
        },
        SOAK_DEFAULTS.maxConcurrent,
      )
      .option(
        '--rate <hz>',
        'writes per second of the workload',
        (v) => {
          const n = Number(v);
          if (!(n > 0 && n <= 100_000)) throw new InvalidArgumentError('--rate must be a number of writes per second from 1 to 100000');
          return n;
        },
        200,
      )
      .option('--converge <d>', 'bound on convergence after each quiescent heal', parseDuration('--converge'), 30_000)
      .option('--halt-on-violation', 'stop at the first invariant violation (heal everything, exit 3)')
      .option('--replay <journal>', "run a journal's schedule again (its result.json or run directory)")
      .option('--shrink', 'with --replay: drop steps while the same invariant still fails, replaying each candidate')
      .option('--shrink-runs <n>', 'at most this many replays while shrinking', (v) => Number(v), 8)
      .option('--print-scenario <file>', 'write the schedule (shrunk, with --shrink) as a scenario file')
      .addOption(targetOption())
      .option('--report-dir <dir>', 'where reports/<run-id>/ is written', RUN_DEFAULTS.reportDir),
  ).action(async (o: SoakFlags) => {
    process.exitCode = await soak(o, await baseOf(o));
  });
}

/** Progress for soak runs, as the run command shows it. */
export const soakProgress = () => createProgress({ stream: process.stderr, isTTY: process.stderr.isTTY === true });
