// How the target interface maps onto Kubernetes: PodControl, NodeControl, ProcessPause, NetworkFaults
// built from the narrow KubeApi (and NodeShell for what only a node can do). See README, "Running on kind".
import { registerSecret } from '../../process/redact.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentModel } from '../../config/manifests.ts';
import { abilityMissing, HarnessError } from '../../errors.ts';
import { kindNodeBackend } from './backends/kind-node.ts';
import type { NetworkFaults, NodeControl, Partition, PodControl, ProcessPause } from '../target.ts';
import type { KubeApi, KubePod } from './api.ts';
import type { BackendOps, ControlDeps, FaultBackend } from './backends/backend.ts';
import { NodeCordons } from './cordon.ts';
import { kubeVolumes } from './volumes.ts';
import { containerPid } from './backends/kind-node.ts';

export type { ControlDeps } from './backends/backend.ts';
export { containerId, containerPid, partitionRules } from './backends/kind-node.ts';

/** The latest pod objects seen (GETs and the watch), so that isRunning and nodeOf can answer synchronously. */
export class PodCache {
  private readonly pods = new Map<string, KubePod | null>();
  set(name: string, pod: KubePod | null): void {
    this.pods.set(name, pod);
  }
  get(name: string): KubePod | null {
    return this.pods.get(name) ?? null;
  }
}

