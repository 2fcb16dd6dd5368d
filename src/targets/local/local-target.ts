// The local target: the manifests' pods as real redis-server / redis-sentinel processes on loopback addresses.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfText, ContainerModel, DeploymentModel } from '../../config/manifests.ts';
import { setDirective } from '../../config/redis-conf.ts';
import { HarnessError } from '../../errors.ts';
import type { ConfigOverrides } from '../../model/overrides.ts';
import { parseInfo, withProbe } from '../../redis/clients.ts';
import { waitForConvergence } from '../convergence.ts';
import { addr, type ContainerName, type NetworkFaults, type NodeControl, type Partition, type Pod, type PodControl, type ProcessPause, type StartedDeployment } from '../target.ts';
import { DEFAULT_BINARIES, redisVersion, resolveBinaries, type Binaries } from './binaries.ts';
import { isStopped, spawnContainer, signalAndWait, type Spawned } from './processes.ts';
import { deleteTable, installPartition, nftUnavailableReason } from './network.ts';
import { ensureRoot, removeDeployment, writeState, type LocalState } from './state.ts';
import { localVolumes } from './volumes.ts';
import { localScale } from './scale.ts';
import { onInterrupt } from '../../process/interrupt.ts';
import { registerSecret } from '../../process/redact.ts';
import { startLocalServices, type LocalServices } from './services.ts';

export type { ConfigOverrides } from '../../model/overrides.ts';

export interface LocalOptions {
  model: DeploymentModel;
  runId: string;
  /** Third octet of the pods' loopback addresses: pod i listens on 127.0.<subnet>.<i+1>. */
  subnet?: number;
  binaries?: Partial<Binaries>;
  overrides?: ConfigOverrides;
  /** Leave the processes running when this harness exits (the `up` command); the Services and their labeller sidecars, which need the harness, are left out. */
  detached?: boolean;
  /** On teardown, copy every container's log here (the password replaced by ***) before deleting the run. */
  logsDir?: string;
  convergeTimeoutMs?: number;
}

/** Defaults of {@link LocalOptions}. */
export const LOCAL_DEFAULTS = {
  subnet: 83,
  convergeTimeoutMs: 30_000,
  /** Wait for a started container to answer; a restarted redis may wait up to 60 s for the sentinels to settle (start-redis.sh). */
  startTimeoutMs: 75_000,
} as const;

interface LocalPod extends Pod {
  dataDir: string;
  /** Source address of the sentinel container's outgoing connections (see sentinelSource below). */
  sentinelSource: string;
  /** By container name: redis, sentinel and the manifest's sidecars. */
  procs: Record<string, Spawned>;
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
  // A pod's containers share its address, as in Kubernetes. Outgoing connections of the sentinel come
  // from a second address of the pod's: that lets a partition cut only the sentinels' traffic while
  // replication between the same pods still flows.
  const sentinelSource = (i: number) => `127.0.${subnet}.${i + 101}`;
  const majorityClientAddress = `127.0.${subnet}.200`;
  for (let i = 0; i < model.replicas; i++) {
    await assertPortFree(podAddress(i), model.redisPort);
    await assertPortFree(podAddress(i), model.sentinelPort);
  }

