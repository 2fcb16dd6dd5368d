// backup-restore: the deployment guide's procedure. Copy the master's AOF while the pods run, scale to 0,
// put the copy into every pod's data dir, scale back to 3; the dataset must be back, writable.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { msField } from '../model/duration.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { countOnMaster, datasetCheck, msSince, PLAN_BACKUP_RESTORE, volumesOf, waitSettled, waitWritable, writeDataset } from './day2.ts';

export async function backupRestore(ctx: FaultContext, spec: { preStop: boolean; settleTimeoutMs: number }): Promise<InjectedFault> {
  const { deployment: d, clock, topology } = ctx;
  const volumes = volumesOf(d, 'backup-restore');
  const pods = d.pods.map((p) => p.name);
  const keys = await writeDataset(ctx);
  const backupDir = await mkdtemp(path.join(os.tmpdir(), 'sc-backup-'));
  const held: string[] = [];
  const cleanup = () => rm(backupDir, { recursive: true, force: true });
  try {
    // The guide copies the AOF from each pod; the master's holds every acknowledged write (Redis
    // write()s the AOF before it replies), so that is the copy restored everywhere.
    ctx.mark('inject', `back up ${topology.master.name}'s AOF (the master)`);
    const restorePointNs = clock.nowNs();
    const files = await volumes.backupAof(topology.master.name, backupDir);
    ctx.mark('backup', `${files.length} files: ${files.join(', ')}`);
    // Kubernetes: every pod held down (its node cordoned), else the StatefulSet recreates it on its claim at once.
    // A pod whose claim cannot be held (not node-pinned) skips the trial before any pod is stopped.
    for (const p of pods) {
      await volumes.hold?.(p);
      held.push(p);
    }
    const scaleDownNs = clock.nowNs();
    await Promise.all(pods.map((p) => d.podControl.stop(p, { preStop: spec.preStop })));
    const landedNs = clock.nowNs();
    ctx.mark('landed', `scaled to 0 in ${Math.round((landedNs - scaleDownNs) / 1e6)} ms`);
    for (const p of pods) await volumes.restoreAof(p, backupDir);
    ctx.mark('restored', `the backup is in every pod's data dir`);
    const startNs = clock.nowNs();
    await Promise.all(pods.map((p) => d.podControl.start(p)));
    ctx.mark('scaled-up', `${pods.length} pods answer`);
    const writableNs = await waitWritable(ctx, startNs, spec.settleTimeoutMs);
    const settled = await waitSettled(ctx, spec.settleTimeoutMs);
    const recovered = await countOnMaster(ctx, keys);
    await cleanup();
    return {
      victim: topology.master,
      landedNs,
      healAfterFailover: false,
      restorePointNs,
      checks: [datasetCheck('dataset-restored', keys.length, recovered, `after the restore${settled ? '' : ' (not yet settled)'}`)],
      figures: {
        time_to_writable_ms: msSince(writableNs, startNs),
        scale_down_ms: msSince(landedNs, scaleDownNs),
        backup_files: files.length,
      },
      heal: healOnce(ctx, 'start any pod still down', 'every pod running', async () => {
        for (const p of pods) if (!d.podControl.isRunning(p)) await d.podControl.start(p);
      }),
    };
  } catch (e) {
    await cleanup();
    // A stopped pod's start releases its hold; a pod still running (the trial gave up before stopping it) is released here.
    for (const p of pods) if (!d.podControl.isRunning(p)) await d.podControl.start(p).catch(() => {});
    for (const p of held) await volumes.release?.(p).catch(() => {});
    throw e;
  }
}

export const backupRestoreFault = defineFault({
  /** Back up the master's AOF, scale to 0, restore the backup into every pod's data dir, scale back up. */
  kind: 'backup-restore',
  fields: {
    /** Run the preStop hooks when scaling to 0, as the kubelet does. */
    preStop: z.boolean().default(true),
    settleTimeoutMs: msField(600_000).default(60_000),
  },
  needs: ['volumes'],
  inject: (ctx, spec) => backupRestore(ctx, spec),
  plan: () => PLAN_BACKUP_RESTORE,
});