/** The StatefulSet's pod selector as k=v,...: the labels every pod the harness touches must carry. */
export const podSelectorOf = (model: DeploymentModel): string =>
  Object.entries(
    (model.objects.find((o) => o.kind === 'StatefulSet')?.spec as { selector?: { matchLabels?: Record<string, string> } })?.selector?.matchLabels ?? {},
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** What every control needs: the pod objects as the API server has them, bounded waits, and the node shell. */
function podOps(d: ControlDeps, cache: PodCache) {
  const { api, namespace: ns } = d;
  const selector = podSelectorOf(d.model);
  const get = async (name: string) => {
    const p = await api.getPod(ns, name);
    cache.set(name, p);
    return p;
  };
  // Every pod the harness disrupts (deletes, evicts, holds, copies from) must carry the StatefulSet's labels: on a shared
  // cluster a pod of the same name that is not the deployment's is never touched.
  const must = async (name: string) => {
    const p = await get(name);
    if (!p) throw new HarnessError('PROCESS_FAILED', `pod ${name} does not exist in namespace ${ns}`);
    if (selector && !(await api.listPods(ns, selector)).some((x) => x.name === name))
      throw new HarnessError(
        'USAGE',
        `refusing to touch pod ${name} in ${ns}: it does not carry the manifests' labels (${selector}); the harness only disrupts the deployment's own pods`,
      );
    return p;
  };
  const until = async (what: string, cond: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (!(await cond())) {
      if (performance.now() > deadline) throw new HarnessError('TIMEOUT', `${what} within ${timeoutMs} ms`);
      await sleep(d.pollMs);
    }
  };
  /** Resolves once the pod object with this uid is gone (the kubelet confirmed its containers are dead, or a force delete). */
  const gone = (name: string, uid: string, timeoutMs: number) =>
    until(`pod ${name} (uid ${uid}) was not gone`, async () => (await get(name))?.uid !== uid, timeoutMs);
  const procGone = async (node: string, pid: number) =>
    until(`process ${pid} on ${node} did not exit`, async () => (await d.nodeShell!.exec(node, ['test', '-e', `/proc/${pid}`])).code !== 0, 10_000);
  /** The pod a recreated pod replaced: start() waits for a different uid. */
  const replaced = new Map<string, string>();
  return { get, must, until, gone, procGone, replaced, cache };
}

type PodOps = ReturnType<typeof podOps>;

function kubePodControl(d: ControlDeps, o: PodOps, backend: FaultBackend, holds: { release(pod: string): Promise<void> }) {
  const { api, namespace: ns, model } = d;
  const { get, must, until, gone, procGone, replaced, cache } = o;
  let imagePatch: Promise<void> | null = null;
  const graceS = model.terminationGracePeriodSeconds;
  const podControl: PodControl = {
    // grace 0: the API server removes the object at once and the kubelet SIGKILLs the containers; the
    // StatefulSet recreates the pod immediately (unlike the local target, where it stays dead until start()).
    async kill(name) {
      const p = await must(name);
      const pids = d.nodeShell && p.nodeName ? await Promise.all(p.containers.filter((c) => c.running).map((c) => containerPid(d.nodeShell!, p, c.name))) : [];
      replaced.set(name, p.uid);
      await api.deletePod(ns, name, 0);
      await gone(name, p.uid, 10_000);
      // Proof the processes died, not only the object: the node no longer has them.
      for (const pid of pids) await procGone(p.nodeName!, pid);
    },
    async start(name) {
      // A pod held down for a volume change comes back once its node is uncordoned.
      await holds.release(name);
      const old = replaced.get(name);
      await until(
        `pod ${name} was not recreated and Ready`,
        async () => {
          const p = await get(name);
          return p !== null && p.uid !== old && !p.deleting && p.ready;
        },
        d.readyTimeoutMs,
      );
      replaced.delete(name);
    },
    isRunning(name) {
      const p = cache.get(name);
      return p !== null && !p.deleting && p.phase === 'Running' && p.uid !== replaced.get(name);
    },
    killContainer: (name, container) => backend.killContainer(name, container),
    async startContainer(name, container) {
      // restartPolicy Always: the kubelet restarts it; wait until it runs again and passes readiness.
      await until(
        `${name}/${container} was not running and ready again`,
        async () => {
          const c = (await get(name))?.containers.find((x) => x.name === container);
          return c !== undefined && c.running && c.ready;
        },
        d.readyTimeoutMs,
      );
    },
    async stop(name, { preStop }) {
      if (!preStop) throw abilityMissing('Kubernetes always runs preStop hooks on a graceful deletion: a termination without preStop cannot be asked for');
      if (imagePatch) await imagePatch;
      const p = await must(name);
      const t0 = performance.now();
      replaced.set(name, p.uid);
      // The kubelet runs preStop, then SIGTERM, then SIGKILL at the grace period, then the object goes.
      await api.deletePod(ns, name, graceS);
      await gone(name, p.uid, (graceS + 30) * 1000);
      // The whole termination: on this target preStop's own share is not observable from outside.
      return { preStopMs: Math.round(performance.now() - t0) };
    },
    async isReady(name) {
      const p = await get(name);
      return p !== null && !p.deleting && p.ready;
    },
    setRedisImage(image) {
      // OnDelete: the controller replaces no pod by itself; the fault deletes them one by one (highest
      // ordinal first, as RollingUpdate would) and waits for each to be ready and in sync.
      imagePatch = api.patchStatefulSet(ns, model.statefulSet, {
        spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: null }, template: { spec: { containers: [{ name: model.redis.name, image }] } } },
      });
    },
    async runPreStop(name) {
      if (!model.redis.preStop) return false;
      const r = await api.exec(ns, name, model.redis.name, model.redis.preStop);
      if (r.code !== 0) throw new HarnessError('PROCESS_FAILED', `preStop of ${name}/${model.redis.name} exited ${r.code}`);
      return true;
    },
  };

  /** Restore the StatefulSet's update strategy after an image change (the manifest's own). */
  const restoreStrategy = async () => {
    if (!imagePatch) return;
    await imagePatch.catch(() => {});
    imagePatch = null;
    const sts = model.objects.find((o) => o.kind === 'StatefulSet');
    const strategy = (sts?.spec as { updateStrategy?: unknown } | undefined)?.updateStrategy ?? { type: 'RollingUpdate' };
    await api.patchStatefulSet(ns, model.statefulSet, { spec: { updateStrategy: strategy } });
  };
  return { podControl, restoreStrategy };
}

function kubeNodes(d: ControlDeps, o: PodOps, cordons: NodeCordons) {
  const { api, namespace: ns, model } = d;
  const { get, must, until, gone, replaced, cache } = o;
  const graceS = model.terminationGracePeriodSeconds;
  const nodes: NodeControl = {
    // Recorded on the node (annotation with the run id): `down` uncordons it after a SIGKILLed harness.
    async cordon(node) {
      await cordons.cordon(node);
    },
    async uncordon(node) {
      await cordons.uncordon(node);
    },
    nodeOf: (name) => cache.get(name)?.nodeName ?? '(not scheduled)',
    async evict(name) {
      const p = await must(name);
      const answer = await api.evictPod(ns, name);
      if (!answer.evicted) return { evicted: false, reason: `HTTP ${answer.status}${answer.cause ? ` (${answer.cause})` : ''}: ${answer.reason}` };
      replaced.set(name, p.uid);
      await gone(name, p.uid, (graceS + 30) * 1000);
      // The controller recreates it at once; wait for the new object (it may stay unscheduled: see README on local-path volumes).
      await until(`pod ${name} was not recreated`, async () => (await get(name)) !== null, 10_000).catch(() => {});
      return { evicted: true };
    },
  };

  return { nodes };
}

