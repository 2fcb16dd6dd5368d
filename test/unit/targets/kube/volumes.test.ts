// The volumes ability on kind / kube against the recording fake: the pod held down by cordoning its node (its
// node-pinned volume keeps the replacement Pending), a helper pod on that node changes the claim, then the uncordon;
// the heals on failure and on SIGINT; `down` after a SIGKILL. The helper's shell runs for real on a temp dir.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { isHarnessError } from '../../../../src/errors.ts';
import type { V1PersistentVolume } from '@kubernetes/client-node';
import type { PodObject } from '../../../../src/targets/kube/api.ts';
import { pinnedHostnames } from '../../../../src/targets/kube/client-node.ts';
import { createControls, PodCache } from '../../../../src/targets/kube/controls.ts';
import { CORDONED_BY, downCordons, NodeCordons } from '../../../../src/targets/kube/cordon.ts';
import { dataVolumeOf, downHelperPods, helperPod, kubeVolumes, parseTruncation, TRUNCATE_SCRIPT, WIPE_SCRIPT } from '../../../../src/targets/kube/volumes.ts';
import { fastPodOps, FakeKube, FakeNodeShell, type FakeOptions } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));
const ns = model.namespace;
const HELPER = 'sc-r1-vol-redis-0';

function setup(o: Partial<FakeOptions> = {}) {
  const shell = new FakeNodeShell();
  const api = new FakeKube({ pods: model.podNames, readyAfterGets: 2, onDelete: (p) => shell.killPod(p), ...o });
  const created: PodObject[] = [];
  const create = api.createPod.bind(api);
  api.createPod = async (n, p) => {
    created.push(structuredClone(p));
    await create(n, p);
  };
  const deps = { api, namespace: ns, model, nodeShell: shell, pollMs: 1, readyTimeoutMs: 2000, runId: 'r1' };
  const c = createControls(deps, new PodCache());
  const k8s = () => api.calls.filter((x) => !x.startsWith('exec'));
  return { api, created, k8s, deps, ...c };
}

