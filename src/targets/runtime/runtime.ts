// The container-runtime seam under the kubelet emulation: a runtime only starts, signals, freezes, execs in and removes containers.
//
// Refined for the host-process runtime (all fit a Docker runtime too):
// - ContainerSpec.workingDir: host processes are told apart by their working directory (inside the run's
//   directory, so `down` never touches a reused PID); docker passes it as `--workdir`.
// - ExecResult.exitCode is null when the command was ended by a signal, and `timedOut` says the kubelet's
//   timeout did it: a probe that hangs fails like one that answers wrongly, as in Kubernetes.
// - RUN_LABEL / RUN_DIR_LABEL: the labels every container of a run carries and removeLabelled matches on.

/** A mount as the kubelet makes it: a ConfigMap or Secret rendered to files, or the pod's volume. */
export interface MountSpec {
  /** Where the files are on the host (a rendered ConfigMap / Secret directory, or the pod's volume directory). */
  hostPath: string;
  /** Where the container sees them (the manifest's `mountPath`). */
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerSpec {
  pod: string;
  /** The manifest's container name (redis, sentinel, role-labeller, …). */
  container: string;
  /** The image the manifest names after mapping (a local image tag for docker; for host processes, the binaries' directory or ''). */
  image: string;
  /** argv: the manifest's command + args, with paths as the container sees them. */
  argv: string[];
  env: Record<string, string>;
  mounts: MountSpec[];
  /** The pod's own address: containers of one pod share it (host networking on loopback). */
  podAddress: string;
  /** DNS server the container's resolver uses (docker: --dns); undefined for host processes. */
  dnsServer?: string;
  /** resources.limits as the cgroup would apply them. */
  limits?: { memoryBytes?: number; nanoCpus?: number };
  /** Labels by which a later run or `down` finds what this run left (docker labels; the process runtime uses its state file). */
  labels: Record<string, string>;
  /** Host file the container's stdout and stderr are appended to (host processes append exec output here too). */
  logFile: string;
  /** The working directory as the container sees it (a mounted path: the pod's volume). */
  workingDir: string;
}

/** Label naming the run a container belongs to. */
export const RUN_LABEL = 'sentinel-chaos.run';
/** Label naming the run's directory on the host (the process runtime finds leftovers by working directory inside it). */
export const RUN_DIR_LABEL = 'sentinel-chaos.run-dir';

export interface ContainerExit {
  exitCode: number | null;
  signal: string | null;
  /** The cgroup's OOM killer ended it (the kubelet reports `OOMKilled`). */
  oomKilled: boolean;
}

export interface ExecResult {
  /** null when a signal ended the command (the timeout's SIGKILL among them). */
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** A container that was started; its methods are safe to call after it exited. */
export interface RunningContainer {
  readonly id: string;
  /** Host PID of the container's main process (PID 1 inside a real container), when known. */
  readonly pid: number | undefined;
  /** Resolves once the container's main process has exited. */
  readonly exited: Promise<ContainerExit>;
  isRunning(): boolean;
  /** Send a signal to the main process (docker kill --signal; process.kill for host processes). */
  signal(sig: NodeJS.Signals): Promise<void>;
  /** Freeze every process of the container (cgroup freezer / SIGSTOP of the group); resolves once proven frozen. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  isFrozen(): Promise<boolean>;
  /** Run a command inside the container with the given environment (probes and hooks). */
  exec(argv: string[], opts: { env: Record<string, string>; timeoutMs: number }): Promise<ExecResult>;
  /**
   * Set the container's CFS quota (µs per 100 ms period; null: unlimited) and return the quota its cgroup
   * shows from inside; absent where the runtime gives containers no cgroup of their own (host processes).
   */
  setCpuQuota?(quotaUs: number | null): Promise<string>;
  /** Remove what is left of the container (no-op for host processes once exited). */
  remove(): Promise<void>;
}

export interface ContainerRuntime {
  readonly name: 'process' | 'docker';
  /**
   * Where a container sees a host path: docker mounts it at the manifest's mountPath, the process
   * runtime has no mount namespace and passes the host path itself.
   */
  pathInContainer(mount: MountSpec): string;
  start(spec: ContainerSpec): Promise<RunningContainer>;
  /** Remove every container and volume carrying these labels (leftovers of a killed harness); returns what was removed. */
  removeLabelled(labels: Record<string, string>): Promise<string[]>;
}

const lostLogs = new Set<string>();

/** A container's log file that can no longer be written (its run directory removed under a running harness): said once, never fatal. */
export function logLost(file: string, e: Error): void {
  if (lostLogs.has(file)) return;
  lostLogs.add(file);
  process.stderr.write(`warning: container log ${file} is no longer written (${e.message}); was the run directory removed by another command?\n`);
}
