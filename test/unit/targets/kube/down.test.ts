// `down --target kube|kind` after a SIGKILLed harness: the run's Chaos Mesh objects found by label and deleted
// through the target factory's deps (recording fake), only the named run's with --run, escalation only when stuck.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { networkPartition, stress, timeSkew } from '../../../../src/targets/kube/backends/chaos-mesh-objects.ts';
import type { ClusterProvider } from '../../../../src/targets/kube/kind.ts';
import { NodeCordons } from '../../../../src/targets/kube/cordon.ts';
import { downKubeTarget, type TargetDeps } from '../../../../src/targets/kube/start-kube.ts';
import { helperPod, WIPE_SCRIPT } from '../../../../src/targets/kube/volumes.ts';
import { FakeKube, FakeNodeShell, type FakeOptions } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));
const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-kube-down-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const CRDS = ['networkchaos.chaos-mesh.org', 'podchaos.chaos-mesh.org', 'stresschaos.chaos-mesh.org', 'timechaos.chaos-mesh.org', 'dnschaos.chaos-mesh.org'];
const fast = { pollMs: 1, deleteTimeoutMs: 50, log: () => {} };
const kubeconfig = (context: string) =>
  `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443'}\ncontexts:\n- name: ${context}\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\ncurrent-context: ${context}\n`;

function fakes(o: Partial<FakeOptions> & { clusterExists?: boolean } = {}) {
  const api = new FakeKube({ pods: model.podNames, crds: CRDS, ...o });
  const provider: ClusterProvider = {
    unavailableReason: async () => null,
    exists: async () => o.clusterExists ?? true,
    create: async () => {},
    delete: async () => {},
    kubeconfig: async () => kubeconfig('kind-sentinel-chaos'),
  };
  const deps: TargetDeps = {
    provider,
    nodeShell: new FakeNodeShell(),
    api: () => api,
    start: async () => {
      throw new Error('down never starts a deployment');
    },
  };
  return { api, deps };
}

/** What a run SIGKILLed mid-trial leaves: its objects in place (no heal, no interrupt cleanup ran). */
async function leftBy(api: FakeKube, runId: string) {
  const ctx = { runId, namespace: model.namespace };
  const ref = { group: 'chaos-mesh.org', version: 'v1alpha1', namespace: model.namespace };
  await api.createCustomObject({ ...ref, plural: 'networkchaos' }, networkPartition(ctx, 'redis-0', ['redis-1', 'redis-2']));
  await api.createCustomObject({ ...ref, plural: 'timechaos' }, timeSkew(ctx, 'redis-1', 'sentinel', 30_000));
  await api.createCustomObject({ ...ref, plural: 'stresschaos' }, stress(ctx, 'redis-2', 'redis', { cpuWorkers: 1 }));
}

