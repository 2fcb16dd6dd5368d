// The docker target's stress ability: Debian's stress-ng run as a process of the victim container, as Chaos
// Mesh's chaos-daemon runs its stressors: in the container's PID namespace (so it dies with the container) and in
// every one of its cgroups (so its memory counts against the container's limit and its CPU against its quota).
// Landing is proven from the cgroup's own counters; the heal kills the workers and shows the memory given back.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from '../../errors.ts';
import { podByName, type LocalPod } from '../local/pods.ts';
import type { HeldFault, StressControl, StressSpec } from '../target.ts';

const CGROUP_ROOT = '/sys/fs/cgroup';
const LAND_TIMEOUT_MS = 30_000;
const POLL_MS = 200;
const MiB = 1024 * 1024;
/** Workers stop by themselves this long after the longest hold a fault asks for, should the harness die first. */
export const STRESS_GRACE_S = 120;

/** One line of /proc/PID/cgroup: `id:controllers:path` (cgroup v2's line is `0::/path`). */
export interface CgroupLine {
  controllers: string[];
  path: string;
}

export function parseProcCgroup(text: string): CgroupLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^\d+:([^:]*):(.*)$/.exec(l.trim());
      if (!m) throw new HarnessError('PROCESS_FAILED', `unexpected line in /proc/PID/cgroup: "${l}"`);
      return { controllers: m[1] === '' ? [] : m[1]!.split(','), path: m[2]! };
    });
}

/** Where a container's cgroups are on the host: one directory per hierarchy it is in, and its memory cgroup. */
export interface ContainerCgroups {
  version: 1 | 2;
  dirs: string[];
  memoryDir: string;
}

export function containerCgroups(lines: readonly CgroupLine[], exists: (p: string) => boolean = existsSync, root = CGROUP_ROOT): ContainerCgroups {
  const unified = lines.find((l) => l.controllers.length === 0 && !l.path.startsWith('name='));
  const v1 = lines.filter((l) => l.controllers.length > 0);
  if (v1.length === 0) {
    if (!unified) throw new HarnessError('PROCESS_FAILED', 'the container is in no cgroup the harness can find');
    const dir = path.join(root, unified.path);
    return { version: 2, dirs: [dir], memoryDir: dir };
  }
  // A v1 hierarchy is mounted under the name of its controllers joined by commas (named ones under the name).
  const dirs = v1
    .map((l) => path.join(root, l.controllers.map((c) => c.replace(/^name=/, '')).join(','), l.path))
    .filter((d) => exists(path.join(d, 'cgroup.procs')));
  const memory = v1.find((l) => l.controllers.includes('memory'));
  if (!memory) throw new HarnessError('PROCESS_FAILED', 'the container has no memory cgroup (cgroup v1 without the memory controller)');
  return { version: 1, dirs, memoryDir: path.join(root, 'memory', memory.path) };
}

/** The memory cgroup's usage, limit (null: none) and OOM kills so far. */
export interface MemoryReading {
  usage: number;
  limit: number | null;
  oomKills: number;
}

