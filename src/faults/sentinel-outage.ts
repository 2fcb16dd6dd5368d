// sentinel-outage: every sentinel down together with the master for a long time, then the sentinels back. Sentinel
// only promotes a replica whose link to the master has been down less than 10 × down-after plus the time since
// its own +sdown: after a longer outage no replica qualifies, and that gap never closes while the master is away.
import { setTimeout as sleep } from 'node:timers/promises';
import { durationField, type Duration } from '../model/duration.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';
import { requireHeldDown } from './abilities.ts';

export async function sentinelOutage(ctx: FaultContext, spec: { outageMs: Duration; masterDownMs: Duration }): Promise<InjectedFault> {
  const { deployment: d, topology, clock } = ctx;
  requireHeldDown(d, 'sentinel-outage');
  const master = topology.master;
  const survivors = topology.replicas;
  const outageMs = ctx.ms(spec.outageMs);
  ctx.mark('inject', `SIGKILL every sentinel and ${master.name} for ${outageMs} ms`);
  // Both resolve once the processes are gone: the proof of landing.
  await Promise.all([...survivors.map((p) => d.podControl.killContainer(p.name, 'sentinel')), d.podControl.kill(master.name)]);
  const landedNs = clock.nowNs();
  ctx.mark('landed', `no sentinel runs, ${master.name} gone`);
  const startSentinels = () => Promise.all(survivors.map((p) => d.podControl.startContainer(p.name, 'sentinel')));
  try {
    await sleep(outageMs);
  } catch (e) {
    await startSentinels().catch(() => undefined);
    throw e;
  }
  await startSentinels();
  const backNs = clock.nowNs();
  ctx.mark('sentinels-back', `${survivors.map((p) => `${p.name}/sentinel`).join(', ')} running after ${Math.round((backNs - landedNs) / 1e6)} ms`);
  const masterDownMs = ctx.ms(spec.masterDownMs);
  return {
    victim: master,
    landedNs,
    holdUntilNs: backNs + masterDownMs * 1e6,
    healAfterFailover: masterDownMs === 0,
    checks: [
      lazySentinelCheck('sentinel-outage', {
        events: ctx.events,
        fromNs: landedNs,
        nowNs: () => clock.nowNs(),
        markNs: () => backNs,
        extra: () => ({ sentinel_outage_ms: Math.round((backNs - landedNs) / 1e6), down_after_multiples: Math.round((outageMs / d.downAfterMs) * 10) / 10 }),
      }),
    ],
    figures: {},
    // Without a failover the master returns as master: it need not rejoin as a replica.
    ...(masterDownMs === 0 ? { mustRejoin: master } : {}),
    heal: healOnce(ctx, `start ${master.name} (and any sentinel still down)`, `${master.name} running`, async () => {
      await startSentinels();
      if (!d.podControl.isRunning(master.name)) await d.podControl.start(master.name);
    }),
  };
}

export const sentinelOutageFault = defineFault({
  /** Kill every sentinel and the master pod; restart the sentinels after outageMs, the master masterDownMs later (0: once failed over). */
  kind: 'sentinel-outage',
  fields: {
    outageMs: durationField(600_000).default('11x'),
    /** How long the master stays away after the sentinels are back; 0 = until the failover came (or timed out). */
    masterDownMs: durationField(600_000).default(0),
  },
  inject: (ctx, spec) => sentinelOutage(ctx, spec),
  plan: (spec) => ({
    victim: 'every sentinel and the master',
    action: `SIGKILL the sentinel containers and delete the master pod (grace 0); sentinels started again after ${String(spec.outageMs)}`,
    heal: `start the master pod ${spec.masterDownMs === 0 ? 'once the failover came' : `${String(spec.masterDownMs)} after the sentinels`}`,
  }),
});
