// The Chaos Mesh objects the harness creates, as pure builders: names, labels, selectors and specs.
// Each is validated offline against the CRD subset (chaos-mesh-schema.ts) before it is sent.
import type { CustomObject, CustomObjectRef } from '../api.ts';

export const CHAOS_GROUP = 'chaos-mesh.org';
export const CHAOS_VERSION = 'v1alpha1';

/** The kinds the harness may create, with their plurals (the CRD is <plural>.chaos-mesh.org). */
export const CHAOS_KINDS = {
  NetworkChaos: 'networkchaos',
  PodChaos: 'podchaos',
  StressChaos: 'stresschaos',
  TimeChaos: 'timechaos',
  DNSChaos: 'dnschaos',
} as const;
export type ChaosKind = keyof typeof CHAOS_KINDS;

/** The CRDs auto-detection requires: the ones the scenarios' faults use. */
export const REQUIRED_CRDS = [`${CHAOS_KINDS.NetworkChaos}.${CHAOS_GROUP}`, `${CHAOS_KINDS.PodChaos}.${CHAOS_GROUP}`] as const;

export const RUN_LABEL = 'sentinel-chaos.run';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'sentinel-chaos';
/** Every object the harness ever created, whatever the run: what `down` lists. */
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/** A label value / name part: lower case, [a-z0-9-], at most `max` characters, no dash at either end. */
export const dnsPart = (s: string, max = 63): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '') || 'x';

/** The object name: sc-<run>-<what>-<victim>, cut to 63 characters; the run id keeps names of parallel runs apart. */
export const chaosName = (runId: string, what: string, victim: string): string => dnsPart(`sc-${dnsPart(runId, 24)}-${what}-${victim}`);

export const chaosRef = (kind: ChaosKind, namespace: string, name: string): CustomObjectRef => ({
  group: CHAOS_GROUP,
  version: CHAOS_VERSION,
  plural: CHAOS_KINDS[kind],
  namespace,
  name,
});

export interface ChaosContext {
  runId: string;
  namespace: string;
}

const podsSelector = (ns: string, pods: readonly string[]) => ({ namespaces: [ns], pods: { [ns]: [...pods] } });

function object(c: ChaosContext, kind: ChaosKind, name: string, spec: Record<string, unknown>): CustomObject {
  return {
    apiVersion: `${CHAOS_GROUP}/${CHAOS_VERSION}`,
    kind,
    metadata: { name, namespace: c.namespace, labels: { [RUN_LABEL]: dnsPart(c.runId), [MANAGED_BY_LABEL]: MANAGED_BY } },
    spec,
  };
}

/** Cut `victim` from `peers` both ways (redis and sentinel traffic); no duration: it holds until deleted. */
export function networkPartition(c: ChaosContext, victim: string, peers: readonly string[]): CustomObject {
  return object(c, 'NetworkChaos', chaosName(c.runId, 'partition', victim), {
    action: 'partition',
    direction: 'both',
    mode: 'all',
    selector: podsSelector(c.namespace, [victim]),
    target: { mode: 'all', selector: podsSelector(c.namespace, peers) },
  });
}

/** The pods cannot reach the cluster DNS Service (its cluster IP, dropped in their network namespaces): every lookup times out, as with a frozen server. */
export function dnsUnreachable(c: ChaosContext, pods: readonly string[], dnsIPs: readonly string[]): CustomObject {
  return object(c, 'NetworkChaos', chaosName(c.runId, 'dns-down', 'pods'), {
    action: 'partition',
    direction: 'to',
    mode: 'all',
    selector: podsSelector(c.namespace, pods),
    // Never empty: a partition with neither target nor externalTargets drops all of the pods' traffic.
    externalTargets: [...dnsIPs],
  });
}

/** A lossy link between `victim` and `peers`: `lossPercent` of packets dropped both ways. */
export function networkLoss(c: ChaosContext, victim: string, peers: readonly string[], lossPercent: number, correlationPercent = 0): CustomObject {
  return object(c, 'NetworkChaos', chaosName(c.runId, 'loss', victim), {
    action: 'loss',
    direction: 'both',
    mode: 'all',
    selector: podsSelector(c.namespace, [victim]),
    target: { mode: 'all', selector: podsSelector(c.namespace, peers) },
    loss: { loss: String(lossPercent), correlation: String(correlationPercent) },
  });
}

/** SIGKILL one container of a pod (one-shot: injected once; the kubelet restarts the container). */
export function containerKill(c: ChaosContext, pod: string, container: string): CustomObject {
  return object(c, 'PodChaos', chaosName(c.runId, `kill-${container}`, pod), {
    action: 'container-kill',
    mode: 'all',
    selector: podsSelector(c.namespace, [pod]),
    containerNames: [container],
  });
}

/** Delete a pod (one-shot), with this grace period. */
export function podKill(c: ChaosContext, pod: string, gracePeriodS: number): CustomObject {
  return object(c, 'PodChaos', chaosName(c.runId, 'pod-kill', pod), {
    action: 'pod-kill',
    mode: 'all',
    selector: podsSelector(c.namespace, [pod]),
    gracePeriod: gracePeriodS,
  });
}

/** CPU and/or memory pressure in one container of a pod. */
export function stress(
  c: ChaosContext,
  pod: string,
  container: string,
  s: { cpuWorkers?: number; cpuLoad?: number; memoryWorkers?: number; memorySize?: string },
): CustomObject {
  return object(c, 'StressChaos', chaosName(c.runId, 'stress', pod), {
    mode: 'all',
    selector: podsSelector(c.namespace, [pod]),
    containerNames: [container],
    stressors: {
      ...(s.cpuWorkers ? { cpu: { workers: s.cpuWorkers, ...(s.cpuLoad !== undefined ? { load: s.cpuLoad } : {}) } } : {}),
      ...(s.memoryWorkers ? { memory: { workers: s.memoryWorkers, ...(s.memorySize ? { size: s.memorySize } : {}) } } : {}),
    },
  });
}

/** Skew the realtime clock of one container by `offsetMs` (negative: back). */
export function timeSkew(c: ChaosContext, pod: string, container: string, offsetMs: number): CustomObject {
  return object(c, 'TimeChaos', chaosName(c.runId, 'time', pod), {
    mode: 'all',
    selector: podsSelector(c.namespace, [pod]),
    containerNames: [container],
    timeOffset: `${Math.round(offsetMs)}ms`,
    clockIds: ['CLOCK_REALTIME'],
  });
}

/** DNS answers for `patterns` fail (error: SERVFAIL from Chaos Mesh's DNS server) or are random (random) for the lookups of `pods`. */
export function dnsFault(
  c: ChaosContext,
  pods: string | readonly string[],
  action: 'error' | 'random',
  patterns: readonly string[],
  what = 'pods',
): CustomObject {
  const list = typeof pods === 'string' ? [pods] : [...pods];
  return object(c, 'DNSChaos', chaosName(c.runId, `dns-${action}`, typeof pods === 'string' ? pods : what), {
    action,
    mode: 'all',
    selector: podsSelector(c.namespace, list),
    patterns: [...patterns],
  });
}

/** The pods an object selects (selector and target), for the label guard and --max-disruption. */
export function selectedPods(obj: CustomObject): string[] {
  const spec = obj.spec as { selector?: { pods?: Record<string, string[]> }; target?: { selector?: { pods?: Record<string, string[]> } } };
  return [...Object.values(spec.selector?.pods ?? {}).flat(), ...Object.values(spec.target?.selector?.pods ?? {}).flat()];
}
