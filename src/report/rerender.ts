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

/** Render RUN_DIR's journal and histories into `outDir` (index.html, summary.md, junit.xml, metrics.prom); the files written. */
export async function rerenderRun(runDir: string, outDir: string): Promise<string[]> {
  if (path.resolve(runDir) === path.resolve(outDir)) throw new HarnessError('USAGE', `--out ${outDir} is the run directory itself: pick another directory`);
  const journal = await loadJournal(runDir);
  const histories = new Map<string, Op[]>();
  for (const t of journal.scenarios.flatMap((s) => s.trials)) {
    if (!t.historyFile) continue;
    const file = path.resolve(runDir, t.historyFile);
    if (!file.startsWith(path.resolve(runDir) + path.sep)) continue;
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
