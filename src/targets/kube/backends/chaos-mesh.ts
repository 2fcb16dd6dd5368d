// The chaos-mesh fault backend: Chaos Mesh objects (NetworkChaos, PodChaos …) created with the run's
// labels, proven injected through their status, and deleted finalizer-safely on heal, on SIGINT and by `down`.
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../../../errors.ts';
import { onInterrupt } from '../../../process/interrupt.ts';
import type { HeldFault, Partition } from '../../target.ts';
import type { CustomObject, CustomObjectRef, CustomObjectState, KubeApi } from '../api.ts';
import type { BackendOps, ControlDeps, FaultBackend } from './backend.ts';
import { chaosMeshDns } from './chaos-mesh-dns.ts';
import {
  CHAOS_GROUP,
  CHAOS_KINDS,
  CHAOS_VERSION,
  chaosRef,
  containerKill,
  MANAGED_SELECTOR,
  networkLoss,
  networkPartition,
  REQUIRED_CRDS,
  RUN_LABEL,
  dnsPart,
  selectedPods,
  stress,
  timeSkew,
  type ChaosKind,
} from './chaos-mesh-objects.ts';
import { CHAOS_MESH_VERSION, validateChaosObject } from './chaos-mesh-schema.ts';
import { NO_NODE_ACCESS } from './kind-node.ts';

export const CHAOS_MESH_DEFAULTS = { injectTimeoutMs: 15_000, deleteTimeoutMs: 30_000, interruptDeleteTimeoutMs: 3000, pollMs: 250 } as const;

/** Chaos Mesh's annotation (controllers/common/finalizers): with the value forced its controller drops the finalizer of a deleted object without recovering the fault. */
export const CLEAN_FINALIZER = 'chaos-mesh.chaos-mesh.org/cleanFinalizer';

/** How a deleted object went: recovered by the controller, released by it on cleanFinalizer=forced (not recovered), or freed by removing its finalizers. */
export type RemovedHow = 'recovered' | 'forced' | 'finalizers-removed';

/** The command that releases an object held by its finalizers, for when the Chaos Mesh controller never does. */
export const finalizerFix = (ref: CustomObjectRef): string =>
  `kubectl -n ${ref.namespace} patch ${ref.plural}.${ref.group} ${ref.name} --type=merge -p '{"metadata":{"finalizers":null}}'`;

const refText = (ref: CustomObjectRef) => `${ref.plural}/${ref.name}`;

export interface ChaosObjectOptions {
  pollMs?: number;
  injectTimeoutMs?: number;
  deleteTimeoutMs?: number;
  interruptDeleteTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Create, prove and delete Chaos Mesh objects; whatever is still in place is deleted on SIGINT. */
export class ChaosObjects {
  private readonly active = new Map<string, CustomObjectRef>();
  private unregister: (() => void) | null = null;
  private readonly o: Required<ChaosObjectOptions>;
  private readonly api: KubeApi;

  constructor(api: KubeApi, o: ChaosObjectOptions = {}) {
    this.api = api;
    this.o = { ...CHAOS_MESH_DEFAULTS, log: (l) => process.stderr.write(`chaos-mesh: ${l}\n`), ...o };
  }

  /** Validate offline against the CRD subset, then create; returns its reference. */
  async create(obj: CustomObject): Promise<CustomObjectRef> {
    const bad = validateChaosObject(obj);
    if (bad.length)
      throw new HarnessError('INTERNAL', `${obj.kind}/${obj.metadata.name} does not match the Chaos Mesh ${CHAOS_MESH_VERSION} CRD: ${bad.join('; ')}`);
    const ref = chaosRef(obj.kind as ChaosKind, obj.metadata.namespace, obj.metadata.name);
    this.active.set(refText(ref), ref);
    this.unregister ??= onInterrupt(async () => {
      await this.removeAll(this.o.interruptDeleteTimeoutMs);
    });
    try {
      await this.api.createCustomObject(ref, obj);
    } catch (e) {
      this.active.delete(refText(ref));
      throw e;
    }
    return ref;
  }