  const root = await ensureRoot();
  const runDir = path.join(root, opts.runId);
  let password = model.password.value ?? randomBytes(24).toString('base64url');
  registerSecret(password);
  const passwords = [password];
  const makePod = (name: string, i: number): LocalPod => ({
    name,
    ordinal: i,
    node: `node-${i}`,
    redis: { host: podAddress(i), port: model.redisPort },
    sentinel: { host: podAddress(i), port: model.sentinelPort },
    dataDir: path.join(runDir, 'pods', name, 'data'),
    sentinelSource: sentinelSource(i),
    procs: {},
  });
  const pods: LocalPod[] = model.podNames.map(makePod);
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
    nftTables: [],
  };
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  await writeState(state);

  let services: LocalServices | null = null;
  const teardown = async () => {
    unregister();
    await services?.close();
    if (opts.logsDir) await keepLogs(runDir, opts.logsDir, passwords).catch(() => {});
    // A stopped (SIGSTOP) process still dies on SIGKILL; partitions go with the deployment.
    await Promise.all(pods.flatMap((p) => Object.values(p.procs).map((s) => signalAndWait(s, 'SIGKILL', 2000))));
    await removeDeployment(state);
  };
  const unregister = opts.detached ? () => {} : onInterrupt(teardown);

  const configDir = path.join(runDir, 'config');
  const scriptsDir = path.join(runDir, 'scripts');
  let redisServerBinary = bins.redisServer;
  /** Secret volumes as files the kubelet keeps current: <runDir>/secrets/<secret>/<key>. */
  const secretDir = (secret: string) => path.join(runDir, 'secrets', secret);
  const writeSecretFiles = async () => {
    for (const m of model.secretMounts) {
      await mkdir(secretDir(m.secret), { recursive: true, mode: 0o700 });
      if (m.secret === model.password.secret) await writeFile(path.join(secretDir(m.secret), model.password.key), password, { mode: 0o600 });
    }
  };
  const mapMounts = (env: Record<string, string>) => {
    for (const [k, v] of Object.entries(env)) {
      const m = model.secretMounts.find((x) => v === x.mountPath || v.startsWith(`${x.mountPath}/`));
      if (m) env[k] = secretDir(m.secret) + v.slice(m.mountPath.length);
    }
    return env;
  };
  /** Each container's environment as it was when it started: a kubelet runs hooks and probes with that. */
  const startEnv = new Map<string, NodeJS.ProcessEnv>();
  /** The environment a kubelet would give the container, with local addresses, directories and binaries. */
  const envFor = (pod: LocalPod, which: ContainerName, c: ContainerModel = which === 'redis' ? model.redis : model.sentinel): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...mapMounts(containerEnv(c, pod, hostMap, password)),
    ...services?.containerEnv,
    CONFIG_DIR: configDir,
    DATA_DIR: pod.dataDir,
    BIND_ADDR: pod.redis.host,
    BIND_SOURCE_ADDR: which === 'sentinel' ? pod.sentinelSource : pod.redis.host,
    REDIS_PORT: String(model.redisPort),
    SENTINEL_PORT: String(model.sentinelPort),
    REDIS_SERVER: redisServerBinary,
    REDIS_SENTINEL: bins.redisSentinel,
    REDIS_CLI: bins.redisCli,
  });
  /** A manifest command with its /scripts/... paths mapped to the mounted scripts directory. */
  const localCommand = (command: readonly string[]): string[] =>
    command.map((a) => (a.startsWith('/scripts/') && path.posix.basename(a) in model.scripts.files ? path.join(scriptsDir, path.posix.basename(a)) : a));
  /** Run an exec hook or probe of a container (preStop, readiness) as the kubelet would; resolves with its exit code. */
  const execIn = (pod: LocalPod, which: ContainerName, command: readonly string[], timeoutMs: number): Promise<number | null> =>
    new Promise((resolve) => {
      const [cmd, ...args] = localCommand(command);
      const logFile = path.join(runDir, 'pods', pod.name, `${which}.log`);
      const hook = spawnContainer(cmd!, args, { cwd: pod.dataDir, env: startEnv.get(`${pod.name}/${which}`) ?? envFor(pod, which), logFile });
      const timer = setTimeout(() => hook.child?.kill('SIGKILL'), timeoutMs);
      hook.child?.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  const startContainer = async (pod: LocalPod, which: ContainerName) => {
    const c = which === 'redis' ? model.redis : model.sentinel;
    const env = envFor(pod, which);
    startEnv.set(`${pod.name}/${which}`, env);
    const [cmd, ...args] = localCommand(c.command);
    const spawned = spawnContainer(cmd!, args, { cwd: pod.dataDir, env, logFile: path.join(runDir, 'pods', pod.name, `${which}.log`) });
    pod.procs[which] = spawned;
    state.processes[`${pod.name}/${which}`] = spawned.pid;
    if (opts.detached) spawned.child?.unref();
    await writeState(state);
    const endpoint = which === 'redis' ? pod.redis : pod.sentinel;
    const deadline = performance.now() + LOCAL_DEFAULTS.startTimeoutMs;
    for (;;) {
      const exited = spawned.child && (spawned.child.exitCode !== null || spawned.child.signalCode !== null);
      if (exited) throw new HarnessError('PROCESS_FAILED', `${pod.name}/${which} exited at start-up: ${await startFailure(path.join(runDir, 'pods', pod.name, `${which}.log`), which === 'redis' ? model.redisConf : model.sentinelConf, passwords)}`);
      try {
        await withProbe(endpoint, { password: which === 'redis' ? password : undefined, connectTimeoutMs: 200 }, (r) => r.ping());
        return;
      } catch {
        if (performance.now() > deadline) throw new HarnessError('TIMEOUT', `${pod.name}/${which} did not answer on ${addr(endpoint)} within ${LOCAL_DEFAULTS.startTimeoutMs} ms`);
        await sleep(5);
      }
    }
  };

  /** A sidecar (e.g. the role-labeller): started with the pod, not waited for, stopped and killed with it. */
  const startSidecars = async (pod: LocalPod) => {
    // The sidecars talk to the API server the harness plays; a detached deployment outlives the harness.
    if (!services) return;
    for (const c of model.sidecars) {
      if (pod.procs[c.name]) continue;
      const env = envFor(pod, 'redis', c);
      startEnv.set(`${pod.name}/${c.name}`, env);
      const [cmd, ...args] = localCommand(c.command);
      const spawned = spawnContainer(cmd!, args, { cwd: pod.dataDir, env, logFile: path.join(runDir, 'pods', pod.name, `${c.name}.log`) });
      pod.procs[c.name] = spawned;
      state.processes[`${pod.name}/${c.name}`] = spawned.pid;
      // A looping script leaves children (sleep, redis-cli, curl) behind when killed; in a container they die with it.
      spawned.child?.once('exit', () => {
        try {
          process.kill(-spawned.pid, 'SIGKILL');
        } catch {
          // the group is already empty
        }
      });
      if (opts.detached) spawned.child?.unref();
    }
    await writeState(state);
  };

  try {
    // The Services (kube-proxy) and the API server that holds the pods' labels they select on.
    if (!opts.detached) services = await startLocalServices({ model, subnet, runDir, pods: () => pods.map((p) => ({ name: p.name, host: p.redis.host, ready: p.procs.redis !== undefined })) });
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
    await writeSecretFiles();
    for (const p of pods) await mkdir(p.dataDir, { recursive: true, mode: 0o700 });

    // Sentinels discover replicas from the master's INFO, refreshed only every 10 s while healthy:
    // start them once replication is established so the first INFO already lists every replica.
    await Promise.all(pods.map((p) => startContainer(p, 'redis')));
    await waitForReplicas(pods, password, model.replicas - 1, LOCAL_DEFAULTS.startTimeoutMs);
    await Promise.all(pods.map((p) => startContainer(p, 'sentinel')));
    for (const p of pods) await startSidecars(p);
    await waitForConvergence({ pods, password, masterName: model.masterName }, { timeoutMs: opts.convergeTimeoutMs ?? LOCAL_DEFAULTS.convergeTimeoutMs });
    await services?.waitForEndpoints(opts.convergeTimeoutMs ?? LOCAL_DEFAULTS.convergeTimeoutMs);
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
      await startSidecars(p);
      await Promise.all([startContainer(p, 'redis'), startContainer(p, 'sentinel')]);
    },
    isRunning: (name) => Object.keys(byName(name).procs).length > 0,
    async killContainer(name, container) {
      const p = byName(name);
      const proc = p.procs[container];
      delete p.procs[container];
      if (proc) await signalAndWait(proc, 'SIGKILL', 2000);
    },
    async startContainer(name, container) {
      const p = byName(name);
      if (!p.procs[container]) await startContainer(p, container);
    },
    async stop(name, { preStop }) {
      // The kubelet's termination: preStop hooks, then SIGTERM, then SIGKILL when the grace period is up.
      const p = byName(name);
      const graceMs = model.terminationGracePeriodSeconds * 1000;
      const started = performance.now();
      if (preStop) {
        await Promise.all(
          (['redis', 'sentinel'] as const).map((which) => {
            const hook = (which === 'redis' ? model.redis : model.sentinel).preStop;
            return hook && p.procs[which] ? execIn(p, which, hook, graceMs) : null;
          }),
        );
      }
      const preStopMs = performance.now() - started;
      const procs = Object.values(p.procs);
      p.procs = {};
      const left = Math.max(2000, graceMs - preStopMs);
      await Promise.all(procs.map((s) => signalAndWait(s, 'SIGTERM', left).then((gone) => gone || signalAndWait(s, 'SIGKILL', 2000))));
      return { preStopMs: Math.round(preStopMs) };
    },
    async isReady(name) {
      const p = byName(name);
      const results = await Promise.all(
        (['redis', 'sentinel'] as const).map(async (which) => {
          const probe = (which === 'redis' ? model.redis : model.sentinel).readiness;
          if (!p.procs[which]) return false;
          return probe ? (await execIn(p, which, probe, 3000)) === 0 : true;
        }),
      );
      return results.every(Boolean);
    },
    setRedisImage(binary) {
      redisServerBinary = binary;
    },
    async runPreStop(name) {
      const p = byName(name);
      if (!model.redis.preStop || !p.procs.redis) return false;
      await execIn(p, 'redis', model.redis.preStop, model.terminationGracePeriodSeconds * 1000);
      return true;
    },
  };

  // Virtual nodes: pod i starts on node-i (the preferred anti-affinity spreads them).
  const cordoned = new Set<string>();
  const minAvailable = model.pdb?.minAvailable ?? (model.pdb?.maxUnavailable != null ? model.replicas - model.pdb.maxUnavailable : 0);
  const nodes: NodeControl = {
    async cordon(node) {
      cordoned.add(node);
    },
    async uncordon(node) {
      cordoned.delete(node);
    },
    nodeOf: (name) => byName(name).node,
    async evict(name) {
      const p = byName(name);
      // The Eviction API's PDB check: healthy pods that would remain must still satisfy minAvailable.
      const ready = await Promise.all(pods.map((x) => (x === p ? Promise.resolve(false) : podControl.isReady(x.name))));
      const remaining = ready.filter(Boolean).length;
      if (remaining < minAvailable) {
        return { evicted: false, reason: `Cannot evict pod as it would violate the pod's disruption budget (${remaining} ready would remain, ${model.pdb?.name ?? 'pdb'} needs ${minAvailable})` };
      }
      await podControl.stop(name, { preStop: true });
      // The StatefulSet controller recreates the pod, on a schedulable node, preferring one without a redis pod.
      const free = [...new Set(pods.map((x) => x.node))].filter((n) => !cordoned.has(n));
      const target = free.find((n) => !pods.some((x) => x !== p && x.node === n)) ?? free[0];
      if (target) {
        p.node = target;
        void podControl.start(name).catch(() => {});
      }
      return { evicted: true };
    },
  };

  const pause: ProcessPause = {
    async pause(name, container) {
      const proc = byName(name).procs[container];
      if (!proc) throw new HarnessError('PROCESS_FAILED', `${name}/${container} is not running, so it cannot be paused`);
      process.kill(proc.pid, 'SIGSTOP');
      // Proof that it landed: the kernel reports the process as stopped.
      for (let i = 0; i < 200 && !isStopped(proc.pid); i++) await sleep(1);
      if (!isStopped(proc.pid)) throw new HarnessError('PROCESS_FAILED', `${name}/${container} did not stop on SIGSTOP`);
    },
    async resume(name, container) {
      const proc = byName(name).procs[container];
      if (proc) process.kill(proc.pid, 'SIGCONT');
    },
  };

  let partitions = 0;
  const network: NetworkFaults = {
    majorityClientAddress,
    unavailableReason: nftUnavailableReason,
    async partition(spec): Promise<Partition> {
      const isolated = byName(spec.isolate);
      const table = `sentinel_chaos_${opts.runId.replace(/[^A-Za-z0-9]/g, '_')}_${++partitions}`;
      state.nftTables.push(table);
      await writeState(state);
      const toAddrs = (p: LocalPod) => ({ name: p.name, pod: p.redis.host, sentinelSource: p.sentinelSource });
      const { ruleset, inEffectAt } = await installPartition({
        table,
        isolated: toAddrs(isolated),
        others: pods.filter((p) => p !== isolated).map(toAddrs),
        majorityClients: [majorityClientAddress],
        cut: spec.cut,
        redisPort: model.redisPort,
      }).catch(async (e) => {
        state.nftTables = state.nftTables.filter((t) => t !== table);
        await writeState(state);
        throw e;
      });
      let healed = false;
      return {
        description: ruleset.split('\n').filter((l) => l.includes('drop')).map((l) => l.trim()).join('; '),
        inEffectAt,
        async heal() {
          if (healed) return;
          healed = true;
          await deleteTable(table);
          state.nftTables = state.nftTables.filter((t) => t !== table);
          await writeState(state);
        },
      };
    },
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
    get password() {
      return password;
    },
    passwords,
    async setPassword(next: string) {
      password = next;
      registerSecret(next);
      if (!passwords.includes(next)) passwords.push(next);
      await writeFile(path.join(runDir, 'password'), next, { mode: 0o600 });
      await writeSecretFiles();
    },
    downAfterMs: Number(opts.overrides?.sentinel?.['down-after-milliseconds'] ?? model.downAfterMs),
    podControl,
    pause,
    network,
    nodes,
    ...(services ? { services } : {}),
    volumes: localVolumes({ dataDirOf: (name) => byName(name).dataDir, isRunning: podControl.isRunning }),
    scale: localScale({
      pods,
      newPod: (i) => makePod(`${model.statefulSet}-${i}`, i),
      async prepare(p) {
        await assertPortFree(p.redis.host, model.redisPort);
        await assertPortFree(p.sentinel.host, model.sentinelPort);
        await mkdir(p.dataDir, { recursive: true, mode: 0o700 });
        state.pods.push({ name: p.name, address: p.redis.host });
        await writeState(state);
      },
      start: (name) => podControl.start(name),
      stop: (name) => podControl.stop(name, { preStop: true }).then(() => {}),
      async forget(p) {
        await rm(p.dataDir, { recursive: true, force: true });
        state.pods = state.pods.filter((x) => x.name !== p.name);
        await writeState(state);
      },
    }),
    redisVersion: version,
    describe: () => ({
      run_dir: runDir,
      password_file: path.join(runDir, 'password'),
      redis_server: bins.redisServer,
      redis_sentinel: bins.redisSentinel,
      pod_addresses: pods.map((p) => `${p.name}=${p.redis.host}`).join(' '),
      ...(services ? { service_addresses: services.describe() } : {}),
    }),
    down,
    [Symbol.asyncDispose]: down,
  };
}

