// A local pod's volume (its data dir) as files: back up and restore the AOF, wipe it, damage its tail.
import { cp, mkdir, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../../errors.ts';
import type { AofTruncation, VolumeControl } from '../target.ts';

/** Redis 7 multi-part AOF: the directory and its manifest (appendfilename "appendonly.aof"). */
export const AOF_DIR = 'appendonlydir';

export interface AofManifestEntry {
  file: string;
  seq: number;
  /** b: base (RDB or AOF), h: history (to be deleted), i: incremental. */
  type: 'b' | 'h' | 'i';
}

/** Parse an AOF manifest ("file <name> seq <n> type <b|h|i>" per line). */
export function parseAofManifest(text: string): AofManifestEntry[] {
  const out: AofManifestEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.trim().split(/\s+/);
    const kv = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) kv.set(fields[i]!, fields[i + 1]!);
    const file = kv.get('file');
    const type = kv.get('type');
    const seq = Number(kv.get('seq'));
    if (!file || (type !== 'b' && type !== 'h' && type !== 'i') || !Number.isInteger(seq))
      throw new HarnessError('PROCESS_FAILED', `AOF manifest line not understood: ${line}`);
    out.push({ file, seq, type });
  }
  return out;
}

/** The file Redis appends to now: the incremental file with the highest sequence number. */
export function lastIncrFile(entries: readonly AofManifestEntry[]): string | null {
  const incr = entries.filter((e) => e.type === 'i').sort((a, b) => a.seq - b.seq);
  return incr.at(-1)?.file ?? null;
}

/** The size after cutting `bytes` off a file of `size` bytes (never below zero). */
export const truncatedSize = (size: number, bytes: number): number => Math.max(0, size - Math.max(0, bytes));

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export function localVolumes(opts: { dataDirOf: (pod: string) => string; isRunning: (pod: string) => boolean }): VolumeControl {
  const stopped = (pod: string, what: string) => {
    if (opts.isRunning(pod)) throw new HarnessError('USAGE', `${what} needs ${pod} stopped (its volume is in use)`);
  };
  return {
    async backupAof(pod, dest) {
      const dir = opts.dataDirOf(pod);
      await mkdir(dest, { recursive: true, mode: 0o700 });
      const copied: string[] = [];
      if (await exists(path.join(dir, AOF_DIR))) {
        await cp(path.join(dir, AOF_DIR), path.join(dest, AOF_DIR), { recursive: true });
        copied.push(...(await readdir(path.join(dest, AOF_DIR))).map((f) => `${AOF_DIR}/${f}`));
      }
      if (await exists(path.join(dir, 'appendonly.aof'))) {
        await cp(path.join(dir, 'appendonly.aof'), path.join(dest, 'appendonly.aof'));
        copied.push('appendonly.aof');
      }
      if (copied.length === 0) throw new HarnessError('PROCESS_FAILED', `${pod} has no AOF in its data dir to back up`);
      return copied;
    },
    async restoreAof(pod, src) {
      stopped(pod, 'restoring an AOF');
      const dir = opts.dataDirOf(pod);
      await rm(path.join(dir, AOF_DIR), { recursive: true, force: true });
      await rm(path.join(dir, 'appendonly.aof'), { force: true });
      await rm(path.join(dir, 'dump.rdb'), { force: true });
      if (await exists(path.join(src, AOF_DIR))) await cp(path.join(src, AOF_DIR), path.join(dir, AOF_DIR), { recursive: true });
      if (await exists(path.join(src, 'appendonly.aof'))) await cp(path.join(src, 'appendonly.aof'), path.join(dir, 'appendonly.aof'));
    },
    async wipe(pod) {
      stopped(pod, 'wiping a volume');
      const dir = opts.dataDirOf(pod);
      for (const f of await readdir(dir)) await rm(path.join(dir, f), { recursive: true, force: true });
    },
    async truncateAofTail(pod, bytes): Promise<AofTruncation> {
      stopped(pod, 'truncating an AOF');
      const dir = path.join(opts.dataDirOf(pod), AOF_DIR);
      const manifest = (await readdir(dir).catch(() => [])).find((f) => f.endsWith('.manifest'));
      if (!manifest) throw new HarnessError('PROCESS_FAILED', `${pod} has no AOF manifest in ${AOF_DIR}/`);
      const file = lastIncrFile(parseAofManifest(await readFile(path.join(dir, manifest), 'utf8')));
      if (!file) throw new HarnessError('PROCESS_FAILED', `${pod}'s AOF manifest lists no incremental file`);
      const full = path.join(dir, file);
      const sizeBefore = (await stat(full)).size;
      const sizeAfter = truncatedSize(sizeBefore, bytes);
      await truncate(full, sizeAfter);
      return { file: `${AOF_DIR}/${file}`, sizeBefore, sizeAfter };
    },
  };
}