  /** Resolves once the controller reports the object injected (condition AllInjected True, or every record Injected). */
  async proveInjected(ref: CustomObjectRef): Promise<void> {
    const deadline = performance.now() + this.o.injectTimeoutMs;
    let last = 'not found';
    for (;;) {
      const s = await this.api.getCustomObject(ref);
      if (s && (s.conditions.AllInjected === 'True' || (s.recordPhases.length > 0 && s.recordPhases.every((p) => p === 'Injected')))) return;
      if (s) last = `conditions ${JSON.stringify(s.conditions)}, records ${s.recordPhases.join(',') || 'none'}`;
      if (performance.now() > deadline) {
        throw new HarnessError(
          'FAULT_FAILED',
          `${refText(ref)} was not injected within ${this.o.injectTimeoutMs} ms (${last}): kubectl -n ${ref.namespace} describe ${ref.plural}.${ref.group} ${ref.name}`,
        );
      }
      await sleep(this.o.pollMs);
    }
  }

  /** Polls until the object is gone (true) or `timeoutMs` passed (false, with its last state). */
  private async gone(ref: CustomObjectRef, timeoutMs: number): Promise<{ gone: true } | { gone: false; state: CustomObjectState }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const s = await this.api.getCustomObject(ref);
      if (!s) return { gone: true };
      if (performance.now() > deadline) return { gone: false, state: s };
      await sleep(this.o.pollMs);
    }
  }

  private forget(ref: CustomObjectRef): void {
    this.active.delete(refText(ref));
    if (this.active.size === 0) {
      this.unregister?.();
      this.unregister = null;
    }
  }

  /**
   * Delete and wait until it is gone: the finalizer holds it until the controller has recovered the fault.
   * Still there after the bound: without `escalate` it throws with the fix; with it (down), Chaos Mesh's own
   * escape is used first (annotation cleanFinalizer=forced: the controller drops its finalizer without recovering),
   * then, if no controller acts on that either, the finalizers are removed. Returns how the object went.
   */
  async remove(ref: CustomObjectRef, timeoutMs = this.o.deleteTimeoutMs, escalate = false): Promise<RemovedHow> {
    await this.api.deleteCustomObject(ref);
    let w = await this.gone(ref, timeoutMs);
    if (w.gone) {
      this.forget(ref);
      return 'recovered';
    }
    const held = w.state.finalizers.length ? `, held by finalizers ${w.state.finalizers.join(', ')}` : '';
    const stuck = `${refText(ref)} in ${ref.namespace} was still there ${timeoutMs} ms after its deletion${held} (the Chaos Mesh controller has not recovered it)`;
    if (!escalate) throw new HarnessError('TIMEOUT', `${stuck}: if the controller is gone, release it with: ${finalizerFix(ref)}`);
    this.o.log(`${stuck}: asking Chaos Mesh to drop its finalizer without recovering (annotation ${CLEAN_FINALIZER}=forced)`);
    await this.api.patchCustomObjectMetadata(ref, { annotations: { [CLEAN_FINALIZER]: 'forced' } });
    w = await this.gone(ref, timeoutMs);
    if (w.gone) {
      this.forget(ref);
      return 'forced';
    }
    this.o.log(`${refText(ref)}: no controller acted on ${CLEAN_FINALIZER}=forced within ${timeoutMs} ms: removing its finalizers`);
    await this.api.patchCustomObjectMetadata(ref, { finalizers: null });
    w = await this.gone(ref, timeoutMs);
    if (w.gone) {
      this.forget(ref);
      return 'finalizers-removed';
    }
    throw new HarnessError(
      'TIMEOUT',
      `${refText(ref)} in ${ref.namespace} is still there with its finalizers removed: kubectl -n ${ref.namespace} get ${ref.plural}.${ref.group} ${ref.name} -o yaml`,
    );
  }

  /** Delete every object still in place; those that stay are reported with the fix, never skipped silently. */
  async removeAll(timeoutMs = this.o.deleteTimeoutMs): Promise<string[]> {
    const stuck: string[] = [];
    await Promise.all(
      [...this.active.values()].map((ref) =>
        this.remove(ref, timeoutMs).catch((e: Error) => {
          stuck.push(e.message);
          this.o.log(e.message);
        }),
      ),
    );
    return stuck;
  }

  get inPlace(): string[] {
    return [...this.active.keys()];
  }
}

