// Scaling the local StatefulSet: pods with the next ordinals, started and removed as the controller would.
import { mkdir, rm } from 'node:fs/promises';
import { HarnessError } from '../../errors.ts';
import type { Pod, PodControl, ScaleControl } from '../target.ts';
import type { LocalPod } from './pods.ts';
import { assertPodPortsFree } from './startup.ts';
import { writeState, type LocalState } from './state.ts';

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

/** {@link localScale} over the local pods: new pods get their addresses, volume and (secure profile) certificate, and enter and leave the state file. */
export function localPodScale(opts: {
  pods: LocalPod[];
  newPod(ordinal: number): LocalPod;
  state: LocalState;
  podControl: PodControl;
  /** What else a new pod needs before its containers start (the secure profile: its certificate). */
  preparePod?: (p: LocalPod) => Promise<void>;
}): ScaleControl {
  const { state } = opts;
  return localScale({
    pods: opts.pods,
    newPod: opts.newPod,
    async prepare(p) {
      await assertPodPortsFree(p);
      await mkdir(p.dataDir, { recursive: true, mode: 0o700 });
      await opts.preparePod?.(p);
      state.pods.push({ name: p.name, address: p.redis.host });
      await writeState(state);
    },
    start: (name) => opts.podControl.start(name),
    stop: (name) => opts.podControl.stop(name, { preStop: true }).then(() => {}),
    async forget(p) {
      await rm(p.dataDir, { recursive: true, force: true });
      state.pods = state.pods.filter((x) => x.name !== p.name);
      await writeState(state);
    },
  });
}
