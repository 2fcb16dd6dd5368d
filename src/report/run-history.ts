// Finding run journals on disk: run directories (each with result.json) or history directories holding them.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../errors.ts';
import { loadJournal } from './compare.ts';
import type { Journal } from './journal.ts';

export interface StoredRun {
  dir: string;
  journal: Journal;
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Every run under `paths`: a path holding result.json (or a result.json itself) is one run; any other
 * directory is a history (e.g. reports/), each subdirectory holding result.json a run (`latest` is skipped).
 * Oldest first (by run.startedAt, then id); a run found twice counts once. Throws USAGE for a path that
 * does not exist or a journal that cannot be read.
 */
export async function findRuns(paths: readonly string[]): Promise<StoredRun[]> {
  const byId = new Map<string, StoredRun>();
  const add = async (dir: string) => {
    const journal = await loadJournal(dir);
    if (!byId.has(journal.run.id)) byId.set(journal.run.id, { dir: path.resolve(dir), journal });
  };
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch {
      throw new HarnessError('USAGE', `${p}: no such run or history directory`);
    }
    if (!st.isDirectory() || (await exists(path.join(p, 'result.json')))) {
      await add(p);
      continue;
    }
    const entries = (await readdir(p, { withFileTypes: true })).filter((e) => e.name !== 'latest' && !e.name.startsWith('.'));
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = path.join(p, e.name);
      if ((e.isDirectory() || e.isSymbolicLink()) && (await exists(path.join(dir, 'result.json')))) await add(dir);
    }
  }
  return [...byId.values()].sort((a, b) => a.journal.run.startedAt.localeCompare(b.journal.run.startedAt) || a.journal.run.id.localeCompare(b.journal.run.id));
}

/**
 * The newest passing run with scenarios in `reportDir` that started before `current` (and is not it): the
 * baseline of `compare --baseline last-pass`. Throws USAGE when there is none.
 */
export async function lastPassingRun(reportDir: string, current: Journal): Promise<StoredRun> {
  const runs = await findRuns([reportDir]);
  const candidates = runs.filter(
    (r) =>
      r.journal.verdict === 'pass' && r.journal.scenarios.length > 0 && r.journal.run.id !== current.run.id && r.journal.run.startedAt <= current.run.startedAt,
  );
  const found = candidates[candidates.length - 1];
  if (!found) {
    throw new HarnessError(
      'USAGE',
      `--baseline last-pass: no passing run with scenarios before ${current.run.id} in ${reportDir} (pass --report-dir DIR, or name the base run)`,
    );
  }
  return found;
}
