// The docker target: the local target's kubelet emulation over the Docker runtime. Pods are containers
// (host networking on loopback) of the image the manifests name, pod DNS names reach them unrewritten
// and are served by a dnsmasq of the run, and a recreated pod moves to a new address as a pod IP would.
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DeploymentModel } from '../../config/manifests.ts';
import { hasMonitoring } from '../../config/monitoring.ts';
import { HarnessError } from '../../errors.ts';
import type { ConfigOverrides } from '../../model/overrides.ts';
import { onInterrupt } from '../../process/interrupt.ts';
import { AddressBook, installResolver } from '../kube/address-book.ts';
import { emitLabelChanges, kubeletDeployment, PodEventHub, podSecret } from '../local/deployment.ts';
import { createKubelet, type Kubelet } from '../local/kubelet.ts';
import { keepLogs } from '../local/logs.ts';
import { hostVolumes, renderConfigMaps, writeSecret, type HostVolumes } from '../local/mounts.ts';
import { localPodControl } from '../local/pod-control.ts';
import { isPodRunning, makePod, podByName, podIp, type LocalPod } from '../local/pods.ts';
import { prepareLocalSecurity, type LocalSecurity } from '../local/security.ts';
import { servicesOf } from '../local/service-proxy.ts';
import { serviceHost, startLocalServices, type LocalServices } from '../local/services.ts';
import { assertPodPortsFree, startPodContainers } from '../local/startup.ts';
import { ensureRoot, removeDeployment, writeState, type LocalState } from '../local/state.ts';
import { buildClockShim } from '../clock-shim.ts';
import type { ContainerRuntime, ContainerSpec } from '../runtime/runtime.ts';
import type { PodControl, StartedDeployment } from '../target.ts';
import { dockerCpu } from './cpu.ts';
import { dockerStress } from './stress.ts';
import { DnsServer, dnsControl, namesFor, podFqdn, serviceFqdn } from './dns.ts';
import { DockerRuntime } from './docker-runtime.ts';
import { imageFor, listImages, type ImageRecipe } from './images.ts';
import { removeDockerLeftovers } from './leftovers.ts';
import { dockerAddresses, limitsOf, manifestImage, type DockerAddresses } from './pod-spec.ts';

const run = promisify(execFile);

export interface DockerOptions {
  model: DeploymentModel;
  runId: string;
  /** Third octet of every loopback address of the run (default 84). */
  subnet?: number;
  overrides?: ConfigOverrides;
  /** Leave the containers and the DNS server running when this harness exits (`up`); the Services and sidecars are left out. */
  detached?: boolean;
  /** On teardown, copy every container's log here (passwords redacted). */
  logsDir?: string;
  convergeTimeoutMs?: number;
  /** `NAME:VERSION` of the catalogue instead of the manifests' image. */
  image?: string;
  /** Keep a recreated pod's address (the local target's behaviour) instead of moving it. */
  stableAddresses?: boolean;
}

export const DOCKER_DEFAULTS = {
  subnet: 84,
  convergeTimeoutMs: 30_000,
  startTimeoutMs: 75_000,
  /** The images' PATH (the kubelet would not pass the host's). */
  imagePath: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  /** Where the kubelet mounts the pod's ServiceAccount token. */
  serviceAccountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
} as const;

/** The programs inside every image of the catalogue (redis-server, redis-sentinel and redis-cli on PATH). */
const IMAGE_BINARIES = { redisServer: 'redis-server', redisSentinel: 'redis-sentinel', redisCli: 'redis-cli' };

/** Engine up and image built (from the current recipe when the exporter sidecars need its redis_exporter), or exit 2 with the command that fixes it. */
async function assertDockerReady(recipe: ImageRecipe, monitoring: boolean): Promise<void> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
  } catch {
    throw new HarnessError('TARGET_UNAVAILABLE', '--target docker: no docker engine answers: start one with `sudo scripts/docker-engine.sh start`');
  }
  const [status] = await listImages([recipe]);
  if (!status?.present)
    throw new HarnessError(
      'TARGET_UNAVAILABLE',
      `--target docker: image ${recipe.tag} is not built: run \`node scripts/build-images.ts ${recipe.name}:${recipe.version}\``,
    );
  if (monitoring && !status.current)
    throw new HarnessError(
      'TARGET_UNAVAILABLE',
      `--target docker --monitoring: image ${recipe.tag} was built from an older recipe (without Debian's prometheus-redis-exporter): run \`node scripts/build-images.ts ${recipe.name}:${recipe.version}\``,
    );
}

