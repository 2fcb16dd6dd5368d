// The local pods' shared state: addresses, volume, and the containers the kubelet runs for each.
import path from 'node:path';
import { HarnessError } from '../../errors.ts';
import type { RunningContainer } from '../runtime/runtime.ts';
import type { Pod } from '../target.ts';

/** A container the kubelet started and has not stopped. */
export interface PodContainer {
  running: RunningContainer;
  /** Its environment at start: the kubelet runs its hooks and probes with that. */
  env: Record<string, string>;
}

/** How a container ended without being asked to: OOMKilled (the cgroup's OOM killer), or its exit code or signal. */
export interface ContainerTermination {
  oomKilled: boolean;
  exitCode: number | null;
  signal: string | null;
  /** performance.now() when the kubelet saw it. */
  atMs: number;
}

export interface LocalPod extends Pod {
  dataDir: string;
  /** Source address of the sentinel container's outgoing connections (see {@link localAddresses}). */
  sentinelSource: string;
  /** By container name: redis, sentinel and the manifest's sidecars. */
  containers: Record<string, PodContainer>;
  /** The kubelet's restartCount: starts of each container after its first one. */
  restarts: Record<string, number>;
  /** The kubelet's lastState.terminated of containers that exited on their own (not stopped or killed by it). */
  terminations?: Record<string, ContainerTermination>;
  /**
   * The pod's IP when `redis.host` is its DNS name (the docker target: pods move, names stay);
   * unset on the local target, whose endpoints hold the address itself.
   */
  address?: string;
}

/** The address a pod's containers bind to and partitions cut: its IP. */
export const podIp = (p: LocalPod): string => p.address ?? p.redis.host;

/**
 * A pod's containers share its address, as in Kubernetes. Outgoing connections of the sentinel come
 * from a second address of the pod's: that lets a partition cut only the sentinels' traffic while
 * replication between the same pods still flows.
 */
export function localAddresses(subnet: number) {
  return {
    pod: (i: number) => `127.0.${subnet}.${i + 1}`,
    sentinelSource: (i: number) => `127.0.${subnet}.${i + 101}`,
    majorityClient: `127.0.${subnet}.200`,
  };
}

/** A pod as the StatefulSet controller creates it: pod i on node-i (the preferred anti-affinity spreads them). */
export function makePod(opts: { name: string; ordinal: number; subnet: number; runDir: string; redisPort: number; sentinelPort: number }): LocalPod {
  const at = localAddresses(opts.subnet);
  return {
    name: opts.name,
    ordinal: opts.ordinal,
    node: `node-${opts.ordinal}`,
    redis: { host: at.pod(opts.ordinal), port: opts.redisPort },
    sentinel: { host: at.pod(opts.ordinal), port: opts.sentinelPort },
    dataDir: path.join(opts.runDir, 'pods', opts.name, 'data'),
    sentinelSource: at.sentinelSource(opts.ordinal),
    containers: {},
    restarts: {},
  };
}

/** Look a pod up by name; an unknown name is a usage error that lists the pods. */
export function podByName(pods: readonly LocalPod[], name: string): LocalPod {
  const p = pods.find((x) => x.name === name);
  if (!p) throw new HarnessError('USAGE', `no pod named ${name} (pods: ${pods.map((x) => x.name).join(', ')})`);
  return p;
}

export const isPodRunning = (p: LocalPod): boolean => Object.keys(p.containers).length > 0;
