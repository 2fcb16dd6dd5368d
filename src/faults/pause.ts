// pause: SIGSTOP a pod's redis (a GC pause, a frozen VM) for a while, then SIGCONT.
import { hasPause } from '../targets/target.ts';
import { FaultSkipped, healOnce, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import type { Duration } from '../runner/scenario.ts';

export async function pauseRedis(ctx: FaultContext, spec: { target: 'master' | 'replica'; durationMs: Duration }): Promise<InjectedFault> {
  const d = ctx.deployment;
  if (!hasPause(d)) throw new FaultSkipped(`the ${d.target} target cannot pause processes`);
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `SIGSTOP ${victim.name}/redis for ${ctx.ms(spec.durationMs)} ms`);
  await d.pause.pause(victim.name, 'redis');
  const landedNs = ctx.clock.nowNs();
  ctx.mark('landed', `${victim.name}/redis stopped`);
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.durationMs) * 1e6,
    healAfterFailover: false,
    checks: [],
    figures: {},
    mustRejoin: victim,
    heal: healOnce(ctx, `SIGCONT ${victim.name}/redis`, `${victim.name}/redis running`, () => d.pause.resume(victim.name, 'redis')),
  };
}
