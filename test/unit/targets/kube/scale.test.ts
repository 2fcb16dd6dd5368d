// Scaling on kind / kube against the recording fake: the StatefulSet's scale subresource, new pods waited
// for until Ready and forwarded, removed ones one at a time (highest ordinal first) until gone, their claims deleted.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { claimsOfPod, kubeScale } from '../../../../src/targets/kube/scale.ts';
import type { Pod } from '../../../../src/targets/target.ts';
import { FakeKube } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));

function setup(readyAfterGets = 0) {
  const api = new FakeKube({ pods: model.podNames, readyAfterGets });
  const log: string[] = [];
  const pods: Pod[] = model.podNames.map((name, i) => ({
    name,
    ordinal: i,
    node: 'w',
    redis: { host: name, port: 6379 },
    sentinel: { host: name, port: 26379 },
  }));
  const scale = kubeScale({
    api,
    model,
    pods,
    add: async (i, name) => {
      log.push(`forward ${name} as ordinal ${i}`);
      const p = { name, ordinal: i, node: 'w', redis: { host: name, port: 6379 }, sentinel: { host: name, port: 26379 } };
      pods.push(p);
      return p;
    },
    remove: async (name) => {
      log.push(`unforward ${name}`);
      pods.splice(
        pods.findIndex((p) => p.name === name),
        1,
      );
    },
    pollMs: 1,
    readyTimeoutMs: 200,
  });
  return { api, log, pods, scale };
}

describe('scale on kind / kube', () => {
  it('scale-up: one scale patch, each new pod waited for until Ready, then forwarded and returned', async () => {
    const { api, log, pods, scale } = setup(3);
    const added = await scale.scaleUp(5);
    expect(added.map((p) => p.name)).toEqual(['redis-3', 'redis-4']);
    expect(api.calls.filter((c) => c.startsWith('scale'))).toEqual(['scale statefulset redis replicas=5']);
    expect(log).toEqual(['forward redis-3 as ordinal 3', 'forward redis-4 as ordinal 4']);
    expect(pods).toHaveLength(5);
    // Ready only after the fake's 3 GETs: the wait polled.
    expect((await api.getPod(model.namespace, 'redis-4'))?.ready).toBe(true);
  });

  it('scale-down: one ordinal at a time from the highest, each gone before its forward closes, its claims deleted', async () => {
    const { api, log, pods, scale } = setup();
    await scale.scaleUp(5);
    api.calls.length = 0;
    log.length = 0;
    await scale.scaleDown(3);
    const claims = (pod: string) => claimsOfPod(model, pod).map((c) => `delete PersistentVolumeClaim/${c.metadata.name}`);
    expect(claims('redis-4').length).toBeGreaterThan(0);
    expect(api.calls).toEqual(['scale statefulset redis replicas=4', ...claims('redis-4'), 'scale statefulset redis replicas=3', ...claims('redis-3')]);
    expect(log).toEqual(['unforward redis-4', 'unforward redis-3']);
    expect(pods.map((p) => p.name)).toEqual(model.podNames);
    expect([...api.pods.keys()]).toEqual(model.podNames);
  });

  it('a pod that never turns Ready: TIMEOUT naming it and the kubectl describe; bad replica counts are refused', async () => {
    const { scale } = setup(Infinity);
    await expect(scale.scaleUp(4)).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/pod redis-3 was not created and Ready within 200 ms: kubectl -n \S+ describe statefulset redis/),
    });
    await expect(setup().scale.scaleUp(2)).rejects.toMatchObject({ code: 'USAGE' });
    await expect(setup().scale.scaleDown(0)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
