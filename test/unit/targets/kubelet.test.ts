import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadDeployment, type DeploymentModel } from '../../../src/config/manifests.ts';
import { applyMonitoring } from '../../../src/config/monitoring.ts';
import { loadProfiledDeployment } from '../../../src/config/profiles.ts';
import { containerSpec, podDnsMap } from '../../../src/targets/local/container-spec.ts';
import { crashLoopBackOffMs, createKubelet, type KubeletOptions } from '../../../src/targets/local/kubelet.ts';
import { hostVolumes } from '../../../src/targets/local/mounts.ts';
import { makePod, type LocalPod } from '../../../src/targets/local/pods.ts';
import type { LocalState } from '../../../src/targets/local/state.ts';
import { createProcessRuntime } from '../../../src/targets/runtime/process-runtime.ts';
import type { ContainerExit, ContainerRuntime, ContainerSpec, MountSpec, RunningContainer } from '../../../src/targets/runtime/runtime.ts';

const bins = { redisServer: '/bin/redis-server', redisSentinel: '/bin/redis-sentinel', redisCli: '/bin/redis-cli' };

/** A recording runtime: containers that run until signalled; exec answers with `execCode`. */
class FakeRuntime implements ContainerRuntime {
  readonly name = 'docker' as const;
  calls: string[] = [];
  execCode = 0;
  /** Whether SIGTERM ends a container (false: it ignores it, as a hung process would). */
  termEnds = true;
  /** End the latest container of this id on its own (a crash, an OOM kill by its cgroup). */
  readonly crash = new Map<string, (e: ContainerExit) => void>();
  /** When set, start() waits for it (a container engine that is slow to create one). */
  startGate: Promise<void> | null = null;
  pathInContainer = (m: MountSpec) => m.containerPath;
  async start(spec: ContainerSpec): Promise<RunningContainer> {
    this.calls.push(`start ${spec.pod}/${spec.container}`);
    if (this.startGate) await this.startGate;
    let running = true;
    let exit!: (e: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((r) => (exit = r));
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the container's methods record into the runtime that made it
    const rt = this;
    this.crash.set(`${spec.pod}/${spec.container}`, (e) => {
      running = false;
      exit(e);
    });
    return {
      id: `${spec.pod}/${spec.container}`,
      pid: undefined,
      exited,
      isRunning: () => running,
      async signal(sig) {
        rt.calls.push(`signal ${spec.pod}/${spec.container} ${sig}`);
        if (sig === 'SIGKILL' || (sig === 'SIGTERM' && rt.termEnds)) {
          running = false;
          exit({ exitCode: null, signal: sig, oomKilled: false });
        }
      },
      freeze: async () => {},
      thaw: async () => {},
      isFrozen: async () => false,
      async exec(argv, opts) {
        rt.calls.push(`exec ${spec.pod}/${spec.container} ${argv.join(' ')} POD_NAME=${opts.env.POD_NAME}`);
        return { exitCode: rt.execCode, timedOut: false, stdout: '', stderr: '' };
      },
      remove: async () => {
        rt.calls.push(`remove ${spec.pod}/${spec.container}`);
      },
    };
  }
  async removeLabelled() {
    return [];
  }
}

let model: DeploymentModel;
let dir: string;
beforeAll(async () => {
  model = await loadDeployment(path.resolve('manifests'));
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const setUp = async (runtime: ContainerRuntime, overrides: Partial<DeploymentModel> = {}, options: Partial<KubeletOptions> = {}) => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kubelet-test-'));
  const m = { ...model, ...overrides };
  const pods: LocalPod[] = m.podNames.map((name, i) =>
    makePod({ name, ordinal: i, subnet: 106, runDir: dir, redisPort: m.redisPort, sentinelPort: m.sentinelPort }),
  );
  const state: LocalState = { runId: 'r', runDir: dir, ownerPid: process.pid, detached: false, pods: [], processes: {}, nftTables: [] };
  const kubelet = createKubelet({
    model: m,
    runtime,
    vols: hostVolumes(dir),
    runId: 'r',
    bins,
    state,
    startTimeoutMs: 1000,
    password: () => 'pw',
    passwords: ['pw'],
    hostMap: podDnsMap(m, pods),
    servicesEnv: () => undefined,
    ...options,
  });
  return { pods, kubelet, state };
};

/** Put a container in place as a started one would be, without waiting for it to answer. */
const place = async (runtime: ContainerRuntime, pod: LocalPod, container: string) => {
  const running = await runtime.start({ pod: pod.name, container } as ContainerSpec);
  pod.containers[container] = { running, env: { POD_NAME: pod.name } };
};

describe('container spec', () => {
  it('maps the manifest to a docker-style runtime: paths as mounted, DNS names to pod addresses, the Secret in env', async () => {
    const rt = new FakeRuntime();
    const { pods } = await setUp(rt);
    const spec = containerSpec(
      { model, runtime: rt, vols: hostVolumes(dir), runId: 'r', bins, redisServer: bins.redisServer, password: 'pw', hostMap: podDnsMap(model, pods) },
      pods[1]!,
      model.redis,
      'redis',
    );
    expect(spec.argv).toEqual(['sh', '/scripts/start-redis.sh']);
    expect(spec.env.POD_NAME).toBe('redis-1');
    expect(spec.env.POD_HOST).toBe('127.0.106.2');
    expect(spec.env.SENTINEL_HOSTS).toBe('127.0.106.1 127.0.106.2 127.0.106.3');
    expect(spec.env.REDIS_PASSWORD).toBe('pw');
    expect(spec.env.REDIS_PASSWORD_FILE).toBe('/etc/redis-secret/password');
    expect(spec.workingDir).toBe('/data');
    expect(spec.mounts.find((m) => m.containerPath === '/data')?.hostPath).toBe(pods[1]!.dataDir);
  });

  it('maps the same paths to host paths for the process runtime', async () => {
    const rt = createProcessRuntime();
    const { pods } = await setUp(rt);
    const spec = containerSpec(
      { model, runtime: rt, vols: hostVolumes(dir), runId: 'r', bins, redisServer: bins.redisServer, password: 'pw', hostMap: podDnsMap(model, pods) },
      pods[0]!,
      model.sentinel,
      'sentinel',
    );
    expect(spec.argv).toEqual(['sh', path.join(dir, 'scripts', 'start-sentinel.sh')]);
    expect(spec.env.REDIS_PASSWORD_FILE).toBe(path.join(dir, 'secrets', model.password.secret, 'password'));
    expect(spec.env.BIND_SOURCE_ADDR).toBe(pods[0]!.sentinelSource);
    expect(spec.workingDir).toBe(pods[0]!.dataDir);
  });

  it("resolves a secretKeyRef to that Secret's key: the exporter's ACL password, never the admin password; unset when the key is missing", async () => {
    const rt = new FakeRuntime();
    const secure = applyMonitoring(await loadProfiledDeployment(path.resolve('manifests'), 'secure'), true);
    const { pods } = await setUp(rt, secure);
    const ctx = {
      model: secure,
      runtime: rt,
      vols: hostVolumes(dir),
      runId: 'r',
      bins,
      redisServer: bins.redisServer,
      password: 'admin-pw',
      hostMap: podDnsMap(secure, pods),
    };
    const exporter = secure.sidecars.find((c) => c.name === 'redis-exporter')!;
    // Before the target wrote the ACL Secret's files: no value (a kubelet would not start the container).
    expect(containerSpec(ctx, pods[0]!, exporter, 'redis').env.REDIS_PASSWORD).toBeUndefined();
    await mkdir(path.join(dir, 'secrets', 'redis-acl'), { recursive: true });
    await writeFile(path.join(dir, 'secrets', 'redis-acl', 'exporter'), 'exporter-pw');
    const spec = containerSpec(ctx, pods[0]!, exporter, 'redis');
    expect(spec.env).toMatchObject({ REDIS_USER: 'exporter', REDIS_PASSWORD: 'exporter-pw' });
    expect(
      containerSpec(
        ctx,
        pods[0]!,
        secure.sidecars.find((c) => c.name === 'sentinel-exporter')!,
        'sentinel',
      ).env.REDIS_PASSWORD,
    ).toBeUndefined();
    // The redis container's is the password Secret's.
    expect(containerSpec(ctx, pods[0]!, secure.redis, 'redis').env.REDIS_PASSWORD).toBe('admin-pw');
  });

  it('preloads the clock shim into the sentinel container only, with its pod’s offset file, as the container sees the shim’s directory', async () => {
    const rt = new FakeRuntime();
    const { pods } = await setUp(rt);
    const ctx = {
      model,
      runtime: rt,
      vols: hostVolumes(dir),
      runId: 'r',
      bins,
      redisServer: bins.redisServer,
      password: 'pw',
      hostMap: podDnsMap(model, pods),
    };
    const shimmed = { ...ctx, clockShimDir: path.join(dir, 'clock') };
    const sentinel = containerSpec(shimmed, pods[2]!, model.sentinel, 'sentinel');
    expect(sentinel.mounts).toContainEqual({ hostPath: path.join(dir, 'clock'), containerPath: '/run/sentinel-chaos-clock', readOnly: true });
    expect(sentinel.env.LD_PRELOAD).toBe('/run/sentinel-chaos-clock/clock-offset.so');
    expect(sentinel.env.SENTINEL_CHAOS_CLOCK_OFFSET_FILE).toBe('/run/sentinel-chaos-clock/redis-2.offset');
    const redis = containerSpec(shimmed, pods[2]!, model.redis, 'redis');
    expect(redis.env.LD_PRELOAD).toBeUndefined();
    expect(redis.mounts.some((m) => m.containerPath === '/run/sentinel-chaos-clock')).toBe(false);
    expect(containerSpec(ctx, pods[2]!, model.sentinel, 'sentinel').env.LD_PRELOAD).toBeUndefined();
    // Host processes see the host path.
    const local = containerSpec({ ...shimmed, runtime: createProcessRuntime() }, pods[0]!, model.sentinel, 'sentinel');
    expect(local.env.LD_PRELOAD).toBe(path.join(dir, 'clock', 'clock-offset.so'));
    expect(local.env.SENTINEL_CHAOS_CLOCK_OFFSET_FILE).toBe(path.join(dir, 'clock', 'redis-0.offset'));
  });
});

describe('kubelet', () => {
  it('terminates a pod: preStop with the start-time environment, then SIGTERM', async () => {
    const rt = new FakeRuntime();
    const { pods, kubelet } = await setUp(rt);
    await place(rt, pods[0]!, 'redis');
    await place(rt, pods[0]!, 'sentinel');
    rt.calls = [];
    await kubelet.terminate(pods[0]!, { preStop: true });
    expect(rt.calls).toEqual([
      'exec redis-0/redis sh /scripts/prestop-redis.sh POD_NAME=redis-0',
      'signal redis-0/redis SIGTERM',
      'signal redis-0/sentinel SIGTERM',
    ]);
    expect(pods[0]!.containers).toEqual({});
  });

  it('sends SIGKILL once the grace period is up', async () => {
    const rt = new FakeRuntime();
    rt.termEnds = false;
    const { pods, kubelet } = await setUp(rt, { terminationGracePeriodSeconds: 0 });
    await place(rt, pods[0]!, 'sentinel');
    rt.calls = [];
    await kubelet.terminate(pods[0]!, { preStop: false });
    expect(rt.calls).toEqual(['signal redis-0/sentinel SIGTERM', 'signal redis-0/sentinel SIGKILL']);
  });

  it('is ready only when both containers run and pass their readiness probes', async () => {
    const rt = new FakeRuntime();
    const { pods, kubelet } = await setUp(rt);
    await place(rt, pods[0]!, 'redis');
    expect(await kubelet.isReady(pods[0]!)).toBe(false);
    await place(rt, pods[0]!, 'sentinel');
    expect(await kubelet.isReady(pods[0]!)).toBe(true);
    rt.execCode = 1;
    expect(await kubelet.isReady(pods[0]!)).toBe(false);
  });

  it('kills one container and leaves the other', async () => {
    const rt = new FakeRuntime();
    const { pods, kubelet } = await setUp(rt);
    await place(rt, pods[0]!, 'redis');
    await place(rt, pods[0]!, 'sentinel');
    await kubelet.kill(pods[0]!, 'redis');
    expect(Object.keys(pods[0]!.containers)).toEqual(['sentinel']);
  });
});

describe('restartPolicy Always (onRestartEvent given)', () => {
  const OOM: ContainerExit = { exitCode: 137, signal: null, oomKilled: true };
  const settle = () => new Promise((r) => setTimeout(r, 20));

  it('CrashLoopBackOff: at once, then 10 s doubling, capped at 5 min', () => {
    expect([0, 1, 2, 3, 5, 6, 10].map(crashLoopBackOffMs)).toEqual([0, 10_000, 20_000, 40_000, 160_000, 300_000, 300_000]);
  });

  it('a container that dies on its own is reported (OOMKilled) and started again with its restart count; one the kubelet kills is not', async () => {
    const rt = new FakeRuntime();
    const events: string[] = [];
    const { pods, kubelet } = await setUp(
      rt,
      {},
      { servicesEnv: () => ({ KUBE_API: 'http://127.0.106.240' }), onRestartEvent: (e) => events.push(`${e.type} ${e.detail}`) },
    );
    const pod = pods[0]!;
    await kubelet.startSidecars(pod);
    expect(rt.calls.filter((c) => c.startsWith('start'))).toEqual(['start redis-0/role-labeller']);
    rt.crash.get('redis-0/role-labeller')!(OOM);
    await settle();
    expect(events).toEqual([
      'terminated redis-0: role-labeller terminated: OOMKilled (exit code 137), restart in 0 ms',
      'restarted redis-0: role-labeller restarted (restart count 1)',
    ]);
    expect(pod.restarts['role-labeller']).toBe(1);
    expect(pod.containers['role-labeller']?.running.isRunning()).toBe(true);
    // The second death waits out the backoff; the kubelet ending the pod meanwhile cancels the restart.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      rt.crash.get('redis-0/role-labeller')!({ exitCode: 1, signal: null, oomKilled: false });
      await vi.advanceTimersByTimeAsync(0);
      expect(events.at(-1)).toBe('terminated redis-0: role-labeller terminated: Error (exit code 1), restart in 10000 ms');
      await kubelet.kill(pod);
      await vi.advanceTimersByTimeAsync(20_000);
    } finally {
      vi.useRealTimers();
    }
    expect(rt.calls.filter((c) => c.startsWith('start'))).toHaveLength(2);
    expect(pod.containers).toEqual({});
    // Killed by the kubelet: no report, no restart.
    await kubelet.startSidecars(pod);
    const n = events.length;
    await kubelet.kill(pod);
    await settle();
    expect(events).toHaveLength(n);
    expect(rt.calls.filter((c) => c.startsWith('start'))).toHaveLength(3);
  });

  it('a restart under way when the kubelet ends the pod: what it started is killed and removed before kill() resolves', async () => {
    const rt = new FakeRuntime();
    const events: string[] = [];
    const { pods, kubelet } = await setUp(rt, {}, { servicesEnv: () => ({ KUBE_API: 'http://127.0.106.240' }), onRestartEvent: (e) => events.push(e.type) });
    const pod = pods[0]!;
    await kubelet.startSidecars(pod);
    let release!: () => void;
    rt.startGate = new Promise<void>((r) => (release = r));
    rt.crash.get('redis-0/role-labeller')!(OOM);
    await settle();
    expect(rt.calls.at(-1)).toBe('start redis-0/role-labeller');
    const killing = kubelet.kill(pod);
    setTimeout(release, 20);
    await killing;
    expect(rt.calls.slice(-3)).toEqual(['start redis-0/role-labeller', 'signal redis-0/role-labeller SIGKILL', 'remove redis-0/role-labeller']);
    expect(pod.containers).toEqual({});
    expect(events).toEqual(['terminated']);
  });

  it('without onRestartEvent (the local target) a dead container stays down and nothing is reported', async () => {
    const rt = new FakeRuntime();
    const { pods, kubelet } = await setUp(rt, {}, { servicesEnv: () => ({ KUBE_API: 'http://127.0.106.240' }) });
    await kubelet.startSidecars(pods[0]!);
    rt.crash.get('redis-0/role-labeller')!(OOM);
    await settle();
    expect(rt.calls.filter((c) => c.startsWith('start'))).toHaveLength(1);
  });
});

describe('process runtime', () => {
  it('freezes a container by SIGSTOP, execs with the given env, and removes leftovers by working directory', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'process-runtime-'));
    const rt = createProcessRuntime();
    const logFile = path.join(dir, 'c.log');
    const c = await rt.start({
      pod: 'p',
      container: 'c',
      image: '',
      argv: ['sh', '-c', 'sleep 30 & wait'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      mounts: [],
      podAddress: '127.0.106.1',
      labels: {},
      logFile,
      workingDir: dir,
    });
    try {
      await c.freeze();
      expect(await c.isFrozen()).toBe(true);
      await c.thaw();
      expect(await c.isFrozen()).toBe(false);
      const r = await c.exec(['sh', '-c', 'echo "$X"; exit 3'], { env: { X: 'hello' }, timeoutMs: 5000 });
      expect(r).toMatchObject({ exitCode: 3, timedOut: false, stdout: 'hello\n' });
      expect(await readFile(logFile, 'utf8')).toContain('hello');
      const t = await c.exec(['sleep', '5'], { env: { PATH: process.env.PATH ?? '' }, timeoutMs: 50 });
      expect(t).toMatchObject({ exitCode: null, timedOut: true });
      expect((await rt.removeLabelled({ 'sentinel-chaos.run-dir': dir })).length).toBeGreaterThanOrEqual(2);
      expect(await c.exited).toMatchObject({ signal: 'SIGKILL', oomKilled: false });
      expect(c.isRunning()).toBe(false);
    } finally {
      await c.remove();
    }
  });
});
