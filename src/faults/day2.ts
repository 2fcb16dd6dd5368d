// Shared steps of the day-2 operations (backup-restore, full-restart, empty-volume, aof-damage): a known
// dataset written before the operation and counted after it, and the time until writes are acknowledged again.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../model/check.ts';
import { nsToMs } from '../clock.ts';
import { withProbe } from '../redis/clients.ts';
import { inspectTopology } from '../targets/convergence.ts';
import type { FaultPlan } from '../model/fault-plan.ts';
import type { Endpoint, StartedDeployment, VolumeControl } from '../targets/target.ts';
import { ability } from './abilities.ts';
import type { FaultContext } from './fault.ts';

/** The --dry-run line of backup-restore on Kubernetes: the backup out through exec, back into every claim through helper pods. */
export const PLAN_BACKUP_RESTORE: FaultPlan = {
  victim: "every pod's volume (the master's AOF backed up)",
  action:
    "copy the master's AOF out of its running redis container (tar over exec, as kubectl cp) to the harness; cordon every pod's node (annotated with the run id), delete every pod (grace period, preStop); per claim, a helper pod on its node with the claim mounted receives the tar on its stdin (exec) and replaces the AOF, then is deleted",
  heal: 'uncordon the nodes (every pod comes back on its restored volume; also on SIGINT, and by down after a SIGKILL); wait for every pod to be Ready',
};

/** The --dry-run line of empty-volume and aof-damage: one pod held down while a helper pod changes its claim. */
export const planVolumeChange = (victim: string, change: string): FaultPlan => ({
  victim,
  action: `cordon its node (annotated with the run id), delete the pod (grace 0; the replacement stays Pending on its node-pinned volume), run a helper pod on that node with its claim mounted that ${change}, delete the helper`,
  heal: 'uncordon the node (also on SIGINT, and by down after a SIGKILL); the pod comes back on its changed volume',
});

/** Keys of the known dataset each day-2 scenario writes before its operation. */
export const DATASET_KEYS = 2000;

export function volumesOf(d: StartedDeployment, kind: string): VolumeControl {
  return ability(d, 'volumes', kind);
}

async function sentinelMaster(ctx: FaultContext): Promise<Endpoint | null> {
  for (const p of ctx.deployment.pods) {
    try {
      const a = (await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (s) =>
        s.call('SENTINEL', 'get-master-addr-by-name', ctx.deployment.model.masterName),
      )) as string[] | null;
      if (a) return { host: a[0]!, port: Number(a[1]) };
    } catch {
      // the next sentinel
    }
  }
  return null;
}

/**
 * Write the known dataset to the master and wait until every replica has acknowledged it
 * (WAIT), so that the operation that follows starts from a dataset every pod holds.
 */
export async function writeDataset(ctx: FaultContext, n = DATASET_KEYS): Promise<string[]> {
  const prefix = `sc:dataset:${randomBytes(4).toString('hex')}`;
  const keys = Array.from({ length: n }, (_, i) => `${prefix}:${i}`);
  const replicas = ctx.topology.replicas.length;
  const acked = await withProbe(ctx.topology.master.redis, { password: ctx.deployment.password, commandTimeoutMs: 10_000 }, async (r) => {
    const pipe = r.pipeline();
    for (const k of keys) pipe.set(k, k);
    for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    return Number(await r.call('WAIT', String(replicas), '5000'));
  });
  ctx.mark('dataset', `${n} keys written to ${ctx.topology.master.name}, acknowledged by ${acked} of ${replicas} replicas`);
  return keys;
}

/** How many of `keys` the master the sentinels name holds now (null: no master, or it did not answer). */
export async function countOnMaster(ctx: FaultContext, keys: readonly string[]): Promise<number | null> {
  const master = await sentinelMaster(ctx);
  if (!master) return null;
  try {
    return await withProbe(master, { password: ctx.deployment.password, commandTimeoutMs: 10_000 }, async (r) => {
      let n = 0;
      for (let i = 0; i < keys.length; i += 5000) {
        const pipe = r.pipeline();
        for (const k of keys.slice(i, i + 5000)) pipe.exists(k);
        for (const [err, v] of (await pipe.exec()) ?? []) {
          if (err) throw err;
          n += Number(v);
        }
      }
      return n;
    });
  } catch {
    return null;
  }
}

/** The check and figures for the dataset after an operation: every key must be back on the master. */
export function datasetCheck(name: string, expected: number, recovered: number | null, what: string): CheckResult {
  return {
    name,
    valid: recovered === expected,
    figures: { keys_expected: expected, keys_recovered: recovered },
    explanation:
      recovered === null
        ? `the dataset could not be counted ${what}: no master answered`
        : recovered === expected
          ? `all ${expected} keys of the dataset are on the master ${what}`
          : `${expected - recovered} of ${expected} keys of the dataset are missing from the master ${what}`,
  };
}

/** First instant after `sinceNs` at which the workload had a write acknowledged; null on timeout. */
export async function waitWritable(ctx: FaultContext, sinceNs: number, timeoutMs: number): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = ctx.history().find((o) => o.type === 'ok' && o.ns > sinceNs);
    if (ok) return ok.ns;
    if (performance.now() > deadline) return null;
    await sleep(10);
  }
}

/** time_to_writable_ms from `sinceNs`, or null. */
export const msSince = (ns: number | null, sinceNs: number): number | null => (ns === null ? null : nsToMs(ns - sinceNs));

/** Wait until one master with every replica online and the sentinels agreeing (not strict); false on timeout. */
export async function waitSettled(ctx: FaultContext, timeoutMs: number): Promise<boolean> {
  const d = ctx.deployment;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await inspectTopology({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { strict: false });
    if (r.ok) return true;
    if (performance.now() > deadline) return false;
    await sleep(50);
  }
}
