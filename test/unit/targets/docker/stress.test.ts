// The docker stress ability's decisions: where a container's cgroups are, what counts as landed, what stress-ng is told.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  containerCgroups,
  JOIN_AND_EXEC,
  memoryLanded,
  parseLimit,
  parseOomKills,
  parseProcCgroup,
  readMemory,
  stressArgv,
  workerBytes,
} from '../../../../src/targets/docker/stress.ts';

const MiB = 1024 * 1024;
const ID = 'docker/3b238a09';
// cgroup v1 as docker 20.10 on Debian 12 leaves it here: cpu and cpuacct mounted apart, a hybrid unified line, a named hierarchy.
const HYBRID = [`9:name=systemd:/${ID}`, `8:pids:/${ID}`, `4:memory:/${ID}`, `2:cpuacct:/${ID}`, `1:cpu:/${ID}`, `0::/${ID}`, ''].join('\n');

describe('parseProcCgroup / containerCgroups', () => {
  it('v1: one directory per hierarchy that exists, the memory one apart, the unified line ignored', () => {
    const exists = (p: string) => !p.includes('/pids/');
    const cg = containerCgroups(parseProcCgroup(HYBRID), exists, '/cg');
    expect(cg.version).toBe(1);
    expect(cg.dirs).toEqual([`/cg/systemd/${ID}`, `/cg/memory/${ID}`, `/cg/cpuacct/${ID}`, `/cg/cpu/${ID}`]);
    expect(cg.memoryDir).toBe(`/cg/memory/${ID}`);
  });

  it('v1 with co-mounted controllers names the directory after both', () => {
    const cg = containerCgroups(parseProcCgroup(`3:cpu,cpuacct:/${ID}\n2:memory:/${ID}\n`), () => true, '/cg');
    expect(cg.dirs).toContain(`/cg/cpu,cpuacct/${ID}`);
  });

  it('v2: the one unified directory', () => {
    const cg = containerCgroups(parseProcCgroup(`0::/system.slice/docker-abc.scope\n`), () => true, '/cg');
    expect(cg).toEqual({ version: 2, dirs: ['/cg/system.slice/docker-abc.scope'], memoryDir: '/cg/system.slice/docker-abc.scope' });
  });

  it('refuses a line it cannot read and a v1 container without a memory cgroup', () => {
    expect(() => parseProcCgroup('garbage')).toThrow(/unexpected line/);
    expect(() => containerCgroups(parseProcCgroup(`1:cpu:/${ID}\n`), () => true)).toThrow(/no memory cgroup/);
  });
});

describe('memory readings', () => {
  it('reads v1 and v2 files: usage, limit (none for max or 2^63), OOM kills', () => {
    const v1 = {
      'memory.usage_in_bytes': '5242880\n',
      'memory.limit_in_bytes': '2684354560\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
    };
    const r1 = readMemory({ version: 1, dirs: [], memoryDir: '/m' }, (p) => v1[p.slice(3) as keyof typeof v1]);
    expect(r1).toEqual({ usage: 5 * MiB, limit: 2560 * MiB, oomKills: 3 });
    const v2 = { 'memory.current': '100\n', 'memory.max': 'max\n', 'memory.events': 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n' };
    expect(readMemory({ version: 2, dirs: [], memoryDir: '/m' }, (p) => v2[p.slice(3) as keyof typeof v2])).toEqual({ usage: 100, limit: null, oomKills: 1 });
    expect(parseLimit('9223372036854771712')).toBeNull();
    expect(parseOomKills('oom_kill_disable 0\nunder_oom 0\n')).toBe(0);
  });

  it('landed: 90% of what was asked, or of the room under the limit, or an OOM kill', () => {
    const before = { usage: 10 * MiB, limit: 100 * MiB, oomKills: 0 };
    expect(memoryLanded(before, { ...before, usage: 50 * MiB }, 50 * MiB)).toBe(false);
    expect(memoryLanded(before, { ...before, usage: 56 * MiB }, 50 * MiB)).toBe(true);
    // Asked for more than the limit leaves: 90% of the 90 MiB of room is enough.
    expect(memoryLanded(before, { ...before, usage: 92 * MiB }, 500 * MiB)).toBe(true);
    expect(memoryLanded(before, { ...before, usage: 20 * MiB, oomKills: 1 }, 500 * MiB)).toBe(true);
  });
});

describe('workerBytes / stressArgv', () => {
  it('units, and a percent of the container limit', () => {
    expect(workerBytes('256MB', null)).toBe(256 * MiB);
    expect(workerBytes('1GiB', null)).toBe(1024 * MiB);
    expect(workerBytes('512Mi', null)).toBe(512 * MiB);
    expect(workerBytes('4096', null)).toBe(4096);
    expect(workerBytes('90%', 2560 * MiB)).toBe(2304 * MiB);
    expect(workerBytes(undefined, null)).toBe(256 * MiB);
    expect(() => workerBytes('50%', null)).toThrow(/has none: give bytes/);
    expect(() => workerBytes('lots', null)).toThrow(/not bytes with a unit/);
  });

  it('gives stress-ng the total (it divides --vm-bytes among its workers), holds it, and bounds the run', () => {
    expect(stressArgv({ memoryWorkers: 2 }, 100, 130)).toEqual(['--timeout', '130s', '--vm', '2', '--vm-bytes', '200', '--vm-hang', '0']);
    expect(stressArgv({ cpuWorkers: 2, cpuLoad: 100 }, 0, 10)).toEqual(['--timeout', '10s', '--cpu', '2', '--cpu-load', '100']);
  });

  it('the join script writes 0 (itself) into each directory before the --, then execs stress-ng with the rest', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-join-'));
    try {
      const dirs = ['a', 'b'].map((d) => path.join(tmp, d));
      for (const d of dirs) mkdirSync(d);
      for (const d of dirs) writeFileSync(path.join(d, 'cgroup.procs'), '');
      const bin = path.join(tmp, 'bin');
      mkdirSync(bin);
      writeFileSync(path.join(bin, 'stress-ng'), '#!/bin/sh\necho "stress-ng $*"\n', { mode: 0o755 });
      const env = { PATH: `${bin}:/usr/bin:/bin` };
      const out = execFileSync('sh', ['-c', JOIN_AND_EXEC, 'sh', ...dirs, '--', '--vm', '1'], { env, encoding: 'utf8' });
      expect(out.trim()).toBe('stress-ng --vm 1');
      for (const d of dirs) expect(readFileSync(path.join(d, 'cgroup.procs'), 'utf8')).toBe('0\n');
      // A directory it cannot join stops it before stress-ng runs.
      const r = spawnSync('sh', ['-c', JOIN_AND_EXEC, 'sh', path.join(tmp, 'missing'), '--', '--vm', '1'], { env, encoding: 'utf8' });
      expect(r.status).toBe(97);
      expect(r.stdout).toBe('');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
