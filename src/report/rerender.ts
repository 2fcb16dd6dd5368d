// `render --report RUN_DIR --out DIR`: a run directory's reports rendered again by this version of the harness from
// its result.json and histories (e.g. a run recorded before a view existed: the alert rows come from the trials'
// alert events). The run directory is only read; what it holds is already redacted.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../errors.ts';
import type { Op } from '../model/history.ts';
import { loadJournal } from './compare.ts';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { METRICS_FILE, renderOpenMetrics } from './metrics.ts';
import { HTML_FILE, JUNIT_FILE, parseHistory, SUMMARY_FILE } from './write-reports.ts';
import { foldHistoryFile } from './history-file.ts';
import { OUTSIDE_WINDOWS, SummaryFold, type HistorySummary } from './history-summary.ts';

/** Render RUN_DIR's journal and histories into `outDir` (index.html, summary.md, junit.xml, metrics.prom); the files written. */
export async function rerenderRun(runDir: string, outDir: string): Promise<string[]> {
  if (path.resolve(runDir) === path.resolve(outDir)) throw new HarnessError('USAGE', `--out ${outDir} is the run directory itself: pick another directory`);
  const journal = await loadJournal(runDir);
  const histories = new Map<string, Op[]>();
  for (const t of journal.scenarios.flatMap((s) => s.trials)) {
    if (!t.historyFile) continue;
    const file = path.resolve(runDir, t.historyFile);
    if (!file.startsWith(path.resolve(runDir) + path.sep)) continue;
    if (t.historySummary) {
      // A streamed (long) trial: sample its file again in one pass rather than reading it whole.
      const sample = await resampleHistory(file, t.historySummary, t.lostKeys ?? []).catch(() => null);
      if (sample) histories.set(t.historyFile, sample);
      continue;
    }
    const text = await readFile(file, 'utf8').catch(() => null);
    if (text !== null) histories.set(t.historyFile, parseHistory(text));
  }
  const files: [string, string][] = [
    [HTML_FILE, renderHtml(journal, histories)],
    [SUMMARY_FILE, renderMarkdown(journal)],
    [JUNIT_FILE, renderJunit(journal)],
    [METRICS_FILE, renderOpenMetrics(journal)],
  ];
  try {
    await mkdir(outDir, { recursive: true });
    for (const [name, text] of files) await writeFile(path.join(outDir, name), text);
  } catch (cause) {
    throw new HarnessError('REPORT_DIR_UNWRITABLE', `cannot write to --out ${outDir}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  return files.map(([name]) => path.join(outDir, name));
}

/** The report's bounded sample of a streamed history file (two passes: its span, then the sample), as the run drew it. */
async function resampleHistory(file: string, summary: HistorySummary, lostKeys: readonly string[]): Promise<Op[]> {
  let fromNs = Infinity;
  let toNs = -Infinity;
  await foldHistoryFile(file, (op) => {
    if (op.ns < fromNs) fromNs = op.ns;
    if (op.ns > toNs) toNs = op.ns;
  });
  const lost = new Set(lostKeys);
  const ns = (ms: number) => summary.originNs + ms * 1e6;
  const fold = new SummaryFold({
    fromNs,
    toNs,
    originNs: summary.originNs,
    isLost: (k) => lost.has(k),
    windows: summary.windows.filter((w) => w.label !== OUTSIDE_WINDOWS).map((w) => ({ label: w.label, startNs: ns(w.fromMs), endNs: ns(w.toMs) })),
  });
  await foldHistoryFile(file, (op) => fold.add(op));
  return fold.finish().sample;
}
