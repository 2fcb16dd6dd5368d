import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { createControls, createNetwork, createSecretPassword, partitionRules, PodCache } from '../../../../src/targets/kube/controls.ts';
import { emptyProgress, runRotation, type RotationOps } from '../../../../src/faults/password-rotation.ts';
import { FakeKube, FakeNodeShell } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));

function setup(opts: { readyAfterGets?: number; shell?: boolean; unlabelled?: string[] } = {}) {
  const shell = new FakeNodeShell();
  const api = new FakeKube({
    pods: model.podNames,
    readyAfterGets: opts.readyAfterGets ?? 0,
    onDelete: (p) => shell.killPod(p),
    unlabelled: opts.unlabelled ?? [],
  });
  const deps = { api, namespace: model.namespace, model, nodeShell: opts.shell === false ? null : shell, pollMs: 1, readyTimeoutMs: 2000 };
  const cache = new PodCache();
  return { api, shell, deps, cache, ...createControls(deps, cache) };
}

describe('PodControl on Kubernetes', () => {
  it('kill deletes the pod with grace 0 and resolves once its processes are gone on the node; start waits for the recreated pod to be Ready', async () => {
    const { api, shell, podControl } = setup({ readyAfterGets: 3 });
    const before = api.pods.get('redis-0')!.uid;
    await podControl.kill('redis-0');
    expect(api.calls).toContain('delete pod redis-0 grace=0');
    // The processes were looked up before the delete and proven gone after it.
    const crictl = shell.calls.filter((c) => c.includes('crictl inspect'));
    expect(crictl).toHaveLength(2);
    expect(shell.calls.filter((c) => c.startsWith('worker-1: test -e /proc/'))).toHaveLength(2);
    // The StatefulSet recreated it at once (real Kubernetes behaviour), but it is not the pod that was killed.
    expect(api.pods.get('redis-0')!.uid).not.toBe(before);
    expect(podControl.isRunning('redis-0')).toBe(false);
    await podControl.start('redis-0');
    expect(api.pods.get('redis-0')!.ready).toBe(true);
    expect(await podControl.isReady('redis-0')).toBe(true);
  });

  it("refuses (exit 2) to delete, stop, evict, hold or copy from a pod without the manifests' labels, before any call that changes it", async () => {
    const { api, podControl, nodes, volumes } = setup({ unlabelled: ['redis-2'] });
    const refused = /^refusing to touch pod redis-2 in matrix: it does not carry the manifests' labels \(app\.kubernetes\.io\/name=redis\)/;
    for (const act of [
      () => podControl.kill('redis-2'),
      () => podControl.stop('redis-2', { preStop: true }),
      () => nodes.evict('redis-2'),
      () => volumes.hold!('redis-2'),
      () => volumes.backupAof('redis-2', '/nonexistent'),
    ]) {
      const err = await act().catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'HarnessError', code: 'USAGE' });
      expect((err as Error).message).toMatch(refused);
    }
    expect(api.calls.filter((c) => !c.startsWith('exec'))).toEqual([]);
    // The labelled ones are touched as before.
    await podControl.kill('redis-1');
    expect(api.calls).toContain('delete pod redis-1 grace=0');
  });

  it('start times out with a TIMEOUT error naming the pod when it never becomes Ready', async () => {
    const { podControl, deps } = setup({ readyAfterGets: 1_000_000 });
    deps.readyTimeoutMs = 30;
    await podControl.kill('redis-1');
    await expect(podControl.start('redis-1')).rejects.toThrow(/redis-1 was not recreated and Ready within 30 ms/);
  });

  it('stop without preStop is skipped with the reason: Kubernetes always runs preStop on a graceful delete', async () => {
    const { podControl } = setup();
    await expect(podControl.stop('redis-0', { preStop: false })).rejects.toMatchObject({ name: 'HarnessError', code: 'ABILITY_MISSING' });
  });

  it('rolling upgrade: image patch with OnDelete first, then pods deleted gracefully highest ordinal first, each Ready before the next; the strategy restored', async () => {
    const { api, podControl, restoreStrategy } = setup({ readyAfterGets: 2 });
    podControl.setRedisImage('redis:7.2.5-alpine');
    for (const pod of [...model.podNames].reverse()) {
      await podControl.stop(pod, { preStop: true });
      await podControl.start(pod);
      expect(await podControl.isReady(pod)).toBe(true);
    }
    await restoreStrategy();
    const relevant = api.calls.filter((c) => c.startsWith('patch statefulset') || c.startsWith('delete pod'));
    expect(relevant[0]).toContain('"type":"OnDelete"');
    expect(relevant[0]).toContain('"image":"redis:7.2.5-alpine"');
    expect(relevant[0]).toContain(`"name":"${model.redis.name}"`);
    const grace = model.terminationGracePeriodSeconds;
    expect(relevant.slice(1, 4)).toEqual([`delete pod redis-2 grace=${grace}`, `delete pod redis-1 grace=${grace}`, `delete pod redis-0 grace=${grace}`]);
    expect(relevant[4]).toMatch(/patch statefulset redis .*"updateStrategy":\{"type":"RollingUpdate"/);
  });

  it("killContainer and pause act on the container's process from its node, with proof", async () => {
    const { shell, podControl, pause } = setup();
    await podControl.killContainer('redis-1', 'sentinel');
    const kill = shell.calls.find((c) => c.includes('kill -KILL'))!;
    expect(kill).toMatch(/^worker-2: kill -KILL \d+$/);
    await pause.pause('redis-0', 'redis');
    expect(shell.calls.some((c) => /^worker-1: kill -STOP \d+$/.test(c))).toBe(true);
    expect(shell.calls.some((c) => /^worker-1: cat \/proc\/\d+\/stat$/.test(c))).toBe(true);
    await pause.resume('redis-0', 'redis');
    expect(shell.calls.at(-1)).toMatch(/^worker-1: kill -CONT \d+$/);
  });

  it('without a node shell, container kills and pauses are skipped with the reason', async () => {
    const { podControl, pause } = setup({ shell: false });
    await expect(podControl.killContainer('redis-0', 'redis')).rejects.toThrow(/docker exec into the kind node container/);
    await expect(pause.pause('redis-0', 'redis')).rejects.toMatchObject({ name: 'HarnessError', code: 'ABILITY_MISSING' });
  });

  it("runPreStop execs the manifest's preStop hook in the redis container", async () => {
    const { api, podControl } = setup();
    expect(await podControl.runPreStop('redis-0')).toBe(true);
    expect(api.calls.at(-1)).toBe(`exec redis-0/${model.redis.name} ${model.redis.preStop!.join(' ')}`);
  });
});

