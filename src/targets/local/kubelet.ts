// The kubelet emulation: start a pod's containers through a ContainerRuntime, probe them, run their hooks, terminate them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerModel, DeploymentModel } from '../../config/manifests.ts';
import { HarnessError } from '../../errors.ts';
import { withProbe } from '../../redis/clients.ts';
import type { ContainerExit, ContainerRuntime, RunningContainer } from '../runtime/runtime.ts';
import { addr, type ContainerName } from '../target.ts';
import type { Binaries } from './binaries.ts';
import { containerSpec, type SpecContext } from './container-spec.ts';
import { startFailure } from './logs.ts';
import { pathThroughMounts, podMounts, type HostVolumes } from './mounts.ts';
import type { LocalPod } from './pods.ts';
import { writeState, type LocalState } from './state.ts';

export interface KubeletOptions {
  model: DeploymentModel;
  runtime: ContainerRuntime;
  vols: HostVolumes;
  runId: string;
  bins: Binaries;
  /** The run's state file: every container's PID goes in, for `down` and orphan clean-up. */
  state: LocalState;
  /** How long a started container may take to answer. */
  startTimeoutMs: number;
  /** The Secret's current value. */
  password(): string;
  /** Every password used, to redact from start-up failure messages. */
  passwords: readonly string[];
  hostMap(s: string): string;
  /** The Services' container environment, or undefined while they do not run (or never will: detached). */
  servicesEnv(): Record<string, string> | undefined;
  /**
   * restartPolicy Always (the docker target): a container that exits on its own once started (answered, for
   * redis and sentinel) is started again after the CrashLoopBackOff delay, and each termination and restart
   * is told here as a pod event (`redis-0: redis terminated: OOMKilled …`). Without it a container that
   * exits stays down until a fault or heal starts its pod (the local target).
   */
  onRestartEvent?: (e: { type: 'terminated' | 'restarted'; detail: string }) => void;
  /** The clock shim's directory on the host (src/targets/clock-shim.ts): every sentinel container starts with it preloaded. */
  clockShimDir?: string;
}

/** The kubelet's CrashLoopBackOff: the first restart at once, then 10 s doubling up to 5 min. */
export function crashLoopBackOffMs(restartCount: number): number {
  return restartCount === 0 ? 0 : Math.min(10_000 * 2 ** (restartCount - 1), 300_000);
}

/** The kubelet's lastState.terminated.reason for an exit. */
export function terminationReason(exit: ContainerExit): string {
  if (exit.oomKilled) return 'OOMKilled';
  return exit.exitCode === 0 ? 'Completed' : 'Error';
}

const waitExit = async (c: RunningContainer, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const gone = await Promise.race([c.exited.then(() => true), timeout]);
  clearTimeout(timer);
  return gone || !c.isRunning();
};

/** Signal a container and wait up to `ms` for it to exit; returns whether it did. */
const signalAndWaitExit = async (c: RunningContainer, sig: NodeJS.Signals, ms: number): Promise<boolean> => {
  if (!c.isRunning()) return true;
  await c.signal(sig);
  return waitExit(c, ms);
};

/** An exit the kubelet did not cause (kill and terminate drop the container from the pod first) becomes the container's lastState. */
function recordTermination(pod: LocalPod, name: string, running: RunningContainer): void {
  void running.exited.then((exit) => {
    if (pod.containers[name]?.running !== running) return;
    pod.terminations = { ...pod.terminations, [name]: { oomKilled: exit.oomKilled, exitCode: exit.exitCode, signal: exit.signal, atMs: performance.now() } };
  });
}

/** Why a container exited before it answered, with the kubelet's lastState.terminated.reason: the cgroup's OOM killer is named as such. */
async function exitedAtStartup(o: KubeletOptions, pod: LocalPod, which: ContainerName, running: RunningContainer, log: string): Promise<HarnessError> {
  const exit = await running.exited;
  const reason = exit.oomKilled ? `OOMKilled (restart count ${pod.restarts[which] ?? 0}): ` : '';
  const conf = which === 'redis' ? o.model.redisConf : o.model.sentinelConf;
  return new HarnessError('PROCESS_FAILED', `${pod.name}/${which} exited at start-up: ${reason}${await startFailure(log, conf, o.passwords)}`);
}

export type Kubelet = ReturnType<typeof createKubelet>;

