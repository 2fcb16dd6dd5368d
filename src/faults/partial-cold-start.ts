// partial-cold-start: every pod down at once, and only the replicas come back. The master's pod is gone (its node and
// volume lost: it returns, after the failover, as a new pod with an empty volume) or comes back much later with its
// old dataset. Expect a master among the survivors and the dataset every replica had acknowledged.
import { z } from 'zod';
import type { CheckResult } from '../model/check.ts';
import { durationField, type Duration } from '../model/duration.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import type { Pod } from '../targets/target.ts';
import { countOnMaster, datasetCheck, volumesOf, writeDataset } from './day2.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';
import { requireHeldDown } from './abilities.ts';

/** master_repl_offset of a pod's redis (null: it did not answer). */
async function offsetOf(ctx: FaultContext, p: Pod): Promise<number | null> {
  return withProbe(p.redis, { password: ctx.deployment.password, connectTimeoutMs: 500 }, (r) => r.info('replication')).then(
    (t) => Number(parseInfo(t).master_repl_offset),
    () => null,
  );
}

export async function partialColdStart(ctx: FaultContext, spec: { master: 'lost' | 'late'; returnAfterMs: Duration }): Promise<InjectedFault> {
  const { deployment: d, topology, clock } = ctx;
  requireHeldDown(d, 'partial-cold-start');
  const master = topology.master;
  const survivors = topology.replicas;
  const volumes = spec.master === 'lost' ? volumesOf(d, 'partial-cold-start') : null;
  const keys = await writeDataset(ctx);
  // How far the replicas were behind when the power went: what a survivor-only restart may lose at most.
  const [mOff, ...rOffs] = await Promise.all([master, ...survivors].map((p) => offsetOf(ctx, p)));
  const lagBytes = mOff == null || rOffs.some((o) => o === null) ? null : mOff - Math.max(...(rOffs as number[]));
  ctx.mark(
    'inject',
    `SIGKILL every pod; ${master.name} (master) ${spec.master === 'lost' ? 'lost with its volume' : 'kept down'}, only ${survivors.map((p) => p.name).join(', ')} restart`,
  );
  await Promise.all(d.pods.map((p) => d.podControl.kill(p.name)));
  const landedNs = clock.nowNs();
  ctx.mark('landed', 'every pod is down');
  if (volumes) {
    await volumes.wipe(master.name);
    ctx.mark('volume-lost', `${master.name}'s data dir emptied`);
  }
  await Promise.all(survivors.map((p) => d.podControl.start(p.name)));
  ctx.mark('survivors-started', `${survivors.map((p) => p.name).join(', ')} answer`);
  let counted: number | null | undefined;
  const dataset: CheckResult = {
    name: 'dataset-on-survivors',
    get valid() {
      return counted !== undefined && datasetCheck('', keys.length, counted, '').valid;
    },
    get figures() {
      return { keys_expected: keys.length, keys_recovered: counted ?? null, replica_lag_bytes_at_kill: lagBytes };
    },
    get explanation() {
      return counted === undefined
        ? 'the dataset was not counted: the fault was healed before a failover'
        : datasetCheck('', keys.length, counted, `the survivors promoted (before ${master.name} returned)`).explanation;
    },
  };
  return {
    victim: master,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.returnAfterMs) * 1e6,
    healAfterFailover: true,
    checks: [dataset, lazySentinelCheck('partial-cold-start', { events: ctx.events, fromNs: landedNs, nowNs: () => clock.nowNs() })],
    figures: {},
    mustRejoin: master,
    heal: healOnce(ctx, `count the dataset, then start ${master.name}`, `${master.name} running`, async () => {
      // Counted on the survivors' master before the old one can add anything back.
      counted ??= await countOnMaster(ctx, keys);
      for (const p of survivors) if (!d.podControl.isRunning(p.name)) await d.podControl.start(p.name);
      if (!d.podControl.isRunning(master.name)) await d.podControl.start(master.name);
    }),
  };
}

export const partialColdStartFault = defineFault({
  /** SIGKILL every pod, start only the replicas; the master's pod returns (lost: with an empty volume; late: its own) after the failover and returnAfterMs. */
  kind: 'partial-cold-start',
  fields: {
    /** lost: its node and volume are gone (it returns empty); late: it returns with its old dataset. */
    master: z.enum(['lost', 'late']).default('lost'),
    /** From the kill: when the master's pod returns, at the earliest (never before the failover). */
    returnAfterMs: durationField(600_000).default('12x'),
  },
  inject: (ctx, spec) => partialColdStart(ctx, spec),
  plan: (spec) => ({
    victim: 'every pod (the master for good)',
    action: `delete every pod at once (grace 0); ${spec.master === 'lost' ? "the master's PVC deleted and its pod kept Pending" : "the master's pod kept Pending"} while the replicas restart`,
    heal: `let the master's pod schedule after ${String(spec.returnAfterMs)} (and the failover)`,
  }),
});
