// dns-record-gone: the master's pod is killed and stays Pending, its DNS record gone (NXDOMAIN) until it is scheduled again.
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { lazyDnsCheck } from './dns-figures.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';

export async function dnsRecordGone(ctx: FaultContext, spec: { holdMs: Duration }): Promise<InjectedFault> {
  const { deployment: d, clock } = ctx;
  const dns = ability(d, 'dns', 'dns-record-gone');
  const master = ctx.topology.master;
  const name = master.redis.host;
  ctx.mark('inject', `kill ${master.name} and keep it Pending for ${ctx.ms(spec.holdMs)} ms without a DNS record`);
  await d.podControl.kill(master.name);
  // The target may already have dropped the record with the pod (docker does); removeRecord proves NXDOMAIN either way.
  const record = await dns.removeRecord(name);
  const landedNs = clock.nowNs();
  ctx.mark('landed', `${master.name} processes gone, ${name} NXDOMAIN`);
  let healNs: number | null = null;
  return {
    victim: master,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.holdMs) * 1e6,
    healAfterFailover: false,
    checks: [lazyDnsCheck('dns-record-gone', { events: ctx.events, landedNs, healNs: () => healNs, nowNs: () => clock.nowNs() })],
    figures: {},
    mustRejoin: master,
    heal: healOnce(ctx, `schedule ${master.name} again (its record comes back)`, `${master.name} running, ${name} resolves`, async () => {
      healNs = clock.nowNs();
      if (!d.podControl.isRunning(master.name)) await d.podControl.start(master.name);
      await record.restore();
    }),
  };
}

export const dnsRecordGoneFault = defineFault({
  /** Kill the master pod and keep it Pending for holdMs with its DNS name NXDOMAIN; healed by starting it (the record returns). */
  kind: 'dns-record-gone',
  fields: {
    /** How long the pod stays Pending without a record. */
    holdMs: durationField(600_000),
  },
  needs: ['dns'],
  inject: (ctx, spec) => dnsRecordGone(ctx, spec),
  plan: (spec) => ({
    victim: 'master',
    action: `delete the master pod and keep it Pending for ${String(spec.holdMs)} (e.g. an unschedulable node selector): its headless-Service record is gone`,
    heal: 'let it schedule; wait for it to be Ready',
  }),
});
