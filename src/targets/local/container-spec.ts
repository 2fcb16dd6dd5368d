// What the kubelet hands the runtime for one container: argv, environment and mounts from the manifest, mapped to this host.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerModel, DeploymentModel } from '../../config/manifests.ts';
import { CLOCK_SHIM_MOUNT, clockShimEnv } from '../clock-shim.ts';
import { RUN_DIR_LABEL, RUN_LABEL, type ContainerRuntime, type ContainerSpec, type MountSpec } from '../runtime/runtime.ts';
import type { Binaries } from './binaries.ts';
import { DATA_MOUNT, CONFIG_MOUNT, pathThroughMounts, podMounts, type HostVolumes } from './mounts.ts';
import { podIp, type LocalPod } from './pods.ts';

/**
 * Build a container's environment from the manifest: field refs, Secrets, literal values with `$(VAR)` expanded and pod
 * DNS names mapped to local addresses. A secretKeyRef is the password (the password Secret's, or any when `secretValue`
 * is not given), else `secretValue`'s answer for that Secret's key (unset when it has none, as a kubelet would not start
 * the container: never another Secret's value).
 */
export function manifestEnv(
  c: ContainerModel,
  pod: LocalPod,
  hostMap: (s: string) => string,
  password: string,
  secretValue?: (secret: string, key: string) => string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const ref = e.valueFrom?.secretKeyRef;
    if (field === 'metadata.name') env[e.name] = pod.name;
    else if (field === 'status.podIP') env[e.name] = podIp(pod);
    else if (ref) {
      const v = secretValue ? secretValue(ref.name, ref.key) : password;
      if (v !== undefined) env[e.name] = v;
    } else if (e.value !== undefined)
      env[e.name] = hostMap(e.value.replace(/\$\((\w+)\)/g, (_m, v: string) => env[v] ?? ''))
        .replace(/\s+/g, ' ')
        .trim();
  }
  return env;
}

function readSecretKey(dir: string, key: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(key)) return undefined;
  try {
    return readFileSync(path.join(dir, key), 'utf8');
  } catch {
    return undefined;
  }
}

/** Maps the pods' DNS names (`<pod>.<headless>.<ns>.svc.cluster.local`, `<pod>.<headless>`) in a text to their addresses. */
export function podDnsMap(model: DeploymentModel, pods: readonly LocalPod[]): (s: string) => string {
  const dnsSuffix = `${model.headlessService}.${model.namespace}.svc.cluster.local`;
  return (s) =>
    pods.reduce(
      (acc, p) => acc.replaceAll(`${p.name}.${dnsSuffix}`, p.redis.host).replace(new RegExp(`\\b${p.name}\\.${model.headlessService}\\b`, 'g'), p.redis.host),
      s,
    );
}

export interface SpecContext {
  model: DeploymentModel;
  runtime: ContainerRuntime;
  vols: HostVolumes;
  runId: string;
  bins: Binaries;
  /** The redis container's binary (its image), changed by an image update. */
  redisServer: string;
  password: string;
  hostMap: (s: string) => string;
  /** What the harness's Services add (the API server's address and the ServiceAccount), when they run. */
  servicesEnv?: Record<string, string>;
  /** The clock shim's directory on the host: mounted into the sentinel container and preloaded there. */
  clockShimDir?: string;
}

/**
 * The container's spec as the kubelet would start it, with local addresses, ports and binaries in
 * place of the image's (`which` says whose address its outgoing connections use: a sentinel's own).
 */
export function containerSpec(ctx: SpecContext, pod: LocalPod, c: ContainerModel, which: 'redis' | 'sentinel'): ContainerSpec {
  const shim: MountSpec | null =
    which === 'sentinel' && c.name === ctx.model.sentinel.name && ctx.clockShimDir
      ? { hostPath: ctx.clockShimDir, containerPath: CLOCK_SHIM_MOUNT, readOnly: true }
      : null;
  const mounts = shim ? [...podMounts(ctx.model, ctx.vols, pod), shim] : podMounts(ctx.model, ctx.vols, pod);
  const inContainer = (p: string) => pathThroughMounts(p, mounts, (m) => ctx.runtime.pathInContainer(m)) ?? p;
  // Another Secret's key (the ACL Secret's exporter password): its file, as the target wrote it before the pods start.
  const secretValue = (secret: string, key: string) => (secret === ctx.model.password.secret ? ctx.password : readSecretKey(ctx.vols.secretDir(secret), key));
  const env = Object.fromEntries(Object.entries(manifestEnv(c, pod, ctx.hostMap, ctx.password, secretValue)).map(([k, v]) => [k, inContainer(v)]));
  return {
    pod: pod.name,
    container: c.name,
    image: c.name === 'redis' ? ctx.redisServer : c.name === 'sentinel' ? ctx.bins.redisSentinel : '',
    argv: c.command.map(inContainer),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...env,
      ...ctx.servicesEnv,
      CONFIG_DIR: inContainer(CONFIG_MOUNT),
      DATA_DIR: inContainer(DATA_MOUNT),
      BIND_ADDR: podIp(pod),
      BIND_SOURCE_ADDR: which === 'sentinel' ? pod.sentinelSource : podIp(pod),
      REDIS_PORT: String(ctx.model.redisPort),
      SENTINEL_PORT: String(ctx.model.sentinelPort),
      REDIS_SERVER: ctx.redisServer,
      REDIS_SENTINEL: ctx.bins.redisSentinel,
      REDIS_CLI: ctx.bins.redisCli,
      // The monitoring sidecars (--monitoring): Debian's redis_exporter in place of the image's (on docker, in the images).
      REDIS_EXPORTER: 'prometheus-redis-exporter',
      ...(shim ? clockShimEnv(ctx.runtime.pathInContainer(shim), pod.name) : {}),
    },
    mounts,
    podAddress: podIp(pod),
    labels: { [RUN_LABEL]: ctx.runId, [RUN_DIR_LABEL]: ctx.vols.runDir, pod: pod.name, container: c.name },
    logFile: path.join(ctx.vols.runDir, 'pods', pod.name, `${c.name}.log`),
    workingDir: inContainer(DATA_MOUNT),
  };
}
