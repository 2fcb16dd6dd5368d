// The chaos-mesh fault backend against the recording fake: each object created, validated offline against
// the CRD subset, proven injected, deleted on heal, on SIGINT and by `down`; stuck finalizers reported with the fix.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { runInterruptCleanups } from '../../../../src/process/interrupt.ts';
import { backendOps, createControls, createNetwork, PodCache } from '../../../../src/targets/kube/controls.ts';
import { chaosMeshBackend, downChaosObjects, downLines, finalizerFix } from '../../../../src/targets/kube/backends/chaos-mesh.ts';
import { containerKill, dnsFault, networkLoss, networkPartition, podKill, stress, timeSkew } from '../../../../src/targets/kube/backends/chaos-mesh-objects.ts';
import { validateChaosObject } from '../../../../src/targets/kube/backends/chaos-mesh-schema.ts';
import { kindNodeBackend } from '../../../../src/targets/kube/backends/kind-node.ts';
import { resolveFaultBackend } from '../../../../src/targets/kube/start-kube.ts';
import { FakeKube, FakeNodeShell, type FakeOptions } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));
const CRDS = ['networkchaos.chaos-mesh.org', 'podchaos.chaos-mesh.org', 'stresschaos.chaos-mesh.org', 'timechaos.chaos-mesh.org', 'dnschaos.chaos-mesh.org'];
const ctx = { runId: '20261206-165235-ab12', namespace: model.namespace };
const fast = { pollMs: 1, injectTimeoutMs: 100, deleteTimeoutMs: 100, interruptDeleteTimeoutMs: 50, log: () => {} };

function setup(o: Partial<FakeOptions> = {}, shell = false) {
  const node = new FakeNodeShell();
  const api = new FakeKube({ pods: model.podNames, crds: CRDS, ...o });
  const deps = { api, namespace: model.namespace, model, nodeShell: shell ? node : null, pollMs: 1, readyTimeoutMs: 500 };
  const cache = new PodCache();
  const ops = backendOps(deps, cache);
  const backend = chaosMeshBackend(deps, ops, { runId: ctx.runId, nodeFallback: shell ? kindNodeBackend(deps, ops) : null, podSelector: 'app=redis', ...fast });
  const blocked: boolean[] = [];
  const network = createNetwork(deps, { majorityClientAddress: '127.0.83.200', blockMajority: (_p, on) => blocked.push(on) }, backend);
  return { ...createControls(deps, cache, backend), api, node, backend, network, blocked };
}

describe('Chaos Mesh objects', () => {
  it('every object the harness can create validates against the CRD subset (v2.8.3), with the run and managed-by labels', () => {
    const objs = [
      networkPartition(ctx, 'redis-0', ['redis-1', 'redis-2']),
      networkLoss(ctx, 'redis-0', ['redis-1', 'redis-2'], 30, 25),
      containerKill(ctx, 'redis-1', 'sentinel'),
      podKill(ctx, 'redis-1', 0),
      stress(ctx, 'redis-0', 'redis', { cpuWorkers: 2, cpuLoad: 80, memoryWorkers: 1, memorySize: '256MB' }),
      timeSkew(ctx, 'redis-0', 'sentinel', -30_000),
      dnsFault(ctx, 'redis-0', 'error', ['redis-*.redis-headless.*']),
      dnsFault(ctx, 'redis-0', 'random', ['*']),
    ];
    for (const o of objs) {
      expect(validateChaosObject(o), `${o.kind}/${o.metadata.name}`).toEqual([]);
      expect(o.metadata).toMatchObject({
        namespace: model.namespace,
        labels: { 'sentinel-chaos.run': ctx.runId, 'app.kubernetes.io/managed-by': 'sentinel-chaos' },
      });
      expect(o.metadata.name.length).toBeLessThanOrEqual(63);
    }
    expect(networkPartition(ctx, 'redis-0', ['redis-1']).spec).toMatchObject({
      action: 'partition',
      direction: 'both',
      selector: { pods: { [model.namespace]: ['redis-0'] } },
      target: { mode: 'all', selector: { pods: { [model.namespace]: ['redis-1'] } } },
    });
  });

  it('the validator catches a typo, a wrong enum, a missing required field and a bad duration', () => {
    const o = networkPartition(ctx, 'redis-0', ['redis-1']);
    expect(validateChaosObject({ ...o, spec: { ...o.spec, direction: 'sideways', durration: '1m' } } as typeof o)).toEqual([
      'spec.direction: must be one of to, from, both',
      'spec.durration: not a field of this schema subset',
    ]);
    const { mode: _m, ...noMode } = o.spec;
    expect(validateChaosObject({ ...o, spec: { ...noMode, duration: '5 minutes' } } as typeof o)).toEqual([
      'spec.mode: required',
      'spec.duration: "5 minutes" does not match ^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$',
    ]);
  });
});

