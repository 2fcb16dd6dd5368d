// pause: SIGSTOP a pod's redis (a GC pause, a frozen VM) for a while, then SIGCONT.
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';

export async function pauseRedis(ctx: FaultContext, spec: { target: 'master' | 'replica'; durationMs: Duration }): Promise<InjectedFault> {
  const pause = ability(ctx.deployment, 'pause', 'pause');
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `SIGSTOP ${victim.name}/redis for ${ctx.ms(spec.durationMs)} ms`);
  await pause.pause(victim.name, 'redis');
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
    heal: healOnce(ctx, `SIGCONT ${victim.name}/redis`, `${victim.name}/redis running`, () => pause.resume(victim.name, 'redis')),
  };
}

/** The --dry-run wording for SIGSTOP of a pod's redis, shared with replica-pause. */
export const planPause = (victim: string, duration: Duration) => ({
  victim,
  action: `SIGSTOP the redis container's process from its node (docker exec <node> kill -STOP <pid>) for ${String(duration)}`,
  heal: 'SIGCONT',
});

export const pauseFault = defineFault({
  /** SIGSTOP the pod's redis (a GC pause, a frozen VM) for durationMs, then SIGCONT. */
  kind: 'pause',
  fields: {
    target: podRole.default('master'),
    durationMs: durationField(600_000),
  },
  needs: ['pause'],
  inject: (ctx, spec) => pauseRedis(ctx, spec),
  plan: (spec) => planPause(spec.target, spec.durationMs),
  soak: {
    weight: 2,
    victims: ['master', 'replica'],
    spec: (v, holdMs) => ({ kind: 'pause' as const, target: v === 'master' ? ('master' as const) : ('replica' as const), durationMs: holdMs }),
  },
});
