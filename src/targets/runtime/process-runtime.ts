// The host-process container runtime: each container is a process group on the host, told apart by its working directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync, readlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../errors.ts';
import {
  logLost,
  RUN_DIR_LABEL,
  type ContainerExit,
  type ContainerRuntime,
  type ContainerSpec,
  type ExecResult,
  type MountSpec,
  type RunningContainer,
} from './runtime.ts';

/** The kernel's state letter of `pid` (R, S, T, Z …), or null when it is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = procState(pid);
  return state !== null && state !== 'Z';
}

/** True when the process is stopped (SIGSTOP: state T). */
export function isStopped(pid: number): boolean {
  return procState(pid) === 'T';
}

/** True when `pid` runs with its working directory inside `dir` (how a run recognises its own processes). */
export function isOurs(pid: number, dir: string): boolean {
  try {
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return cwd === dir || cwd.startsWith(`${dir}/`);
  } catch {
    return false;
  }
}

/** Send `signal` and wait until the process is gone, up to `timeoutMs`. Returns whether it is gone. */
export async function signalAndWait(p: { pid: number; exited?: Promise<unknown> }, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(p.pid, signal);
  } catch {
    return true;
  }
  const deadline = performance.now() + timeoutMs;
  if (p.exited) {
    await Promise.race([p.exited, sleep(timeoutMs)]);
    return !isAlive(p.pid);
  }
  while (isAlive(p.pid)) {
    if (performance.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** SIGKILL every process (but this one) whose working directory is inside `dir`; returns their PIDs. */
export async function killProcessesUnder(dir: string): Promise<number[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[]))
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && isOurs(pid, dir));
  await Promise.all(pids.map((pid) => signalAndWait({ pid }, 'SIGKILL', 2000)));
  return pids;
}

const killGroup = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(-pid, sig);
  } catch {
    // the group is already empty
  }
};

function spawnInGroup(argv: string[], opts: { cwd: string; env: Record<string, string>; stdio: 'log' | 'pipe'; logFile: string }): ChildProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new HarnessError('PROCESS_FAILED', 'cannot start a container with an empty command');
  const fd = opts.stdio === 'log' ? openSync(opts.logFile, 'a', 0o600) : null;
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: fd === null ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd] });
  if (fd !== null) closeSync(fd);
  if (child.pid === undefined) {
    child.once('error', () => {});
    throw new HarnessError('PROCESS_FAILED', `could not spawn ${cmd}`);
  }
  return child;
}

/** Run `argv` on the host as the container's hook or probe would run inside it: output collected and appended to its log. */
function execOnHost(spec: ContainerSpec, argv: string[], opts: { env: Record<string, string>; timeoutMs: number }): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawnInGroup(argv, { cwd: spec.workingDir, env: opts.env, stdio: 'pipe', logFile: spec.logFile });
    const log = createWriteStream(spec.logFile, { flags: 'a', mode: 0o600 });
    log.once('error', (e) => logLost(spec.logFile, e));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => (out.push(d), log.write(d)));
    child.stderr?.on('data', (d: Buffer) => (err.push(d), log.write(d)));
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), opts.timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      log.end();
      resolve({ exitCode: timedOut ? null : child.exitCode, timedOut, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    };
    child.once('close', finish);
    // A child the command left in the background may hold the pipes open: the exit is what counts.
    child.once('exit', () => setTimeout(finish, 100).unref());
    child.once('error', finish);
  });
}

class HostProcess implements RunningContainer {
  readonly id: string;
  readonly pid: number;
  readonly exited: Promise<ContainerExit>;
  readonly #child: ChildProcess;
  readonly #spec: ContainerSpec;

  constructor(spec: ContainerSpec, detached: boolean) {
    this.#spec = spec;
    this.#child = spawnInGroup(spec.argv, { cwd: spec.workingDir, env: spec.env, stdio: 'log', logFile: spec.logFile });
    this.pid = this.#child.pid!;
    this.id = `${spec.pod}/${spec.container}@${this.pid}`;
    const child = this.#child;
    this.exited = new Promise((resolve) => {
      const done = () => resolve({ exitCode: child.exitCode, signal: child.signalCode, oomKilled: false });
      if (child.exitCode !== null || child.signalCode !== null) done();
      child.once('exit', done);
      child.once('error', done);
    });
    // What the main process started (a sidecar's sleep, redis-cli, curl) dies with it, as in a container.
    child.once('exit', () => killGroup(this.pid, 'SIGKILL'));
    if (detached) child.unref();
  }

  isRunning(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    try {
      process.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** SIGSTOP of the process group; proven by the main process's state T. */
  async freeze(): Promise<void> {
    killGroup(this.pid, 'SIGSTOP');
    for (let i = 0; i < 200 && !isStopped(this.pid); i++) await sleep(1);
    if (!isStopped(this.pid)) throw new HarnessError('PROCESS_FAILED', `${this.#spec.pod}/${this.#spec.container} did not stop on SIGSTOP`);
  }

  async thaw(): Promise<void> {
    killGroup(this.pid, 'SIGCONT');
  }

  async isFrozen(): Promise<boolean> {
    return isStopped(this.pid);
  }

  exec(argv: string[], opts: { env: Record<string, string>; timeoutMs: number }): Promise<ExecResult> {
    return execOnHost(this.#spec, argv, opts);
  }

  async remove(): Promise<void> {
    if (this.isRunning()) await signalAndWait({ pid: this.pid, exited: this.exited }, 'SIGKILL', 2000);
  }
}

/** Options of {@link createProcessRuntime}. */
export interface ProcessRuntimeOptions {
  /** Let the processes outlive this harness (the `up` command). */
  detached?: boolean;
}

export function createProcessRuntime(opts: ProcessRuntimeOptions = {}): ContainerRuntime {
  return {
    name: 'process',
    // No mount namespace: a container reads the host's files where the kubelet rendered them.
    pathInContainer: (mount: MountSpec) => mount.hostPath,
    async start(spec) {
      return new HostProcess(spec, opts.detached ?? false);
    },
    async removeLabelled(labels) {
      const dir = labels[RUN_DIR_LABEL];
      if (!dir) return [];
      return (await killProcessesUnder(dir)).map((pid) => `pid ${pid}`);
    },
  };
}
