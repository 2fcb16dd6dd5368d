// Scaling the local StatefulSet: pods with the next ordinals, started and removed as the controller would.
import { HarnessError } from '../../errors.ts';
import type { Pod, ScaleControl } from '../target.ts';

export function localScale<P extends Pod>(deps: {
  /** The deployment's pod list, changed in place. */
  pods: P[];
  newPod(ordinal: number): P;
  /** Before a new pod starts: its addresses free, its volume, the state file. */
  prepare(p: P): Promise<void>;
  start(name: string): Promise<void>;
  /** Terminate as the kubelet does (preStop, SIGTERM, SIGKILL). */
  stop(name: string): Promise<void>;
  /** After a removed pod stopped: delete its volume, drop it from the state file. */
  forget(p: P): Promise<void>;
}): ScaleControl {
  return {
    async scaleUp(replicas) {
      if (!Number.isInteger(replicas) || replicas < deps.pods.length || replicas > 250) {
        throw new HarnessError('USAGE', `cannot scale up from ${deps.pods.length} to ${replicas} pods`);
      }
      const added: P[] = [];
      for (let i = deps.pods.length; i < replicas; i++) {
        const p = deps.newPod(i);
        await deps.prepare(p);
        deps.pods.push(p);
        added.push(p);
      }
      // podManagementPolicy: Parallel starts them together.
      await Promise.all(added.map((p) => deps.start(p.name)));
      return added;
    },
    async scaleDown(replicas) {
      if (!Number.isInteger(replicas) || replicas < 1) throw new HarnessError('USAGE', `cannot scale down to ${replicas} pods`);
      while (deps.pods.length > replicas) {
        const p = deps.pods.at(-1)!;
        await deps.stop(p.name);
        deps.pods.pop();
        await deps.forget(p);
      }
    },
  };
}
