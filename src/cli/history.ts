// `compare` and `trend`: judging runs against earlier runs (one baseline, or the rolling history of many).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { HarnessError } from '../errors.ts';
import { COMPARE_DEFAULTS, compareJournals, loadJournal } from '../report/compare.ts';
import { findRuns, lastPassingRun } from '../report/run-history.ts';
import { computeTrend, renderTrendHtml, renderTrendMarkdown, TREND_DEFAULTS } from '../report/trend.ts';
import { RUN_DEFAULTS } from '../runner/run.ts';

const err = (line: string) => process.stderr.write(`${line}\n`);

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

export function addHistoryCommands(program: Command): void {
  program
    .command('compare')
    .description('compare two runs (before and after an upgrade): exit 1 when CURRENT regressed beyond the thresholds')
    .argument('<runs...>', 'BASE CURRENT: run directories or result.json files; with --baseline last-pass only CURRENT')
    .option('--threshold-pct <n>', 'relative worsening that counts as a regression', Number, COMPARE_DEFAULTS.thresholdPct)
    .option('--threshold-ms <n>', 'absolute worsening (ms) that counts as a regression', Number, COMPARE_DEFAULTS.thresholdMs)
    .addOption(
      new Option('--baseline <which>', 'pick the base run instead of naming it: the newest passing run before CURRENT in --report-dir').choices(['last-pass']),
    )
    .option('--report-dir <dir>', 'with --baseline: where the runs are', RUN_DEFAULTS.reportDir)
    .action(async (runs: string[], o: { thresholdPct: number; thresholdMs: number; baseline?: 'last-pass'; reportDir: string }) => {
      if (!(o.thresholdPct >= 0) || !(o.thresholdMs >= 0)) throw new HarnessError('USAGE', '--threshold-pct and --threshold-ms must be non-negative numbers');
      const wanted = o.baseline ? 1 : 2;
      if (runs.length !== wanted) {
        throw new HarnessError(
          'USAGE',
          o.baseline
            ? `compare --baseline ${o.baseline} takes one run (CURRENT), got ${runs.length}`
            : `compare takes two runs (BASE CURRENT), got ${runs.length}; or pass --baseline last-pass and CURRENT`,
        );
      }
      const current = await loadJournal(runs[wanted - 1]!);
      let base;
      if (o.baseline) {
        const found = await lastPassingRun(o.reportDir, current);
        err(`baseline: ${found.journal.run.id} (the newest passing run before ${current.run.id} in ${o.reportDir})`);
        base = found.journal;
      } else base = await loadJournal(runs[0]!);
      const { regressions, table } = compareJournals(base, current, o);
      process.stdout.write(`${table}\n`);
      err(regressions.length ? `${regressions.length} regression(s)` : 'no regression');
      process.exitCode = regressions.length ? 1 : 0;
    });

  program
    .command('trend')
    .description(
      'figures over many runs: series, median and MAD per scenario, regressions of the newest run against the runs before it; writes trend.html and trend.md; exit 1 on a regression',
    )
    .argument('<dirs...>', 'run directories (each with result.json) or history directories holding them (e.g. reports)')
    .option('--last <n>', 'runs considered (the newest N)', positiveInt('--last'), TREND_DEFAULTS.last)
    .option('--k <n>', 'a regression is worse than the baseline median by more than k × MAD (and the minimum change)', Number, TREND_DEFAULTS.k)
    .option('--out <dir>', 'where trend.html and trend.md are written', path.join(RUN_DEFAULTS.reportDir, 'trend'))
    .action(async (dirs: string[], o: { last: number; k: number; out: string }) => {
      if (!(o.k > 0)) throw new HarnessError('USAGE', '--k must be a positive number');
      const runs = await findRuns(dirs);
      if (runs.length === 0) throw new HarnessError('USAGE', `no run (a directory with result.json) in ${dirs.join(', ')}`);
      const t = computeTrend(
        runs.map((r) => r.journal),
        { last: o.last, k: o.k },
      );
      try {
        await mkdir(o.out, { recursive: true });
        await writeFile(path.join(o.out, 'trend.html'), renderTrendHtml(t));
        await writeFile(path.join(o.out, 'trend.md'), renderTrendMarkdown(t));
      } catch (e) {
        throw new HarnessError('REPORT_DIR_UNWRITABLE', `--out ${o.out}: cannot write the trend there (${(e as Error).message})`);
      }
      for (const s of t.regressions) err(`regression: ${s.scenario} ${s.figure}: ${s.reason}`);
      err(
        `trend over ${t.runs.length} runs: ${t.regressions.length ? `${t.regressions.length} regression(s)` : 'no regression'}; ${path.join(o.out, 'trend.html')}, trend.md`,
      );
      process.exitCode = t.regressions.length ? 1 : 0;
    });
}