/** `oom_kill N` of v1's memory.oom_control or v2's memory.events (0 when the kernel does not count them). */
export function parseOomKills(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** A limit file's value: v2's `max` and v1's page-rounded 2^63 mean no limit. */
export function parseLimit(text: string): number | null {
  const t = text.trim();
  if (t === 'max') return null;
  const n = Number(t);
  return Number.isFinite(n) && n < 2 ** 60 ? n : null;
}

export function readMemory(cg: ContainerCgroups, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): MemoryReading {
  const f = (v1: string, v2: string) => read(path.join(cg.memoryDir, cg.version === 1 ? v1 : v2));
  return {
    usage: Number(f('memory.usage_in_bytes', 'memory.current').trim()),
    limit: parseLimit(f('memory.limit_in_bytes', 'memory.max')),
    oomKills: parseOomKills(f('memory.oom_control', 'memory.events')),
  };
}

/** Per-worker bytes: `256MB`, `1GiB`, `512Mi`, plain bytes, or a percent of the container's limit (Chaos Mesh: of its memory). */
export function workerBytes(size: string | undefined, limit: number | null): number {
  if (size === undefined) return 256 * MiB;
  const pct = /^(\d+)%$/.exec(size);
  if (pct) {
    if (limit === null)
      throw new HarnessError('USAGE', `memorySize ${size} is a percent of the container's memory limit, and the container has none: give bytes (512MB)`);
    return Math.floor((Number(pct[1]) / 100) * limit);
  }
  const m = /^(\d+)(?:([KMGT])(i?)B?)?$/.exec(size);
  if (!m) throw new HarnessError('USAGE', `memorySize "${size}" is not bytes with a unit (256MB, 1GiB) or a percent (50%)`);
  const power = m[2] ? 'KMGT'.indexOf(m[2]) + 1 : 0;
  return Number(m[1]) * (m[3] || m[2] ? 1024 : 1) ** power;
}

/**
 * stress-ng's arguments: memory workers allocate, touch and hold (no CPU of their own); CPU workers at a load.
 * stress-ng (0.15) divides --vm-bytes among the vm workers, so it gets the total.
 */
export function stressArgv(spec: StressSpec, bytesPerWorker: number, limitS: number): string[] {
  const argv = ['--timeout', `${limitS}s`];
  if (spec.memoryWorkers) argv.push('--vm', String(spec.memoryWorkers), '--vm-bytes', String(bytesPerWorker * spec.memoryWorkers), '--vm-hang', '0');
  if (spec.cpuWorkers) argv.push('--cpu', String(spec.cpuWorkers), ...(spec.cpuLoad !== undefined ? ['--cpu-load', String(spec.cpuLoad)] : []));
  return argv;
}

/** Joins the process to every cgroup named after the script (writing 0 moves the writer itself), then becomes stress-ng. */
export const JOIN_AND_EXEC = 'for f in "$@"; do case "$f" in --) break ;; esac; echo 0 > "$f/cgroup.procs" || exit 97; shift; done; shift; exec stress-ng "$@"';

const mib = (n: number) => `${Math.round(n / MiB)} MiB`;
const procsIn = (dir: string): number[] => readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);

/** The stress-ng processes in a cgroup (its parent and workers name themselves stress-ng…; nothing else in a pod does). */
function stressProcs(dir: string): number[] {
  return procsIn(dir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('stress-ng');
    } catch {
      return false;
    }
  });
}

/** The memory a stress must show in the cgroup before it counts as landed: most of what it asked for, within the limit. */
export function memoryLanded(before: MemoryReading, now: MemoryReading, wanted: number): boolean {
  if (now.oomKills > before.oomKills) return true;
  const room = now.limit === null ? wanted : Math.max(0, now.limit - before.usage);
  return now.usage - before.usage >= 0.9 * Math.min(wanted, room);
}

