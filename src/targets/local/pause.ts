// The local pause ability: freeze and thaw a container through its runtime (SIGSTOP of its process group for host processes).
import { HarnessError } from '../../errors.ts';
import type { ProcessPause } from '../target.ts';
import { podByName, type LocalPod } from './pods.ts';

export function localPause(pods: readonly LocalPod[]): ProcessPause {
  return {
    async pause(name, container) {
      const c = podByName(pods, name).containers[container];
      if (!c) throw new HarnessError('PROCESS_FAILED', `${name}/${container} is not running, so it cannot be paused`);
      // The runtime resolves once it has proof that the freeze landed (state T).
      await c.running.freeze();
    },
    async resume(name, container) {
      await podByName(pods, name).containers[container]?.running.thaw();
    },
  };
}