/** Whether the Chaos Mesh CRDs the faults use are installed (auto-detection). */
export async function chaosMeshInstalled(api: KubeApi): Promise<{ installed: boolean; missing: string[] }> {
  const missing: string[] = [];
  for (const crd of REQUIRED_CRDS) if (!(await api.crdExists(crd))) missing.push(crd);
  return { installed: missing.length === 0, missing };
}

export interface DownResult {
  /** Deleted once the controller recovered them ("Kind/name"). */
  removed: string[];
  /** Stuck past the bound, then released without recovery: the pods they named may still carry the fault. */
  forced: Array<{ object: string; how: Exclude<RemovedHow, 'recovered'>; pods: string[] }>;
  /** Each with the reason and the kubectl fix. */
  stuck: string[];
}

/**
 * `down --target kube|kind`: every Chaos Mesh object the harness labelled in the namespace (a SIGKILLed run's, or
 * one run's with `runId`), deleted; one the controller does not release within the bound is escalated (see remove).
 */
export async function downChaosObjects(api: KubeApi, namespace: string, o: ChaosObjectOptions & { runId?: string } = {}): Promise<DownResult> {
  const objects = new ChaosObjects(api, o);
  const selector = o.runId ? `${MANAGED_SELECTOR},${RUN_LABEL}=${dnsPart(o.runId)}` : MANAGED_SELECTOR;
  const result: DownResult = { removed: [], forced: [], stuck: [] };
  for (const kind of Object.keys(CHAOS_KINDS) as ChaosKind[]) {
    const plural = CHAOS_KINDS[kind];
    if (!(await api.crdExists(`${plural}.${CHAOS_GROUP}`))) continue;
    const found = await api.listCustomObjects({ group: CHAOS_GROUP, version: CHAOS_VERSION, plural, namespace }, selector);
    for (const s of found) {
      const ref = chaosRef(kind, namespace, s.name);
      try {
        const how = await objects.remove(ref, undefined, true);
        if (how === 'recovered') result.removed.push(`${kind}/${s.name}`);
        else result.forced.push({ object: `${kind}/${s.name}`, how, pods: s.pods });
      } catch (e) {
        result.stuck.push((e as Error).message);
      }
    }
  }
  return result;
}

/** down's report, one line each; a forced removal names the pods to recreate (a new pod has none of the fault's rules or processes). */
export function downLines(r: DownResult, namespace: string): string[] {
  return [
    ...r.removed.map((x) => `deleted ${x} (recovered by Chaos Mesh)`),
    ...r.forced.map(
      (f) =>
        `deleted ${f.object} WITHOUT recovery (${f.how === 'forced' ? `${CLEAN_FINALIZER}=forced` : 'its finalizers removed: no Chaos Mesh controller answered'}): ${f.pods.length ? `its fault may still be in ${f.pods.join(', ')}; recreate them: kubectl -n ${namespace} delete pod ${[...new Set(f.pods)].join(' ')}` : 'it named no pods'}`,
    ),
    ...r.stuck.map((x) => `not deleted: ${x}`),
  ];
}

