// clock-skew: shift one container's realtime clock (a misbehaving NTP, a VM resumed with a stale clock) for a while, then back.
import { z } from 'zod';
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';

export async function skewClock(
  ctx: FaultContext,
  spec: { target: 'master' | 'replica'; container: 'redis' | 'sentinel'; offsetMs: number; durationMs: Duration },
): Promise<InjectedFault> {
  const clock = ability(ctx.deployment, 'clock', 'clock-skew');
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `shift ${victim.name}/${spec.container}'s realtime clock by ${spec.offsetMs} ms for ${ctx.ms(spec.durationMs)} ms`);
  const held = await clock.skew(victim.name, spec.container, spec.offsetMs);
  const landedNs = ctx.clock.nowNs();
  ctx.mark('landed', held.description);
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.durationMs) * 1e6,
    healAfterFailover: false,
    checks: [],
    figures: { clock_offset_ms: spec.offsetMs },
    heal: healOnce(ctx, `put ${victim.name}/${spec.container}'s clock back`, `${victim.name}/${spec.container} on the real time`, () => held.heal()),
  };
}

export const clockSkewFault = defineFault({
  /** Shift the realtime clock of one container of the master's (or a replica's) pod by offsetMs for durationMs (Chaos Mesh TimeChaos). */
  kind: 'clock-skew',
  fields: {
    target: podRole.default('master'),
    container: z.enum(['redis', 'sentinel']).default('sentinel'),
    /** Milliseconds added to CLOCK_REALTIME (negative: back); a jump over 2 s puts a sentinel in TILT. */
    offsetMs: z
      .number()
      .int()
      .refine((v) => v !== 0 && Math.abs(v) <= 3_600_000, 'a non-zero offset of at most one hour either way'),
    durationMs: durationField(600_000),
  },
  needs: ['clock'],
  inject: (ctx, spec) => skewClock(ctx, spec),
  plan: (spec) => ({
    victim: `${spec.target}'s ${spec.container}`,
    action: `TimeChaos: CLOCK_REALTIME of the ${spec.container} container shifted by ${spec.offsetMs} ms for ${String(spec.durationMs)}`,
    heal: 'delete the TimeChaos (Chaos Mesh puts the clock back)',
  }),
});
