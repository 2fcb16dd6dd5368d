// Creates the report directory one level at a time from its nearest existing ancestor, refusing what cannot hold reports.
import { constants } from 'node:fs';
import { access, lstat, mkdir, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from '../errors.ts';

/**
 * statfs f_type of kernel pseudo filesystems, which hold no files of ours. Node's recursive mkdir
 * spins forever under /proc (mkdir answers ENOENT while the parent exists), so these are refused
 * before any mkdir.
 */
const PSEUDO_FILESYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x1cd1, 'devpts'],
  [0xcafe4a11, 'bpf'],
  [0x62656570, 'configfs'],
  [0x6165676c, 'pstore'],
  [0xde5e81e4, 'efivarfs'],
  [0xf97cff8c, 'selinuxfs'],
  [0x65735543, 'fusectl'],
  [0x42494e4d, 'binfmt_misc'],
  [0x19800202, 'mqueue'],
  [0x6e736673, 'nsfs'],
]);

/** Longest the whole check may take: a hung network mount must not hang the CLI. */
export const REPORT_DIR_CHECK_TIMEOUT_MS = 3_000;

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | undefined)?.code;

/** Why a report directory cannot be used; `cause` is the system error behind it, if there was one. */
export interface ReportDirProblem {
  reason: string;
  cause?: Error;
}

/** Why `dir` cannot be used, or null once it exists as a writable directory (created if missing). */
export async function prepareReportDir(dir: string): Promise<ReportDirProblem | null> {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  let first: Error | undefined;
  const problem = (reason: string, cause = first): ReportDirProblem => (cause ? { reason, cause } : { reason });
  for (;;) {
    try {
      if (!(await stat(cur)).isDirectory()) return problem(`${cur} is not a directory`);
      break;
    } catch (e) {
      first ??= e as Error;
      const c = code(e);
      if (c === 'ELOOP') return problem(`${cur} is a loop of symbolic links`);
      if (c === 'EACCES') return problem(`${cur} cannot be looked into (permission denied)`);
      if (c !== 'ENOENT' && c !== 'ENOTDIR') return problem(`${cur}: ${(e as Error).message}`);
      // ENOTDIR: an ancestor is a file, found further up. ENOENT of a path that lstat sees: a dangling link.
      if (
        c === 'ENOENT' &&
        (await lstat(cur).then(
          (s) => s.isSymbolicLink(),
          () => false,
        ))
      )
        return problem(`${cur} is a dangling symbolic link`);
      const parent = path.dirname(cur);
      if (parent === cur) return problem(`${cur} does not exist`);
      missing.unshift(cur);
      cur = parent;
    }
  }
  const type = (await statfs(cur)).type >>> 0;
  const pseudo = PSEUDO_FILESYSTEMS.get(type);
  if (pseudo) return problem(`${cur} is on ${pseudo}, a kernel pseudo filesystem`, undefined);
  try {
    await access(cur, constants.W_OK);
  } catch (e) {
    return problem(code(e) === 'EROFS' ? `${cur} is on a read-only filesystem` : `${cur} is not writable`, e as Error);
  }
  for (const m of missing) {
    try {
      await mkdir(m);
    } catch (e) {
      if (
        code(e) === 'EEXIST' &&
        (await stat(m).then(
          (s) => s.isDirectory(),
          () => false,
        ))
      )
        continue;
      return problem(`cannot create ${m}: ${(e as Error).message}`, e as Error);
    }
  }
  return null;
}

/**
 * Make `dir` an existing, writable report directory, or throw REPORT_DIR_UNWRITABLE naming the path
 * and --report-dir; bounded by `timeoutMs` whatever the filesystem does.
 */
export async function ensureReportDir(dir: string, timeoutMs = REPORT_DIR_CHECK_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReportDirProblem>((resolve) => {
    timer = setTimeout(() => resolve({ reason: `checking it took longer than ${timeoutMs} ms (a hung mount?)` }), timeoutMs);
    timer.unref();
  });
  let problem: ReportDirProblem | null;
  try {
    problem = await Promise.race([prepareReportDir(dir).catch((e: unknown) => ({ reason: (e as Error).message, cause: e as Error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
  if (problem !== null) {
    const message = `report directory ${dir} is not usable: ${problem.reason} (pass --report-dir DIR)`;
    throw new HarnessError('REPORT_DIR_UNWRITABLE', message, problem.cause ? { cause: problem.cause } : undefined);
  }
}