describe('the chaos-mesh fault backend', () => {
  it('partition: NetworkChaos created, proven by AllInjected and a probe from the pod, majority client cut; heal deletes it and waits until it is gone', async () => {
    const { api, network, blocked } = setup({ injectedAfterGets: 2, finalizerGets: 2 });
    // The fake's exec answers code 0: make the probe see a timeout, as a partition would.
    api.exec = async (_ns, pod, c, cmd) => {
      api.calls.push(`exec ${pod}/${c} ${cmd.join(' ')}`);
      return { code: 124, stdout: '', stderr: '' };
    };
    const p = await network.partition({ isolate: 'redis-0', cut: 'all' });
    const name = `sc-${ctx.runId}-partition-redis-0`;
    expect(api.calls).toContain(`create NetworkChaos/${name} in ${model.namespace}`);
    expect(api.calls.some((c) => /^exec redis-0\/redis timeout 1 redis-cli -h 10\.244\.2\.5 -p 6379 PING$/.test(c))).toBe(true);
    expect(p.description).toContain('NetworkChaos');
    expect(blocked).toEqual([true]);
    await p.heal();
    expect(api.calls).toContain(`delete networkchaos/${name}`);
    expect(api.custom.size).toBe(0);
    expect(blocked).toEqual([true, false]);
  });

  it('lossy: a NetworkChaos loss object, valid against the CRD subset, proven by AllInjected; heal deletes it; no sentinel-only cut', async () => {
    const { api, network, blocked } = setup({ injectedAfterGets: 2, finalizerGets: 2 });
    const p = await network.lossy!({ isolate: 'redis-0', cut: 'all', percent: 30 });
    const name = `sc-${ctx.runId}-loss-redis-0`;
    expect(api.calls).toContain(`create NetworkChaos/${name} in ${model.namespace}`);
    const obj = [...api.custom.values()].find((o) => o.obj.metadata.name === name)!.obj;
    expect(validateChaosObject(obj)).toEqual([]);
    expect(obj.spec).toMatchObject({ action: 'loss', direction: 'both', loss: { loss: '30' } });
    expect(p.description).toContain('loss 30 %');
    expect(p.inEffectAt).toBeGreaterThan(0);
    // The harness's own clients are not cut: a lossy link is not a partition.
    expect(blocked).toEqual([]);
    await p.heal();
    expect(api.calls).toContain(`delete networkchaos/${name}`);
    expect(api.custom.size).toBe(0);
    await expect(network.lossy!({ isolate: 'redis-0', cut: 'sentinels', percent: 30 })).rejects.toThrow(/sentinel/);
  });

  it('a partition the probe still crosses fails and is removed', async () => {
    const { api, network } = setup();
    api.exec = async () => ({ code: 0, stdout: 'NOAUTH Authentication required.', stderr: '' });
    await expect(network.partition({ isolate: 'redis-0', cut: 'all' })).rejects.toThrow(/still reaches redis-1/);
    expect(api.custom.size).toBe(0);
  });

  it('an object never injected within the bound fails with the describe command, and is deleted', async () => {
    const { api, network } = setup({ injectedAfterGets: Infinity });
    await expect(network.partition({ isolate: 'redis-1', cut: 'all' })).rejects.toThrow(
      /was not injected within 100 ms .*kubectl -n \S+ describe networkchaos.chaos-mesh.org/,
    );
    expect(api.custom.size).toBe(0);
  });

  it('killContainer: PodChaos container-kill, proven by the container restart, then deleted (one-shot)', async () => {
    const { api, podControl } = setup();
    const orig = api.getPod.bind(api);
    let n = 0;
    api.getPod = async (ns, name) => {
      const p = await orig(ns, name);
      return p && ++n > 1 ? { ...p, containers: p.containers.map((c) => (c.name === 'sentinel' ? { ...c, restarts: c.restarts + 1 } : c)) } : p;
    };
    await podControl.killContainer('redis-1', 'sentinel');
    const name = `sc-${ctx.runId}-kill-sentinel-redis-1`;
    expect(api.calls).toContain(`create PodChaos/${name} in ${model.namespace}`);
    expect(api.calls).toContain(`delete podchaos/${name}`);
    expect(api.custom.size).toBe(0);
  });

  it("refuses to select a pod without the manifests' labels, before anything is created", async () => {
    const { api, network } = setup({ unlabelled: ['redis-2'] });
    await expect(network.partition({ isolate: 'redis-0', cut: 'all' })).rejects.toThrow(
      /refusing to create NetworkChaos\/.*redis-2 .*do not carry the manifests' labels/,
    );
    expect(api.calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });

  it("pause: no Chaos Mesh equivalent of SIGSTOP: skipped with the reason without a node shell, kind-node's with one", async () => {
    await expect(setup().pause.pause('redis-0', 'redis')).rejects.toMatchObject({
      code: 'ABILITY_MISSING',
      message: expect.stringMatching(/Chaos Mesh cannot freeze a process in a pod: PodChaos has only pod-kill, pod-failure .* and container-kill/),
    });
    const withShell = setup({}, true);
    await withShell.pause.pause('redis-0', 'redis');
    expect(withShell.node.calls.some((c) => /kill -STOP/.test(c))).toBe(true);
  });

  it('SIGINT: the interrupt registry deletes every object still in place', async () => {
    const { api, network } = setup();
    api.exec = async () => ({ code: 124, stdout: '', stderr: '' });
    await network.partition({ isolate: 'redis-0', cut: 'all' });
    expect(api.custom.size).toBe(1);
    await runInterruptCleanups(1000);
    expect(api.custom.size).toBe(0);
  });

  it('a finalizer that is never released: the heal fails naming the finalizer and the kubectl patch that releases it', async () => {
    const { api, network } = setup({ finalizerGets: Infinity });
    api.exec = async () => ({ code: 124, stdout: '', stderr: '' });
    const p = await network.partition({ isolate: 'redis-0', cut: 'all' });
    const err = await p.heal().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/still there 100 ms after its deletion, held by finalizers chaos-mesh\/records/);
    expect(err?.message).toContain(
      `kubectl -n ${model.namespace} patch networkchaos.chaos-mesh.org sc-${ctx.runId}-partition-redis-0 --type=merge -p '{"metadata":{"finalizers":null}}'`,
    );
    expect(finalizerFix({ group: 'chaos-mesh.org', version: 'v1alpha1', plural: 'podchaos', namespace: 'ns', name: 'x' })).toBe(
      'kubectl -n ns patch podchaos.chaos-mesh.org x --type=merge -p \'{"metadata":{"finalizers":null}}\'',
    );
  });
});

