// The clock shim: built with the real gcc and preloaded into a real process (python3 reads CLOCK_REALTIME through
// clock_gettime, date through clock_gettime too), its offset file read, re-read and ignored when absent or not a number;
// and the decisions of its control (the skew from server_time_usec, when it shows the offset).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClockShim, CLOCK_SHIM_LIBRARY, clockShimEnv, skewMs, skewShows, writeOffset } from '../../../src/targets/clock-shim.ts';

let dir: string;
let shimDir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sc-clock-shim-'));
  const built = await buildClockShim(dir);
  if (!built.dir) throw new Error(built.reason);
  shimDir = built.dir;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Seconds python3 reads (time.time(): clock_gettime(CLOCK_REALTIME)) under the shim, minus the real time, once per `script` step. */
function shiftedBy(pod: string, script = 'print(time.time() - real())'): number[] {
  const code = [
    'import time, subprocess, sys',
    // The real time from a child without the shim (env={}: no LD_PRELOAD).
    'real = lambda: float(subprocess.run(["date", "+%s.%N"], env={}, capture_output=True, text=True).stdout)',
    script,
  ].join('\n');
  const env = { ...process.env, ...clockShimEnv(shimDir, pod) };
  return execFileSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', env }).trim().split('\n').map(Number);
}

describe('the shim, preloaded', () => {
  it('builds without libc: no NEEDED entry, only the three wrappers exported', () => {
    const so = path.join(shimDir, CLOCK_SHIM_LIBRARY);
    const dynamic = execFileSync('readelf', ['-d', so], { encoding: 'utf8' });
    expect(dynamic).not.toMatch(/NEEDED/);
    const exported = execFileSync('nm', ['-D', '--defined-only', so], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(' ').pop())
      .sort();
    expect(exported).toEqual(['clock_gettime', 'gettimeofday', 'time']);
  });

  it('adds the file’s offset either way, and none when the file is missing or not a number', async () => {
    await writeOffset(shimDir, 'ahead', 60_000);
    await writeOffset(shimDir, 'behind', -60_000);
    writeFileSync(path.join(shimDir, 'garbage.offset'), 'soon\n');
    const [ahead] = shiftedBy('ahead');
    const [behind] = shiftedBy('behind');
    const [missing] = shiftedBy('missing');
    const [garbage] = shiftedBy('garbage');
    expect(ahead).toBeGreaterThan(59.5);
    expect(ahead).toBeLessThan(60.5);
    expect(behind).toBeGreaterThan(-60.5);
    expect(behind).toBeLessThan(-59.5);
    expect(Math.abs(missing!)).toBeLessThan(0.5);
    expect(Math.abs(garbage!)).toBeLessThan(0.5);
  });

  it('re-reads the file while the process runs (within its 100 ms reload), and leaves the monotonic clock alone', async () => {
    await writeOffset(shimDir, 'live', 60_000);
    const script = [
      'm0 = time.monotonic(); print(time.time() - real())',
      `open("${shimDir}/live.offset.tmp", "w").write("-5000\\n"); __import__("os").rename("${shimDir}/live.offset.tmp", "${shimDir}/live.offset")`,
      'time.sleep(0.25); print(time.time() - real())',
      'print(time.monotonic() - m0)',
    ].join('\n');
    const [before, after, monotonic] = shiftedBy('live', script);
    expect(before).toBeGreaterThan(59.5);
    expect(after).toBeGreaterThan(-5.5);
    expect(after).toBeLessThan(-4.5);
    expect(monotonic).toBeLessThan(5);
  });

  it('a missing gcc is a reason, not a crash', async () => {
    const r = await buildClockShim(dir, 'no-such-gcc-here');
    expect(r.dir).toBeUndefined();
    expect(r.reason).toMatch(/no-such-gcc-here not found \(install gcc/);
  });
});

describe('the control’s decisions', () => {
  it('reads the skew against the middle of the round trip', () => {
    expect(skewMs(1_000_060_000_000, 999_999_990, 1_000_000_010)).toBe(60_000);
    expect(skewMs(999_940_000_000, 1_000_000_000, 1_000_000_000)).toBe(-60_000);
  });

  it('takes a skew within 250 ms plus half the round trip as the offset shown', () => {
    expect(skewShows(60_100, 60_000, 0)).toBe(true);
    expect(skewShows(60_300, 60_000, 0)).toBe(false);
    expect(skewShows(60_300, 60_000, 200)).toBe(true);
    expect(skewShows(0, 60_000, 20)).toBe(false);
    expect(skewShows(-120, 0, 10)).toBe(true);
  });
});
