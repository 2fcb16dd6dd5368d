// aof-damage: a replica's AOF loses its tail, as a crash in the middle of a write leaves it; with
// aof-load-truncated the pod must load what is valid, come back and resync.
import { z } from 'zod';
import { defineFault } from './define.ts';
import { healOnce, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import { countOnMaster, datasetCheck, planVolumeChange, volumesOf, writeDataset } from './day2.ts';

export async function aofDamage(ctx: FaultContext, spec: { bytes: number }): Promise<InjectedFault> {
  const { deployment: d, clock } = ctx;
  const volumes = volumesOf(d, 'aof-damage');
  const victim = victimOf(ctx.topology, 'replica');
  const keys = await writeDataset(ctx);
  ctx.mark('inject', `kill ${victim.name} (replica) and cut ${spec.bytes} bytes off its AOF`);
  await volumes.hold?.(victim.name);
  await d.podControl.kill(victim.name);
  const landedNs = clock.nowNs();
  const cut = await volumes.truncateAofTail(victim.name, spec.bytes);
  ctx.mark('landed', `${cut.file}: ${cut.sizeBefore} -> ${cut.sizeAfter} bytes`);
  let startError: string | null = null;
  await d.podControl.start(victim.name).catch((e: Error) => {
    startError = e.message;
  });
  const started = startError === null;
  ctx.mark(started ? 'restarted' : 'start-failed', started ? `${victim.name} loaded its truncated AOF and answers` : startError!);
  const recovered = await countOnMaster(ctx, keys);
  return {
    victim,
    landedNs,
    healAfterFailover: false,
    checks: [
      {
        name: 'starts-with-truncated-aof',
        valid: started && cut.sizeAfter < cut.sizeBefore,
        figures: { aof_bytes_cut: cut.sizeBefore - cut.sizeAfter },
        explanation: started
          ? cut.sizeAfter < cut.sizeBefore
            ? `${victim.name} started on ${cut.file} cut from ${cut.sizeBefore} to ${cut.sizeAfter} bytes (aof-load-truncated)`
            : `${cut.file} was empty, nothing was cut`
          : `${victim.name} did not start on its truncated AOF: ${startError}`,
      },
      datasetCheck('dataset-intact', keys.length, recovered, 'after the damaged replica came back'),
    ],
    figures: {},
    mustRejoin: victim,
    heal: healOnce(ctx, `start pod ${victim.name} if down`, `${victim.name} running`, async () => {
      if (!d.podControl.isRunning(victim.name)) await d.podControl.start(victim.name);
    }),
  };
}

export const aofDamageFault = defineFault({
  /** Kill a replica's pod, cut bytes off the tail of its AOF, start it again. */
  kind: 'aof-damage',
  fields: {
    bytes: z.number().int().min(1).max(1_000_000).default(7),
  },
  needs: ['volumes'],
  inject: (ctx, spec) => aofDamage(ctx, spec),
  plan: (spec) => planVolumeChange('a replica', `cuts ${spec.bytes} bytes off the AOF's last incremental file`),
});
