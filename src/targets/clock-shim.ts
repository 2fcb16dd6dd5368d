// The clock ability of the local and docker targets: native/clock-offset.c, built with gcc into the run's directory at
// start-up and preloaded into every sentinel container (local: the host process; docker: the directory mounted into the
// container), shifts CLOCK_REALTIME by the milliseconds in the pod's offset file; the control writes that file and proves
// the shift from the sentinel's own `INFO server` `server_time_usec`.
import { execFile } from 'node:child_process';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { abilityMissing, HarnessError } from '../errors.ts';
import type { Endpoint } from '../model/endpoint.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import type { ClockControl, ContainerName, HeldFault, Pod } from './target.ts';

const run = promisify(execFile);

export const CLOCK_SHIM_SOURCE = path.resolve(import.meta.dirname, '../../native/clock-offset.c');
export const CLOCK_SHIM_LIBRARY = 'clock-offset.so';
/** Where a docker container sees the shim's directory. */
export const CLOCK_SHIM_MOUNT = '/run/sentinel-chaos-clock';
/** The variable naming the offset file (read by the shim). */
export const CLOCK_OFFSET_ENV = 'SENTINEL_CHAOS_CLOCK_OFFSET_FILE';
/** No libc (raw system calls): loads into any glibc, never calls malloc or dlsym. */
export const CLOCK_SHIM_CFLAGS = [
  '-O2',
  '-shared',
  '-fPIC',
  '-nostdlib',
  '-ffreestanding',
  '-fno-stack-protector',
  '-fno-builtin',
  '-fno-tree-loop-distribute-patterns',
  '-fvisibility=hidden',
] as const;

/** The shim built (its directory on the host), or why not: the targets then have no clock ability and say so. */
export type ClockShimBuild = { dir: string; reason?: undefined } | { dir?: undefined; reason: string };

/** Compile the shim into `<runDir>/clock` with gcc (about 0.1 s); never throws (a failure is the reason). */
export async function buildClockShim(runDir: string, gcc = 'gcc'): Promise<ClockShimBuild> {
  const dir = path.join(runDir, 'clock');
  try {
    // The run's directory stays private; the shim's is readable by a container's non-root sentinel.
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await run(gcc, [...CLOCK_SHIM_CFLAGS, '-o', path.join(dir, CLOCK_SHIM_LIBRARY), CLOCK_SHIM_SOURCE], { timeout: 60_000 });
    return { dir };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const why = err.code === 'ENOENT' ? `${gcc} not found (install gcc: scripts/setup.sh)` : (err.stderr ?? err.message).trim().split('\n')[0];
    return { reason: `the clock shim (native/clock-offset.c) could not be built: ${why}` };
  }
}

/** The sentinel container's preload and offset file, as the container sees `dir` (`inContainer`). */
export function clockShimEnv(inContainer: string, pod: string): Record<string, string> {
  return { LD_PRELOAD: path.posix.join(inContainer, CLOCK_SHIM_LIBRARY), [CLOCK_OFFSET_ENV]: path.posix.join(inContainer, `${pod}.offset`) };
}

/** Write a pod's offset (ms) so the shim never reads a half-written file: a new file renamed over the old one. */
export async function writeOffset(dir: string, pod: string, offsetMs: number): Promise<void> {
  const file = path.join(dir, `${pod}.offset`);
  await writeFile(`${file}.tmp`, `${Math.trunc(offsetMs)}\n`, { mode: 0o644 });
  await rename(`${file}.tmp`, file);
}

/**
 * How far ahead of the harness's clock a server's `server_time_usec` is, in ms: the reply is taken to be read half way
 * between the request (`beforeMs`) and the answer (`afterMs`), both wall-clock ms of the harness.
 */
export function skewMs(serverTimeUsec: number, beforeMs: number, afterMs: number): number {
  return Math.round(serverTimeUsec / 1000 - (beforeMs + afterMs) / 2);
}

/** Whether a measured skew shows `offsetMs`: within `toleranceMs` plus half the round trip. */
export function skewShows(measuredMs: number, offsetMs: number, roundTripMs: number, toleranceMs = 250): boolean {
  return Math.abs(measuredMs - offsetMs) <= toleranceMs + roundTripMs / 2;
}

/** The sentinel's skew against the harness's clock, from its `INFO server`. */
async function sentinelSkew(e: Endpoint): Promise<{ skewMs: number; roundTripMs: number }> {
  const before = Date.now();
  const info = parseInfo(String(await withProbe(e, { connectTimeoutMs: 500 }, (s) => s.call('INFO', 'server'))));
  const after = Date.now();
  const usec = Number(info.server_time_usec);
  if (!Number.isFinite(usec) || usec <= 0) throw new HarnessError('FAULT_FAILED', `${e.host}:${e.port} INFO server has no server_time_usec`);
  return { skewMs: skewMs(usec, before, after), roundTripMs: after - before };
}

/** Poll the sentinel until its clock shows `offsetMs`; the measured skew, or a FAULT_FAILED naming the last reading. */
async function awaitSkew(e: Endpoint, offsetMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const r = await sentinelSkew(e);
      if (skewShows(r.skewMs, offsetMs, r.roundTripMs)) return r.skewMs;
      last = `${r.skewMs} ms`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline)
      throw new HarnessError(
        'FAULT_FAILED',
        `the sentinel at ${e.host}:${e.port} did not show a clock offset of ${offsetMs} ms within ${timeoutMs} ms (last: ${last})`,
      );
    await sleep(100);
  }
}

const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms}`;

/** ClockControl over the shim's offset files: sentinel containers only (the redis containers run without it). */
export function shimClockControl(o: { dir: string; pods: () => readonly Pod[]; isRunning: (pod: string) => boolean; proofTimeoutMs?: number }): ClockControl {
  const timeoutMs = o.proofTimeoutMs ?? 5000;
  const endpoint = (pod: string) => {
    const p = o.pods().find((x) => x.name === pod);
    if (!p) throw new HarnessError('INTERNAL', `clock: no pod ${pod}`);
    return p.sentinel;
  };
  return {
    async skew(pod: string, container: ContainerName, offsetMs: number): Promise<HeldFault> {
      if (container !== 'sentinel')
        throw abilityMissing(
          `shifting the ${container} container's clock needs Chaos Mesh's TimeChaos; this target preloads its clock shim into the sentinels only`,
        );
      await writeOffset(o.dir, pod, offsetMs);
      let seen: number;
      try {
        seen = await awaitSkew(endpoint(pod), offsetMs, timeoutMs);
      } catch (e) {
        await writeOffset(o.dir, pod, 0);
        throw e;
      }
      let healed = false;
      return {
        description: `${pod}/sentinel's clock ${signed(offsetMs)} ms: its INFO server_time_usec is ${signed(seen)} ms off the harness's clock`,
        async heal() {
          if (healed) return;
          healed = true;
          await writeOffset(o.dir, pod, 0);
          // A sentinel that is not running starts on the real time; one that runs must show it.
          if (o.isRunning(pod)) await awaitSkew(endpoint(pod), 0, timeoutMs);
        },
      };
    },
  };
}