/** Copy pods/<pod>/<container>.log to `dest/<pod>/`, with the password replaced. */
async function keepLogs(runDir: string, dest: string, passwords: readonly string[]): Promise<void> {
  const podsDir = path.join(runDir, 'pods');
  for (const pod of await readdir(podsDir)) {
    for (const f of (await readdir(path.join(podsDir, pod))).filter((n) => n.endsWith('.log'))) {
      await mkdir(path.join(dest, pod), { recursive: true });
      const text = await readFile(path.join(podsDir, pod, f), 'utf8');
      await writeFile(path.join(dest, pod, f), passwords.reduce((t, p) => t.replaceAll(p, '***'), text));
    }
  }
}

/**
 * Why a container died at start-up, from its log (which goes with the run dir): Redis's own verdict on
 * its config file names the directive and the ConfigMap to fix; otherwise the log's last line.
 */
async function startFailure(logFile: string, conf: ConfText, passwords: readonly string[]): Promise<string> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const lines = passwords.reduce((t, p) => t.replaceAll(p, '***'), log).split('\n').map((l) => l.trim()).filter(Boolean);
  const fatal = lines.findIndex((l) => l.includes('FATAL CONFIG FILE ERROR'));
  if (fatal >= 0) {
    const directive = lines.slice(fatal).find((l) => l.startsWith('>>>'))?.slice(3).trim();
    const reason = lines[lines.findIndex((l, i) => i > fatal && l.startsWith('>>>')) + 1] ?? 'rejected';
    return `its ${conf.key} was rejected (${reason.replace(/\.$/, '')}${directive ? ` at ${directive}` : ''}): fix ConfigMap ${conf.configMap} in ${conf.file} (or pass --manifests DIR)`;
  }
  return lines.length ? `its log ends with: ${lines.at(-1)!.slice(0, 300)}` : 'it wrote no log';
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

