// The local target: the manifests' pods as real redis-server / redis-sentinel processes on loopback addresses, run by the kubelet emulation.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentModel } from '../../config/manifests.ts';
import { HarnessError } from '../../errors.ts';
import { onInterrupt } from '../../process/interrupt.ts';
import { buildClockShim } from '../clock-shim.ts';
import { createProcessRuntime } from '../runtime/process-runtime.ts';
import type { ConfigOverrides } from '../../model/overrides.ts';
import type { StartedDeployment } from '../target.ts';
import { DEFAULT_BINARIES, redisVersion, resolveBinaries, type Binaries } from './binaries.ts';
import { podDnsMap } from './container-spec.ts';
import { emitLabelChanges, kubeletDeployment, PodEventHub, podSecret } from './deployment.ts';
import { createKubelet, type Kubelet } from './kubelet.ts';
import { keepLogs } from './logs.ts';
import { hostVolumes, renderConfigMaps, writeSecret, type HostVolumes } from './mounts.ts';
import { localPodControl } from './pod-control.ts';
import { localAddresses, makePod, type LocalPod } from './pods.ts';
import { prepareLocalSecurity, type LocalSecurity } from './security.ts';
import { servicesOf } from './service-proxy.ts';
import { serviceHost, startLocalServices, type LocalServices } from './services.ts';
import { assertPodPortsFree, startPodContainers } from './startup.ts';
import { ensureRoot, removeDeployment, writeState, type LocalState } from './state.ts';

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

/** Bring the pods up as a StatefulSet with podManagementPolicy Parallel would, then wait for a converged deployment. */
async function bringUp(
  opts: LocalOptions,
  pods: LocalPod[],
  kubelet: Kubelet,
  vols: HostVolumes,
  password: string,
  services: LocalServices | null,
  security: LocalSecurity | null,
): Promise<void> {
  const { model } = opts;
  await renderConfigMaps(model, vols, podDnsMap(model, pods), opts.overrides);
  await writeSecret(model, vols, password);
  await security?.writeSecrets();
  for (const p of pods) await mkdir(p.dataDir, { recursive: true, mode: 0o700 });
  await startPodContainers({
    kubelet,
    pods,
    model,
    password,
    startTimeoutMs: LOCAL_DEFAULTS.startTimeoutMs,
    convergeTimeoutMs: opts.convergeTimeoutMs ?? LOCAL_DEFAULTS.convergeTimeoutMs,
    services,
  });
}

export async function startLocalDeployment(opts: LocalOptions): Promise<StartedDeployment> {
  const { model } = opts;
  const subnet = opts.subnet ?? LOCAL_DEFAULTS.subnet;
  if (!Number.isInteger(subnet) || subnet < 0 || subnet > 255) throw new HarnessError('USAGE', `--subnet must be an integer 0-255, got ${subnet}`);
  const bins = await resolveBinaries({ ...DEFAULT_BINARIES, ...opts.binaries });
  const version = await redisVersion(bins.redisServer);
  const runDir = path.join(await ensureRoot(), opts.runId);
  const newPod = (ordinal: number) =>
    makePod({ name: `${model.statefulSet}-${ordinal}`, ordinal, subnet, runDir, redisPort: model.redisPort, sentinelPort: model.sentinelPort });
  const pods: LocalPod[] = model.podNames.map((name, i) => ({ ...newPod(i), name }));
  for (const p of pods) await assertPodPortsFree(p);

  const secret = podSecret(model);
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
  const clockShim = await buildClockShim(runDir);

  const vols = hostVolumes(runDir);
  let services: LocalServices | null = null;
  const kubelet = createKubelet({
    model,
    runtime: createProcessRuntime({ detached: opts.detached }),
    vols,
    runId: opts.runId,
    bins,
    state,
    startTimeoutMs: LOCAL_DEFAULTS.startTimeoutMs,
    password: () => secret.password,
    passwords: secret.passwords,
    hostMap: podDnsMap(model, pods),
    servicesEnv: () => services?.containerEnv,
    ...(clockShim.dir ? { clockShimDir: clockShim.dir } : {}),
  });
  let security: LocalSecurity | null = null;
  const events = new PodEventHub();
  const teardown = async () => {
    unregister();
    security?.close();
    await services?.close();
    if (opts.logsDir) await keepLogs(runDir, opts.logsDir, secret.passwords).catch(() => {});
    // A frozen container still dies on SIGKILL; partitions go with the deployment.
    await Promise.all(pods.map((p) => kubelet.kill(p)));
    await removeDeployment(state);
  };
  const unregister = opts.detached ? () => {} : onInterrupt(teardown);
  try {
    // The Services (kube-proxy) and the API server that holds the pods' labels they select on.
    if (!opts.detached)
      services = await startLocalServices({
        model,
        subnet,
        runDir,
        pods: () => pods.map((p) => ({ name: p.name, host: p.redis.host, ready: p.containers.redis !== undefined })),
      });
    // The secure profile: its certificates (the Services' addresses among their names) and ACL passwords.
    const serviceAddresses = servicesOf(model).map((_, i) => serviceHost(subnet, i));
    security = await prepareLocalSecurity({ model, vols, pods, serviceAddresses, password: secret.password });
    for (const pw of Object.values(security?.aclPasswords ?? {})) secret.passwords.push(pw);
    await bringUp(opts, pods, kubelet, vols, secret.password, services, security);
    if (services) emitLabelChanges(services, events);
  } catch (e) {
    await teardown();
    throw e;
  }

  return kubeletDeployment(
    {
      target: 'local',
      model,
      runId: opts.runId,
      pods,
      newPod,
      state,
      vols,
      secret,
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      podControl: localPodControl(pods, kubelet),
      services,
      majorityClientAddress: localAddresses(subnet).majorityClient,
      preparePod: async (p) => security?.addPod(p),
      clockShim,
      teardown,
    },
    {
      redisVersion: () => version,
      describe: () => ({
        run_dir: runDir,
        password_file: vols.passwordFile,
        redis_server: bins.redisServer,
        redis_sentinel: bins.redisSentinel,
        pod_addresses: pods.map((p) => `${p.name}=${p.redis.host}`).join(' '),
        ...(services ? { service_addresses: services.describe() } : {}),
        ...security?.describe(),
      }),
      extra: { podEvents: events, ...(security ? { credentials: security.credentials, ...(security.tls ? { tls: security.tls } : {}) } : {}) },
    },
  );
}