export function createKubelet(o: KubeletOptions) {
  const { model } = o;
  let redisServer = o.bins.redisServer;
  const modelOf = (name: string): ContainerModel =>
    name === 'redis' ? model.redis : name === 'sentinel' ? model.sentinel : model.sidecars.find((c) => c.name === name)!;
  const ctx = (): SpecContext => ({
    model,
    runtime: o.runtime,
    vols: o.vols,
    runId: o.runId,
    bins: o.bins,
    redisServer,
    password: o.password(),
    hostMap: o.hostMap,
    servicesEnv: o.servicesEnv(),
    ...(o.clockShimDir ? { clockShimDir: o.clockShimDir } : {}),
  });

  /** Start one container and record it (pod state, restart count, state file); does not wait for it. */
  const launch = async (pod: LocalPod, c: ContainerModel, which: ContainerName): Promise<RunningContainer> => {
    const spec = containerSpec(ctx(), pod, c, which);
    const running = await o.runtime.start(spec);
    if (c.name in pod.restarts) pod.restarts[c.name]!++;
    else pod.restarts[c.name] = 0;
    pod.containers[c.name] = { running, env: spec.env };
    recordTermination(pod, c.name, running);
    if (running.pid !== undefined) o.state.processes[`${pod.name}/${c.name}`] = running.pid;
    return running;
  };

  const restarts = restartPolicy(o, launch);

  /** Start redis or sentinel and wait until it answers on its port (no exec probe: start-up must not wait 5 s). */
  const start = async (pod: LocalPod, which: ContainerName): Promise<void> => {
    const running = await launch(pod, modelOf(which), which);
    await writeState(o.state);
    const endpoint = which === 'redis' ? pod.redis : pod.sentinel;
    const deadline = performance.now() + o.startTimeoutMs;
    for (;;) {
      if (!running.isRunning()) throw await exitedAtStartup(o, pod, which, running, containerSpec(ctx(), pod, modelOf(which), which).logFile);
      try {
        await withProbe(endpoint, { password: which === 'redis' ? o.password() : undefined, connectTimeoutMs: 200 }, (r) => r.ping());
        restarts.watch(pod, modelOf(which), which, running);
        return;
      } catch {
        if (performance.now() > deadline)
          throw new HarnessError('TIMEOUT', `${pod.name}/${which} did not answer on ${addr(endpoint)} within ${o.startTimeoutMs} ms`);
        await sleep(5);
      }
    }
  };

  /** The sidecars (e.g. the role-labeller): started with the pod, not waited for, stopped and killed with it. */
  const startSidecars = async (pod: LocalPod): Promise<void> => {
    // The sidecars talk to the API server the harness plays; a detached deployment outlives the harness.
    if (!o.servicesEnv()) return;
    for (const c of model.sidecars) if (!pod.containers[c.name]) restarts.watch(pod, c, 'redis', await launch(pod, c, 'redis'));
    await writeState(o.state);
  };

  /** Run an exec hook or probe in a container with its start-time environment; resolves with its exit code (null: killed or timed out). */
  const exec = async (pod: LocalPod, name: string, command: readonly string[], timeoutMs: number): Promise<number | null> => {
    const running = pod.containers[name];
    if (!running) return null;
    const mounts = podMounts(model, o.vols, pod);
    const argv = command.map((a) => pathThroughMounts(a, mounts, (m) => o.runtime.pathInContainer(m)) ?? a);
    return (await running.running.exec(argv, { env: running.env, timeoutMs })).exitCode;
  };

  /** SIGKILL one container (or every container of the pod) and wait until gone. */
  const kill = async (pod: LocalPod, name?: string): Promise<void> => {
    const names = name === undefined ? Object.keys(pod.containers) : [name];
    // Pending restarts are void at once (cancel's synchronous part); one under way kills what it started.
    const drained = restarts.cancel(pod, name);
    const running = names.flatMap((n) => (pod.containers[n] ? [pod.containers[n].running] : []));
    for (const n of names) delete pod.containers[n];
    await Promise.all([drained, ...running.map((c) => signalAndWaitExit(c, 'SIGKILL', 2000))]);
  };

  /** The kubelet's termination: preStop hooks, then SIGTERM, then SIGKILL when the grace period is up. */
  const terminate = async (pod: LocalPod, opts: { preStop: boolean }): Promise<{ preStopMs: number }> => {
    const graceMs = model.terminationGracePeriodSeconds * 1000;
    const started = performance.now();
    if (opts.preStop) {
      await Promise.all(
        (['redis', 'sentinel'] as const).map((which) =>
          modelOf(which).preStop && pod.containers[which] ? exec(pod, which, modelOf(which).preStop!, graceMs) : null,
        ),
      );
    }
    const preStopMs = performance.now() - started;
    const drained = restarts.cancel(pod);
    const running = Object.values(pod.containers).map((c) => c.running);
    pod.containers = {};
    const left = Math.max(2000, graceMs - preStopMs);
    await drained;
    await Promise.all(running.map((c) => signalAndWaitExit(c, 'SIGTERM', left).then((gone) => gone || signalAndWaitExit(c, 'SIGKILL', 2000))));
    return { preStopMs: Math.round(preStopMs) };
  };

  /** Whether redis and sentinel run and pass the manifest's readiness probes now. */
  const isReady = async (pod: LocalPod): Promise<boolean> => {
    const results = await Promise.all(
      (['redis', 'sentinel'] as const).map(async (which) => {
        const probe = modelOf(which).readiness;
        if (!pod.containers[which]) return false;
        return probe ? (await exec(pod, which, probe, 3000)) === 0 : true;
      }),
    );
    return results.every(Boolean);
  };

  /** The redis container's liveness or startup probe, once (null: no such probe, or redis not running). */
  const probe = async (pod: LocalPod, which: 'liveness' | 'startup'): Promise<boolean | null> => {
    const p = modelOf('redis')[which];
    if (!p || !pod.containers.redis) return null;
    return (await exec(pod, 'redis', p.command, p.timeoutSeconds * 1000)) === 0;
  };

  return {
    start,
    startSidecars,
    exec,
    kill,
    terminate,
    isReady,
    probe,
    /** The redis container's binary (image) from its next start on. */
    setRedisImage(binary: string) {
      redisServer = binary;
    },
    /** Run the redis container's preStop hook without stopping the pod; false if it has none or redis is not running. */
    async runPreStop(pod: LocalPod): Promise<boolean> {
      if (!model.redis.preStop || !pod.containers.redis) return false;
      await exec(pod, 'redis', model.redis.preStop, model.terminationGracePeriodSeconds * 1000);
      return true;
    },
  };
}