/**
 * The kubelet's runtime on this target: the docker runtime, given what the kubelet's spec leaves to
 * the image and the cluster (image, PATH, limits, the cluster DNS, the ServiceAccount mount).
 */
function podRuntime(inner: DockerRuntime, o: { model: DeploymentModel; image: () => string; dns: string; saDir: string | null }): ContainerRuntime {
  return {
    name: 'docker',
    pathInContainer: (m) => inner.pathInContainer(m),
    start(spec: ContainerSpec) {
      const { SA_DIR: _hostSaDir, ...env } = spec.env;
      return inner.start({
        ...spec,
        image: o.image(),
        env: { ...env, PATH: DOCKER_DEFAULTS.imagePath },
        mounts: [...spec.mounts, ...(o.saDir ? [{ hostPath: o.saDir, containerPath: DOCKER_DEFAULTS.serviceAccountPath, readOnly: true }] : [])],
        dnsServer: o.dns,
        limits: limitsOf(o.model, spec.container),
      });
    },
    removeLabelled: (labels) => inner.removeLabelled(labels),
  };
}

/** The kubelet emulation over Docker: images for binaries, the cluster DNS, pod names unrewritten. */
function dockerKubelet(o: {
  model: DeploymentModel;
  docker: DockerRuntime;
  image: () => string;
  dns: string;
  saDir: string | null;
  vols: HostVolumes;
  runId: string;
  state: LocalState;
  password: () => string;
  passwords: readonly string[];
  services: () => LocalServices | null;
  events: PodEventHub;
  clockShimDir?: string;
}): Kubelet {
  return createKubelet({
    model: o.model,
    runtime: podRuntime(o.docker, { model: o.model, image: o.image, dns: o.dns, saDir: o.saDir }),
    vols: o.vols,
    runId: o.runId,
    bins: IMAGE_BINARIES,
    state: o.state,
    startTimeoutMs: DOCKER_DEFAULTS.startTimeoutMs,
    password: o.password,
    passwords: o.passwords,
    // Pod names reach the containers unrewritten: the cluster DNS resolves them.
    hostMap: (s) => s,
    servicesEnv: () => {
      const services = o.services();
      return services ? { KUBE_API: services.containerEnv.KUBE_API! } : undefined;
    },
    // restartPolicy Always: a container that dies (an OOM kill by its cgroup limit) comes back, reported as the kubelet does.
    onRestartEvent: (e) => o.events.emit(e),
    ...(o.clockShimDir ? { clockShimDir: o.clockShimDir } : {}),
  });
}

/** The report's facts about where the pods are (never secrets). */
function placementFacts(pods: readonly LocalPod[], stable: boolean, services: LocalServices | null): Record<string, string> {
  return {
    addresses: stable ? 'stable' : 'move on recreation',
    pod_addresses: pods.map((p) => `${p.name}=${podIp(p)}`).join(' '),
    ...(services ? { service_addresses: services.describe() } : {}),
  };
}

