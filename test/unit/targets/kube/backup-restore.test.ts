// backup-restore on kind / kube against the recording fake: the master's AOF copied out of its running redis
// container (tar over exec), every pod held down (node cordoned) and deleted, a helper pod per claim receiving the
// tar on its stdin, the helpers deleted, the nodes uncordoned; a failed or hung helper, SIGINT, unpinned volumes.
// The Kubernetes API is the fake; the scripts run for real (sh, tar) on temp dirs standing for the claims.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createClock } from '../../../../src/clock.ts';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { isHarnessError } from '../../../../src/errors.ts';
import type * as Day2 from '../../../../src/faults/day2.ts';
import type { FaultContext } from '../../../../src/faults/fault.ts';
import type { ExecBytesResult } from '../../../../src/targets/kube/api.ts';
import { createControls, PodCache } from '../../../../src/targets/kube/controls.ts';
import { BACKUP_SCRIPT, BACKUP_TAR, RESTORE_SCRIPT, tarEntries, WAIT_SCRIPT } from '../../../../src/targets/kube/volumes.ts';
import type { Pod, StartedDeployment } from '../../../../src/targets/target.ts';
import { fastPodOps, FakeKube, FakeNodeShell, type FakeOptions } from '../../../support/kube-fake.ts';

// The dataset steps talk to Redis through the forwards: out of scope here (the integration suite runs them on real
// redis); the fault's own Kubernetes steps are what this file checks.
vi.mock('../../../../src/faults/day2.ts', async (orig) => ({
  ...(await orig<typeof Day2>()),
  writeDataset: async () => ['k1', 'k2'],
  countOnMaster: async () => 2,
  waitWritable: async () => null,
  waitSettled: async () => true,
}));
const { backupRestore } = await import('../../../../src/faults/backup-restore.ts');

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));
const ns = model.namespace;
const grace = model.terminationGracePeriodSeconds;
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const tempDir = async (prefix: string) => {
  const d = await mkdtemp(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
};

/** The script of an exec run by sh with the claim's temp dir in place of its mount path, stdin given. */
function runScript(command: readonly string[], dir: string, stdin: Buffer | null): ExecBytesResult {
  const [, , script, argv0, , ...args] = command;
  const r = spawnSync('sh', ['-c', script!, argv0!, dir, ...args], { input: stdin ?? Buffer.alloc(0) });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** A data dir as Redis 7 leaves it: appendonlydir with a manifest, base and incremental file, and an RDB. */
async function redisDataDir(tag: string): Promise<string> {
  const d = await tempDir(`sc-claim-${tag}-`);
  await mkdir(path.join(d, 'appendonlydir'));
  await writeFile(
    path.join(d, 'appendonlydir', 'appendonly.aof.manifest'),
    `file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n`,
  );
  await writeFile(path.join(d, 'appendonlydir', 'appendonly.aof.1.base.rdb'), `base of ${tag}`);
  await writeFile(path.join(d, 'appendonlydir', 'appendonly.aof.1.incr.aof'), `*1\r\n$4\r\nPING\r\n${tag}`);
  await writeFile(path.join(d, 'dump.rdb'), `rdb of ${tag}`);
  return d;
}

async function setup(o: Partial<FakeOptions> = {}) {
  const claims: Record<string, string> = {};
  for (const p of model.podNames) claims[`data-${p}`] = await redisDataDir(p);
  const shell = new FakeNodeShell();
  // Which claim an exec reaches: the pod's own (the redis container), or the one a helper mounts.
  const claimOf = (pod: string) => {
    const h = api.helpers.get(pod);
    return h ? (h.obj.spec as { volumes: Array<{ persistentVolumeClaim: { claimName: string } }> }).volumes[0]!.persistentVolumeClaim.claimName : `data-${pod}`;
  };
  const api: FakeKube = new FakeKube({
    pods: model.podNames,
    readyAfterGets: 1,
    onDelete: (p) => shell.killPod(p),
    execBytes: async (pod, _c, command, stdin) => runScript(command, claims[claimOf(pod)]!, stdin),
    ...o,
  });
  const deps = { api, namespace: ns, model, nodeShell: shell, pollMs: 1, readyTimeoutMs: 2000, runId: 'r1' };
  const controls = createControls(deps, new PodCache());
  const k8s = () => api.calls.filter((x) => !x.startsWith('exec'));
  return { api, claims, k8s, ...controls };
}

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `worker-${i + 1}`,
  redis: { host: `127.0.1.${i + 1}`, port: 6379 },
  sentinel: { host: `127.0.1.${i + 1}`, port: 26379 },
});