describe('volume change on Kubernetes (empty-volume, aof-damage)', () => {
  it('hold cordons the node (annotated with the run), kill leaves the replacement Pending, a helper pod on the node wipes the claim, is deleted, the node uncordoned, start waits for Ready', async () => {
    const { api, created, k8s, podControl, volumes } = setup();
    await volumes.hold!('redis-0');
    expect(api.nodes.get('worker-1')).toEqual({ name: 'worker-1', unschedulable: true, annotations: { [CORDONED_BY]: 'r1' } });
    await podControl.kill('redis-0');
    // The StatefulSet recreated it, but its volume is pinned to the cordoned node: Pending, not scheduled.
    const held = api.pods.get('redis-0')!;
    expect([held.phase, held.nodeName, podControl.isRunning('redis-0')]).toEqual(['Pending', null, false]);
    await volumes.wipe('redis-0');
    expect(k8s()).toEqual([
      'cordon worker-1',
      'delete pod redis-0 grace=0',
      `create pod ${HELPER} on worker-1 claim data-redis-0`,
      `log ${HELPER}/volume`,
      `delete pod ${HELPER} grace=0`,
      'uncordon worker-1',
    ]);
    expect(api.nodes.get('worker-1')).toEqual({ name: 'worker-1', unschedulable: false, annotations: {} });
    expect(api.helpers.size).toBe(0);
    const h = created[0]!;
    expect(h.metadata.labels).toEqual({ 'sentinel-chaos.run': 'r1', 'app.kubernetes.io/managed-by': 'sentinel-chaos', 'sentinel-chaos/role': 'volume-helper' });
    const spec = h.spec as {
      nodeName: string;
      restartPolicy: string;
      activeDeadlineSeconds: number;
      containers: Array<{ image: string; command: string[]; volumeMounts: unknown[] }>;
    };
    expect([spec.nodeName, spec.restartPolicy, spec.activeDeadlineSeconds]).toEqual(['worker-1', 'Never', 120]);
    expect(spec.containers[0]!.image).toBe('redis:7.0.15-alpine');
    expect(spec.containers[0]!.command).toEqual(['sh', '-c', WIPE_SCRIPT, 'sh', '/data']);
    expect(h.spec.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-redis-0' } }]);
    // Uncordoned: scheduled back on its node, Ready after the fake's delay.
    await podControl.start('redis-0');
    expect(api.pods.get('redis-0')!.nodeName).toBe('worker-1');
    expect(await podControl.isReady('redis-0')).toBe(true);
  });

  it('truncateAofTail runs the truncation script with the byte count and returns what the helper reported', async () => {
    const { created, podControl, volumes } = setup({ helperLog: 'truncated appendonlydir/appendonly.aof.1.incr.aof 1000 993\n' });
    await volumes.hold!('redis-1');
    await podControl.kill('redis-1');
    expect(await volumes.truncateAofTail('redis-1', 7)).toEqual({ file: 'appendonlydir/appendonly.aof.1.incr.aof', sizeBefore: 1000, sizeAfter: 993 });
    const c = (created[0]!.spec as { containers: Array<{ command: string[] }> }).containers[0]!;
    expect(c.command).toEqual(['sh', '-c', TRUNCATE_SCRIPT, 'sh', '/data', '7']);
    await podControl.start('redis-1');
  });

  it('a failed helper: the error names it and its last log line; the helper is deleted and the node uncordoned all the same', async () => {
    const { api, k8s, podControl, volumes } = setup({ helperFails: true, helperLog: 'no AOF manifest in appendonlydir/\n' });
    await volumes.hold!('redis-1');
    await podControl.kill('redis-1');
    const err = await volumes.truncateAofTail('redis-1', 7).catch((e: unknown) => e);
    expect(isHarnessError(err) && err.code).toBe('PROCESS_FAILED');
    expect((err as Error).message).toBe('helper pod sc-r1-vol-redis-1 (truncating an AOF on claim data-redis-1) failed: no AOF manifest in appendonlydir/');
    expect(k8s().slice(-2)).toEqual(['delete pod sc-r1-vol-redis-1 grace=0', 'uncordon worker-2']);
    expect(api.helpers.size).toBe(0);
    expect(api.nodes.get('worker-2')!.unschedulable).toBe(false);
    await podControl.start('redis-1');
  });

  it('a helper that never completes: TIMEOUT, deleted, uncordoned', async () => {
    const api = new FakeKube({ pods: model.podNames, helperGets: Infinity });
    const cordons = new NodeCordons(api, 'r1');
    const ops = fastPodOps(api, ns);
    const v = kubeVolumes({ api, namespace: ns, model, nodeShell: null, pollMs: 1, readyTimeoutMs: 100, runId: 'r1' }, ops, cordons, 30);
    await v.hold!('redis-0');
    await api.deletePod(ns, 'redis-0', 0);
    await expect(v.wipe('redis-0')).rejects.toThrow(`helper pod ${HELPER} (wiping a volume on claim data-redis-0) did not complete within 30 ms`);
    expect(api.calls.slice(-2)).toEqual([`delete pod ${HELPER} grace=0`, 'uncordon worker-1']);
  });

  it('a volume not pinned to a node (network-attached): skipped (ABILITY_MISSING) before anything is cordoned', async () => {
    const { k8s, volumes } = setup({ pinnedVolumes: false });
    const err = await volumes.hold!('redis-0').catch((e: unknown) => e);
    expect(isHarnessError(err) && err.code).toBe('ABILITY_MISSING');
    expect((err as Error).message).toMatch(/^the PersistentVolume of claim data-redis-0 is not pinned to one node/);
    expect(k8s()).toEqual([]);
  });

  it('a change without a hold, or on a pod still running, is refused', async () => {
    const { api, volumes } = setup();
    await expect(volumes.wipe('redis-0')).rejects.toThrow(/needs the pod held down first/);
    await volumes.hold!('redis-0');
    await expect(volumes.wipe('redis-0')).rejects.toThrow('wiping a volume needs redis-0 stopped (its volume is in use)');
    // Refused, and the hold released: nothing created, the node back in service.
    expect(api.calls.filter((c) => c.startsWith('create'))).toEqual([]);
    expect(api.nodes.get('worker-1')!.unschedulable).toBe(false);
  });

  it("a node someone else had cordoned holds the pod just the same and is left cordoned (never this run's to uncordon)", async () => {
    const { api, k8s, podControl, volumes } = setup({ cordoned: ['worker-1'] });
    await volumes.hold!('redis-0');
    await podControl.kill('redis-0');
    await volumes.wipe('redis-0');
    expect(k8s().filter((c) => c.includes('cordon'))).toEqual([]);
    expect(api.nodes.get('worker-1')).toEqual({ name: 'worker-1', unschedulable: true, annotations: {} });
  });

  it('SIGINT mid-change: the heals registered by the target delete the run-labelled helper and uncordon the node', async () => {
    const { api, k8s, podControl, volumes, uncordonAll } = setup({ helperGets: Infinity });
    await volumes.hold!('redis-0');
    await podControl.kill('redis-0');
    const pending = volumes.wipe('redis-0').catch((e: Error) => e);
    while (api.helpers.size === 0) await sleep(1);
    // What kube-target.ts runs on interrupt, in its order: volumes.healAll, then uncordonAll.
    await volumes.healAll();
    await uncordonAll();
    expect(api.helpers.size).toBe(0);
    expect(api.nodes.get('worker-1')).toEqual({ name: 'worker-1', unschedulable: false, annotations: {} });
    expect(k8s()).toContain(`delete pod ${HELPER} grace=0`);
    expect(k8s().filter((c) => c === 'uncordon worker-1')).toHaveLength(1);
    expect(((await pending) as Error).message).toBe(`helper pod ${HELPER} (wiping a volume on claim data-redis-0) was deleted before it completed`);
  });
});

describe('down after a SIGKILLed run', () => {
  it("deletes the run's helper pods by label and uncordons the nodes annotated with its id, only that run's with --run", async () => {
    const api = new FakeKube({ pods: model.podNames });
    const leftover = (run: string, pod: string, node: string) =>
      helperPod({ runId: run, namespace: ns, pod, node, claim: `data-${pod}`, image: 'redis', mountPath: '/data', script: WIPE_SCRIPT, args: [] });
    await api.createPod(ns, leftover('run-a', 'redis-0', 'worker-1'));
    await api.createPod(ns, leftover('run-b', 'redis-1', 'worker-2'));
    await new NodeCordons(api, 'run-a').cordon('worker-1');
    await new NodeCordons(api, 'run-b').cordon('worker-2');
    expect(await downHelperPods(api, ns, 'run-a')).toEqual(['deleted helper pod sc-run-a-vol-redis-0']);
    expect(await downCordons(api, 'run-a')).toEqual(['uncordoned node worker-1 (cordoned by run run-a)']);
    expect([...api.helpers.keys()]).toEqual(['sc-run-b-vol-redis-1']);
    expect(api.nodes.get('worker-2')!.unschedulable).toBe(true);
    // Without --run: every run's.
    expect(await downHelperPods(api, ns)).toEqual(['deleted helper pod sc-run-b-vol-redis-1']);
    expect(await downCordons(api)).toEqual(['uncordoned node worker-2 (cordoned by run run-b)']);
    expect([...api.nodes.values()].every((n) => !n.unschedulable && Object.keys(n.annotations).length === 0)).toBe(true);
    expect(await downCordons(api)).toEqual([]);
  });
});

describe('the helper pod', () => {
  it("uses the redis container's image and its volumeClaimTemplate mount, and its security contexts when the manifests set them", () => {
    expect(dataVolumeOf(model)).toEqual({ template: 'data', mountPath: '/data', image: 'redis:7.0.15-alpine' });
    const hardened = structuredClone(model);
    const sts = hardened.objects.find((o) => o.kind === 'StatefulSet')!.spec as {
      template: { spec: { securityContext?: unknown; containers: Array<{ name: string; securityContext?: unknown }> } };
    };
    sts.template.spec.securityContext = { runAsUser: 999, fsGroup: 999, runAsNonRoot: true };
    sts.template.spec.containers.find((c) => c.name === 'redis')!.securityContext = { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
    const v = dataVolumeOf(hardened);
    const pod = helperPod({ ...v, runId: 'r1', namespace: ns, pod: 'redis-0', node: 'worker-1', claim: 'data-redis-0', script: WIPE_SCRIPT, args: [] });
    expect(pod.spec.securityContext).toEqual({ runAsUser: 999, fsGroup: 999, runAsNonRoot: true });
    expect((pod.spec.containers as Array<{ securityContext: unknown }>)[0]!.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('parseTruncation reads the last report line and refuses output without one', () => {
    expect(parseTruncation('x\ntruncated appendonlydir/a.incr.aof 10 3\n')).toEqual({ file: 'appendonlydir/a.incr.aof', sizeBefore: 10, sizeAfter: 3 });
    expect(() => parseTruncation('sh: truncate: not found\n')).toThrow('the volume helper did not report a truncation: sh: truncate: not found');
  });
});

describe("the helper's scripts, run by sh on a temp dir", () => {
  const run = promisify(execFile);
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const dataDir = async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), 'sc-vol-'));
    dirs.push(d);
    return d;
  };
  const sh = (script: string, ...args: string[]) =>
    run('sh', ['-c', script, 'sh', ...args]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );

  it('wipe empties the data dir, dot files and directories included', async () => {
    const d = await dataDir();
    await mkdir(path.join(d, 'appendonlydir'));
    await writeFile(path.join(d, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'x');
    await writeFile(path.join(d, 'dump.rdb'), 'x');
    await writeFile(path.join(d, '.hidden'), 'x');
    await writeFile(path.join(d, '..odd'), 'x');
    expect(await sh(WIPE_SCRIPT, d)).toEqual({ code: 0, out: `emptied ${d}\n` });
    expect(await readdir(d)).toEqual([]);
  });

  it('truncate cuts the incremental file with the highest seq (numerically), never below zero; no manifest: exit 3', async () => {
    const d = await dataDir();
    const aof = path.join(d, 'appendonlydir');
    await mkdir(aof);
    await writeFile(
      path.join(aof, 'appendonly.aof.manifest'),
      'file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.9.incr.aof seq 9 type i\nfile appendonly.aof.10.incr.aof seq 10 type i\n',
    );
    await writeFile(path.join(aof, 'appendonly.aof.9.incr.aof'), 'a'.repeat(50));
    await writeFile(path.join(aof, 'appendonly.aof.10.incr.aof'), 'b'.repeat(100));
    const r = await sh(TRUNCATE_SCRIPT, d, '7');
    expect(r).toEqual({ code: 0, out: 'truncated appendonlydir/appendonly.aof.10.incr.aof 100 93\n' });
    expect(parseTruncation(r.out)).toEqual({ file: 'appendonlydir/appendonly.aof.10.incr.aof', sizeBefore: 100, sizeAfter: 93 });
    expect((await stat(path.join(aof, 'appendonly.aof.10.incr.aof'))).size).toBe(93);
    expect((await stat(path.join(aof, 'appendonly.aof.9.incr.aof'))).size).toBe(50);
    expect((await sh(TRUNCATE_SCRIPT, d, '1000')).out).toBe('truncated appendonlydir/appendonly.aof.10.incr.aof 93 0\n');
    expect(await sh(TRUNCATE_SCRIPT, await dataDir(), '7')).toEqual({ code: 3, out: 'no AOF manifest in appendonlydir/\n' });
  });
});

describe('pinnedHostnames (client-node: where a PersistentVolume is pinned)', () => {
  const pv = (terms: unknown[] | undefined) =>
    ({ spec: { nodeAffinity: terms ? { required: { nodeSelectorTerms: terms } } : undefined } }) as V1PersistentVolume;
  it("local-path's volume: the hostname it requires; a network-attached or zonal volume: null", () => {
    expect(pinnedHostnames(pv([{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-2'] }] }]))).toEqual(['worker-2']);
    expect(pinnedHostnames(pv(undefined))).toBeNull();
    expect(pinnedHostnames(pv([{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-1a'] }] }]))).toBeNull();
    // Any term without a hostname pin: the scheduler may place the pod through that term anywhere it allows.
    expect(
      pinnedHostnames(
        pv([
          { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['worker-1'] }] },
          { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-1a'] }] },
        ]),
      ),
    ).toBeNull();
  });
});