/** Where pods live on this target: their addresses (new ones when recreated, unless stable), their DNS records, the headless Service's. */
function podPlacement(o: {
  model: DeploymentModel;
  pods: LocalPod[];
  dns: () => DnsServer;
  at: DockerAddresses;
  generation: Map<string, number>;
  book: AddressBook;
  state: LocalState;
  stableAddresses: boolean;
}) {
  const { model, pods, dns, at, generation, book, state, stableAddresses } = o;
  const headlessFqdn = serviceFqdn(model.headlessService, model.namespace);
  /** The headless Service's record: every pod that exists (publishNotReadyAddresses). */
  const publishHeadless = async () => {
    const ips = pods.filter((p) => isPodRunning(p)).map(podIp);
    if (ips.length) await dns().set(headlessFqdn, ips);
    else if (dns().entries().has(headlessFqdn)) await dns().remove(headlessFqdn);
  };
  /** A pod about to be (re)created: a new address unless --stable-addresses, its record first, proven by a query. */
  const place = async (p: LocalPod, move: boolean) => {
    if (move && !stableAddresses) generation.set(p.name, generation.get(p.name)! + 1);
    const g = generation.get(p.name)!;
    p.address = at.pod(p.ordinal, g);
    p.sentinelSource = at.sentinelSource(p.ordinal, g);
    book.set({ pod: p.name, names: namesFor(p.redis.host), local: p.address });
    await dns().set(p.redis.host, p.address);
    const entry = state.pods.find((x) => x.name === p.name);
    if (entry) entry.address = p.address;
    else state.pods.push({ name: p.name, address: p.address });
    await writeState(state);
  };
  /** A deleted pod's record goes, as the endpoints controller removes it. */
  const unpublish = async (p: LocalPod) => {
    if (dns().entries().has(p.redis.host)) await dns().remove(p.redis.host);
    await publishHeadless();
  };
  return { publishHeadless, place, unpublish };
}

/** What a recreated pod needs on this target: a (new) address and its DNS record before its containers start. */
interface MovingPodDeps {
  pods: LocalPod[];
  base: PodControl;
  place(p: LocalPod, move: boolean): Promise<void>;
  unpublish(p: LocalPod): Promise<void>;
  publishHeadless(): Promise<void>;
  setImage(image: string): void;
}

/** The kubelet's pod control, with pods that move to a new address when recreated and DNS records that follow them. */
function movingPodControl(d: MovingPodDeps): PodControl {
  const { pods, base, place, unpublish, publishHeadless } = d;
  const everStarted = new Set(pods.map((p) => p.name));
  const podControl: PodControl = {
    ...base,
    async kill(name) {
      const p = podByName(pods, name);
      await base.kill(name);
      await unpublish(p);
    },
    async stop(name, o) {
      const p = podByName(pods, name);
      const r = await base.stop(name, o);
      await unpublish(p);
      return r;
    },
    async start(name) {
      const p = podByName(pods, name);
      if (!isPodRunning(p)) {
        await mkdir(p.dataDir, { recursive: true, mode: 0o700 });
        await place(p, everStarted.has(name));
        everStarted.add(name);
      }
      await base.start(name);
      await publishHeadless();
    },
    /** The StatefulSet's image change: every container of a pod started from now on runs this image (a catalogue NAME:VERSION or tag). */
    setRedisImage(image) {
      d.setImage(image);
    },
  };
  return podControl;
}

/** The StatefulSet's pods on this target, known by their DNS names, each at its first address; the names (and the Services') in the address book. */
function dockerPods(model: DeploymentModel, subnet: number, runDir: string, at: DockerAddresses, generation: Map<string, number>, book: AddressBook) {
  const newPod = (ordinal: number): LocalPod => {
    const name = `${model.statefulSet}-${ordinal}`;
    const fqdn = podFqdn(name, model.headlessService, model.namespace);
    const p = makePod({ name, ordinal, subnet, runDir, redisPort: model.redisPort, sentinelPort: model.sentinelPort });
    generation.set(name, 0);
    const address = at.pod(ordinal, 0);
    book.set({ pod: name, names: namesFor(fqdn), local: address });
    // Endpoints by DNS name: what Sentinel announces (announce-hostnames), stable when the pod moves.
    return {
      ...p,
      redis: { host: fqdn, port: model.redisPort },
      sentinel: { host: fqdn, port: model.sentinelPort },
      address,
      sentinelSource: at.sentinelSource(ordinal, 0),
    };
  };
  const pods: LocalPod[] = model.podNames.map((_n, i) => newPod(i));
  for (const [i, svc] of servicesOf(model).entries())
    book.set({ pod: svc.name, names: namesFor(serviceFqdn(svc.name, model.namespace)), local: serviceHost(subnet, i) });
  return { newPod, pods };
}