describe('the chaos-mesh backend: DNS, clock and stress abilities', () => {
  it('dns pause: NetworkChaos partition to the kube-dns cluster IP from every pod, proven by a lookup timing out; resume deletes it and proves answers', async () => {
    const { api, backend: b } = setup();
    api.resolveLikeCluster();
    await b.dns!.pause();
    const obj = [...api.custom.values()][0]!.obj;
    expect(validateChaosObject(obj)).toEqual([]);
    expect(obj).toMatchObject({
      kind: 'NetworkChaos',
      metadata: { name: `sc-${ctx.runId}-dns-down-pods` },
      spec: { action: 'partition', direction: 'to', externalTargets: ['10.96.0.10'], selector: { pods: { [model.namespace]: model.podNames } } },
    });
    expect(api.calls).toContain('get service kube-system/kube-dns');
    expect(api.calls.some((c) => /exec redis-0\/redis timeout 2 getent hosts kubernetes.default.svc.cluster.local/.test(c))).toBe(true);
    expect(await b.dns!.query('redis-1.redis-headless.matrix.svc.cluster.local')).toBe('ETIMEOUT');
    await b.dns!.resume();
    expect(api.custom.size).toBe(0);
    expect(await b.dns!.query('redis-1.redis-headless.matrix.svc.cluster.local')).toEqual(['10.244.1.5']);
  });

  it("dns removeRecord: DNSChaos error for the pod's names, proven by NXDOMAIN from another pod; restore deletes it", async () => {
    const { api, backend } = setup();
    api.resolveLikeCluster();
    const name = `redis-0.redis-headless.${model.namespace}.svc.cluster.local`;
    const r = await backend.dns!.removeRecord(name);
    const obj = [...api.custom.values()][0]!.obj;
    expect(validateChaosObject(obj)).toEqual([]);
    expect(obj).toMatchObject({ kind: 'DNSChaos', spec: { action: 'error', patterns: ['redis-0.redis-headless*'] } });
    // The owner of the name is not selected: only the other pods' lookups fail.
    expect((obj.spec.selector as { pods: Record<string, string[]> }).pods).toEqual({ [model.namespace]: ['redis-1', 'redis-2'] });
    // Looked up from a pod other than the one whose record is gone.
    expect(api.calls.some((c) => c.startsWith(`exec redis-1/redis timeout 2 getent hosts ${name}`))).toBe(true);
    await r.restore();
    expect(api.custom.size).toBe(0);
  });

  it('dns pause without a kube-dns Service: skipped with the reason, nothing created', async () => {
    const { api, backend } = setup();
    api.getServiceClusterIP = async () => null;
    await expect(backend.dns!.pause()).rejects.toMatchObject({ code: 'ABILITY_MISSING', message: expect.stringMatching(/kube-system\/kube-dns/) });
    expect(api.custom.size).toBe(0);
  });

  it('clock skew and stress: TimeChaos / StressChaos validated, held until the heal, which deletes them; the kind-node backend has neither', async () => {
    const { api, backend } = setup({ finalizerGets: 1 });
    const t = await backend.clock!.skew('redis-0', 'sentinel', 30_000);
    const s = await backend.stress!.stress('redis-0', 'redis', { cpuWorkers: 2, cpuLoad: 100 });
    const objs = [...api.custom.values()].map((c) => c.obj);
    for (const o of objs) expect(validateChaosObject(o), o.kind).toEqual([]);
    expect(objs.map((o) => [o.kind, o.spec])).toEqual([
      [
        'TimeChaos',
        {
          mode: 'all',
          selector: { namespaces: [model.namespace], pods: { [model.namespace]: ['redis-0'] } },
          containerNames: ['sentinel'],
          timeOffset: '30000ms',
          clockIds: ['CLOCK_REALTIME'],
        },
      ],
      [
        'StressChaos',
        {
          mode: 'all',
          selector: { namespaces: [model.namespace], pods: { [model.namespace]: ['redis-0'] } },
          containerNames: ['redis'],
          stressors: { cpu: { workers: 2, load: 100 } },
        },
      ],
    ]);
    expect(t.description).toMatch(/^TimeChaos sc-.*-time-redis-0: CLOCK_REALTIME of redis-0\/sentinel shifted by 30000 ms/);
    await t.heal();
    await t.heal();
    await s.heal();
    expect(api.calls.filter((c) => c.startsWith('delete '))).toHaveLength(2);
    expect(api.custom.size).toBe(0);
    const deps = { api, namespace: model.namespace, model, nodeShell: null, pollMs: 1, readyTimeoutMs: 500 };
    const kindNode = kindNodeBackend(deps, backendOps(deps, new PodCache()));
    expect([kindNode.dns, kindNode.clock, kindNode.stress]).toEqual([undefined, undefined, undefined]);
  });

  it("an object selecting a pod without the manifests' labels is refused for every kind", async () => {
    const { api, backend } = setup({ unlabelled: ['redis-2'] });
    await expect(backend.stress!.stress('redis-2', 'redis', { cpuWorkers: 1 })).rejects.toThrow(/refusing to create StressChaos/);
    await expect(backend.dns!.pause()).rejects.toThrow(/refusing to create NetworkChaos\/.*redis-2/);
    expect(api.calls.filter((c) => c.startsWith('create'))).toEqual([]);
  });
});

