// The scenarios' fault kinds (src/faults/, through injectFault and its ability checks) on a kube deployment whose
// fault backend is Chaos Mesh, against the recording fake: the objects each fault creates (validated against the
// CRD subset, labelled with the run), their deletion on heal and on interrupt; with kind-node: skipped, nothing created.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../../src/clock.ts';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { FAULTS, injectFault, type FaultSpec } from '../../../../src/faults/index.ts';
import type { FaultContext } from '../../../../src/faults/fault.ts';
import { runInterruptCleanups } from '../../../../src/process/interrupt.ts';
import { chaosMeshBackend } from '../../../../src/targets/kube/backends/chaos-mesh.ts';
import { validateChaosObject } from '../../../../src/targets/kube/backends/chaos-mesh-schema.ts';
import { kindNodeBackend } from '../../../../src/targets/kube/backends/kind-node.ts';
import { backendOps, createControls, PodCache } from '../../../../src/targets/kube/controls.ts';
import type { Pod, StartedDeployment } from '../../../../src/targets/target.ts';
import { FakeKube } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));
const CRDS = ['networkchaos.chaos-mesh.org', 'podchaos.chaos-mesh.org', 'stresschaos.chaos-mesh.org', 'timechaos.chaos-mesh.org', 'dnschaos.chaos-mesh.org'];
const runId = '20261206-190000-cd34';
const fast = { pollMs: 1, injectTimeoutMs: 200, deleteTimeoutMs: 200, interruptDeleteTimeoutMs: 100, log: () => {} };

function harness(backendName: 'chaos-mesh' | 'kind-node') {
  const api = new FakeKube({ pods: model.podNames, crds: CRDS, finalizerGets: 1 });
  api.resolveLikeCluster();
  const deps = { api, namespace: model.namespace, model, nodeShell: null, pollMs: 1, readyTimeoutMs: 2000 };
  const cache = new PodCache();
  const ops = backendOps(deps, cache);
  const backend =
    backendName === 'chaos-mesh' ? chaosMeshBackend(deps, ops, { runId, nodeFallback: null, podSelector: 'app=redis', ...fast }) : kindNodeBackend(deps, ops);
  const c = createControls(deps, cache, backend);
  const pods: Pod[] = model.podNames.map((name, ordinal) => ({
    name,
    ordinal,
    node: `worker-${ordinal + 1}`,
    redis: { host: `${name}.${model.headlessService}.${model.namespace}.svc.cluster.local`, port: 6379 },
    sentinel: { host: `${name}.${model.headlessService}.${model.namespace}.svc.cluster.local`, port: 26379 },
  }));
  // What startKubeDeployment composes: the backend's abilities only when it has them.
  const d = {
    target: 'kube',
    model,
    pods,
    podControl: c.podControl,
    faultBackend: backend.name,
    downAfterMs: 5000,
    ...(backend.dns ? { dns: backend.dns } : {}),
    ...(backend.clock ? { clock: backend.clock } : {}),
    ...(backend.stress ? { stress: backend.stress } : {}),
  } as unknown as StartedDeployment;
  const marks: string[] = [];
  const ctx: FaultContext = {
    deployment: d,
    topology: { master: pods[0]!, replicas: pods.slice(1) },
    clock: createClock(),
    ms: (x) => (typeof x === 'number' ? x : 0),
    mark: (t, detail) => marks.push(`${t}: ${detail}`),
    podEvent: () => {},
    events: () => [],
    history: () => [],
    setClientPassword: () => {},
  };
  return { api, ctx, marks };
}

const spec = (o: Record<string, unknown>) => FAULTS.get(o.kind as string)!.schema.parse(o) as FaultSpec;

const CASES: Array<{ spec: Record<string, unknown>; kinds: string[] }> = [
  { spec: { kind: 'clock-skew', target: 'master', container: 'sentinel', offsetMs: 30_000, durationMs: 10 }, kinds: ['TimeChaos'] },
  { spec: { kind: 'stress', target: 'master', container: 'redis', cpuWorkers: 2, cpuLoad: 100, durationMs: 10 }, kinds: ['StressChaos'] },
  { spec: { kind: 'dns-down', durationMs: 10 }, kinds: ['NetworkChaos'] },
  { spec: { kind: 'dns-record-gone', holdMs: 10 }, kinds: ['DNSChaos'] },
];

describe('fault kinds on kube with the chaos-mesh backend', () => {
  for (const c of CASES) {
    it(`${c.spec.kind}: ${c.kinds.join(', ')} created with the run's labels, valid against the CRD subset, deleted by the heal`, async () => {
      const { api, ctx, marks } = harness('chaos-mesh');
      const fault = await injectFault(ctx, spec(c.spec), { restart: true });
      const objs = [...api.custom.values()].map((x) => x.obj);
      expect(objs.map((o) => o.kind)).toEqual(c.kinds);
      for (const o of objs) {
        expect(validateChaosObject(o)).toEqual([]);
        expect(o.metadata.labels).toEqual({ 'sentinel-chaos.run': runId, 'app.kubernetes.io/managed-by': 'sentinel-chaos' });
        expect(o.metadata.namespace).toBe(model.namespace);
      }
      expect(marks.some((m) => m.startsWith('landed: '))).toBe(true);
      await fault.heal();
      expect(api.custom.size).toBe(0);
      expect(api.calls.filter((x) => x.startsWith('delete ') && !x.startsWith('delete pod'))).toHaveLength(c.kinds.length);
    });
  }

  it('an interrupt while faults are held deletes every object (TimeChaos, StressChaos, DNSChaos; NetworkChaos in chaos-mesh.test.ts)', async () => {
    const { api, ctx } = harness('chaos-mesh');
    // Not dns-down together with dns-record-gone: behind the DNS cut no lookup can prove the record gone.
    for (const c of CASES.filter((x) => x.spec.kind !== 'dns-down')) await injectFault(ctx, spec(c.spec), { restart: true });
    expect([...api.custom.values()].map((x) => x.obj.kind)).toEqual(['TimeChaos', 'StressChaos', 'DNSChaos']);
    await runInterruptCleanups(2000);
    expect(api.custom.size).toBe(0);
  });

  for (const c of CASES) {
    it(`${c.spec.kind} with the kind-node backend: skipped with the reason before anything is created`, async () => {
      const { api, ctx } = harness('kind-node');
      await expect(injectFault(ctx, spec(c.spec), { restart: true })).rejects.toMatchObject({
        code: 'ABILITY_MISSING',
        message: expect.stringMatching(/kube target .*(--fault-backend chaos-mesh)/),
      });
      expect(api.calls.filter((x) => x.startsWith('create') || x.startsWith('delete'))).toEqual([]);
    });
  }
});
