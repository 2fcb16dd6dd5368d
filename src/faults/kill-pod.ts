// kill-pod: SIGKILL every container of a pod (a node crash); healed by starting the pod again.
import { durationField, type Duration } from '../model/duration.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';

export async function killPod(ctx: FaultContext, spec: { target: 'master' | 'replica'; holdMs: Duration }, restart: boolean): Promise<InjectedFault> {
  const { deployment, clock } = ctx;
  const victim = victimOf(ctx.topology, spec.target);
  ctx.mark('inject', `kill-pod ${victim.name} (${spec.target})`);
  // Resolves only once both processes have exited: the proof that the fault landed.
  await deployment.podControl.kill(victim.name);
  const landedNs = clock.nowNs();
  ctx.mark('landed', `${victim.name} processes gone`);
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs + ctx.ms(spec.holdMs) * 1e6,
    healAfterFailover: true,
    checks: [],
    figures: {},
    ...(restart ? { mustRejoin: victim } : {}),
    heal: healOnce(ctx, `start pod ${victim.name}`, `${victim.name} processes running`, async () => {
      if (!deployment.podControl.isRunning(victim.name)) await deployment.podControl.start(victim.name);
    }),
  };
}

export const killPodFault = defineFault({
  /** SIGKILL both containers of a pod (a node crash); healed by restarting the pod. */
  kind: 'kill-pod',
  fields: {
    target: podRole.default('master'),
    /** How long the pod stays dead before it is restarted (beyond waiting for the failover). */
    holdMs: durationField(600_000).default(0),
  },
  inject: (ctx, spec, opts) => killPod(ctx, spec, opts.restart),
  plan: (spec) => ({
    victim: spec.target,
    action: 'delete pod, grace period 0 (the StatefulSet recreates it at once)',
    heal: 'wait for the recreated pod to be Ready',
  }),
  soak: {
    weight: 3,
    victims: ['master', 'replica'],
    spec: (v, holdMs) => ({ kind: 'kill-pod' as const, target: v === 'master' ? ('master' as const) : ('replica' as const), holdMs }),
  },
});
