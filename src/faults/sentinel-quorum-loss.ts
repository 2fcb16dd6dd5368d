// sentinel-quorum-loss: with 2 of 3 sentinels gone the master dies and must NOT be failed over; restoring them lets the failover happen.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../model/check.ts';
import { addr } from '../targets/target.ts';
import { durationField, type Duration } from '../model/duration.ts';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';

const FAILOVER_EVENTS = new Set(['+odown', '+try-failover', '+elected-leader', '+promoted-slave', '+switch-master']);

export async function sentinelQuorumLoss(ctx: FaultContext, spec: { holdMs: Duration }): Promise<InjectedFault> {
  const { deployment: d, topology, clock } = ctx;
  const master = topology.master;
  const sentinelPods = topology.replicas;
  ctx.mark('inject', `kill the sentinels of ${sentinelPods.map((p) => p.name).join(' and ')}, then ${master.name}/redis`);
  await Promise.all(sentinelPods.map((p) => d.podControl.killContainer(p.name, 'sentinel')));
  await d.podControl.killContainer(master.name, 'redis');
  const killedNs = clock.nowNs();
  ctx.mark('landed', `quorum lost: 1 of ${d.pods.length} sentinels left, master ${master.name} down`);
  const holdMs = ctx.ms(spec.holdMs);
  await sleep(holdMs);

  // Nothing may have been promoted while the quorum was lost.
  const during = ctx.events().filter((e) => e.ns > killedNs);
  const failoverEvents = during.filter((e) => e.kind === 'sentinel' && FAILOVER_EVENTS.has(e.type));
  const promoted = during.filter((e) => e.kind === 'role' && e.type === 'master' && e.source !== addr(master.redis));
  const noPromotion: CheckResult = {
    name: 'no-failover-without-quorum',
    valid: failoverEvents.length === 0 && promoted.length === 0,
    figures: { quorum_loss_hold_ms: holdMs, promotions_without_quorum: promoted.length },
    explanation:
      failoverEvents.length === 0 && promoted.length === 0
        ? `no failover during ${holdMs} ms with 1 of ${d.pods.length} sentinels (quorum ${d.model.quorum})`
        : `failover activity without quorum: ${[...failoverEvents, ...promoted]
            .map((e) => `${e.source} ${e.type}`)
            .slice(0, 5)
            .join(', ')}`,
  };

  ctx.mark('restore', `start the sentinels of ${sentinelPods.map((p) => p.name).join(' and ')}`);
  await Promise.all(sentinelPods.map((p) => d.podControl.startContainer(p.name, 'sentinel')));
  const landedNs = clock.nowNs();
  ctx.mark('restored', 'quorum restored: the failover clock starts');
  let healed = false;
  return {
    victim: master,
    landedNs,
    healAfterFailover: true,
    checks: [noPromotion],
    figures: {},
    mustRejoin: master,
    async heal() {
      if (healed) return;
      healed = true;
      ctx.mark('heal', `start ${master.name}/redis`);
      // Also reached when the trial is interrupted during the hold: bring back whatever is still down.
      await Promise.all(sentinelPods.map((p) => d.podControl.startContainer(p.name, 'sentinel')));
      await d.podControl.startContainer(master.name, 'redis');
      ctx.mark('healed', `${master.name}/redis running`);
    },
  };
}

export const sentinelQuorumLossFault = defineFault({
  /** Kill the sentinels of the two replica pods, then the master's redis; after holdMs restore the sentinels. */
  kind: 'sentinel-quorum-loss',
  fields: {
    holdMs: durationField(600_000),
  },
  inject: (ctx, spec) => sentinelQuorumLoss(ctx, spec),
  plan: () => ({
    victim: 'master (redis) and both replicas (sentinel)',
    action: "SIGKILL the sentinel containers of both replica pods and the master's redis container from their nodes (the kubelet restarts them)",
    heal: 'wait for the containers to be running and ready',
  }),
});
