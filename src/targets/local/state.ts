// The state file of a local deployment: what a later `down` (or the next run) needs to remove it.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isAlive, isOurs, killProcessesUnder, signalAndWait } from '../runtime/process-runtime.ts';
import { deleteTable, tableExists } from './network.ts';
import { untrustedReason, writePrivateFile } from './private-file.ts';

export interface LocalState {
  runId: string;
  /** Root of everything this deployment wrote: configs, data dirs, logs. */
  runDir: string;
  /** PID of the harness that created it. */
  ownerPid: number;
  /** Whether the deployment was left running on purpose (`up`). */
  detached: boolean;
  pods: Array<{ name: string; address: string }>;
  /** Every process started, by "pod/container". */
  processes: Record<string, number>;
  /** nftables tables (family inet) of partitions currently in place. */
  nftTables: string[];
  /** The container runtime: absent for host processes; `docker` when the containers carry the run's label. */
  runtime?: 'docker';
  /** PID of the run's DNS server (docker target). */
  dnsPid?: number;
}

/** Where local deployments live; one directory per run. */
export function stateRoot(): string {
  return process.env.SENTINEL_CHAOS_STATE_DIR ?? path.join(os.tmpdir(), 'sentinel-chaos');
}

const pending = new Map<string, Promise<void>>();

/** Persist `state` atomically; concurrent calls are serialised so the newest content always lands last. */
export function writeState(state: LocalState): Promise<void> {
  const file = path.join(state.runDir, 'state.json');
  const next = (pending.get(file) ?? Promise.resolve()).then(async () => {
    await writePrivateFile(file, JSON.stringify(state, null, 2));
  });
  pending.set(
    file,
    next.catch(() => {}),
  );
  return next;
}

/** Why `v`, read from `dir`'s state file, is not a state this harness wrote there, or null. */
export function invalidStateReason(v: unknown, dir: string): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const s = v as Record<string, unknown>;
  if (typeof s.runId !== 'string' || s.runId === '') return 'no runId';
  // A state names the directory it is in: one naming another would let `down` signal processes under that one.
  if (typeof s.runDir !== 'string' || path.resolve(s.runDir) !== path.resolve(dir)) return `its runDir is not ${dir}`;
  if (!Number.isSafeInteger(s.ownerPid) || (s.ownerPid as number) <= 0) return 'ownerPid is not a process id';
  if (s.processes === null || typeof s.processes !== 'object' || Object.values(s.processes).some((p) => !Number.isSafeInteger(p) || (p as number) <= 0))
    return 'processes is not a map of process ids';
  if (!Array.isArray(s.pods) || !Array.isArray(s.nftTables) || s.nftTables.some((t) => typeof t !== 'string')) return 'pods or nftTables is not a list';
  return null;
}

/**
 * The deployments' states under `root`. A file this user did not write (another owner, writable by others) or
 * that is not a state of its own directory is left out, with the reason to `onIgnored`.
 */
export async function listStates(root = stateRoot(), onIgnored?: (file: string, why: string) => void): Promise<LocalState[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return [];
  }
  const states: LocalState[] = [];
  for (const e of entries) {
    const file = path.join(root, e, 'state.json');
    let v: unknown;
    try {
      const untrusted = await untrustedReason(file);
      if (untrusted) {
        onIgnored?.(file, untrusted);
        continue;
      }
      v = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      // not a deployment directory, or one being created right now
      continue;
    }
    const why = invalidStateReason(v, path.join(root, e));
    if (why) onIgnored?.(file, why);
    else states.push(v as LocalState);
  }
  return states;
}

export interface Removed {
  runId: string;
  processes: string[];
  nftTables: string[];
  dir: string;
}

/**
 * Remove what a deployment left: kill its processes (only those whose working directory is inside
 * its run dir, so a reused PID is never touched) and delete the run dir.
 */
export async function removeDeployment(state: LocalState): Promise<Removed> {
  const killed: string[] = [];
  await Promise.all(
    Object.entries(state.processes).map(async ([name, pid]) => {
      if (isAlive(pid) && isOurs(pid, state.runDir)) {
        await signalAndWait({ pid }, 'SIGKILL', 2000);
        killed.push(`${name} (pid ${pid})`);
      }
    }),
  );
  // What those processes started (a sidecar's sleep, curl, redis-cli) runs in the same directories.
  const strays = await killProcessesUnder(state.runDir);

  const tables: string[] = [];
  for (const t of state.nftTables ?? []) {
    if (await tableExists(t)) {
      await deleteTable(t);
      tables.push(t);
    }
  }
  await rm(state.runDir, { recursive: true, force: true });
  return {
    runId: state.runId,
    processes: [...killed.sort(), ...(strays.length ? [`${strays.length} process(es) they started`] : [])],
    nftTables: tables,
    dir: state.runDir,
  };
}

/** States whose owner is gone and that were not left running on purpose: leftovers of a killed harness. */
export async function orphanedStates(root = stateRoot()): Promise<LocalState[]> {
  return (await listStates(root)).filter((s) => !s.detached && !isAlive(s.ownerPid));
}

/**
 * The states `down` may remove, and those it must leave: a deployment whose harness is still running
 * belongs to that run (its trials would crash mid-way), unless `force`.
 */
export function splitByOwner(states: readonly LocalState[], force: boolean): { removable: LocalState[]; running: LocalState[] } {
  const running = force ? [] : states.filter((s) => !s.detached && s.ownerPid !== process.pid && isAlive(s.ownerPid));
  return { removable: states.filter((s) => !running.includes(s)), running };
}

export async function ensureRoot(root = stateRoot()): Promise<string> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  return root;
}