/** What the run holds while it comes up, for the teardown to remove (also after a failed start). */
interface DockerRun {
  state: LocalState;
  dns: DnsServer | null;
  services: LocalServices | null;
  kubelet: Kubelet | null;
  /** The secure profile's certificates and ACL passwords (null: another profile). */
  security: LocalSecurity | null;
}

/** The run's cluster DNS with the Services' records, and (unless detached) the Services and API server. */
async function startClusterServices(o: DockerOptions, held: DockerRun, pods: readonly LocalPod[], at: DockerAddresses, subnet: number): Promise<void> {
  const { model } = o;
  held.dns = await DnsServer.start({ address: at.dns, runDir: held.state.runDir, detached: o.detached ?? false });
  held.state.dnsPid = held.dns.pid;
  await writeState(held.state);
  for (const [i, svc] of servicesOf(model).entries()) await held.dns.set(serviceFqdn(svc.name, model.namespace), serviceHost(subnet, i));
  if (!o.detached)
    held.services = await startLocalServices({
      model,
      subnet,
      runDir: held.state.runDir,
      pods: () => pods.map((p) => ({ name: p.name, host: podIp(p), ready: p.containers.redis !== undefined })),
    });
}

/** The pods started as a StatefulSet with podManagementPolicy Parallel would (records first), then a converged deployment. */
async function bringUpPods(
  o: DockerOptions,
  kubelet: Kubelet,
  pods: LocalPod[],
  placement: ReturnType<typeof podPlacement>,
  vols: HostVolumes,
  password: string,
  services: LocalServices | null,
  security: LocalSecurity | null,
): Promise<void> {
  const { model } = o;
  await renderConfigMaps(model, vols, (s) => s, o.overrides);
  await writeSecret(model, vols, password);
  await security?.writeSecrets();
  for (const p of pods) {
    await mkdir(p.dataDir, { recursive: true, mode: 0o700 });
    await placement.place(p, false);
  }
  await startPodContainers({
    kubelet,
    pods,
    model,
    password,
    startTimeoutMs: DOCKER_DEFAULTS.startTimeoutMs,
    convergeTimeoutMs: o.convergeTimeoutMs ?? DOCKER_DEFAULTS.convergeTimeoutMs,
    services,
    afterRedis: () => placement.publishHeadless(),
  });
}

/** Everything of the run, in order: Services, logs, containers, DNS, the resolver hook, leftovers by label, the run dir and state. */
function dockerTeardown(o: DockerOptions, held: DockerRun, pods: readonly LocalPod[], passwords: readonly string[], uninstallResolver: () => void) {
  const teardown = async () => {
    unregister();
    held.security?.close();
    await held.services?.close();
    if (o.logsDir) await keepLogs(held.state.runDir, o.logsDir, passwords).catch(() => {});
    const k = held.kubelet;
    if (k) await Promise.all(pods.map((p) => k.kill(p)));
    await held.dns?.stop();
    uninstallResolver();
    await removeDockerLeftovers(held.state);
    await removeDeployment(held.state);
  };
  const unregister = o.detached ? () => {} : onInterrupt(teardown);
  return teardown;
}

/** The checks that need no engine: the subnet and the pod count. */
function assertDockerOptions(model: DeploymentModel, subnet: number): void {
  if (!Number.isInteger(subnet) || subnet < 0 || subnet > 255) throw new HarnessError('USAGE', `--subnet must be an integer 0-255, got ${subnet}`);
  if (model.replicas > 10) throw new HarnessError('USAGE', `--target docker runs at most 10 pods, the StatefulSet asks for ${model.replicas}`);
}

/** What a run holds before anything started: its state file's content, nothing running yet. */
function newDockerRun(opts: DockerOptions, runDir: string, pods: readonly LocalPod[]): DockerRun {
  return {
    state: {
      runId: opts.runId,
      runDir,
      ownerPid: process.pid,
      detached: opts.detached ?? false,
      pods: pods.map((p) => ({ name: p.name, address: podIp(p) })),
      processes: {},
      nftTables: [],
      runtime: 'docker',
    },
    dns: null,
    services: null,
    kubelet: null,
    security: null,
  };
}

