// Assertions that nothing a test started outlives it: processes, state files, data dirs.
import { readdirSync, readlinkSync } from 'node:fs';

/** PIDs of processes whose working directory is inside `dir`. */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cwd = readlinkSync(`/proc/${e}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(e));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Entries left in `dir` (empty when everything was cleaned). */
export function entriesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