describe('node drain on Kubernetes', () => {
  it('cordon → evict (201) → a second eviction answered 429 with the DisruptionBudget cause → uncordon', async () => {
    const { api, nodes, podControl } = setup({ readyAfterGets: 5 });
    await nodes.cordon('worker-1');
    expect(await nodes.evict('redis-0')).toEqual({ evicted: true });
    // redis-0 is not ready yet: only one other pod would stay ready, the PDB (minAvailable 2) refuses.
    const second = await nodes.evict('redis-1');
    expect(second.evicted).toBe(false);
    expect(second.evicted === false && second.reason).toMatch(/^HTTP 429 \(DisruptionBudget\): Cannot evict pod/);
    // Its volume is pinned to worker-1 (local-path): the replacement stays Pending, unscheduled, while the node is cordoned.
    expect(nodes.nodeOf('redis-0')).toBe('(not scheduled)');
    expect(api.nodes.get('worker-1')!.annotations['sentinel-chaos/cordoned-by']).toBe('run');
    await nodes.uncordon('worker-1');
    expect(api.nodes.get('worker-1')).toEqual({ name: 'worker-1', unschedulable: false, annotations: {} });
    expect(api.calls.filter((c) => !c.startsWith('exec'))).toEqual(['cordon worker-1', 'evict redis-0 -> 201', 'evict redis-1 -> 429', 'uncordon worker-1']);
    await podControl.isReady('redis-0');
    expect(nodes.nodeOf('redis-0')).toBe('worker-1');
  });
});

