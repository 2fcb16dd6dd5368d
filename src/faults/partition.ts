// partition: cut a pod off from its peers (or only from the other sentinels) for a while, then heal.
import { hasNetwork } from '../targets/target.ts';
import { FaultSkipped, healOnce, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import type { Duration } from '../runner/scenario.ts';

export async function partitionPod(ctx: FaultContext, spec: { target: 'master' | 'replica'; cut: 'all' | 'sentinels'; durationMs: Duration }): Promise<InjectedFault> {
  const d = ctx.deployment;
  if (!hasNetwork(d)) throw new FaultSkipped(`the ${d.target} target cannot partition the network`);
  const reason = await d.network.unavailableReason();
  if (reason) throw new FaultSkipped(reason);
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `partition ${victim.name} (${spec.cut === 'all' ? 'all traffic' : 'sentinel traffic only'}) for ${ctx.ms(spec.durationMs)} ms`);
  const partition = await d.network.partition({ isolate: victim.name, cut: spec.cut });
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
