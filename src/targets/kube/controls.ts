// How the target interface maps onto Kubernetes: PodControl, NodeControl, ProcessPause, NetworkFaults
// built from the narrow KubeApi (and NodeShell for what only a node can do). See README, "Running on kind".
import { registerSecret } from '../../process/redact.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentModel } from '../../config/manifests.ts';
import { abilityMissing, HarnessError } from '../../errors.ts';
import type { ContainerName, NetworkFaults, NodeControl, Partition, PodControl, ProcessPause } from '../target.ts';
import type { KubeApi, KubePod, NodeShell } from './api.ts';

export interface ControlDeps {
  api: KubeApi;
  namespace: string;
  model: DeploymentModel;
  /** Node access (kind: docker exec into the node containers); null on clusters whose nodes the harness cannot reach. */
  nodeShell: NodeShell | null;
  pollMs: number;
  /** How long start() waits for a recreated pod to be Ready. */
  readyTimeoutMs: number;
}

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

const NO_NODE_ACCESS = 'needs a shell on the pod\'s node (docker exec into the kind node container): only the kind target has one';

export function containerId(pod: KubePod, container: string): string {
  const c = pod.containers.find((x) => x.name === container);
  if (!c?.id) throw new HarnessError('PROCESS_FAILED', `${pod.name}/${container} has no container ID (not started)`);
  return c.id.replace(/^[a-z]+:\/\//, '');
}

/** The container's init process as the node sees it (the manifest's scripts exec the server, so it is redis-server or redis-sentinel). */
export async function containerPid(shell: NodeShell, pod: KubePod, container: string): Promise<number> {
  const r = await shell.exec(pod.nodeName!, ['crictl', 'inspect', '--output', 'go-template', '--template', '{{.info.pid}}', containerId(pod, container)]);
  const pid = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(pid) || pid <= 1) throw new HarnessError('PROCESS_FAILED', `cannot find the process of ${pod.name}/${container} on ${pod.nodeName}: ${r.stderr.trim() || r.stdout.trim()}`);
  return pid;
}