/**
 * Why Chaos Mesh cannot pause (from the v2.8.3 CRDs): PodChaos offers pod-kill, pod-failure and container-kill only
 * (pod-failure swaps the image for a pause image: the process is killed, not frozen); the one signal action is
 * PhysicalMachineChaos process (chaosd on a physical machine, not a pod); a NetworkChaos partition leaves the
 * process running (its timers fire, local connections work, new connections are dropped rather than queued).
 */
export const NO_PAUSE =
  'Chaos Mesh cannot freeze a process in a pod: PodChaos has only pod-kill, pod-failure (the image swapped for a pause image: killed and restarted, not frozen) and container-kill; its only signal action (PhysicalMachineChaos process) acts through chaosd on physical machines; a NetworkChaos partition leaves the process running. A SIGSTOP pause ' +
  NO_NODE_ACCESS;

export interface ChaosMeshBackendOptions extends ChaosObjectOptions {
  runId: string;
  /** kind-node's backend where a node shell exists: it does what Chaos Mesh cannot (pause). */
  nodeFallback: FaultBackend | null;
  /** The StatefulSet's selector (k=v,...): only pods carrying these labels are ever selected. */
  podSelector: string;
}

/**
 * A lossy link between `isolate` and the other pods (NetworkChaos loss). Proven by Chaos Mesh's AllInjected only: a probe
 * through a link that drops at random proves nothing either way.
 */
async function lossyLink(
  c: {
    d: ControlDeps;
    ctx: { runId: string; namespace: string };
    inject: (obj: CustomObject) => Promise<CustomObjectRef>;
    remove: (ref: CustomObjectRef) => Promise<unknown>;
    active: Set<Partition>;
  },
  isolate: string,
  percent: number,
): Promise<Partition> {
  const peers = c.d.model.podNames.filter((p) => p !== isolate);
  const ref = await c.inject(networkLoss(c.ctx, isolate, peers, percent));
  let healing: Promise<unknown> | null = null;
  const loss: Partition = {
    description: `NetworkChaos ${ref.name} (loss ${percent} %, direction both) between ${isolate} and ${peers.join(', ')}; the harness's own clients go through port-forwards and are not affected`,
    inEffectAt: performance.now(),
    async heal() {
      c.active.delete(loss);
      await (healing ??= c.remove(ref));
    },
  };
  c.active.add(loss);
  return loss;
}

