// kill-pod: SIGKILL every container of a pod (a node crash); healed by starting the pod again.
import type { FaultContext, InjectedFault } from './fault.ts';

export async function killPod(ctx: FaultContext, which: 'master' | 'replica'): Promise<InjectedFault> {
  const { topology, deployment, clock } = ctx;
  const victim = which === 'master' ? topology.master : topology.replicas[0]!;
  ctx.mark('inject', `kill-pod ${victim.name} (${which})`);
  // Resolves only once both processes have exited: the proof that the fault landed.
  await deployment.podControl.kill(victim.name);
  const landedNs = clock.nowNs();
  ctx.mark('landed', `${victim.name} processes gone`);
  let healed = false;
  return {
    victim,
    landedNs,
    async heal() {
      if (healed) return;
      healed = true;
      ctx.mark('heal', `start pod ${victim.name}`);
      if (!deployment.podControl.isRunning(victim.name)) await deployment.podControl.start(victim.name);
      ctx.mark('healed', `${victim.name} processes running`);
    },
  };
}
