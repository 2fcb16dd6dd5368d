// Files only this user may read: the state file, the Secrets' files, the ServiceAccount token.
import { randomBytes } from 'node:crypto';
import { chmod, rename, stat, writeFile } from 'node:fs/promises';

/**
 * Write `data` to `file` with `mode`, atomically, as a kubelet updates a mounted Secret (a temporary file beside it
 * renamed over it: readers never see half a file). `writeFile`'s mode applies only to a file it creates, so the
 * mode is set explicitly before the rename.
 */
export async function writeFileAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, file);
}

/** {@link writeFileAtomic} as mode 0600: the state file, the Secrets' files, the ServiceAccount token. */
export const writePrivateFile = (file: string, data: string): Promise<void> => writeFileAtomic(file, data, 0o600);

/**
 * Why a file of state or secrets must not be trusted, or null: it belongs to another user, or another user may
 * write it (group or others have write permission); such a file could make `down` signal processes it never started.
 */
export async function untrustedReason(file: string): Promise<string | null> {
  const s = await stat(file);
  const uid = process.getuid?.();
  if (uid !== undefined && s.uid !== uid) return `${file} belongs to uid ${s.uid}, not to this user (${uid})`;
  if ((s.mode & 0o022) !== 0) return `${file} is writable by others (mode ${(s.mode & 0o777).toString(8)})`;
  return null;
}