async function waitFor(cond: () => boolean, child: ChildProcess, stderr: () => string, what: string): Promise<void> {
  const deadline = Date.now() + LAND_TIMEOUT_MS;
  while (!cond()) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new HarnessError('PROCESS_FAILED', `stress-ng ended before ${what} (exit ${child.exitCode ?? child.signalCode}): ${stderr().trim().slice(-300)}`);
    if (Date.now() > deadline) throw new HarnessError('TIMEOUT', `${what} did not show within ${LAND_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function dockerStress(pods: readonly LocalPod[]): StressControl {
  return {
    async stress(podName, container, spec): Promise<HeldFault> {
      if (!spec.cpuWorkers && !spec.memoryWorkers) throw new HarnessError('USAGE', 'stress needs cpuWorkers or memoryWorkers above 0');
      const pod = podByName(pods, podName);
      const running = pod.containers[container]?.running;
      if (!running?.isRunning() || running.pid === undefined)
        throw new HarnessError('PROCESS_FAILED', `${podName}/${container} has no running container to stress`);
      const cg = containerCgroups(parseProcCgroup(readFileSync(`/proc/${running.pid}/cgroup`, 'utf8')));
      const before = readMemory(cg);
      const perWorker = spec.memoryWorkers ? workerBytes(spec.memorySize, before.limit) : 0;
      const wanted = perWorker * (spec.memoryWorkers ?? 0);
      const argv = stressArgv(spec, perWorker, Math.ceil((spec.maxMs ?? 3_600_000) / 1000) + STRESS_GRACE_S);
      // nsenter forks into the container's PID namespace: when the container ends, the kernel ends the workers with it.
      const child = spawn('nsenter', ['--target', String(running.pid), '--pid', '--', 'sh', '-c', JOIN_AND_EXEC, 'sh', ...cg.dirs, '--', ...argv], {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      });
      let err = '';
      child.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
      const spawned = new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (e) =>
          reject(
            new HarnessError('TARGET_UNAVAILABLE', `cannot start nsenter / stress-ng (${e.message}): install util-linux and stress-ng (scripts/setup.sh)`),
          ),
        );
      });
      const kill = async () => {
        // By name in the cgroup, not by process tree: a worker orphaned by its parent's death is re-parented to the container's PID 1.
        const deadline = Date.now() + 5000;
        for (let left = stressProcs(cg.memoryDir); left.length > 0 && Date.now() < deadline; left = stressProcs(cg.memoryDir)) {
          for (const pid of left) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
          await new Promise((r) => setTimeout(r, 50));
        }
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
      };
      let landed: MemoryReading;
      try {
        await spawned;
        const workers = (spec.memoryWorkers ?? 0) + (spec.cpuWorkers ?? 0);
        await waitFor(
          () => stressProcs(cg.memoryDir).length >= 1 + workers,
          child,
          () => err,
          `${workers} stress-ng worker(s) in the container's cgroups`,
        );
        await waitFor(
          () => memoryLanded(before, readMemory(cg), wanted),
          child,
          () => err,
          `${mib(wanted)} more in the memory cgroup`,
        );
        landed = readMemory(cg);
      } catch (e) {
        await kill();
        throw e;
      }
      const limit = landed.limit === null ? 'no limit' : `limit ${mib(landed.limit)}`;
      const cpu = spec.cpuWorkers ? `${spec.cpuWorkers} CPU worker(s)${spec.cpuLoad !== undefined ? ` at ${spec.cpuLoad}%` : ''}` : '';
      const mem = spec.memoryWorkers ? `${spec.memoryWorkers} memory worker(s) of ${mib(perWorker)}` : '';
      let healed = false;
      let afterHeal = '';
      let last = landed;
      return {
        description:
          `${podName}/${container}: stress-ng (${[mem, cpu].filter(Boolean).join(', ')}) in the container's PID namespace and ${cg.dirs.length} cgroup(s); ` +
          `memory cgroup ${mib(before.usage)} → ${mib(landed.usage)} of ${limit}, ${stressProcs(cg.memoryDir).length} stress-ng process(es) in it, OOM kills ${landed.oomKills - before.oomKills}`,
        async heal() {
          if (healed) return;
          healed = true;
          await kill();
          if (!running.isRunning()) {
            // The container ended (its cgroup may be gone): the last reading stands.
            afterHeal = `${podName}/${container}: stress-ng gone with the container (it ended during the stress)`;
            return;
          }
          const after = (last = readMemory(cg));
          const left = stressProcs(cg.memoryDir).length;
          if (left > 0) throw new HarnessError('PROCESS_FAILED', `${left} stress-ng process(es) still in ${podName}/${container}'s cgroup after the kill`);
          // The kernel's counter: an OOM kill here was a stress-ng worker (oom_score_adj 1000) unless the container died.
          afterHeal = `${podName}/${container}: stress-ng gone; memory cgroup back to ${mib(after.usage)}; OOM kills during the stress ${after.oomKills - before.oomKills}`;
        },
        healedDescription: () => afterHeal,
        figures: () => {
          if (!healed && running.isRunning()) {
            try {
              last = readMemory(cg);
            } catch {
              // the container ended between the two reads: the last reading stands
            }
          }
          const now = last;
          return {
            memory_limit_bytes: landed.limit,
            memory_before_bytes: before.usage,
            memory_landed_bytes: landed.usage,
            oom_kills: now.oomKills - before.oomKills,
          };
        },
      };
    },
  };
}
