// prepareReportDir / ensureReportDir: which report directories are created, which are refused and why.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureReportDir, prepareReportDir } from '../../../src/report/report-dir.ts';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'report-dir-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('prepareReportDir', () => {
  it('creates the missing levels below an existing directory', async () => {
    const dir = path.join(tmp, 'a', 'b', 'c');
    expect(await prepareReportDir(dir)).toBeNull();
    expect((await stat(dir)).isDirectory()).toBe(true);
  });

  it('accepts an existing directory, also through a symlink to one', async () => {
    await mkdir(path.join(tmp, 'real'));
    await symlink(path.join(tmp, 'real'), path.join(tmp, 'link'));
    expect(await prepareReportDir(tmp)).toBeNull();
    expect(await prepareReportDir(path.join(tmp, 'link', 'reports'))).toBeNull();
    expect(existsSync(path.join(tmp, 'real', 'reports'))).toBe(true);
  });

  it('refuses a file where a directory is expected, as the dir or as an ancestor', async () => {
    const file = path.join(tmp, 'f');
    await writeFile(file, 'x');
    expect((await prepareReportDir(file))?.reason).toBe(`${file} is not a directory`);
    expect((await prepareReportDir(path.join(file, 'a', 'b')))?.reason).toBe(`${file} is not a directory`);
  });

  it('refuses a dangling symlink, as the dir or on the way, and creates nothing', async () => {
    const link = path.join(tmp, 'dangling');
    await symlink(path.join(tmp, 'nowhere'), link);
    expect((await prepareReportDir(link))?.reason).toBe(`${link} is a dangling symbolic link`);
    expect((await prepareReportDir(path.join(link, 'reports')))?.reason).toBe(`${link} is a dangling symbolic link`);
    expect(existsSync(path.join(tmp, 'nowhere'))).toBe(false);
  });

  it('refuses a loop of symlinks', async () => {
    await symlink(path.join(tmp, 'b'), path.join(tmp, 'a'));
    await symlink(path.join(tmp, 'a'), path.join(tmp, 'b'));
    expect((await prepareReportDir(path.join(tmp, 'a', 'reports')))?.reason).toMatch(/loop of symbolic links/);
  });

  it.each([
    ['/proc/nope', '/proc is on proc'],
    ['/proc/nope/deeper', '/proc is on proc'],
    ['/sys/nope', '/sys is on sysfs'],
  ])('refuses %s on a kernel pseudo filesystem before any mkdir', async (dir, reason) => {
    const t0 = performance.now();
    expect((await prepareReportDir(dir))?.reason).toMatch(new RegExp(`^${reason}, a kernel pseudo filesystem$`));
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe('ensureReportDir', () => {
  it('throws REPORT_DIR_UNWRITABLE naming the directory and --report-dir', async () => {
    await expect(ensureReportDir('/proc/nope')).rejects.toMatchObject({
      code: 'REPORT_DIR_UNWRITABLE',
      message: 'report directory /proc/nope is not usable: /proc is on proc, a kernel pseudo filesystem (pass --report-dir DIR)',
    });
  });

  it('resolves once the directory exists', async () => {
    await ensureReportDir(path.join(tmp, 'r'));
    expect(existsSync(path.join(tmp, 'r'))).toBe(true);
  });
});
