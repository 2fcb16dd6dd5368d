// The local pods' lifecycle ability (PodControl): what the StatefulSet controller asks of the kubelet.
import type { PodControl } from '../target.ts';
import type { Kubelet } from './kubelet.ts';
import { isPodRunning, podByName, type LocalPod } from './pods.ts';

export function localPodControl(pods: readonly LocalPod[], kubelet: Kubelet): PodControl {
  const byName = (name: string) => podByName(pods, name);
  return {
    kill: (name) => kubelet.kill(byName(name)),
    async start(name) {
      const p = byName(name);
      // The kubelet starts a pod's containers together; the sentinel's script asks its peers for the master.
      await kubelet.startSidecars(p);
      await Promise.all([kubelet.start(p, 'redis'), kubelet.start(p, 'sentinel')]);
    },
    isRunning: (name) => isPodRunning(byName(name)),
    killContainer: (name, container) => kubelet.kill(byName(name), container),
    async startContainer(name, container) {
      const p = byName(name);
      if (!p.containers[container]) await kubelet.start(p, container);
    },
    stop: (name, { preStop }) => kubelet.terminate(byName(name), { preStop }),
    isReady: (name) => kubelet.isReady(byName(name)),
    setRedisImage: (binary) => kubelet.setRedisImage(binary),
    runPreStop: (name) => kubelet.runPreStop(byName(name)),
    runProbe: (name, probe) => kubelet.probe(byName(name), probe),
    lastTermination: (name, container) => byName(name).terminations?.[container] ?? null,
  };
}
