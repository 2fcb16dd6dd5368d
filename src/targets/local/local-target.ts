// The local target: the manifests' pods as real redis-server / redis-sentinel processes on loopback addresses.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerModel, DeploymentModel } from '../../config/manifests.ts';
import { setDirective } from '../../config/redis-conf.ts';
import { HarnessError } from '../../errors.ts';
import { parseInfo, withProbe } from '../../redis/clients.ts';
import { waitForConvergence } from '../convergence.ts';
import { addr, type Pod, type PodControl, type StartedDeployment } from '../target.ts';
import { DEFAULT_BINARIES, redisVersion, resolveBinaries, type Binaries } from './binaries.ts';
import { spawnContainer, signalAndWait, type Spawned } from './processes.ts';
import { ensureRoot, removeDeployment, writeState, type LocalState } from './state.ts';
import { onInterrupt } from '../../runner/interrupt.ts';

/** Config changes a caller asks for explicitly (integration tests shorten down-after, for instance). */
export interface ConfigOverrides {
  /** sentinel.conf per-master settings by name, e.g. { 'down-after-milliseconds': '1000' }. */
  sentinel?: Record<string, string>;
  /** redis.conf directives by name. */
  redis?: Record<string, string>;
}

export interface LocalOptions {
  model: DeploymentModel;
  runId: string;
  /** Third octet of the pods' loopback addresses: pod i listens on 127.0.<subnet>.<i+1>. */
  subnet?: number;
  binaries?: Partial<Binaries>;
  overrides?: ConfigOverrides;
  /** Leave the processes running when this harness exits (the `up` command). */
  detached?: boolean;
  convergeTimeoutMs?: number;
}

/** Defaults of {@link LocalOptions}. */
export const LOCAL_DEFAULTS = {
  subnet: 83,
  convergeTimeoutMs: 30_000,
  /** Wait for a started redis to answer before declaring the pod's processes running. */
  startTimeoutMs: 10_000,
} as const;

type ContainerName = 'redis' | 'sentinel';

interface LocalPod extends Pod {
  dataDir: string;
  procs: Partial<Record<ContainerName, Spawned>>;
}

async function assertPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new HarnessError(
          'PORT_BUSY',
          e.code === 'EADDRINUSE'
            ? `${host}:${port} is already in use (a deployment left running? run \`npm run chaos -- down\`, or pick other addresses with --subnet N)`
            : `cannot listen on ${host}:${port}: ${e.message}`,
        ),
      ),
    );
    srv.listen(port, host, () => srv.close(() => resolve()));
  });
}

/** Build a container's environment from the manifest: field refs, the Secret, literal values with pod DNS names mapped to local addresses. */
function containerEnv(c: ContainerModel, pod: LocalPod, hostMap: (s: string) => string, password: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    if (field === 'metadata.name') env[e.name] = pod.name;
    else if (field === 'status.podIP') env[e.name] = pod.redis.host;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = password;
    else if (e.value !== undefined) env[e.name] = hostMap(e.value.replace(/\$\((\w+)\)/g, (_m, v: string) => env[v] ?? '')).replace(/\s+/g, ' ').trim();
  }
  return env;
}