export async function startDockerDeployment(opts: DockerOptions): Promise<StartedDeployment> {
  const { model } = opts;
  const subnet = opts.subnet ?? DOCKER_DEFAULTS.subnet;
  assertDockerOptions(model, subnet);
  let recipe = imageFor(manifestImage(model), opts.image);
  await assertDockerReady(recipe, hasMonitoring(opts.model));
  const at = dockerAddresses(subnet);
  const runDir = path.join(await ensureRoot(), opts.runId);
  const generation = new Map<string, number>();
  const book = new AddressBook();
  const { newPod, pods } = dockerPods(model, subnet, runDir, at, generation, book);
  const secret = podSecret(model);
  const events = new PodEventHub();
  const held = newDockerRun(opts, runDir, pods);
  const vols = hostVolumes(runDir);
  // The harness resolves the pods' names from here on; the teardown uninstalls it.
  const teardown = dockerTeardown(opts, held, pods, secret.passwords, installResolver(book));
  const placement = podPlacement({
    model,
    pods,
    dns: () => held.dns!,
    at,
    generation,
    book,
    state: held.state,
    stableAddresses: opts.stableAddresses === true,
  });
  const clockShim = await buildClockShim(runDir);
  try {
    await mkdir(runDir, { recursive: true, mode: 0o700 });
    await writeState(held.state);
    for (const p of pods) await assertPodPortsFree(p);
    await startClusterServices(opts, held, pods, at, subnet);
    held.kubelet = dockerKubelet({
      model,
      docker: new DockerRuntime({ startTimeoutMs: 30_000 }),
      image: () => recipe.tag,
      dns: at.dns,
      saDir: held.services ? path.join(runDir, 'serviceaccount') : null,
      vols,
      runId: opts.runId,
      state: held.state,
      password: () => secret.password,
      passwords: secret.passwords,
      services: () => held.services,
      events,
      ...(clockShim.dir ? { clockShimDir: clockShim.dir } : {}),
    });
    // The secure profile: certificates naming the pods' DNS names (what clients connect by: their addresses change when recreated).
    held.security = await prepareLocalSecurity({
      model,
      vols,
      pods,
      serviceAddresses: servicesOf(model).map((_, i) => serviceHost(subnet, i)),
      password: secret.password,
    });
    for (const pw of Object.values(held.security?.aclPasswords ?? {})) secret.passwords.push(pw);
    await bringUpPods(opts, held.kubelet, pods, placement, vols, secret.password, held.services, held.security);
    if (held.services) emitLabelChanges(held.services, events);
  } catch (e) {
    await teardown();
    throw e;
  }
  const podControl = movingPodControl({
    pods,
    base: localPodControl(pods, held.kubelet),
    ...placement,
    setImage: (image) => (recipe = imageFor(image)),
  });
  return kubeletDeployment(
    {
      target: 'docker',
      model,
      runId: opts.runId,
      pods,
      newPod,
      state: held.state,
      vols,
      secret,
      ...(opts.overrides ? { overrides: opts.overrides } : {}),
      podControl,
      services: held.services,
      majorityClientAddress: at.majorityClient,
      preparePod: async (p) => held.security?.addPod(p),
      clockShim,
      teardown,
    },
    {
      redisVersion: () => recipe.version,
      describe: () => ({
        run_dir: runDir,
        password_file: vols.passwordFile,
        image: recipe.tag,
        dns_server: at.dns,
        ...placementFacts(pods, opts.stableAddresses === true, held.services),
        ...held.security?.describe(),
      }),
      extra: {
        dns: dnsControl(held.dns!),
        cpu: dockerCpu(pods),
        stress: dockerStress(pods),
        podEvents: events,
        // Clients' sockets see the pod IP of the moment; the topology, Sentinel and the role samples know the pod by its FQDN.
        nodeIdentity: (node: string) => book.identify(node),
        ...(held.security ? { credentials: held.security.credentials } : {}),
        ...(held.security?.tls ? { tls: held.security.tls } : {}),
      },
    },
  );
}
