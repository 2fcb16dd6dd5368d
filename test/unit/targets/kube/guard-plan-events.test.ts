import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { dryRunText } from '../../../../src/cli/kube-options.ts';
import { resolveScenarios } from '../../../../src/runner/scenario.ts';
import { checkContext } from '../../../../src/targets/kube/guard.ts';
import { applyManifests, FIELD_MANAGER, prepareObjects } from '../../../../src/targets/kube/kube-target.ts';
import { podTransitions } from '../../../../src/targets/kube/pod-events.ts';
import { buildPlan } from '../../../../src/runner/plan.ts';
import type { KubePod } from '../../../../src/targets/kube/api.ts';
import { FakeKube } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));

describe('context guard', () => {
  it('allows kind-* by default and refuses anything else, naming --allow-context', () => {
    expect(checkContext('kind-sentinel-chaos', [])).toEqual({ allowed: true, by: 'kind-*' });
    const staging = checkContext('staging', []);
    expect(staging.allowed).toBe(false);
    expect(!staging.allowed && staging.reason).toContain('pass --allow-context staging');
    expect(checkContext('staging', ['staging'])).toEqual({ allowed: true, by: 'staging' });
    expect(checkContext('staging-eu', ['staging'])).toMatchObject({ allowed: false });
    expect(checkContext('staging-eu', ['staging-*'])).toEqual({ allowed: true, by: 'staging-*' });
    // Not a prefix match on kind: "kindly-prod" is not a kind cluster.
    expect(checkContext('kindly-prod', [])).toMatchObject({ allowed: false });
    expect(checkContext('', ['*'])).toMatchObject({ allowed: false });
  });
});

describe('dry-run plan', () => {
  it('lists every scenario with its Kubernetes action, victim and heal, and the guard verdict, without any call', async () => {
    const scenarios = await resolveScenarios([]);
    const plan = buildPlan(scenarios);
    // A composed fault plans each of its steps.
    expect(plan.map((p) => p.scenario)).toEqual(scenarios.flatMap((s) => (s.fault.kind === 'composed' ? s.fault.steps.map(() => s.name) : [s.name])));
    const kill = plan.find((p) => p.fault === 'kill-pod')!;
    expect(kill.action).toMatch(/grace period 0/);
    const drain = plan.find((p) => p.fault === 'node-drain');
    if (drain) expect(drain.heal).toBe('uncordon the node');
    const text = dryRunText('kube', { context: 'prod', allowContext: [], kindConfig: 'kind-config.yaml' }, scenarios, 3);
    expect(text).toContain('context guard: would refuse: context prod is not allow-listed');
    expect(text).toContain('dry run: nothing was applied, injected or deleted.');
    for (const s of scenarios) expect(text).toContain(`${s.name} (${s.fault.kind}`);
  });
});