export async function startLocalDeployment(opts: LocalOptions): Promise<StartedDeployment> {
  const { model } = opts;
  const subnet = opts.subnet ?? LOCAL_DEFAULTS.subnet;
  if (!Number.isInteger(subnet) || subnet < 0 || subnet > 255) throw new HarnessError('USAGE', `--subnet must be an integer 0-255, got ${subnet}`);
  const bins = await resolveBinaries({ ...DEFAULT_BINARIES, ...opts.binaries });
  const version = await redisVersion(bins.redisServer);
  const podAddress = (i: number) => `127.0.${subnet}.${i + 1}`;
  for (let i = 0; i < model.replicas; i++) {
    await assertPortFree(podAddress(i), model.redisPort);
    await assertPortFree(podAddress(i), model.sentinelPort);
  }

  const root = await ensureRoot();
  const runDir = path.join(root, opts.runId);
  const password = model.password.value ?? randomBytes(24).toString('base64url');
  const pods: LocalPod[] = model.podNames.map((name, i) => ({
    name,
    ordinal: i,
    node: `node-${i}`,
    redis: { host: podAddress(i), port: model.redisPort },
    sentinel: { host: podAddress(i), port: model.sentinelPort },
    dataDir: path.join(runDir, 'pods', name, 'data'),
    procs: {},
  }));
  const dnsSuffix = `${model.headlessService}.${model.namespace}.svc.cluster.local`;
  const hostMap = (s: string) =>
    pods.reduce((acc, p) => acc.replaceAll(`${p.name}.${dnsSuffix}`, p.redis.host).replace(new RegExp(`\\b${p.name}\\.${model.headlessService}\\b`, 'g'), p.redis.host), s);

  const state: LocalState = {
    runId: opts.runId,
    runDir,
    ownerPid: process.pid,
    detached: opts.detached ?? false,
    pods: pods.map((p) => ({ name: p.name, address: p.redis.host })),
    processes: {},
  };
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  await writeState(state);

  const teardown = async () => {
    unregister();
    await Promise.all(pods.flatMap((p) => Object.values(p.procs).map((s) => signalAndWait(s, 'SIGKILL', 2000))));
    await removeDeployment(state);
  };
  const unregister = opts.detached ? () => {} : onInterrupt(teardown);

  const configDir = path.join(runDir, 'config');
  const scriptsDir = path.join(runDir, 'scripts');
  const startContainer = async (pod: LocalPod, which: ContainerName) => {
    const c = which === 'redis' ? model.redis : model.sentinel;
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...containerEnv(c, pod, hostMap, password),
      CONFIG_DIR: configDir,
      DATA_DIR: pod.dataDir,
      BIND_ADDR: pod.redis.host,
      REDIS_PORT: String(model.redisPort),
      SENTINEL_PORT: String(model.sentinelPort),
      REDIS_SERVER: bins.redisServer,
      REDIS_SENTINEL: bins.redisSentinel,
      REDIS_CLI: bins.redisCli,
    };
    const [cmd, ...args] = c.command.map((a) => (path.posix.basename(a) === c.script ? path.join(scriptsDir, c.script) : a));
    const spawned = spawnContainer(cmd!, args, { cwd: pod.dataDir, env, logFile: path.join(runDir, 'pods', pod.name, `${which}.log`) });
    pod.procs[which] = spawned;
    state.processes[`${pod.name}/${which}`] = spawned.pid;
    if (opts.detached) spawned.child?.unref();
    await writeState(state);
    const endpoint = which === 'redis' ? pod.redis : pod.sentinel;
    const deadline = performance.now() + LOCAL_DEFAULTS.startTimeoutMs;
    for (;;) {
      const exited = spawned.child && (spawned.child.exitCode !== null || spawned.child.signalCode !== null);
      if (exited) throw new HarnessError('PROCESS_FAILED', `${pod.name}/${which} exited at start-up; see ${path.join(runDir, 'pods', pod.name, `${which}.log`)}`);
      try {
        await withProbe(endpoint, { password: which === 'redis' ? password : undefined, connectTimeoutMs: 200 }, (r) => r.ping());
        return;
      } catch {
        if (performance.now() > deadline) throw new HarnessError('TIMEOUT', `${pod.name}/${which} did not answer on ${addr(endpoint)} within ${LOCAL_DEFAULTS.startTimeoutMs} ms`);
        await sleep(5);
      }
    }
  };

  try {
    // The ConfigMaps as mounted files, with pod DNS names mapped to local addresses and explicit overrides applied.
    await mkdir(configDir, { recursive: true });
    await mkdir(scriptsDir, { recursive: true });
    let sentinelText = hostMap(model.sentinelConf.text);
    for (const [k, v] of Object.entries(opts.overrides?.sentinel ?? {})) sentinelText = setDirective(sentinelText, ['sentinel', k, model.masterName], v);
    let redisText = model.redisConf.text;
    for (const [k, v] of Object.entries(opts.overrides?.redis ?? {})) redisText = setDirective(redisText, [k], v);
    await writeFile(path.join(configDir, model.sentinelConf.key), sentinelText);
    await writeFile(path.join(configDir, model.redisConf.key), redisText);
    for (const [name, text] of Object.entries(model.scripts.files)) await writeFile(path.join(scriptsDir, name), text, { mode: 0o755 });
    await writeFile(path.join(runDir, 'password'), password, { mode: 0o600 });
    for (const p of pods) await mkdir(p.dataDir, { recursive: true, mode: 0o700 });

    // Sentinels discover replicas from the master's INFO, refreshed only every 10 s while healthy:
    // start them once replication is established so the first INFO already lists every replica.
    await Promise.all(pods.map((p) => startContainer(p, 'redis')));
    await waitForReplicas(pods, password, model.replicas - 1, LOCAL_DEFAULTS.startTimeoutMs);
    await Promise.all(pods.map((p) => startContainer(p, 'sentinel')));
    await waitForConvergence({ pods, password, masterName: model.masterName }, { timeoutMs: opts.convergeTimeoutMs ?? LOCAL_DEFAULTS.convergeTimeoutMs });
  } catch (e) {
    await teardown();
    throw e;
  }

  const byName = (name: string) => {
    const p = pods.find((x) => x.name === name);
    if (!p) throw new HarnessError('USAGE', `no pod named ${name} (pods: ${pods.map((x) => x.name).join(', ')})`);
    return p;
  };
  const podControl: PodControl = {
    async kill(name) {
      const p = byName(name);
      const procs = Object.values(p.procs);
      p.procs = {};
      await Promise.all(procs.map((s) => signalAndWait(s, 'SIGKILL', 2000)));
    },
    async start(name) {
      const p = byName(name);
      // The kubelet starts a pod's containers together; the sentinel's script asks its peers for the master.
      await Promise.all([startContainer(p, 'redis'), startContainer(p, 'sentinel')]);
    },
    isRunning: (name) => Object.keys(byName(name).procs).length > 0,
  };

  let downed = false;
  const down = async () => {
    if (downed) return;
    downed = true;
    await teardown();
  };
  return {
    target: 'local',
    model,
    pods,
    password,
    podControl,
    redisVersion: version,
    describe: () => ({
      run_dir: runDir,
      password_file: path.join(runDir, 'password'),
      redis_server: bins.redisServer,
      redis_sentinel: bins.redisSentinel,
      pod_addresses: pods.map((p) => `${p.name}=${p.redis.host}`).join(' '),
    }),
    down,
    [Symbol.asyncDispose]: down,
  };
}

/** Wait until the initial master lists `n` replicas in state online. */
async function waitForReplicas(pods: LocalPod[], password: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    for (const p of pods) {
      try {
        const info = parseInfo(await withProbe(p.redis, { password, connectTimeoutMs: 200 }, (r) => r.info('replication')));
        const online = Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes('state=online')).length;
        if (info.role === 'master' && online >= n) return;
      } catch {
        // not up yet
      }
    }
    if (performance.now() > deadline) throw new HarnessError('TIMEOUT', `replication did not establish within ${timeoutMs} ms (see the pods' redis.log)`);
    await sleep(10);
  }
}

