// startKubeDeployment against the fake: what it applies and waits for, and that a set-up that fails
// (here: Sentinel never converges, no redis behind the forwards) leaves nothing behind.
import dns from 'node:dns';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { startKubeDeployment } from '../../../../src/targets/kube/kube-target.ts';
import { helperPod, WIPE_SCRIPT } from '../../../../src/targets/kube/volumes.ts';
import { FakeKube, FakeNodeShell } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));

const listening = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

describe('startKubeDeployment', () => {
  it('applies every manifest, then on a failed convergence removes what it created, its forwards and its resolver', async () => {
    const api = new FakeKube({ pods: model.podNames });
    const lookupBefore = dns.lookup;
    let afterDown = 0;
    const err = await startKubeDeployment({
      model,
      api,
      nodeShell: new FakeNodeShell(),
      target: 'kind',
      subnet: 251,
      applyExisting: true,
      keep: false,
      convergeTimeoutMs: 1500, // long enough for a probe through the forwards on a loaded machine
      afterDown: async () => void afterDown++,
    }).then(
      () => new Error('started'),
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/did not converge within 1500 ms/);
    const applied = api.calls.filter((c) => c.startsWith('apply ')).map((c) => c.split(' ')[1]);
    expect(applied).toEqual(model.objects.map((o) => `${o.kind}/${o.metadata.name}`));
    // The forwards were tried (the convergence probes went through them) and are closed now.
    expect(api.calls.some((c) => c === `port-forward redis-0:${model.sentinelPort}`)).toBe(true);
    expect(await listening('127.0.251.1', model.sentinelPort)).toBe(false);
    expect(dns.lookup).toBe(lookupBefore);
    // Deleted: the claims, then everything applied, newest first; then the cluster.
    const deleted = api.calls.filter((c) => c.startsWith('delete ') && !c.startsWith('delete pod')).map((c) => c.split(' ')[1]);
    expect(deleted).toEqual([...applied].reverse().concat(model.podNames.map((p) => `PersistentVolumeClaim/data-${p}`).reverse()));
    expect(afterDown).toBe(1);
    // The generated password went into the Secret's stringData, never into a recorded call.
    expect(api.calls.join('\n')).not.toMatch(/password=/);
  });

  it('an existing cluster: pre-existing objects untouched and not deleted; with --keep nothing is deleted', async () => {
    const existing = model.objects.filter((o) => o.kind !== 'ConfigMap').map((o) => `${o.kind}/${o.metadata.name}`);
    const api = new FakeKube({ pods: model.podNames, existing });
    api.secret[model.password.key] = 'the-cluster-password';
    await startKubeDeployment({ model, api, nodeShell: null, target: 'kube', subnet: 251, applyExisting: false, keep: false, convergeTimeoutMs: 200 }).catch(
      () => {},
    );
    const applied = api.calls.filter((c) => c.startsWith('apply ')).map((c) => c.split(' ')[1]);
    expect(applied).toEqual(model.objects.filter((o) => o.kind === 'ConfigMap').map((o) => `ConfigMap/${o.metadata.name}`));
    const deleted = api.calls.filter((c) => c.startsWith('delete ')).map((c) => c.split(' ')[1]);
    expect(deleted).toEqual([...applied].reverse());
    expect(api.secret[model.password.key]).toBe('the-cluster-password');

    const kept = new FakeKube({ pods: model.podNames });
    await startKubeDeployment({
      model,
      api: kept,
      nodeShell: null,
      target: 'kind',
      subnet: 251,
      applyExisting: true,
      keep: true,
      convergeTimeoutMs: 200,
    }).catch(() => {});
    expect(kept.calls.filter((c) => c.startsWith('delete '))).toEqual([]);
  });

  it("the teardown runs the volume heals: the run's helper pods (by label) deleted; another run's left alone", async () => {
    const api = new FakeKube({ pods: model.podNames });
    const helper = (runId: string) =>
      helperPod({
        runId,
        namespace: model.namespace,
        pod: 'redis-0',
        node: 'worker-1',
        claim: 'data-redis-0',
        image: 'redis',
        mountPath: '/data',
        script: WIPE_SCRIPT,
        args: [],
      });
    await api.createPod(model.namespace, helper('r9'));
    await api.createPod(model.namespace, helper('other'));
    await startKubeDeployment({
      model,
      api,
      nodeShell: null,
      target: 'kube',
      subnet: 251,
      applyExisting: false,
      keep: true,
      convergeTimeoutMs: 200,
      runId: 'r9',
    }).catch(() => {});
    expect([...api.helpers.keys()]).toEqual(['sc-other-vol-redis-0']);
    expect(api.calls).toContain('delete pod sc-r9-vol-redis-0 grace=0');
  });

  it("waits for the StatefulSet's updated revision to be rolled out, and says which when it is not", async () => {
    const api = new FakeKube({ pods: model.podNames });
    api.sts = { ...api.sts, updatedReplicas: 1, updateRevision: 'r2' };
    const err = await startKubeDeployment({
      model,
      api,
      nodeShell: null,
      target: 'kind',
      subnet: 251,
      applyExisting: true,
      keep: false,
      rolloutTimeoutMs: 300,
    }).then(
      () => new Error('started'),
      (e: unknown) => e as Error,
    );
    expect(err.message).toContain(`StatefulSet ${model.namespace}/${model.statefulSet} not rolled out within 300 ms`);
    expect(err.message).toContain(`kubectl -n ${model.namespace} describe statefulset ${model.statefulSet}`);
  });
});