describe('manifests applied by the harness', () => {
  it('a placeholder password becomes a generated one in the Secret; overrides land in the ConfigMap', () => {
    const { objects, password } = prepareObjects(model, { sentinel: { 'down-after-milliseconds': '1500' } }, 'generated-pw');
    const secret = objects.find((o) => o.kind === 'Secret') as unknown as { stringData: Record<string, string>; data?: unknown };
    // The shipped manifest holds a placeholder.
    expect(model.password.value).toBeNull();
    expect(password).toBe('generated-pw');
    expect(secret.stringData[model.password.key]).toBe('generated-pw');
    expect(secret.data).toBeUndefined();
    const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === model.sentinelConf.configMap) as unknown as { data: Record<string, string> };
    expect(cm.data[model.sentinelConf.key]).toMatch(/sentinel down-after-milliseconds mymaster 1500/);
    // The model itself is untouched.
    expect(model.sentinelConf.text).not.toMatch(/down-after-milliseconds mymaster 1500/);
  });

  it('on an existing cluster, existing objects are left alone and only what it created is recorded; a failed apply removes what it created', async () => {
    const api = new FakeKube({ pods: model.podNames, existing: ['Namespace/matrix', 'Secret/redis-password'] });
    const created = await applyManifests(api, model.objects, false, () => {});
    expect(created.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      model.objects.map((o) => `${o.kind}/${o.metadata.name}`).filter((id) => id !== 'Namespace/matrix' && id !== 'Secret/redis-password'),
    );
    expect(api.calls.every((c) => c.endsWith(`manager=${FIELD_MANAGER}`))).toBe(true);
    expect(api.calls.some((c) => c.startsWith('apply Namespace') || c.startsWith('apply Secret'))).toBe(false);

    const failing = new FakeKube({ pods: model.podNames, failApply: `StatefulSet/${model.statefulSet}` });
    await expect(applyManifests(failing, model.objects, true, () => {})).rejects.toThrow(/refused/);
    const applied = failing.calls.filter((c) => c.startsWith('apply ')).map((c) => c.split(' ')[1]);
    const deleted = failing.calls.filter((c) => c.startsWith('delete ')).map((c) => c.split(' ')[1]);
    expect(deleted).toEqual([...applied].reverse());
    expect(deleted.length).toBeGreaterThan(0);
  });
});

describe('pod events for the timeline', () => {
  const pod = (o: Partial<KubePod>): KubePod => ({
    name: 'redis-0',
    uid: 'u1',
    phase: 'Running',
    ready: true,
    nodeName: 'w1',
    podIP: '10.0.0.1',
    deleting: false,
    containers: [],
    ...o,
  });
  it('reports terminating, deleted, created, scheduled and ready in the order they happen', () => {
    expect(podTransitions(pod({}), { type: 'MODIFIED', pod: pod({ deleting: true, ready: false }) }).map((e) => e.type)).toEqual([
      'pod-terminating',
      'not-ready',
    ]);
    expect(podTransitions(pod({}), { type: 'DELETED', pod: pod({}) })).toEqual([{ type: 'pod-deleted', detail: 'redis-0: uid u1 removed' }]);
    const created = pod({ uid: 'u2', phase: 'Pending', ready: false, nodeName: null, podIP: null });
    expect(podTransitions(undefined, { type: 'ADDED', pod: created }).map((e) => e.type)).toEqual(['pod-created']);
    expect(podTransitions(created, { type: 'MODIFIED', pod: { ...created, nodeName: 'w2' } }).map((e) => e.detail)).toEqual(['redis-0: on w2']);
    expect(podTransitions({ ...created, nodeName: 'w2' }, { type: 'MODIFIED', pod: { ...created, nodeName: 'w2', ready: true } }).map((e) => e.type)).toEqual([
      'ready',
    ]);
    const c = { name: 'sentinel', id: 'x', ready: true, running: true, restarts: 0 };
    expect(podTransitions(pod({ containers: [c] }), { type: 'MODIFIED', pod: pod({ containers: [{ ...c, restarts: 1 }] }) }).map((e) => e.type)).toEqual([
      'container-restarted',
    ]);
  });
});

describe('what a run on an existing cluster removes', () => {
  it('the claims of a StatefulSet it created, after the objects; none when the StatefulSet was there before', async () => {
    const { claimsOf, deleteCreated } = await import('../../../../src/targets/kube/kube-target.ts');
    const sts = model.objects.filter((o) => o.kind === 'StatefulSet');
    const claims = claimsOf(model, sts);
    expect(claims.map((c) => c.metadata.name)).toEqual(model.podNames.map((p) => `data-${p}`));
    expect(
      claimsOf(
        model,
        model.objects.filter((o) => o.kind !== 'StatefulSet'),
      ),
    ).toEqual([]);
    const api = new FakeKube({ pods: model.podNames });
    await deleteCreated(api, [...claims, ...sts]);
    expect(api.calls).toEqual([`delete StatefulSet/${model.statefulSet}`, ...model.podNames.map((p) => `delete PersistentVolumeClaim/data-${p}`).reverse()]);
  });
});
