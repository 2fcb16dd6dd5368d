// The local nodes ability: virtual nodes that can be cordoned, and evictions checked against the PodDisruptionBudget.
import type { DeploymentModel } from '../../config/manifests.ts';
import type { NodeControl, PodControl } from '../target.ts';
import { podByName, type LocalPod } from './pods.ts';

export function localNodes(model: DeploymentModel, pods: readonly LocalPod[], podControl: PodControl): NodeControl {
  const cordoned = new Set<string>();
  const minAvailable = model.pdb?.minAvailable ?? (model.pdb?.maxUnavailable != null ? model.replicas - model.pdb.maxUnavailable : 0);
  return {
    async cordon(node) {
      cordoned.add(node);
    },
    async uncordon(node) {
      cordoned.delete(node);
    },
    nodeOf: (name) => podByName(pods, name).node,
    async evict(name) {
      const p = podByName(pods, name);
      // The Eviction API's PDB check: healthy pods that would remain must still satisfy minAvailable.
      const ready = await Promise.all(pods.map((x) => (x === p ? Promise.resolve(false) : podControl.isReady(x.name))));
      const remaining = ready.filter(Boolean).length;
      if (remaining < minAvailable) {
        return {
          evicted: false,
          reason: `Cannot evict pod as it would violate the pod's disruption budget (${remaining} ready would remain, ${model.pdb?.name ?? 'pdb'} needs ${minAvailable})`,
        };
      }
      await podControl.stop(name, { preStop: true });
      // The StatefulSet controller recreates the pod, on a schedulable node, preferring one without a redis pod.
      const free = [...new Set(pods.map((x) => x.node))].filter((n) => !cordoned.has(n));
      const target = free.find((n) => !pods.some((x) => x !== p && x.node === n)) ?? free[0];
      if (target) {
        p.node = target;
        void podControl.start(name).catch(() => {});
      }
      return { evicted: true };
    },
  };
}
