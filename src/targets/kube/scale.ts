// Scaling on kind / kube: the StatefulSet's scale subresource; new pods are waited for (Ready) and
// port-forwarded, removed pods are waited for until gone, their forwards closed and their claims deleted.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentModel, ManifestObject } from '../../config/manifests.ts';
import { HarnessError } from '../../errors.ts';
import type { Pod, ScaleControl } from '../target.ts';
import type { KubeApi } from './api.ts';

export interface KubeScaleDeps {
  api: KubeApi;
  model: DeploymentModel;
  /** The deployment's pods (changed in place through add / remove). */
  pods: readonly Pod[];
  add(ordinal: number, name: string): Promise<Pod>;
  remove(name: string): Promise<void>;
  /** Before the StatefulSet creates these pods (the secure profile: their certificates into the TLS Secret). */
  preparePods?(names: readonly string[]): Promise<void>;
  pollMs: number;
  readyTimeoutMs: number;
}

/** The claims the StatefulSet's volumeClaimTemplates made for one pod (<template>-<pod>). */
export function claimsOfPod(model: DeploymentModel, pod: string): ManifestObject[] {
  const sts = model.objects.find((o) => o.kind === 'StatefulSet');
  const templates = (sts?.spec as { volumeClaimTemplates?: Array<{ metadata?: { name?: string } }> } | undefined)?.volumeClaimTemplates ?? [];
  return templates
    .map((t) => t.metadata?.name)
    .filter((n): n is string => !!n)
    .map((t) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: `${t}-${pod}`, namespace: model.namespace }, __file: sts!.__file }));
}

export function kubeScale(d: KubeScaleDeps): ScaleControl {
  const { api, model } = d;
  const ns = model.namespace;
  const until = async (what: string, cond: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (!(await cond())) {
      if (performance.now() > deadline)
        throw new HarnessError('TIMEOUT', `${what} within ${timeoutMs} ms: kubectl -n ${ns} describe statefulset ${model.statefulSet}`);
      await sleep(d.pollMs);
    }
  };
  return {
    async scaleUp(replicas) {
      const from = d.pods.length;
      if (!Number.isInteger(replicas) || replicas < from || replicas > 250) throw new HarnessError('USAGE', `cannot scale up from ${from} to ${replicas} pods`);
      const names = Array.from({ length: replicas - from }, (_, k) => `${model.statefulSet}-${from + k}`);
      await d.preparePods?.(names);
      await api.scaleStatefulSet(ns, model.statefulSet, replicas);
      // The StatefulSet controller creates them (in order, or together with podManagementPolicy Parallel); Ready = readiness probe passed.
      for (const name of names)
        await until(
          `pod ${name} was not created and Ready`,
          async () => {
            const p = await api.getPod(ns, name);
            return p !== null && p.ready && !p.deleting;
          },
          d.readyTimeoutMs,
        );
      const added: Pod[] = [];
      for (const [k, name] of names.entries()) added.push(await d.add(from + k, name));
      return added;
    },
    async scaleDown(replicas) {
      if (!Number.isInteger(replicas) || replicas < 1) throw new HarnessError('USAGE', `cannot scale down to ${replicas} pods`);
      // One pod at a time, highest ordinal first, each gone (terminated as the kubelet does: preStop, SIGTERM, SIGKILL) before the next.
      while (d.pods.length > replicas) {
        const p = d.pods.at(-1)!;
        await api.scaleStatefulSet(ns, model.statefulSet, d.pods.length - 1);
        await until(`pod ${p.name} was not gone`, async () => (await api.getPod(ns, p.name)) === null, (model.terminationGracePeriodSeconds + 30) * 1000);
        await d.remove(p.name);
        // Its volume goes too, as on the local target (the controller keeps claims unless the retention policy says Delete).
        for (const c of claimsOfPod(model, p.name)) await api.deleteObject(c).catch(() => {});
      }
    },
  };
}