export function chaosMeshBackend(d: ControlDeps, ops: BackendOps, o: ChaosMeshBackendOptions): FaultBackend & { objects: ChaosObjects } {
  const objects = new ChaosObjects(d.api, o);
  const ctx = { runId: o.runId, namespace: d.namespace };
  /** Refuse any object selecting a pod without the manifests' labels (Chaos Mesh ignores label selectors once pods are named). */
  const guard = async (obj: CustomObject) => {
    const labelled = new Set((await d.api.listPods(d.namespace, o.podSelector)).map((p) => p.name));
    const foreign = selectedPods(obj).filter((p) => !labelled.has(p));
    if (foreign.length)
      throw new HarnessError(
        'TARGET_UNAVAILABLE',
        `refusing to create ${obj.kind}/${obj.metadata.name}: pod(s) ${foreign.join(', ')} in ${d.namespace} do not carry the manifests' labels (${o.podSelector}); the harness only disrupts the deployment's own pods`,
      );
  };
  const active = new Set<Partition>();
  /** Guarded create, proven by AllInjected; removed again when the proof fails. */
  const inject = async (obj: CustomObject) => {
    await guard(obj);
    const ref = await objects.create(obj);
    try {
      await objects.proveInjected(ref);
    } catch (e) {
      await objects.remove(ref).catch(() => {});
      throw e;
    }
    return ref;
  };
  const remove = (ref: CustomObjectRef) => objects.remove(ref);
  /** A held object: its heal deletes it (once) and waits until Chaos Mesh has recovered it. */
  const held = async (obj: CustomObject, what: string): Promise<HeldFault> => {
    const ref = await inject(obj);
    let healing: Promise<unknown> | null = null;
    return { description: `${obj.kind} ${ref.name}: ${what} (injected: AllInjected)`, heal: async () => void (await (healing ??= remove(ref))) };
  };
  return {
    name: 'chaos-mesh',
    objects,
    dns: chaosMeshDns(d, ctx, inject, remove),
    clock: {
      // The offset is proven by Chaos Mesh's status only: processes exec'd later into the container do not carry it, so it cannot be read back from outside.
      skew: (pod, container, offsetMs) => held(timeSkew(ctx, pod, container, offsetMs), `CLOCK_REALTIME of ${pod}/${container} shifted by ${offsetMs} ms`),
    },
    stress: {
      stress: (pod, container, spec) => held(stress(ctx, pod, container, spec), `stress workers in ${pod}/${container} (${JSON.stringify(spec)})`),
    },
    async killContainer(name, container) {
      const before = await ops.must(name);
      const c0 = before.containers.find((c) => c.name === container);
      const obj = containerKill(ctx, name, container);
      await guard(obj);
      const ref = await objects.create(obj);
      try {
        await objects.proveInjected(ref);
        // Proof on the pod too: the container was restarted (restart count or container ID changed) or is not running.
        await ops.until(
          `${name}/${container} was not killed`,
          async () => {
            const c = (await ops.must(name)).containers.find((x) => x.name === container);
            return !c || !c.running || c.restarts > (c0?.restarts ?? 0) || c.id !== (c0?.id ?? null);
          },
          10_000,
        );
      } finally {
        // One-shot: nothing to recover; the object only records the kill.
        await objects.remove(ref);
      }
    },
    pause: o.nodeFallback?.pause ?? null,
    pauseUnavailable: o.nodeFallback?.pause ? null : NO_PAUSE,
    partitionUnavailable: () => null,
    async partition(isolate, blockMajority) {
      const peers = d.model.podNames.filter((p) => p !== isolate);
      const obj = networkPartition(ctx, isolate, peers);
      await guard(obj);
      const ref = await objects.create(obj);
      let healed = false;
      const heal = async () => {
        if (healed) return;
        healed = true;
        blockMajority(false);
        active.delete(partition);
        await objects.remove(ref);
      };
      const partition: Partition = {
        description: `NetworkChaos ${ref.name} (partition, direction both) between ${isolate} and ${peers.join(', ')}; the harness's majority-side client cut at its forward`,
        inEffectAt: 0,
        heal,
      };
      active.add(partition);
      try {
        await objects.proveInjected(ref);
        blockMajority(true);
        (partition as { inEffectAt: number }).inEffectAt = performance.now();
        // Proof from inside the isolated pod: a peer's redis gives no answer within a second.
        const peer = await d.api.getPod(d.namespace, peers[0]!);
        if (peer?.podIP) {
          const probe = await d.api.exec(d.namespace, isolate, d.model.redis.name, [
            'timeout',
            '1',
            'redis-cli',
            '-h',
            peer.podIP,
            '-p',
            String(d.model.redisPort),
            'PING',
          ]);
          const answer = `${probe.stdout}${probe.stderr}`;
          if (probe.code === 0 || answer.includes('PONG') || answer.includes('NOAUTH'))
            throw new HarnessError(
              'FAULT_FAILED',
              `NetworkChaos ${ref.name} reports injected, but ${isolate} still reaches ${peers[0]} (${peer.podIP}:${d.model.redisPort})`,
            );
        }
      } catch (e) {
        await heal().catch(() => {});
        throw e;
      }
      return partition;
    },
    lossy: (isolate, percent) => lossyLink({ d, ctx, inject, remove, active }, isolate, percent),
    async healAll() {
      for (const p of [...active]) await p.heal().catch(() => {});
      await objects.removeAll();
      await o.nodeFallback?.healAll();
    },
  };
}
