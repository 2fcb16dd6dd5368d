// What the docker target reads from the StatefulSet beyond the kubelet's model: each container's image and resources.limits, and where pods live.
import type { DeploymentModel } from '../../config/manifests.ts';
import { HarnessError } from '../../errors.ts';

const rec = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The StatefulSet's containers as written: name, image, resources.limits. */
export function templateContainers(model: DeploymentModel): Array<{ name: string; image: string; limits: Record<string, unknown> }> {
  const sts = model.objects.find((o) => o.kind === 'StatefulSet');
  const containers = rec(rec(rec(sts?.spec).template).spec).containers;
  return (Array.isArray(containers) ? containers : [])
    .map(rec)
    .map((c) => ({ name: String(c.name), image: String(c.image ?? ''), limits: rec(rec(c.resources).limits) }));
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, '': 1 };

/** A Kubernetes memory quantity (`2560Mi`, `1G`, `134217728`) in bytes. */
export function memoryBytes(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(String(q).trim());
  if (!m) throw new HarnessError('MANIFEST_INVALID', `memory limit "${String(q)}" is not a quantity like 256Mi (fix the manifest or pass --manifests DIR)`);
  return Math.round(Number(m[1]) * BINARY_SUFFIX[m[2] ?? '']!);
}

/** A Kubernetes CPU quantity (`500m`, `2`) in docker's NanoCpus. */
export function nanoCpus(q: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(m)?$/.exec(String(q).trim());
  if (!m) throw new HarnessError('MANIFEST_INVALID', `cpu limit "${String(q)}" is not a quantity like 500m (fix the manifest or pass --manifests DIR)`);
  return Math.round(Number(m[1]) * (m[2] ? 1e6 : 1e9));
}

/** resources.limits of a container as cgroup limits. */
export function limitsOf(model: DeploymentModel, container: string): { memoryBytes?: number; nanoCpus?: number } | undefined {
  const c = templateContainers(model).find((x) => x.name === container);
  if (!c) return undefined;
  return {
    ...(c.limits.memory !== undefined ? { memoryBytes: memoryBytes(c.limits.memory) } : {}),
    ...(c.limits.cpu !== undefined ? { nanoCpus: nanoCpus(c.limits.cpu) } : {}),
  };
}

/** The image the manifests' redis container names. */
export function manifestImage(model: DeploymentModel): string {
  const c = templateContainers(model).find((x) => x.name === model.redis.name);
  if (!c?.image)
    throw new HarnessError(
      'MANIFEST_INVALID',
      `${model.manifestsDir}: the StatefulSet's ${model.redis.name} container names no image (fix the manifest or pass --image NAME:VERSION)`,
    );
  return c.image;
}

/** How many times a pod may move before its addresses are reused (ordinals 0-9 fit). */
export const GENERATIONS = 9;

export interface DockerAddresses {
  pod(ordinal: number, generation: number): string;
  sentinelSource(ordinal: number, generation: number): string;
  dns: string;
  majorityClient: string;
}

/**
 * Loopback addresses of the docker target: pod i of generation g (its g-th recreation) on
 * 127.0.S.(1+i+10g), its sentinel's outgoing connections from 127.0.S.(101+i+10g); the DNS server on
 * .53, the API server on .240 and the Services on .250+ as on the local target.
 */
export function dockerAddresses(subnet: number): DockerAddresses {
  return {
    pod: (ordinal: number, generation: number) => `127.0.${subnet}.${1 + ordinal + 10 * (generation % GENERATIONS)}`,
    sentinelSource: (ordinal: number, generation: number) => `127.0.${subnet}.${101 + ordinal + 10 * (generation % GENERATIONS)}`,
    dns: `127.0.${subnet}.53`,
    majorityClient: `127.0.${subnet}.200`,
  };
}
