// full-restart: every pod SIGKILLed at once (a power cut, a node pool recreated), then started again,
// together or one by one in another order faster than down-after.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { durationField, msField, type Duration } from '../model/duration.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { countOnMaster, datasetCheck, msSince, waitSettled, waitWritable, writeDataset } from './day2.ts';
import { inspectTopology } from '../targets/convergence.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';

export async function fullRestart(
  ctx: FaultContext,
  spec: { order: 'together' | 'reverse'; gapMs: Duration; settleTimeoutMs: number },
): Promise<InjectedFault> {
  const { deployment: d, clock, topology } = ctx;
  const keys = await writeDataset(ctx);
  const pods = d.pods.map((p) => p.name);
  // Writes Redis acknowledged while it held back the AOF write() behind a stalled fsync: what a SIGKILL can lose.
  const delayed = await withProbe(topology.master.redis, { password: d.password }, (r) => r.info('persistence')).then(
    (t) => Number(parseInfo(t).aof_delayed_fsync),
    () => NaN,
  );
  ctx.mark('inject', `SIGKILL every pod (${pods.join(', ')}); master was ${topology.master.name}`);
  await Promise.all(pods.map((p) => d.podControl.kill(p)));
  const landedNs = clock.nowNs();
  ctx.mark('landed', 'every pod is down');
  const startNs = clock.nowNs();
  if (spec.order === 'together') {
    await Promise.all(pods.map((p) => d.podControl.start(p)));
  } else {
    // Highest ordinal first, each a gap after the previous one was started (not waited for).
    const gap = ctx.ms(spec.gapMs);
    const started: Promise<void>[] = [];
    for (const p of [...pods].reverse()) {
      ctx.mark('start', p);
      started.push(d.podControl.start(p));
      await sleep(gap);
    }
    await Promise.all(started);
  }
  const answeringNs = clock.nowNs();
  ctx.mark('restarted', `every pod answers (${spec.order})`);
  const writableNs = await waitWritable(ctx, startNs, spec.settleTimeoutMs);
  const settled = await waitSettled(ctx, spec.settleTimeoutMs);
  const recovered = await countOnMaster(ctx, keys);
  const after = await inspectTopology({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { strict: false });
  const afterOrdinal = after.ok ? after.topology.master.ordinal : null;
  if (afterOrdinal !== null && afterOrdinal !== topology.master.ordinal) {
    // No sentinel answers while every pod starts, so each falls back to INITIAL_MASTER_HOST: a replica's
    // AOF, which may lack the last writes the old master acknowledged before the crash.
    ctx.mark('master-moved', `master was ${topology.master.name}, is ${after.ok ? after.topology.master.name : '?'} after the restart`);
  }
  return {
    victim: topology.master,
    landedNs,
    healAfterFailover: false,
    checks: [datasetCheck('dataset-survives-restart', keys.length, recovered, `after the full restart${settled ? '' : ' (not yet settled)'}`)],
    figures: {
      time_to_writable_ms: msSince(writableNs, startNs),
      restart_to_all_answering_ms: msSince(answeringNs, startNs),
      downtime_ms: msSince(writableNs, landedNs),
      master_ordinal_before: topology.master.ordinal,
      aof_delayed_fsync: Number.isFinite(delayed) ? delayed : null,
      master_ordinal_after: afterOrdinal,
    },
    heal: healOnce(ctx, 'start any pod still down', 'every pod running', async () => {
      for (const p of pods) if (!d.podControl.isRunning(p)) await d.podControl.start(p);
    }),
  };
}

export const fullRestartFault = defineFault({
  /** SIGKILL every pod at once, then start them: together, or highest ordinal first with gapMs between. */
  kind: 'full-restart',
  fields: {
    order: z.enum(['together', 'reverse']).default('together'),
    gapMs: durationField(600_000).default(0),
    settleTimeoutMs: msField(600_000).default(60_000),
  },
  inject: (ctx, spec) => fullRestart(ctx, spec),
  plan: () => ({
    victim: 'every pod',
    action:
      'delete every pod at once with grace period 0 (as a node-wide crash); the StatefulSet recreates them (the reordered variant cannot choose the order on Kubernetes)',
    heal: 'wait for every pod to be Ready',
  }),
});