describe('down --target kube and auto-detection', () => {
  it('down lists by the managed-by label and deletes what a SIGKILLed run left, never unlabelled objects', async () => {
    const api = new FakeKube({ pods: model.podNames, crds: CRDS });
    const ref = { group: 'chaos-mesh.org', version: 'v1alpha1', namespace: model.namespace };
    await api.createCustomObject({ ...ref, plural: 'networkchaos' }, networkPartition(ctx, 'redis-0', ['redis-1']));
    await api.createCustomObject({ ...ref, plural: 'stresschaos' }, stress(ctx, 'redis-1', 'redis', { cpuWorkers: 1 }));
    const foreign = networkLoss({ ...ctx, runId: 'other' }, 'redis-2', ['redis-0'], 10);
    foreign.metadata.labels = { team: 'someone-else' };
    await api.createCustomObject({ ...ref, plural: 'networkchaos' }, foreign);
    const r = await downChaosObjects(api, model.namespace, fast);
    expect(r.removed.sort()).toEqual([`NetworkChaos/sc-${ctx.runId}-partition-redis-0`, `StressChaos/sc-${ctx.runId}-stress-redis-1`]);
    expect(r.stuck).toEqual([]);
    expect([...api.custom.keys()]).toEqual([`networkchaos/${foreign.metadata.name}`]);
    expect(api.calls).toContain('list networkchaos app.kubernetes.io/managed-by=sentinel-chaos');
  });

  it('down escalates only an object stuck past the bound: cleanFinalizer=forced first, and names the pods that may still carry the fault', async () => {
    const api = new FakeKube({ pods: model.podNames, crds: CRDS, finalizerGets: Infinity });
    await api.createCustomObject(
      { group: 'chaos-mesh.org', version: 'v1alpha1', namespace: model.namespace, plural: 'podchaos' },
      containerKill(ctx, 'redis-0', 'redis'),
    );
    const r = await downChaosObjects(api, model.namespace, fast);
    const name = `sc-${ctx.runId}-kill-redis-redis-0`;
    expect(r).toEqual({ removed: [], forced: [{ object: `PodChaos/${name}`, how: 'forced', pods: ['redis-0'] }], stuck: [] });
    // delete first, the annotation only after the bound, never a finalizer patch while the controller answers.
    const mine = api.calls.filter((c) => c.includes(name));
    expect(mine).toEqual([
      `create PodChaos/${name} in ${model.namespace}`,
      `delete podchaos/${name}`,
      `patch podchaos/${name} metadata {"annotations":{"chaos-mesh.chaos-mesh.org/cleanFinalizer":"forced"}}`,
    ]);
    expect(api.custom.size).toBe(0);
    expect(downLines(r, model.namespace)).toEqual([
      `deleted PodChaos/${name} WITHOUT recovery (chaos-mesh.chaos-mesh.org/cleanFinalizer=forced): its fault may still be in redis-0; recreate them: kubectl -n ${model.namespace} delete pod redis-0`,
    ]);
  });

  it('down with no Chaos Mesh controller left: the finalizers are removed after the annotation went unanswered', async () => {
    const api = new FakeKube({ pods: model.podNames, crds: CRDS, finalizerGets: Infinity, controllerGone: true });
    await api.createCustomObject(
      { group: 'chaos-mesh.org', version: 'v1alpha1', namespace: model.namespace, plural: 'networkchaos' },
      networkPartition(ctx, 'redis-1', ['redis-0', 'redis-2']),
    );
    const r = await downChaosObjects(api, model.namespace, fast);
    expect(r.forced).toEqual([
      { object: `NetworkChaos/sc-${ctx.runId}-partition-redis-1`, how: 'finalizers-removed', pods: ['redis-1', 'redis-0', 'redis-2'] },
    ]);
    expect(api.calls.filter((c) => c.startsWith('patch')).map((c) => c.replace(/^patch \S+ /, ''))).toEqual([
      'metadata {"annotations":{"chaos-mesh.chaos-mesh.org/cleanFinalizer":"forced"}}',
      'metadata {"finalizers":null}',
    ]);
    expect(api.custom.size).toBe(0);
  });

  it('down reports an object that survives even the finalizer patch, with the command to look at it', async () => {
    const api = new FakeKube({ pods: model.podNames, crds: CRDS, finalizerGets: Infinity, controllerGone: true });
    api.patchCustomObjectMetadata = async () => {};
    await api.createCustomObject(
      { group: 'chaos-mesh.org', version: 'v1alpha1', namespace: model.namespace, plural: 'podchaos' },
      containerKill(ctx, 'redis-0', 'redis'),
    );
    const r = await downChaosObjects(api, model.namespace, fast);
    expect(r.removed).toEqual([]);
    expect(r.stuck[0]).toMatch(/still there with its finalizers removed: kubectl -n \S+ get podchaos.chaos-mesh.org/);
  });

  it('auto picks chaos-mesh when its CRDs are installed, kind-node otherwise; chaos-mesh without them is exit 2 with the helm fix', async () => {
    expect(await resolveFaultBackend(new FakeKube({ pods: [], crds: CRDS }), 'auto')).toBe('chaos-mesh');
    expect(await resolveFaultBackend(new FakeKube({ pods: [] }), 'auto')).toBe('kind-node');
    expect(await resolveFaultBackend(new FakeKube({ pods: [], crds: CRDS }), 'kind-node')).toBe('kind-node');
    await expect(resolveFaultBackend(new FakeKube({ pods: [] }), 'chaos-mesh')).rejects.toMatchObject({
      code: 'TARGET_UNAVAILABLE',
      exitCode: 2,
      message: expect.stringMatching(/networkchaos.chaos-mesh.org.*helm install chaos-mesh chaos-mesh\/chaos-mesh .*--version 2\.8\.3/),
    });
  });
});

