// manual-failover: SENTINEL FAILOVER, as the seed's "Test Failover" section does; a second call must answer INPROG.
import { withProbe } from '../redis/clients.ts';
import { z } from 'zod';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';

export async function manualFailover(ctx: FaultContext, spec: { coordinated: boolean }): Promise<InjectedFault> {
  const { deployment: d, topology, clock } = ctx;
  if (spec.coordinated) {
    // The manifest's hand-over (the redis preStop hook): pause writes, let a replica catch up, fail over, step down.
    ctx.mark('inject', `coordinated failover: run ${topology.master.name}'s redis preStop hook`);
    const landedNs = clock.nowNs();
    const ran = await d.podControl.runPreStop(topology.master.name);
    ctx.mark('landed', ran ? 'hand-over hook finished' : 'the redis container has no preStop hook');
    return {
      victim: topology.master,
      landedNs,
      healAfterFailover: true,
      failoverRequested: true,
      checks: [],
      figures: {},
      mustRejoin: topology.master,
      async heal() {},
    };
  }
  const sentinel = d.pods[0]!.sentinel;
  const name = d.model.masterName;
  ctx.mark('inject', `SENTINEL FAILOVER ${name} on ${d.pods[0]!.name}/sentinel`);
  const reply = await withProbe(sentinel, {}, (s) => s.call('SENTINEL', 'failover', name));
  const landedNs = clock.nowNs();
  ctx.mark('landed', `SENTINEL FAILOVER answered ${String(reply)}`);
  const second = await withProbe(sentinel, {}, (s) => s.call('SENTINEL', 'failover', name)).then(
    (r) => String(r),
    (e: Error) => e.message,
  );
  const inprog = /INPROG/.test(second);
  return {
    victim: topology.master,
    landedNs,
    healAfterFailover: true,
    failoverRequested: true,
    checks: [
      {
        name: 'manual-failover-inprog',
        valid: inprog,
        figures: {},
        explanation: inprog
          ? `a second SENTINEL FAILOVER while the first runs answers "${second}"`
          : `a second SENTINEL FAILOVER while the first runs answered "${second}", expected INPROG`,
      },
    ],
    figures: {},
    mustRejoin: topology.master,
    async heal() {},
  };
}

export const manualFailoverFault = defineFault({
  /** SENTINEL FAILOVER (the seed's "Test Failover"); a second call while it runs must answer INPROG. */
  kind: 'manual-failover',
  fields: {
    /**
     * Hand over as the manifest's redis preStop hook does (pause writes, let a replica catch up, fail
     * over, step down at once) instead of the bare SENTINEL FAILOVER the seed documents.
     */
    coordinated: z.boolean().default(false),
  },
  inject: (ctx, spec) => manualFailover(ctx, spec),
  plan: (spec) =>
    spec.coordinated
      ? { victim: 'master', action: "exec the redis container's preStop hook in the master pod", heal: 'none' }
      : { victim: 'master', action: 'SENTINEL FAILOVER through the port-forward', heal: 'none' },
  soak: { weight: 1, victims: ['master'], spec: () => ({ kind: 'manual-failover' as const, coordinated: false }) },
});
