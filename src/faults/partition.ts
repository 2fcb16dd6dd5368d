// partition: cut a pod off from its peers (or only from the other sentinels) for a while, then heal.
import { z } from 'zod';
import { abilityMissing } from '../errors.ts';
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';

export async function partitionPod(
  ctx: FaultContext,
  spec: { target: 'master' | 'replica'; cut: 'all' | 'sentinels'; durationMs: Duration },
): Promise<InjectedFault> {
  const network = ability(ctx.deployment, 'network', 'partition');
  const reason = await network.unavailableReason();
  if (reason) throw abilityMissing(reason);
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `partition ${victim.name} (${spec.cut === 'all' ? 'all traffic' : 'sentinel traffic only'}) for ${ctx.ms(spec.durationMs)} ms`);
  const partition = await network.partition({ isolate: victim.name, cut: spec.cut });
  // The partition has been proven; its clock starts when the rules took effect, a moment earlier.
  const landedNs = ctx.clock.nowNs() - Math.max(0, performance.now() - partition.inEffectAt) * 1e6;
  ctx.mark('landed', partition.description);
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.durationMs) * 1e6,
    healAfterFailover: false,
    checks: [],
    figures: {},
    mustRejoin: victim,
    heal: healOnce(ctx, `remove the partition of ${victim.name}`, 'partition removed', () => partition.heal()),
  };
}

export const partitionFault = defineFault({
  /** Cut the pod off with nftables for durationMs, then heal. */
  kind: 'partition',
  fields: {
    target: podRole.default('master'),
    /** all: redis and sentinel traffic both ways; sentinels: only the other sentinels' traffic to the pod. */
    cut: z.enum(['all', 'sentinels']).default('all'),
    durationMs: durationField(600_000),
    /** Keep a client writing straight to the isolated pod, as an application on its side would. */
    isolatedClient: z.boolean().default(true),
  },
  needs: ['network'],
  inject: (ctx, spec) => partitionPod(ctx, spec),
  isolatedClient: (spec) => spec.isolatedClient,
  plan: (spec) =>
    spec.cut === 'sentinels'
      ? { victim: spec.target, action: 'skipped on Kubernetes: a sentinels-only cut cannot be expressed (both containers share the pod IP)', heal: 'none' }
      : {
          victim: spec.target,
          action: `iptables DROP to and from the other pods' IPs inside the pod's network namespace (nsenter on its kind node) for ${String(spec.durationMs)}`,
          heal: 'delete the same rules',
        },
  soak: {
    weight: 2,
    victims: ['master', 'replica'],
    spec: (v, holdMs) => ({
      kind: 'partition' as const,
      target: v === 'master' ? ('master' as const) : ('replica' as const),
      cut: 'all' as const,
      durationMs: holdMs,
      isolatedClient: false,
    }),
  },
});