describe('partition through the node container', () => {
  it("inserts DROP rules inside the isolated pod's network namespace, proves a probe times out, cuts the majority client, and deletes the same rules on heal", async () => {
    const { deps, shell } = setup();
    const blocked: string[] = [];
    const network = createNetwork(deps, { majorityClientAddress: '127.0.250.200', blockMajority: (pod, on) => blocked.push(`${pod}:${on}`) });
    expect(await network.unavailableReason()).toBeNull();
    const p = await network.partition({ isolate: 'redis-0', cut: 'all' });
    // The pid crictl reported for redis-0's redis container on worker-1 is the namespace the rules go into.
    expect(shell.calls[0]).toMatch(/^worker-1: crictl inspect --output go-template --template \{\{\.info\.pid\}\} redis-0-redis-\d+$/);
    const pid = Number((await shell.exec('worker-1', shell.calls[0]!.slice('worker-1: '.length).split(' '))).stdout);
    const inserts = shell.calls.filter((c) => c.includes(' -I '));
    expect(inserts).toEqual(partitionRules(pid, ['10.244.2.5', '10.244.3.5'], '-I').map((a) => `worker-1: ${a.join(' ')}`));
    expect(inserts[0]).toBe(`worker-1: nsenter --target ${pid} --net iptables -w -I INPUT -s 10.244.2.5 -j DROP`);
    expect(shell.calls.some((c) => c.includes('timeout 1 bash -c exec 3<>/dev/tcp/10.244.2.5/6379'))).toBe(true);
    expect(p.description).toContain('10.244.2.5, 10.244.3.5');
    expect(blocked).toEqual(['redis-0:true']);
    await p.heal();
    await p.heal();
    expect(shell.calls.filter((c) => c.includes(' -D '))).toHaveLength(inserts.length);
    expect(blocked).toEqual(['redis-0:true', 'redis-0:false']);
  });

  it('a probe that is not blocked fails the partition and removes its rules', async () => {
    const { deps, shell } = setup();
    shell.probeExit = 1;
    const network = createNetwork(deps, { majorityClientAddress: '127.0.250.200', blockMajority: () => {} });
    await expect(network.partition({ isolate: 'redis-1', cut: 'all' })).rejects.toThrow(/not in effect/);
    expect(shell.calls.filter((c) => c.includes(' -D '))).toHaveLength(4);
  });

  it('a sentinels-only cut is skipped on Kubernetes; without node access partitions are unavailable', async () => {
    const { deps } = setup();
    const network = createNetwork(deps, { majorityClientAddress: 'x', blockMajority: () => {} });
    await expect(network.partition({ isolate: 'redis-0', cut: 'sentinels' })).rejects.toMatchObject({ name: 'HarnessError', code: 'ABILITY_MISSING' });
    const none = createNetwork({ ...deps, nodeShell: null }, { majorityClientAddress: 'x', blockMajority: () => {} });
    expect(await none.unavailableReason()).toMatch(/only the kind target/);
  });
});

describe('password rotation on Kubernetes', () => {
  it('the rotation adds the new password everywhere before the Secret is updated, then masterauth, sentinels, clients, retirement', async () => {
    const { api } = setup();
    const secret = createSecretPassword(api, model.namespace, model, 'old-secret-value');
    const order: string[] = [];
    const ops: RotationOps = {
      addPassword: async (p) => void order.push(`add ${p.name}`),
      removePassword: async (p) => void order.push(`retire ${p.name}`),
      setMasterauth: async (p) => void order.push(`masterauth ${p.name}`),
      setSentinelAuthPass: async (p) => void order.push(`auth-pass ${p.name}`),
      setSecret: async (pw) => {
        await secret.setPassword(pw);
        order.push(`secret ${api.calls.at(-1)}`);
      },
      setClientPassword: () => void order.push('clients'),
      clientsSettled: async () => 20,
    };
    const pods = model.podNames.map((name, ordinal) => ({
      name,
      ordinal,
      node: 'n',
      redis: { host: name, port: 6379 },
      sentinel: { host: name, port: 26379 },
    }));
    await runRotation(
      pods,
      'old-secret-value',
      'new-secret-value',
      ops,
      () => {},
      emptyProgress(),
      () => 0,
    );
    const kinds = order.map((o) => o.split(' ')[0]);
    expect(kinds).toEqual([
      'add',
      'add',
      'add',
      'secret',
      'masterauth',
      'masterauth',
      'masterauth',
      'auth-pass',
      'auth-pass',
      'auth-pass',
      'clients',
      'retire',
      'retire',
      'retire',
    ]);
    expect(order[3]).toBe(`secret patch secret ${model.password.secret} keys=${model.password.key}`);
    expect(api.secret[model.password.key]).toBe('new-secret-value');
    expect(secret.password).toBe('new-secret-value');
    expect(secret.passwords).toEqual(['old-secret-value', 'new-secret-value']);
    // The recorded calls never carry the password.
    expect(api.calls.join('\n')).not.toContain('new-secret-value');
  });
});

describe('heals that also run on SIGINT', () => {
  it('uncordonAll puts back every node a drain cordoned, and only those', async () => {
    const { api, nodes, uncordonAll } = setup();
    await nodes.cordon('worker-1');
    await nodes.cordon('worker-2');
    await nodes.uncordon('worker-2');
    await uncordonAll();
    await uncordonAll();
    expect(api.calls).toEqual(['cordon worker-1', 'cordon worker-2', 'uncordon worker-2', 'uncordon worker-1']);
  });
});
