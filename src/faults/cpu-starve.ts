// cpu-starve: a pod's containers capped to a sliver of a CPU through their cgroup (a tight CPU limit, a noisy neighbour), then released.
import { z } from 'zod';
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';

export async function cpuStarve(ctx: FaultContext, spec: { target: 'master' | 'replica'; cpus: number; durationMs: Duration }): Promise<InjectedFault> {
  const cpu = ability(ctx.deployment, 'cpu', 'cpu-starve');
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `cap ${victim.name}'s containers at ${spec.cpus} CPU for ${ctx.ms(spec.durationMs)} ms`);
  // Resolves once every container's cgroup reads the quota back: the proof of landing.
  const throttle = await cpu.throttle(victim.name, spec.cpus);
  const landedNs = ctx.clock.nowNs();
  ctx.mark('landed', throttle.description);
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.durationMs) * 1e6,
    healAfterFailover: false,
    checks: [lazySentinelCheck('cpu-starve', { events: ctx.events, fromNs: landedNs, nowNs: () => ctx.clock.nowNs() })],
    figures: {},
    heal: healOnce(ctx, `lift the CPU cap of ${victim.name}`, `${victim.name}'s cgroups unlimited again`, () => throttle.restore()),
  };
}

export const cpuStarveFault = defineFault({
  /** Cap every container of the pod at `cpus` CPUs through its cgroup's CFS quota for durationMs, then lift the cap. */
  kind: 'cpu-starve',
  fields: {
    target: podRole.default('master'),
    /** CPUs the pod keeps (0.01 = 1 ms of CPU per 100 ms period, docker's smallest). */
    cpus: z.number().min(0.01).max(64).default(0.01),
    durationMs: durationField(600_000),
  },
  needs: ['cpu'],
  inject: (ctx, spec) => cpuStarve(ctx, spec),
  plan: (spec) => ({
    victim: spec.target,
    action: `cap the pod's containers at ${spec.cpus} CPU for ${String(spec.durationMs)} (Kubernetes: an in-place resize of resources.limits.cpu, or a CPU-bound neighbour on the node)`,
    heal: 'restore the limit (unlimited)',
  }),
});
