// stress: CPU and / or memory pressure inside one container (a noisy neighbour, a runaway process in the pod) for a while.
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { durationField, type Duration } from '../model/duration.ts';
import type { StressSpec } from '../targets/target.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';

const describeStress = (s: StressSpec) =>
  [
    s.cpuWorkers ? `${s.cpuWorkers} CPU worker(s)${s.cpuLoad !== undefined ? ` at ${s.cpuLoad}%` : ''}` : null,
    s.memoryWorkers ? `${s.memoryWorkers} memory worker(s)${s.memorySize ? ` of ${s.memorySize}` : ''}` : null,
  ]
    .filter(Boolean)
    .join(' and ');

export async function stressContainer(
  ctx: FaultContext,
  spec: StressSpec & { target: 'master' | 'replica'; container: 'redis' | 'sentinel'; durationMs: Duration },
): Promise<InjectedFault> {
  const stress = ability(ctx.deployment, 'stress', 'stress');
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `${describeStress(spec)} in ${victim.name}/${spec.container} for ${ctx.ms(spec.durationMs)} ms`);
  const { target: _t, container, durationMs: _d, ...load } = spec;
  if (!load.cpuWorkers && !load.memoryWorkers) throw new HarnessError('USAGE', 'a stress fault needs cpuWorkers or memoryWorkers above 0');
  const held = await stress.stress(victim.name, container, { ...load, maxMs: ctx.ms(spec.durationMs) });
  const landedNs = ctx.clock.nowNs();
  ctx.mark('landed', held.description);
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.durationMs) * 1e6,
    healAfterFailover: false,
    // A busy or memory-squeezed master is not a dead one: any +sdown, TILT or failover it caused shows here.
    checks: [lazySentinelCheck('stress', { events: ctx.events, fromNs: landedNs, nowNs: () => ctx.clock.nowNs(), extra: () => held.figures?.() ?? {} })],
    figures: {},
    heal: healOnce(
      ctx,
      `stop the stress workers in ${victim.name}/${container}`,
      () => held.healedDescription?.() || `${victim.name}/${container} without stress workers`,
      () => held.heal(),
    ),
  };
}

export const stressFault = defineFault({
  /** CPU and / or memory stress workers inside one container of the master's (or a replica's) pod for durationMs (Chaos Mesh StressChaos). */
  kind: 'stress',
  fields: {
    target: podRole.default('master'),
    container: z.enum(['redis', 'sentinel']).default('redis'),
    /** 0 for memory workers alone; a stress needs CPU or memory workers. */
    cpuWorkers: z.number().int().min(0).max(64).default(1),
    /** Percent of one CPU each CPU worker takes (0–100). */
    cpuLoad: z.number().int().min(0).max(100).optional(),
    memoryWorkers: z.number().int().min(1).max(64).optional(),
    /** Per memory worker: 256MB, 1GB, or a percent of the container's memory (50%). */
    memorySize: z
      .string()
      .regex(/^[0-9]+(%|[KMGT]i?B?)?$/, 'bytes with a unit (256MB, 1GiB) or a percent (50%)')
      .optional(),
    durationMs: durationField(600_000),
  },
  needs: ['stress'],
  inject: (ctx, spec) => stressContainer(ctx, spec),
  plan: (spec) => ({
    victim: `${spec.target}'s ${spec.container}`,
    action: `StressChaos: ${describeStress(spec)} in the ${spec.container} container for ${String(spec.durationMs)}`,
    heal: 'delete the StressChaos (its workers stop)',
  }),
});
