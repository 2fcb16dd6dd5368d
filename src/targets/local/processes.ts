// Start, signal and reap the local pods' processes; identify ours by their working directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readlinkSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Spawned {
  pid: number;
  child: ChildProcess | null;
  exited: Promise<void>;
}

/** Spawn a container's command in its own process group, output appended to `logFile`. */
export function spawnContainer(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Spawned {
  const fd = openSync(opts.logFile, 'a', 0o600);
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${cmd}`);
  return { pid: child.pid, child, exited };
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** True when the process is stopped (SIGSTOP: state T). */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T';
  } catch {
    return false;
  }
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
export async function signalAndWait(p: { pid: number; exited?: Promise<void> }, signal: NodeJS.Signals, timeoutMs: number): Promise<boolean> {
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