type Launch = (pod: LocalPod, c: ContainerModel, which: ContainerName) => Promise<RunningContainer>;

/**
 * restartPolicy Always over `launch` (when `o.onRestartEvent` is given): containers handed to `watch` that exit
 * while still the pod's (not killed or terminated by the kubelet) are started again after the backoff.
 * `cancel` drops pending restarts of a pod (or one container) the kubelet is ending; a restart that was
 * under way when its pod was ended is killed at once, so nothing outlives the pod.
 */
function restartPolicy(o: KubeletOptions, launch: Launch) {
  const pending = new Map<string, NodeJS.Timeout>();
  /** Restarts under way (launching), awaited by `cancel`. */
  const starting = new Map<string, Promise<void>>();
  /** Bumped when the kubelet ends a pod's container: a restart begun before that is void. */
  const epoch = new Map<string, number>();
  const key = (pod: LocalPod, name: string) => `${pod.name}/${name}`;
  const emit = o.onRestartEvent;

  const restart = async (pod: LocalPod, c: ContainerModel, which: ContainerName, since: number): Promise<void> => {
    const running = await launch(pod, c, which);
    if ((epoch.get(key(pod, c.name)) ?? 0) !== since) {
      if (pod.containers[c.name]?.running === running) delete pod.containers[c.name];
      await signalAndWaitExit(running, 'SIGKILL', 2000);
      await running.remove();
      return;
    }
    await writeState(o.state);
    emit!({ type: 'restarted', detail: `${pod.name}: ${c.name} restarted (restart count ${pod.restarts[c.name]})` });
    watch(pod, c, which, running);
  };

  const watch = (pod: LocalPod, c: ContainerModel, which: ContainerName, running: RunningContainer): void => {
    if (!emit) return;
    void running.exited.then((exit) => {
      if (pod.containers[c.name]?.running !== running) return;
      delete pod.containers[c.name];
      const k = key(pod, c.name);
      const delayMs = crashLoopBackOffMs(pod.restarts[c.name] ?? 0);
      const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
      emit({ type: 'terminated', detail: `${pod.name}: ${c.name} terminated: ${terminationReason(exit)} (${how}), restart in ${delayMs} ms` });
      const since = epoch.get(k) ?? 0;
      pending.set(
        k,
        setTimeout(() => {
          pending.delete(k);
          if (pod.containers[c.name] || (epoch.get(k) ?? 0) !== since) return;
          const started = restart(pod, c, which, since).catch((e: unknown) =>
            emit({ type: 'terminated', detail: `${pod.name}: ${c.name} could not be restarted: ${e instanceof Error ? e.message : String(e)}` }),
          );
          starting.set(k, started);
          void started.finally(() => starting.delete(k));
        }, delayMs),
      );
    });
  };

  /** Void a pod's (or one container's) pending restarts at once; resolves once a restart already under way has killed what it started. */
  const cancel = async (pod: LocalPod, name?: string): Promise<void> => {
    const under: Promise<void>[] = [];
    for (const n of name === undefined ? [...new Set([...Object.keys(pod.containers), ...Object.keys(pod.restarts)])] : [name]) {
      const k = key(pod, n);
      epoch.set(k, (epoch.get(k) ?? 0) + 1);
      clearTimeout(pending.get(k));
      pending.delete(k);
      const s = starting.get(k);
      if (s) under.push(s);
    }
    await Promise.all(under);
  };
  return { watch, cancel };
}