/** The pod lookups and bounded waits a fault backend is built on. */
export function backendOps(d: ControlDeps, cache: PodCache): BackendOps {
  const { must, until } = podOps(d, cache);
  return { must, until };
}

/**
 * The target's controls; container kills, pauses and partitions go through `backend` (kind-node when
 * not given). `pause` is null when the backend cannot pause (the trial is skipped with its reason).
 */
export function createControls(d: ControlDeps, cache: PodCache, backend: FaultBackend = kindNodeBackend(d, backendOps(d, cache))) {
  const ops = podOps(d, cache);
  const cordons = new NodeCordons(d.api, d.runId ?? 'run');
  const volumes = kubeVolumes(d, ops, cordons);
  const { podControl, restoreStrategy } = kubePodControl(d, ops, backend, volumes);
  const { nodes } = kubeNodes(d, ops, cordons);
  // Without a pause the trial is skipped with the backend's reason (ABILITY_MISSING), as before.
  const reason = backend.pauseUnavailable ?? 'this fault backend cannot pause processes';
  const pause: ProcessPause = backend.pause ?? { pause: async () => Promise.reject(abilityMissing(reason)), resume: async () => {} };
  // uncordonAll: every heal that must also run on SIGINT: nodes the run cordoned (drain, volume change) go back into service.
  return { podControl, nodes, pause, restoreStrategy, resumeAll: () => backend.healAll(), uncordonAll: () => cordons.uncordonAll(), volumes, backend };
}

export const NO_SENTINELS_CUT =
  "a sentinels-only cut needs the sentinel's traffic to have its own address; in a pod both containers share the pod IP and the sentinels monitor redis on the same port as replication";

export interface NetworkDeps {
  majorityClientAddress: string;
  /** Cut (or restore) the harness's majority-side client from the isolated pod's forward. */
  blockMajority(pod: string, on: boolean): void;
}

export function createNetwork(
  d: ControlDeps,
  net: NetworkDeps,
  backend: FaultBackend = kindNodeBackend(d, backendOps(d, new PodCache())),
): NetworkFaults & { healAll(): Promise<void> } {
  const active = new Set<Partition>();
  return {
    majorityClientAddress: net.majorityClientAddress,
    async unavailableReason() {
      return backend.partitionUnavailable();
    },
    async partition(spec) {
      if (spec.cut === 'sentinels') {
        throw abilityMissing(NO_SENTINELS_CUT);
      }
      const reason = backend.partitionUnavailable();
      if (reason) throw abilityMissing(reason);
      const p = await backend.partition(spec.isolate, (on) => net.blockMajority(spec.isolate, on));
      const tracked: Partition = {
        description: p.description,
        get inEffectAt() {
          return p.inEffectAt;
        },
        async heal() {
          active.delete(tracked);
          await p.heal();
        },
      };
      active.add(tracked);
      return tracked;
    },
    ...(backend.lossy
      ? {
          async lossy(spec: Parameters<NonNullable<NetworkFaults['lossy']>>[0]) {
            if (spec.cut === 'sentinels') throw abilityMissing(NO_SENTINELS_CUT);
            const p = await backend.lossy!(spec.isolate, spec.percent);
            active.add(p);
            return { ...p, heal: async () => (active.delete(p), p.heal()) } as Partition;
          },
        }
      : {}),
    async healAll() {
      for (const p of [...active]) await p.heal().catch(() => {});
    },
  };
}

/** The password as the Secret holds it: setPassword updates the Secret (the kubelet refreshes mounted copies; containers started later get it in their environment). */
export function createSecretPassword(api: KubeApi, ns: string, model: DeploymentModel, initial: string) {
  let current = initial;
  const passwords = [initial];
  registerSecret(initial);
  return {
    get password() {
      return current;
    },
    passwords,
    async setPassword(next: string) {
      registerSecret(next);
      await api.patchSecretData(ns, model.password.secret, { [model.password.key]: next });
      current = next;
      if (!passwords.includes(next)) passwords.push(next);
    },
  };
}
