import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastIncrFile, localVolumes, parseAofManifest, truncatedSize } from '../../../src/targets/local/volumes.ts';

const MANIFEST =
  'file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.1.incr.aof seq 1 type h\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.2.incr.aof seq 2 type i\n';

describe('AOF manifest', () => {
  it('parses every entry and picks the incremental file with the highest sequence', () => {
    const entries = parseAofManifest(MANIFEST);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toEqual({ file: 'appendonly.aof.2.base.rdb', seq: 2, type: 'b' });
    expect(lastIncrFile(entries)).toBe('appendonly.aof.3.incr.aof');
  });

  it('has no incremental file when only a base is listed', () => {
    expect(lastIncrFile(parseAofManifest('file appendonly.aof.1.base.rdb seq 1 type b\n'))).toBeNull();
  });

  it('rejects a line it does not understand', () => {
    expect(() => parseAofManifest('file x seq one type i')).toThrow(/not understood/);
  });

  it('never truncates below zero', () => {
    expect(truncatedSize(100, 7)).toBe(93);
    expect(truncatedSize(5, 7)).toBe(0);
    expect(truncatedSize(5, -1)).toBe(5);
  });
});

describe('localVolumes on a data dir', () => {
  let tmp: string;
  let running: boolean;
  const dataDir = () => path.join(tmp, 'data');
  const vols = () => localVolumes({ dataDirOf: () => dataDir(), isRunning: () => running });
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-vol-'));
    running = false;
    mkdirSync(path.join(dataDir(), 'appendonlydir'), { recursive: true });
    writeFileSync(
      path.join(dataDir(), 'appendonlydir', 'appendonly.aof.manifest'),
      'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n',
    );
    writeFileSync(path.join(dataDir(), 'appendonlydir', 'appendonly.aof.1.base.rdb'), 'BASE');
    writeFileSync(path.join(dataDir(), 'appendonlydir', 'appendonly.aof.1.incr.aof'), '*1\r\n$4\r\nPING\r\n');
    writeFileSync(path.join(dataDir(), 'sentinel.conf'), 'x');
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('cuts the tail of the incremental file', async () => {
    const cut = await vols().truncateAofTail('redis-1', 3);
    expect(cut).toEqual({ file: 'appendonlydir/appendonly.aof.1.incr.aof', sizeBefore: 14, sizeAfter: 11 });
    expect(statSync(path.join(dataDir(), cut.file)).size).toBe(11);
  });

  it('backs up and restores the AOF, replacing what the data dir had', async () => {
    const v = vols();
    const files = await v.backupAof('redis-0', path.join(tmp, 'backup'));
    expect(files.sort()).toEqual([
      'appendonlydir/appendonly.aof.1.base.rdb',
      'appendonlydir/appendonly.aof.1.incr.aof',
      'appendonlydir/appendonly.aof.manifest',
    ]);
    writeFileSync(path.join(dataDir(), 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'CHANGED');
    writeFileSync(path.join(dataDir(), 'appendonlydir', 'stray'), 'x');
    await v.restoreAof('redis-0', path.join(tmp, 'backup'));
    expect(readFileSync(path.join(dataDir(), 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'utf8')).toBe('*1\r\n$4\r\nPING\r\n');
    expect(existsSync(path.join(dataDir(), 'appendonlydir', 'stray'))).toBe(false);
    expect(existsSync(path.join(dataDir(), 'sentinel.conf'))).toBe(true);
  });

  it('wipes everything in the data dir', async () => {
    await vols().wipe('redis-0');
    expect(readdirSync(dataDir())).toEqual([]);
  });

  it('refuses to touch the volume of a running pod', async () => {
    running = true;
    await expect(vols().wipe('redis-0')).rejects.toThrow(/needs redis-0 stopped/);
    await expect(vols().truncateAofTail('redis-0', 1)).rejects.toThrow(/needs redis-0 stopped/);
    await expect(vols().restoreAof('redis-0', tmp)).rejects.toThrow(/needs redis-0 stopped/);
    expect(readdirSync(dataDir()).sort()).toEqual(['appendonlydir', 'sentinel.conf']);
  });
});
