// packet-loss: a lossy link, nftables only (no netem here): a random share of the packets between a pod and its peers dropped for a while.
import { z } from 'zod';
import { abilityMissing } from '../errors.ts';
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';

export async function packetLoss(
  ctx: FaultContext,
  spec: { target: 'master' | 'replica'; percent: number; cut: 'all' | 'sentinels'; durationMs: Duration },
): Promise<InjectedFault> {
  const network = ability(ctx.deployment, 'network', 'packet-loss');
  const reason = await network.unavailableReason();
  if (reason) throw abilityMissing(reason);
  if (!network.lossy) throw abilityMissing(`the ${ctx.deployment.target} target cannot drop packets at random`);
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `drop ${spec.percent}% of ${victim.name}'s ${spec.cut === 'all' ? '' : 'sentinel '}packets for ${ctx.ms(spec.durationMs)} ms`);
  const loss = await network.lossy({ isolate: victim.name, cut: spec.cut, percent: spec.percent });
  const landedNs = ctx.clock.nowNs() - Math.max(0, performance.now() - loss.inEffectAt) * 1e6;
  ctx.mark('landed', loss.description);
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.durationMs) * 1e6,
    healAfterFailover: false,
    checks: [lazySentinelCheck('packet-loss', { events: ctx.events, fromNs: landedNs, nowNs: () => ctx.clock.nowNs() })],
    figures: {},
    heal: healOnce(ctx, `remove the packet loss of ${victim.name}`, 'rules removed', () => loss.heal()),
  };
}

export const packetLossFault = defineFault({
  /** Drop `percent` % of the packets between the pod and the other pods (and majority clients), at random, for durationMs. */
  kind: 'packet-loss',
  fields: {
    target: podRole.default('master'),
    percent: z.number().int().min(1).max(99).default(30),
    /** all: redis and sentinel traffic both ways; sentinels: only the other sentinels' traffic to the pod. */
    cut: z.enum(['all', 'sentinels']).default('all'),
    durationMs: durationField(600_000),
  },
  needs: ['network'],
  inject: (ctx, spec) => packetLoss(ctx, spec),
  plan: (spec) => ({
    victim: spec.target,
    action: `nftables \`numgen random mod 100 < ${spec.percent} drop\` on the pod's traffic to and from its peers for ${String(spec.durationMs)} (Kubernetes: the same rule in the pod's network namespace)`,
    heal: 'delete the table',
  }),
});