function faultContext(c: Awaited<ReturnType<typeof setup>>): { ctx: FaultContext; marks: string[] } {
  const marks: string[] = [];
  const deployment = { target: 'kind', model, pods: [pod(0), pod(1), pod(2)], podControl: c.podControl, volumes: c.volumes } as unknown as StartedDeployment;
  const ctx: FaultContext = {
    deployment,
    topology: { master: pod(0), replicas: [pod(1), pod(2)] },
    clock: createClock(),
    ms: (d) => (typeof d === 'number' ? d : 1000),
    mark: (type, detail) => marks.push(detail ? `${type}: ${detail}` : type),
    podEvent: () => {},
    events: () => [],
    history: () => [],
    setClientPassword: () => {},
  };
  return { ctx, marks };
}

const helper = (p: string) => `sc-r1-vol-${p}`;

describe('backup-restore on Kubernetes (the fault against the fake)', () => {
  it('backs up through exec, holds every pod down, restores each claim through a helper, then lets every pod back', async () => {
    const c = await setup();
    const { ctx, marks } = faultContext(c);
    const injected = await backupRestore(ctx, { preStop: true, settleTimeoutMs: 1000 });
    const sent = /stdin=(\d+)$/.exec(c.k8s().find((x) => x.startsWith(`stream ${helper('redis-0')}`))!)![1];
    expect(c.k8s()).toEqual([
      'stream redis-0/redis [sh /data] stdin=0',
      'cordon worker-1',
      'cordon worker-2',
      'cordon worker-3',
      `delete pod redis-0 grace=${grace}`,
      `delete pod redis-1 grace=${grace}`,
      `delete pod redis-2 grace=${grace}`,
      ...['redis-0', 'redis-1', 'redis-2'].flatMap((p) => [
        `create pod ${helper(p)} on worker-${Number(p.at(-1)) + 1} claim data-${p}`,
        `stream ${helper(p)}/volume [sh /data ${sent}] stdin=${sent}`,
        `delete pod ${helper(p)} grace=0`,
      ]),
      'uncordon worker-1',
      'uncordon worker-2',
      'uncordon worker-3',
    ]);
    // Every claim now holds the master's AOF (its RDB dropped), and every pod is back and Ready.
    for (const p of model.podNames) {
      const d = c.claims[`data-${p}`]!;
      expect((await readdir(d)).sort(), p).toEqual(['appendonlydir']);
      expect(await readFile(path.join(d, 'appendonlydir', 'appendonly.aof.1.base.rdb'), 'utf8'), p).toBe('base of redis-0');
      expect(await c.podControl.isReady(p), p).toBe(true);
    }
    expect(c.api.helpers.size).toBe(0);
    expect([...c.api.nodes.values()].every((n) => !n.unschedulable && Object.keys(n.annotations).length === 0)).toBe(true);
    expect(marks[1]).toBe(
      'backup: 3 files: appendonlydir/appendonly.aof.1.base.rdb, appendonlydir/appendonly.aof.1.incr.aof, appendonlydir/appendonly.aof.manifest',
    );
    expect(injected.figures).toMatchObject({ backup_files: 3 });
    // The helpers waited to be exec'd into: the tar went in on stdin, not in the pod spec.
    const created = c.api.calls.filter((x) => x.startsWith('create pod'));
    expect(created).toHaveLength(3);
  });

  it('a claim not pinned to a node: skipped (ABILITY_MISSING) after the backup, before any pod is stopped or node cordoned', async () => {
    const c = await setup({ pinnedVolumes: false });
    const { ctx } = faultContext(c);
    const err = await backupRestore(ctx, { preStop: true, settleTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(isHarnessError(err) && err.code).toBe('ABILITY_MISSING');
    expect((err as Error).message).toMatch(/^the PersistentVolume of claim data-redis-0 is not pinned to one node/);
    expect(c.k8s()).toEqual(['stream redis-0/redis [sh /data] stdin=0']);
  });

  it('only the second claim unpinned: the first hold is released again, no pod stopped', async () => {
    const c = await setup();
    const pinned = c.api.claimPinnedNodes.bind(c.api);
    c.api.claimPinnedNodes = async (n, claim) => (claim === 'data-redis-1' ? null : pinned(n, claim));
    const { ctx } = faultContext(c);
    const err = await backupRestore(ctx, { preStop: true, settleTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(isHarnessError(err) && err.code).toBe('ABILITY_MISSING');
    expect(c.k8s()).toEqual(['stream redis-0/redis [sh /data] stdin=0', 'cordon worker-1', 'uncordon worker-1']);
  });

  it('a restore helper whose script fails: the error names it and its last stderr line; every helper deleted, every node uncordoned, every pod back', async () => {
    const c = await setup();
    const exec = c.api.execBytes.bind(c.api);
    c.api.execBytes = async (n, p, ct, cmd, stdin) =>
      p === helper('redis-1')
        ? (c.api.calls.push(`stream ${p}`), { code: 4, stdout: Buffer.alloc(0), stderr: 'the backup holds no AOF\n' })
        : exec(n, p, ct, cmd, stdin);
    const { ctx } = faultContext(c);
    const err = await backupRestore(ctx, { preStop: true, settleTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(isHarnessError(err) && err.code).toBe('PROCESS_FAILED');
    expect((err as Error).message).toBe(`helper pod ${helper('redis-1')} (restoring an AOF on claim data-redis-1) failed: exit 4: the backup holds no AOF`);
    const calls = c.k8s();
    // The failed claim's pod is let back at once; the fault's heal lets back the ones still held.
    expect(calls.slice(calls.indexOf(`create pod ${helper('redis-1')} on worker-2 claim data-redis-1`))).toEqual([
      `create pod ${helper('redis-1')} on worker-2 claim data-redis-1`,
      `stream ${helper('redis-1')}`,
      `delete pod ${helper('redis-1')} grace=0`,
      'uncordon worker-2',
      'uncordon worker-1',
      'uncordon worker-3',
    ]);
    expect(c.api.helpers.size).toBe(0);
    expect([...c.api.nodes.values()].every((n) => !n.unschedulable)).toBe(true);
    for (const p of model.podNames) expect(await c.podControl.isReady(p), p).toBe(true);
  });
});

describe('restoreAof through a helper pod', () => {
  it('a helper that never starts: TIMEOUT naming it, deleted, its node uncordoned', async () => {
    const c = await setup({ helperGets: Infinity });
    const dest = await tempDir('sc-backup-');
    await c.volumes.backupAof('redis-0', dest);
    const api = c.api;
    // A short bound for the hung helper: the controls' own is 150 s.
    const { kubeVolumes } = await import('../../../../src/targets/kube/volumes.ts');
    const { NodeCordons } = await import('../../../../src/targets/kube/cordon.ts');
    const cordons = new NodeCordons(api, 'r1');
    const ops = fastPodOps(api, ns);
    const v = kubeVolumes({ api, namespace: ns, model, nodeShell: null, pollMs: 1, readyTimeoutMs: 100, runId: 'r2' }, ops, cordons, 30);
    await v.hold!('redis-2');
    await api.deletePod(ns, 'redis-2', 0);
    await expect(v.restoreAof('redis-2', dest)).rejects.toThrow(
      'helper pod sc-r2-vol-redis-2 (restoring an AOF on claim data-redis-2) did not start within 30 ms',
    );
    expect(api.calls.slice(-2)).toEqual(['delete pod sc-r2-vol-redis-2 grace=0', 'uncordon worker-3']);
    expect(api.calls.filter((x) => x.startsWith('stream sc-r2'))).toEqual([]);
  });

  it('SIGINT while a helper waits: the heals delete it and uncordon every held node', async () => {
    const c = await setup({ helperGets: Infinity });
    const dest = await tempDir('sc-backup-');
    await c.volumes.backupAof('redis-0', dest);
    for (const p of model.podNames) await c.volumes.hold!(p);
    for (const p of model.podNames) await c.podControl.stop(p, { preStop: true });
    const pending = c.volumes.restoreAof('redis-0', dest).catch((e: Error) => e);
    while (c.api.helpers.size === 0) await sleep(1);
    // What kube-target.ts runs on interrupt, in its order: volumes.healAll, then uncordonAll.
    await c.volumes.healAll();
    await c.uncordonAll();
    expect(((await pending) as Error).message).toBe(`helper pod ${helper('redis-0')} (restoring an AOF on claim data-redis-0) was deleted before it completed`);
    expect(c.api.helpers.size).toBe(0);
    expect([...c.api.nodes.values()].every((n) => !n.unschedulable && Object.keys(n.annotations).length === 0)).toBe(true);
    expect(
      c
        .k8s()
        .filter((x) => x.startsWith('uncordon'))
        .sort(),
    ).toEqual(['uncordon worker-1', 'uncordon worker-2', 'uncordon worker-3']);
  });

  it("the helper waits to be exec'd into (WAIT_SCRIPT), on the held pod's node with its claim; a restore without a backup or a hold is refused", async () => {
    const c = await setup();
    const created: unknown[] = [];
    const create = c.api.createPod.bind(c.api);
    c.api.createPod = async (n, p) => (created.push(structuredClone(p)), create(n, p));
    const empty = await tempDir('sc-backup-');
    await expect(c.volumes.restoreAof('redis-1', empty)).rejects.toThrow(
      `no ${BACKUP_TAR} in ${empty}: restoreAof on Kubernetes takes a backup made by backupAof`,
    );
    const dest = await tempDir('sc-backup-');
    await c.volumes.backupAof('redis-0', dest);
    await expect(c.volumes.restoreAof('redis-1', dest)).rejects.toThrow(/needs the pod held down first/);
    await c.volumes.hold!('redis-1');
    await c.podControl.kill('redis-1');
    await c.volumes.restoreAof('redis-1', dest);
    const spec = (created[0] as { spec: { nodeName: string; containers: Array<{ command: string[] }> } }).spec;
    expect([spec.nodeName, spec.containers[0]!.command]).toEqual(['worker-2', ['sh', '-c', WAIT_SCRIPT, 'sh', '/data']]);
    // Kept held until start(): the restored pods come back together.
    expect(c.api.nodes.get('worker-2')!.unschedulable).toBe(true);
    await c.podControl.start('redis-1');
    expect(c.api.nodes.get('worker-2')!.unschedulable).toBe(false);
  });

  it('backupAof needs the redis container running and fails on a tar error with its message', async () => {
    const c = await setup({ execBytes: async () => ({ code: 3, stdout: Buffer.alloc(0), stderr: 'no AOF in /data (appendonlydir/ or appendonly.aof)\n' }) });
    const err = await c.volumes.backupAof('redis-0', await tempDir('sc-backup-')).catch((e: unknown) => e);
    expect((err as Error).message).toBe("backing up redis-0's AOF (tar in redis-0/redis) exited 3: no AOF in /data (appendonlydir/ or appendonly.aof)");
  });
});

describe("the copy's scripts, run by sh and tar on temp dirs", () => {
  it('BACKUP_SCRIPT tars the AOF only; tarEntries lists its files; RESTORE_SCRIPT replaces the AOF and drops the RDB', async () => {
    const from = await redisDataDir('master');
    const out = runScript(['sh', '-c', BACKUP_SCRIPT, 'sh', '/data'], from, null);
    expect(out.code).toBe(0);
    expect(tarEntries(out.stdout).sort()).toEqual([
      'appendonlydir/appendonly.aof.1.base.rdb',
      'appendonlydir/appendonly.aof.1.incr.aof',
      'appendonlydir/appendonly.aof.manifest',
    ]);
    const to = await redisDataDir('replica');
    await writeFile(path.join(to, 'appendonlydir', 'appendonly.aof.2.incr.aof'), 'stale');
    const r = runScript(['sh', '-c', RESTORE_SCRIPT, 'sh', '/data', String(out.stdout.length)], to, out.stdout);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.toString()).toBe(`restored ${out.stdout.length} bytes: 3 files\n`);
    expect((await readdir(to)).sort()).toEqual(['appendonlydir']);
    expect((await readdir(path.join(to, 'appendonlydir'))).sort()).toEqual([
      'appendonly.aof.1.base.rdb',
      'appendonly.aof.1.incr.aof',
      'appendonly.aof.manifest',
    ]);
    expect(await readFile(path.join(to, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'utf8')).toBe('*1\r\n$4\r\nPING\r\nmaster');
  });

  it('a short transfer or a backup without an AOF leaves the claim as it was; no AOF to back up: exit 3', async () => {
    const from = await redisDataDir('master');
    const tar = runScript(['sh', '-c', BACKUP_SCRIPT, 'sh', '/data'], from, null).stdout;
    const to = await redisDataDir('replica');
    const short = runScript(['sh', '-c', RESTORE_SCRIPT, 'sh', '/data', String(tar.length)], to, tar.subarray(0, 1024));
    expect(short).toMatchObject({ code: 3, stderr: `received 1024 of ${tar.length} bytes of the backup\n` });
    expect((await readdir(to)).sort()).toEqual(['appendonlydir', 'dump.rdb']);
    expect(await readFile(path.join(to, 'appendonlydir', 'appendonly.aof.1.base.rdb'), 'utf8')).toBe('base of replica');
    const other = await tempDir('sc-claim-other-');
    await writeFile(path.join(other, 'notes.txt'), 'x');
    const notAof = spawnSync('tar', ['cf', '-', 'notes.txt'], { cwd: other }).stdout;
    expect(runScript(['sh', '-c', RESTORE_SCRIPT, 'sh', '/data', String(notAof.length)], to, notAof)).toMatchObject({
      code: 4,
      stderr: 'the backup holds no AOF\n',
    });
    expect((await readdir(to)).sort()).toEqual(['appendonlydir', 'dump.rdb']);
    expect(runScript(['sh', '-c', BACKUP_SCRIPT, 'sh', '/data'], await tempDir('sc-claim-empty-'), null)).toMatchObject({ code: 3 });
  });

  it('tarEntries: ustar long names through the prefix; directories left out', () => {
    const header = (name: string, type: string, size: number, prefix = '') => {
      const h = Buffer.alloc(512);
      h.write(name, 0, 'latin1');
      h.write(size.toString(8).padStart(11, '0'), 124, 'latin1');
      h.write(type, 156, 'latin1');
      h.write('ustar', 257, 'latin1');
      h.write(prefix, 345, 'latin1');
      return h;
    };
    const tar = Buffer.concat([
      header('appendonlydir/', '5', 0),
      header('appendonly.aof.1.incr.aof', '0', 3, 'a'.repeat(120) + '/appendonlydir'),
      Buffer.alloc(512, 'x'),
      header('appendonly.aof', '0', 0),
      Buffer.alloc(1024),
    ]);
    expect(tarEntries(tar)).toEqual([`${'a'.repeat(120)}/appendonlydir/appendonly.aof.1.incr.aof`, 'appendonly.aof']);
  });
});