describe('down --target kube', () => {
  it("deletes what the killed run left (every kind), only that run's with --run, in any context (no guard: it only removes its own labels)", async () => {
    const { api, deps } = fakes();
    await leftBy(api, 'run-a');
    await leftBy(api, 'run-b');
    const file = path.join(dir, 'staging');
    await writeFile(file, kubeconfig('staging'));
    const r = await downKubeTarget(
      { target: 'kube', namespace: model.namespace, kube: { kubeconfig: file, context: 'staging' }, runId: 'run-a', chaos: fast },
      deps,
    );
    expect(r.ok).toBe(true);
    expect(r.lines.sort()).toEqual([
      'deleted NetworkChaos/sc-run-a-partition-redis-0 (recovered by Chaos Mesh)',
      'deleted StressChaos/sc-run-a-stress-redis-2 (recovered by Chaos Mesh)',
      'deleted TimeChaos/sc-run-a-time-redis-1 (recovered by Chaos Mesh)',
    ]);
    expect([...api.custom.keys()].sort()).toEqual([
      'networkchaos/sc-run-b-partition-redis-0',
      'stresschaos/sc-run-b-stress-redis-2',
      'timechaos/sc-run-b-time-redis-1',
    ]);
    expect(api.calls).toContain('list networkchaos app.kubernetes.io/managed-by=sentinel-chaos,sentinel-chaos.run=run-a');
    // No --run: every object the harness labelled.
    const all = await downKubeTarget({ target: 'kube', namespace: model.namespace, kube: { kubeconfig: file, context: 'staging' }, chaos: fast }, deps);
    expect(all.lines).toHaveLength(3);
    expect(api.custom.size).toBe(0);
    const again = await downKubeTarget({ target: 'kube', namespace: model.namespace, kube: { kubeconfig: file, context: 'staging' }, chaos: fast }, deps);
    expect(again.lines).toEqual([`no Chaos Mesh objects of sentinel-chaos in ${model.namespace} (context staging)`]);
  });

  it('a controller that never recovers: escalated, reported with the pods to recreate, exit status not ok only when something stays', async () => {
    const { api, deps } = fakes({ finalizerGets: Infinity });
    await leftBy(api, 'run-a');
    const file = path.join(dir, 'stuck');
    await writeFile(file, kubeconfig('kind-x'));
    const r = await downKubeTarget({ target: 'kube', namespace: model.namespace, kube: { kubeconfig: file, context: 'kind-x' }, chaos: fast }, deps);
    expect(r.ok).toBe(true);
    expect(r.lines.find((l) => l.includes('TimeChaos'))).toBe(
      `deleted TimeChaos/sc-run-a-time-redis-1 WITHOUT recovery (chaos-mesh.chaos-mesh.org/cleanFinalizer=forced): its fault may still be in redis-1; recreate them: kubectl -n ${model.namespace} delete pod redis-1`,
    );
    expect(api.custom.size).toBe(0);
    const s = fakes({ finalizerGets: Infinity, controllerGone: true });
    s.api.patchCustomObjectMetadata = async () => {};
    await leftBy(s.api, 'run-a');
    const stuck = await downKubeTarget({ target: 'kube', namespace: model.namespace, kube: { kubeconfig: file, context: 'kind-x' }, chaos: fast }, s.deps);
    expect(stuck.ok).toBe(false);
    expect(stuck.lines.every((l) => l.startsWith('not deleted: '))).toBe(true);
  });
});

describe('down --target kube: what a volume change or a drain left', () => {
  it('deletes the helper pods by label and uncordons the nodes annotated with the run, besides the Chaos Mesh objects', async () => {
    const { api, deps } = fakes();
    await leftBy(api, 'run-a');
    await api.createPod(
      model.namespace,
      helperPod({
        runId: 'run-a',
        namespace: model.namespace,
        pod: 'redis-0',
        node: 'worker-1',
        claim: 'data-redis-0',
        image: 'redis',
        mountPath: '/data',
        script: WIPE_SCRIPT,
        args: [],
      }),
    );
    await new NodeCordons(api, 'run-a').cordon('worker-1');
    await new NodeCordons(api, 'run-a').cordon('worker-3');
    const file = path.join(dir, 'volumes');
    await writeFile(file, kubeconfig('staging'));
    const r = await downKubeTarget(
      { target: 'kube', namespace: model.namespace, kube: { kubeconfig: file, context: 'staging' }, runId: 'run-a', chaos: fast },
      deps,
    );
    expect(r.ok).toBe(true);
    expect(r.lines[0]).toBe('deleted helper pod sc-run-a-vol-redis-0');
    expect(r.lines.slice(-2)).toEqual(['uncordoned node worker-1 (cordoned by run run-a)', 'uncordoned node worker-3 (cordoned by run run-a)']);
    expect(r.lines).toHaveLength(6);
    expect(api.helpers.size).toBe(0);
    expect([...api.nodes.values()].map((n) => n.unschedulable)).toEqual([false, false, false]);
    // The helper goes before the nodes are put back.
    expect(api.calls.indexOf('delete pod sc-run-a-vol-redis-0 grace=0')).toBeLessThan(api.calls.indexOf('uncordon worker-1'));
  });
});

describe('down --target kind', () => {
  it('the cluster from kind-config.yaml: its objects deleted; no cluster: nothing to do, no API call', async () => {
    const { api, deps } = fakes();
    await leftBy(api, 'run-a');
    const r = await downKubeTarget({ target: 'kind', namespace: model.namespace, kube: {}, chaos: fast }, deps);
    expect(r.lines).toHaveLength(3);
    expect(api.custom.size).toBe(0);
    const none = fakes({ clusterExists: false });
    expect((await downKubeTarget({ target: 'kind', namespace: model.namespace, kube: {}, chaos: fast }, none.deps)).lines).toEqual([
      'kind cluster sentinel-chaos does not exist: nothing to remove',
    ]);
    expect(none.api.calls).toEqual([]);
  });
});