describe('guard rails on the CLI side', async () => {
  const { checkMaxDisruption, dryRunText, podsAtOnce } = await import('../../../../src/cli/kube-options.ts');
  const scenarios = [
    { name: 'network-partition', description: '', fault: { kind: 'partition', target: 'master', cut: 'all', durationMs: 20_000, isolatedClient: true } },
    { name: 'sentinel-quorum-loss', description: '', fault: { kind: 'sentinel-quorum-loss', holdMs: 10_000 } },
  ] as unknown as Parameters<typeof dryRunText>[2];

  it('--max-disruption refuses a scenario disrupting more pods at once, exit 2, naming it', () => {
    expect(podsAtOnce('sentinel-quorum-loss')).toBe(3);
    expect(() => checkMaxDisruption(scenarios, 3)).not.toThrow();
    expect(() => checkMaxDisruption(scenarios, 1)).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(/--max-disruption 1: scenario sentinel-quorum-loss .* disrupts 3 pods at once/) }),
    );
  });

  it('--dry-run lists the backend, the objects each scenario would create and the blast radius', () => {
    const text = dryRunText('kube', { context: 'kind-x', allowContext: [], kindConfig: 'k.yaml', faultBackend: 'chaos-mesh', maxDisruption: 1 }, scenarios, 1);
    expect(text).toContain('fault backend: chaos-mesh');
    expect(text).toMatch(/backend chaos-mesh: Chaos Mesh\n {4}creates NetworkChaos sc-<run>-partition-<victim>: partition, direction both/);
    expect(text).toMatch(/creates PodChaos sc-<run>-kill-sentinel-<pod> \(×2, the replicas\)/);
    expect(text).toContain('pods disrupted at once: 3 (over --max-disruption 1: the run would be refused)');
    expect(text).toMatch(
      /blast radius: the manifests' namespace only; only pods carrying the StatefulSet's labels .* Chaos Mesh objects: 3 over the suite \(NetworkChaos, PodChaos\)/,
    );
    expect(text.trimEnd().endsWith('dry run: nothing was applied, injected or deleted.')).toBe(true);
  });

  it('--dry-run on kube: every built-in scenario with each backend (auto: both), its objects or its skip reason', async () => {
    const { listScenarios } = await import('../../../../src/runner/scenario.ts');
    const all = await listScenarios();
    const text = dryRunText('kube', { context: 'staging', allowContext: ['staging'], kindConfig: 'k.yaml', faultBackend: 'auto' }, all, 1);
    const blocks = text.split(/\n(?=\S)/);
    for (const s of all) {
      const block = blocks.find((b) => b.startsWith(`${s.name} (`));
      expect(block, s.name).toBeDefined();
      expect(block, s.name).toMatch(/\n {2}backend chaos-mesh \(auto, CRDs installed\): /);
      expect(block, s.name).toMatch(/\n {2}backend kind-node \(auto, no CRDs\): /);
      expect(block, s.name).not.toContain('not classified');
    }
    const of = (name: string) => blocks.find((b) => b.startsWith(`${name} (`))!;
    // Not a kind context: no node shell, so kind-node cannot partition or pause; Chaos Mesh partitions but cannot pause.
    expect(of('network-partition')).toMatch(/backend kind-node \(auto, no CRDs\): SKIPPED: partitions needs a shell on the pod's node/);
    expect(of('master-pause')).toMatch(/backend chaos-mesh \(auto, CRDs installed\): SKIPPED: Chaos Mesh cannot freeze a process in a pod/);
    expect(of('sentinel-clock-jump')).toMatch(
      /creates TimeChaos sc-<run>-time-<victim>: timeOffset <offsetMs>ms, clockIds \[CLOCK_REALTIME\], containerNames \[sentinel\]/,
    );
    expect(of('master-cpu-stress')).toMatch(/creates StressChaos/);
    expect(of('dns-record-gone')).toMatch(/creates DNSChaos sc-<run>-dns-error-gone-<master>: error \(SERVFAIL\)/);
    expect(of('empty-volume')).toMatch(
      /backend chaos-mesh \(auto, CRDs installed\): Kubernetes API: cordon the pod's node \(annotated sentinel-chaos\/cordoned-by=<run>\)/,
    );
    expect(of('empty-volume')).toMatch(/creates Pod sc-<run>-vol-<victim> \(volume helper\)/);
    expect(of('aof-damage')).toMatch(/cuts 7 bytes off the AOF's last incremental file/);
    // backup-restore: the backup out through exec, every pod held down, a helper per claim; on either backend; 3 pods at once.
    expect(of('backup-restore')).toMatch(
      /backend kind-node \(auto, no CRDs\): Kubernetes API: the master's AOF copied out of its running redis container \(tar over exec/,
    );
    expect(of('backup-restore')).toMatch(/creates Pod sc-<run>-vol-<pod> \(volume helper\), one per pod, one at a time/);
    expect(of('backup-restore')).toMatch(/pods disrupted at once: 3\n/);
    expect(of('backup-restore')).toMatch(/inject: copy the master's AOF out of its running redis container/);
    expect(of('scale-out')).toMatch(/backend kind-node \(auto, no CRDs\): Kubernetes API: StatefulSet scale subresource/);
    // The blast radius counts the helper pods apart from the Chaos Mesh objects, and names the scenarios that cordon nodes.
    const radius = text.split('\n').find((l) => l.startsWith('blast radius:'))!;
    expect(radius).toMatch(/Chaos Mesh objects: \d+ over the suite \(DNSChaos, NetworkChaos, PodChaos, StressChaos, TimeChaos\)/);
    expect(radius).toMatch(/helper pods: 5 over the suite, one at a time/);
    expect(radius).toMatch(
      /nodes cordoned: the victim's node, one at a time, by aof-damage, empty-volume, node-drain; every pod's node at once by backup-restore \(annotated sentinel-chaos\/cordoned-by=<run>/,
    );
  });

  it('every registered fault kind is classified for kube (a new kind must say what it does there)', async () => {
    const { FAULTS } = await import('../../../../src/faults/index.ts');
    const { kubeFaultSupport } = await import('../../../../src/faults/kube-support.ts');
    for (const d of FAULTS.definitions)
      for (const b of ['chaos-mesh', 'kind-node'] as const)
        for (const shell of [true, false]) expect(kubeFaultSupport({ kind: d.kind }, b, 'kube', shell).via, `${d.kind} ${b}`).not.toContain('not classified');
  });
});
