// kill-sentinel: SIGKILL one pod's sentinel (its redis keeps running); healed by starting the sentinel again.
import { durationField } from '../model/duration.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf } from './fault.ts';

export const killSentinelFault = defineFault({
  /** SIGKILL the sentinel container of a pod (the master's or the first replica's); its redis keeps running; restarted after holdMs. */
  kind: 'kill-sentinel',
  fields: {
    target: podRole.default('replica'),
    /** How long the sentinel stays dead before it is started again. */
    holdMs: durationField(600_000).default(0),
  },
  inject: async (ctx, spec) => {
    const { deployment: d } = ctx;
    const victim = victimOf(ctx.topology, spec.target);
    ctx.mark('inject', `kill ${victim.name}/sentinel (${spec.target}'s pod)`);
    // Resolves once the process has exited: the proof that the fault landed.
    await d.podControl.killContainer(victim.name, 'sentinel');
    const landedNs = ctx.clock.nowNs();
    ctx.mark('landed', `${victim.name}/sentinel gone`);
    return {
      victim,
      landedNs,
      holdUntilNs: landedNs + ctx.ms(spec.holdMs) * 1e6,
      healAfterFailover: false,
      checks: [],
      figures: {},
      heal: healOnce(ctx, `start ${victim.name}/sentinel`, `${victim.name}/sentinel running`, () => d.podControl.startContainer(victim.name, 'sentinel')),
    };
  },
  plan: (spec) => ({
    victim: `${spec.target} (sentinel container)`,
    action: "SIGKILL the pod's sentinel container from its node (the kubelet restarts it)",
    heal: 'wait for the sentinel container to be running',
  }),
  soak: { weight: 2, victims: ['sentinel'], spec: (_v, holdMs) => ({ kind: 'kill-sentinel' as const, target: 'replica' as const, holdMs }) },
});
