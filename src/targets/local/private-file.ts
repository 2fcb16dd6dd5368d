// Files only this user may read: the state file, the Secrets' files, the ServiceAccount token.
import { chmod, rename, stat, writeFile } from 'node:fs/promises';

/**
 * Write `data` to `file` as mode 0600, atomically (a temporary file renamed over it). `writeFile`'s mode
 * applies only to a file it creates: a leftover temporary file or an existing target of another mode keeps
 * its mode, so the mode is set explicitly before the rename.
 */
export async function writePrivateFile(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, data, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

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
