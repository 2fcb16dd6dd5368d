// The kind-node fault backend: container kills and pauses by signalling the container's process from
// its kind node (docker exec, crictl), partitions by iptables in the pod's network namespace (nsenter).
import { abilityMissing, HarnessError } from '../../../errors.ts';
import type { ContainerName, Partition, ProcessPause } from '../../target.ts';
import type { KubePod, NodeShell } from '../api.ts';
import type { BackendOps, ControlDeps, FaultBackend } from './backend.ts';

export const NO_NODE_ACCESS = "needs a shell on the pod's node (docker exec into the kind node container): only the kind target has one";

export function containerId(pod: KubePod, container: string): string {
  const c = pod.containers.find((x) => x.name === container);
  if (!c?.id) throw new HarnessError('PROCESS_FAILED', `${pod.name}/${container} has no container ID (not started)`);
  return c.id.replace(/^[a-z]+:\/\//, '');
}

/** The container's init process as the node sees it (the manifest's scripts exec the server, so it is redis-server or redis-sentinel). */
export async function containerPid(shell: NodeShell, pod: KubePod, container: string): Promise<number> {
  const r = await shell.exec(pod.nodeName!, ['crictl', 'inspect', '--output', 'go-template', '--template', '{{.info.pid}}', containerId(pod, container)]);
  const pid = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(pid) || pid <= 1)
    throw new HarnessError('PROCESS_FAILED', `cannot find the process of ${pod.name}/${container} on ${pod.nodeName}: ${r.stderr.trim() || r.stdout.trim()}`);
  return pid;
}

/** The iptables commands that cut `podIP`'s traffic to and from each of `peers`, run inside its network namespace. */
export function partitionRules(pid: number, peers: readonly string[], op: '-I' | '-D'): string[][] {
  return peers.flatMap((ip) => [
    ['nsenter', '--target', String(pid), '--net', 'iptables', '-w', op, 'INPUT', '-s', ip, '-j', 'DROP'],
    ['nsenter', '--target', String(pid), '--net', 'iptables', '-w', op, 'OUTPUT', '-d', ip, '-j', 'DROP'],
  ]);
}

export function kindNodeBackend(d: ControlDeps, o: BackendOps): FaultBackend {
  const shell = () => {
    if (!d.nodeShell) throw abilityMissing(NO_NODE_ACCESS);
    return d.nodeShell;
  };
  const procGone = async (node: string, pid: number) =>
    o.until(`process ${pid} on ${node} did not exit`, async () => (await shell().exec(node, ['test', '-e', `/proc/${pid}`])).code !== 0, 10_000);

  const paused = new Map<string, { node: string; pid: number }>();
  const pause: ProcessPause = {
    async pause(name, container: ContainerName) {
      const p = await o.must(name);
      const sh = shell();
      const pid = await containerPid(sh, p, container);
      await sh.exec(p.nodeName!, ['kill', '-STOP', String(pid)]);
      // Proof: the kernel reports the process stopped (state T in /proc/<pid>/stat).
      await o.until(
        `${name}/${container} (pid ${pid}) did not stop`,
        async () => {
          const r = await sh.exec(p.nodeName!, ['cat', `/proc/${pid}/stat`]);
          return /^\d+ \(.*\) T /.test(r.stdout);
        },
        2000,
      );
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
  const active = new Set<Partition>();

  return {
    name: 'kind-node',
    async killContainer(name, container) {
      const p = await o.must(name);
      const sh = shell();
      const pid = await containerPid(sh, p, container);
      await sh.exec(p.nodeName!, ['kill', '-KILL', String(pid)]);
      await procGone(p.nodeName!, pid);
    },
    pause,
    pauseUnavailable: d.nodeShell ? null : `pause ${NO_NODE_ACCESS}`,
    partitionUnavailable: () => (d.nodeShell ? null : `partitions ${NO_NODE_ACCESS}`),
    async partition(isolate, blockMajority) {
      if (!d.nodeShell) throw abilityMissing(`partitions ${NO_NODE_ACCESS}`);
      const sh = d.nodeShell;
      const pods = await Promise.all(d.model.podNames.map((n) => d.api.getPod(d.namespace, n)));
      const isolated = pods.find((p) => p?.name === isolate);
      if (!isolated?.nodeName) throw new HarnessError('PROCESS_FAILED', `pod ${isolate} is not scheduled`);
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
        blockMajority(false);
        for (const argv of partitionRules(pid, peers, '-D')) await sh.exec(node, argv);
        active.delete(partition);
      };
      const partition: Partition = {
        description: `iptables DROP in ${isolate}'s network namespace (on ${node}) to and from ${peers.join(', ')}; the harness's majority-side client cut at its forward`,
        inEffectAt: 0,
        heal,
      };
      active.add(partition);
      try {
        for (const argv of partitionRules(pid, peers, '-I')) await run(argv);
        blockMajority(true);
        (partition as { inEffectAt: number }).inEffectAt = performance.now();
        // Proof: a connection from inside the isolated pod to a peer's redis times out (124), not refused.
        const probe = await sh.exec(node, [
          'nsenter',
          '--target',
          String(pid),
          '--net',
          'timeout',
          '1',
          'bash',
          '-c',
          `exec 3<>/dev/tcp/${peers[0]}/${d.model.redisPort}`,
        ]);
        if (probe.code !== 124)
          throw new HarnessError(
            'PROCESS_FAILED',
            `partition of ${isolate} not in effect: a probe to ${peers[0]}:${d.model.redisPort} ended with ${probe.code}, not a timeout`,
          );
      } catch (e) {
        await heal();
        throw e;
      }
      return partition;
    },
    async healAll() {
      for (const key of [...paused.keys()]) {
        const [pod, c] = key.split('/') as [string, ContainerName];
        await pause.resume(pod, c).catch(() => {});
      }
      for (const p of [...active]) await p.heal().catch(() => {});
    },
  };
}