/** What every control needs: the pod objects as the API server has them, bounded waits, and the node shell. */
function podOps(d: ControlDeps, cache: PodCache) {
  const { api, namespace: ns } = d;
  const get = async (name: string) => {
    const p = await api.getPod(ns, name);
    cache.set(name, p);
    return p;
  };
  const must = async (name: string) => {
    const p = await get(name);
    if (!p) throw new HarnessError('PROCESS_FAILED', `pod ${name} does not exist in namespace ${ns}`);
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
  const shell = () => {
    if (!d.nodeShell) throw abilityMissing(NO_NODE_ACCESS);
    return d.nodeShell;
  };
  const procGone = async (node: string, pid: number) =>
    until(`process ${pid} on ${node} did not exit`, async () => (await shell().exec(node, ['test', '-e', `/proc/${pid}`])).code !== 0, 10_000);
  /** The pod a recreated pod replaced: start() waits for a different uid. */
  const replaced = new Map<string, string>();
  return { get, must, until, gone, shell, procGone, replaced, cache };
}

type PodOps = ReturnType<typeof podOps>;

function kubePodControl(d: ControlDeps, o: PodOps) {
  const { api, namespace: ns, model } = d;
  const { get, must, until, gone, shell, procGone, replaced, cache } = o;
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
      const old = replaced.get(name);
      await until(`pod ${name} was not recreated and Ready`, async () => {
        const p = await get(name);
        return p !== null && p.uid !== old && !p.deleting && p.ready;
      }, d.readyTimeoutMs);
      replaced.delete(name);
    },
    isRunning(name) {
      const p = cache.get(name);
      return p !== null && !p.deleting && p.phase === 'Running' && p.uid !== replaced.get(name);
    },
    async killContainer(name, container) {
      const p = await must(name);
      const sh = shell();
      const pid = await containerPid(sh, p, container);
      await sh.exec(p.nodeName!, ['kill', '-KILL', String(pid)]);
      await procGone(p.nodeName!, pid);
    },
    async startContainer(name, container) {
      // restartPolicy Always: the kubelet restarts it; wait until it runs again and passes readiness.
      await until(`${name}/${container} was not running and ready again`, async () => {
        const c = (await get(name))?.containers.find((x) => x.name === container);
        return c !== undefined && c.running && c.ready;
      }, d.readyTimeoutMs);
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

function kubeNodes(d: ControlDeps, o: PodOps) {
  const { api, namespace: ns, model } = d;
  const { get, must, until, gone, replaced, cache } = o;
  const graceS = model.terminationGracePeriodSeconds;
  const cordoned = new Set<string>();
  const nodes: NodeControl = {
    async cordon(node) {
      cordoned.add(node);
      await api.setUnschedulable(node, true);
    },
    async uncordon(node) {
      await api.setUnschedulable(node, false);
      cordoned.delete(node);
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

  /** Every heal that must also run on SIGINT: nodes cordoned by a drain go back into service. */
  const uncordonAll = async () => {
    for (const n of [...cordoned]) await nodes.uncordon(n).catch(() => {});
  };
  return { nodes, uncordonAll };
}

function kubePause(o: PodOps) {
  const { must, until, shell } = o;
  const paused = new Map<string, { node: string; pid: number }>();
  const pause: ProcessPause = {
    async pause(name, container: ContainerName) {
      const p = await must(name);
      const sh = shell();
      const pid = await containerPid(sh, p, container);
      await sh.exec(p.nodeName!, ['kill', '-STOP', String(pid)]);
      // Proof: the kernel reports the process stopped (state T in /proc/<pid>/stat).
      await until(`${name}/${container} (pid ${pid}) did not stop`, async () => {
        const r = await sh.exec(p.nodeName!, ['cat', `/proc/${pid}/stat`]);
        return /^\d+ \(.*\) T /.test(r.stdout);
      }, 2000);
      paused.set(`${name}/${container}`, { node: p.nodeName!, pid });
    },
    async resume(name, container) {
      const key = `${name}/${container}`;
      const at = paused.get(key);
      if (!at) return;
      paused.delete(key);
      await shell().exec(at.node, ['kill', '-CONT', String(at.pid)]);
    },
  };

  const resumeAll = async () => {
    for (const key of [...paused.keys()]) {
      const [pod, c] = key.split('/') as [string, ContainerName];
      await pause.resume(pod, c).catch(() => {});
    }
  };
  return { pause, resumeAll };
}

export function createControls(d: ControlDeps, cache: PodCache) {
  const ops = podOps(d, cache);
  const { podControl, restoreStrategy } = kubePodControl(d, ops);
  const { nodes, uncordonAll } = kubeNodes(d, ops);
  const { pause, resumeAll } = kubePause(ops);
  return { podControl, nodes, pause, restoreStrategy, resumeAll, uncordonAll };
}

/** The iptables commands that cut `podIP`'s traffic to and from each of `peers`, run inside its network namespace. */
export function partitionRules(pid: number, peers: readonly string[], op: '-I' | '-D'): string[][] {
  return peers.flatMap((ip) => [
    ['nsenter', '--target', String(pid), '--net', 'iptables', '-w', op, 'INPUT', '-s', ip, '-j', 'DROP'],
    ['nsenter', '--target', String(pid), '--net', 'iptables', '-w', op, 'OUTPUT', '-d', ip, '-j', 'DROP'],
  ]);
}

export interface NetworkDeps {
  majorityClientAddress: string;
  /** Cut (or restore) the harness's majority-side client from the isolated pod's forward. */
  blockMajority(pod: string, on: boolean): void;
}

export function createNetwork(d: ControlDeps, net: NetworkDeps): NetworkFaults & { healAll(): Promise<void> } {
  const active = new Set<Partition>();
  return {
    majorityClientAddress: net.majorityClientAddress,
    async unavailableReason() {
      return d.nodeShell ? null : `partitions ${NO_NODE_ACCESS}`;
    },
    async partition(spec) {
      if (spec.cut === 'sentinels') {
        throw abilityMissing('a sentinels-only cut needs the sentinel\'s traffic to have its own address; in a pod both containers share the pod IP and the sentinels monitor redis on the same port as replication');
      }
      if (!d.nodeShell) throw abilityMissing(`partitions ${NO_NODE_ACCESS}`);
      const sh = d.nodeShell;
      const pods = await Promise.all(d.model.podNames.map((n) => d.api.getPod(d.namespace, n)));
      const isolated = pods.find((p) => p?.name === spec.isolate);
      if (!isolated?.nodeName) throw new HarnessError('PROCESS_FAILED', `pod ${spec.isolate} is not scheduled`);
      const peers = pods.filter((p): p is KubePod => p !== null && p !== isolated && p.podIP !== null).map((p) => p.podIP!);
      // Any container's process shares the pod's network namespace.
      const pid = await containerPid(sh, isolated, d.model.redis.name);
      const node = isolated.nodeName;
      const run = async (argv: string[]) => {
        const r = await sh.exec(node, argv);
        if (r.code !== 0) throw new HarnessError('PROCESS_FAILED', `${argv.join(' ')} on ${node} exited ${r.code}: ${r.stderr.trim()}`);
      };
      let healed = false;
      const heal = async () => {
        if (healed) return;
        healed = true;
        net.blockMajority(spec.isolate, false);
        for (const argv of partitionRules(pid, peers, '-D')) await sh.exec(node, argv);
        active.delete(partition);
      };
      const partition: Partition = {
        description: `iptables DROP in ${spec.isolate}'s network namespace (on ${node}) to and from ${peers.join(', ')}; the harness's majority-side client cut at its forward`,
        inEffectAt: 0,
        heal,
      };
      active.add(partition);
      try {
        for (const argv of partitionRules(pid, peers, '-I')) await run(argv);
        net.blockMajority(spec.isolate, true);
        (partition as { inEffectAt: number }).inEffectAt = performance.now();
        // Proof: a connection from inside the isolated pod to a peer's redis times out (124), not refused.
        const probe = await sh.exec(node, ['nsenter', '--target', String(pid), '--net', 'timeout', '1', 'bash', '-c', `exec 3<>/dev/tcp/${peers[0]}/${d.model.redisPort}`]);
        if (probe.code !== 124) throw new HarnessError('PROCESS_FAILED', `partition of ${spec.isolate} not in effect: a probe to ${peers[0]}:${d.model.redisPort} ended with ${probe.code}, not a timeout`);
      } catch (e) {
        await heal();
        throw e;
      }
      return partition;
    },
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
