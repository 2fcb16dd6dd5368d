// empty-volume: the master's pod comes back, faster than down-after, on an empty data dir (a new or lost
// PVC). If it starts as master, its replicas full-resync from it and the whole dataset is gone.
import { msField } from '../model/duration.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { countOnMaster, datasetCheck, planVolumeChange, volumesOf, waitSettled, writeDataset } from './day2.ts';

export async function emptyVolume(ctx: FaultContext, spec: { settleTimeoutMs: number }): Promise<InjectedFault> {
  const { deployment: d, clock, topology } = ctx;
  const volumes = volumesOf(d, 'empty-volume');
  const victim = topology.master;
  const keys = await writeDataset(ctx);
  ctx.mark('inject', `kill ${victim.name} (master), empty its data dir, start it at once`);
  await volumes.hold?.(victim.name);
  await d.podControl.kill(victim.name);
  const landedNs = clock.nowNs();
  await volumes.wipe(victim.name);
  ctx.mark('landed', `${victim.name} killed and its volume emptied`);
  // The pod's start-up logic decides what it becomes; start() resolves once its redis answers.
  await d.podControl.start(victim.name);
  const startedMs = (clock.nowNs() - landedNs) / 1e6;
  ctx.mark('restarted', `${victim.name} answers ${Math.round(startedMs)} ms after the kill`);
  const settled = await waitSettled(ctx, spec.settleTimeoutMs);
  const recovered = await countOnMaster(ctx, keys);
  return {
    victim,
    landedNs,
    healAfterFailover: false,
    // The pod's start-up logic asks a sentinel for the failover (SENTINEL FAILOVER): no +odown need precede the election.
    failoverRequested: true,
    checks: [
      datasetCheck('dataset-survives-empty-volume', keys.length, recovered, `after ${victim.name} came back empty${settled ? '' : ' (not yet settled)'}`),
    ],
    figures: { empty_pod_answering_ms: Math.round(startedMs) },
    mustRejoin: victim,
    heal: healOnce(ctx, `start pod ${victim.name} if down`, `${victim.name} running`, async () => {
      if (!d.podControl.isRunning(victim.name)) await d.podControl.start(victim.name);
    }),
  };
}

export const emptyVolumeFault = defineFault({
  /** Kill the master's pod, empty its data dir, start it at once (before down-after). */
  kind: 'empty-volume',
  fields: {
    settleTimeoutMs: msField(600_000).default(60_000),
  },
  needs: ['volumes'],
  inject: (ctx, spec) => emptyVolume(ctx, spec),
  plan: () => planVolumeChange('master', 'empties the data dir'),
});
