// The docker runtime under the kubelet emulation: one container per manifest container, host networking
// on the pod's loopback address. Testcontainers creates and starts them (GenericContainer with host network
// mode, binds, env, labels, log consumer); the few things it cannot express go through its dockerode
// client: HostConfig.Dns, Memory in bytes (its quota takes GiB), pause/unpause, kill --signal, wait, and
// listing/removing by label (containers and volumes).
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type Dockerode from 'dockerode';
import { GenericContainer, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { HarnessError } from '../../errors.ts';
import {
  logLost,
  type ContainerExit,
  type ContainerRuntime,
  type ContainerSpec,
  type ExecResult,
  type MountSpec,
  type RunningContainer,
} from '../runtime/runtime.ts';

/** Labels every container and volume of this runtime carries, besides the spec's own. */
export const LABEL_POD = 'sentinel-chaos.pod';
export const LABEL_CONTAINER = 'sentinel-chaos.container';

/** The CFS period docker gives containers (µs); quotas are set against it. */
export const CPU_PERIOD_US = 100_000;

const SIGNAL_BY_NUMBER = new Map(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

/** GenericContainer plus what its builder lacks (HostConfig is protected there, so a subclass sets it). */
class PodContainer extends GenericContainer {
  withDns(servers: string[]): this {
    this.hostConfig.Dns = servers;
    return this;
  }
  withLimits(limits: ContainerSpec['limits']): this {
    if (limits?.memoryBytes !== undefined) {
      this.hostConfig.Memory = limits.memoryBytes;
      // No swap beyond the limit, as a pod's cgroup: the OOM killer acts at the limit.
      this.hostConfig.MemorySwap = limits.memoryBytes;
    }
    if (limits?.nanoCpus !== undefined) this.hostConfig.NanoCpus = limits.nanoCpus;
    return this;
  }
}

async function dockerode(): Promise<Dockerode> {
  // Ryuk's image cannot be pulled here; this runtime removes what it made by label instead.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  // Inside a container (/.dockerenv) testcontainers looks for the host through the `bridge` network's
  // gateway, which an engine run with --bridge=none lacks, then by pulling alpine. Every container here
  // uses host networking on loopback, so loopback is the host.
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  try {
    return (await getContainerRuntimeClient()).container.dockerode;
  } catch (e) {
    throw new HarnessError('TARGET_UNAVAILABLE', 'no docker engine answers: run scripts/docker-engine.sh start (or scripts/setup.sh)', { cause: e });
  }
}

const labelFilter = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`);

class DockerContainer implements RunningContainer {
  readonly exited: Promise<ContainerExit>;
  readonly pid: number | undefined;
  private done = false;
  private readonly started: StartedTestContainer;
  private readonly handle: Dockerode.Container;

  constructor(started: StartedTestContainer, handle: Dockerode.Container, pid: number | undefined) {
    this.started = started;
    this.handle = handle;
    this.pid = pid;
    this.exited = this.watch();
  }

  get id(): string {
    return this.handle.id;
  }

  private async watch(): Promise<ContainerExit> {
    let code: number | null = null;
    try {
      code = ((await this.handle.wait()) as { StatusCode: number }).StatusCode;
    } catch {
      // removed while waiting: report what inspect still knows, or nothing
    }
    let oomKilled = false;
    try {
      const s = (await this.handle.inspect()).State;
      oomKilled = s.OOMKilled;
      code ??= s.ExitCode;
    } catch {
      // already removed
    }
    this.done = true;
    // Docker reports a signal death as 128 + n, like a shell.
    const signal = code !== null && code > 128 ? (SIGNAL_BY_NUMBER.get(code - 128) ?? null) : null;
    return { exitCode: signal ? null : code, signal, oomKilled };
  }

  isRunning(): boolean {
    return !this.done;
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    if (this.done) return;
    await this.handle.kill({ signal: sig }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 409 && e.statusCode !== 404) throw e; // 409: not running any more
    });
  }

  async freeze(): Promise<void> {
    await this.handle.pause();
    if (!(await this.isFrozen()))
      throw new HarnessError('PROCESS_FAILED', `container ${this.id.slice(0, 12)} is not paused after docker pause`, { exitCode: 1 });
  }

  async thaw(): Promise<void> {
    if (await this.isFrozen()) await this.handle.unpause();
    if (await this.isFrozen())
      throw new HarnessError('PROCESS_FAILED', `container ${this.id.slice(0, 12)} is still paused after docker unpause`, { exitCode: 1 });
  }

  async isFrozen(): Promise<boolean> {
    try {
      return (await this.handle.inspect()).State.Paused;
    } catch {
      return false;
    }
  }

  async setCpuQuota(quotaUs: number | null): Promise<string> {
    // -1 is the cgroup's "no quota"; the period stays docker's default 100 ms.
    await this.handle.update({ CpuPeriod: CPU_PERIOD_US, CpuQuota: quotaUs ?? -1 });
    // The container's own cgroup file, read from the host (/proc/<pid>/cgroup names it): an exec inside would run in
    // the starved cgroup itself and, behind a busy redis, could wait out its timeout (a CI run lost the fault so).
    const host = await this.hostCpuQuota();
    const r = host
      ? { exitCode: 0, stdout: host, stderr: '' }
      : await this.exec(['sh', '-c', 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max'], {
          env: {},
          timeoutMs: 10_000,
        });
    const shown = r.stdout.trim();
    const want = quotaUs === null ? ['-1', 'max'] : [String(quotaUs)];
    if (r.exitCode !== 0 || !want.includes(shown))
      throw new HarnessError('PROCESS_FAILED', `container ${this.id.slice(0, 12)}: cgroup CPU quota reads "${shown || r.stderr.trim()}", not ${want[0]}`, {
        exitCode: 1,
      });
    return shown;
  }

  /** The quota in the container's cgroup as the host sees it (cgroup v1 cpu.cfs_quota_us, v2 cpu.max), or null. */
  private async hostCpuQuota(): Promise<string | null> {
    try {
      const pid = (await this.handle.inspect()).State.Pid;
      if (!pid) return null;
      const lines = (await readFile(`/proc/${pid}/cgroup`, 'utf8')).split('\n');
      const v1 = lines.map((l) => l.split(':')).find((f) => f.length >= 3 && f[1]!.split(',').includes('cpu'));
      if (v1) return (await readFile(`/sys/fs/cgroup/cpu${v1[2]}/cpu.cfs_quota_us`, 'utf8')).trim();
      const v2 = lines.find((l) => l.startsWith('0::'));
      return v2 ? (await readFile(`/sys/fs/cgroup${v2.slice(3)}/cpu.max`, 'utf8')).split(' ')[0]!.trim() : null;
    } catch {
      return null;
    }
  }

  /** Bounded twice: coreutils `timeout` inside (every image has it) and a host-side race a little later. */
  async exec(argv: string[], opts: { env: Record<string, string>; timeoutMs: number }): Promise<ExecResult> {
    const secs = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
    const run = this.started.exec(['timeout', '-s', 'KILL', `${secs}`, ...argv], { env: opts.env });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ExecResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ exitCode: null, timedOut: true, stdout: '', stderr: `exec timed out after ${opts.timeoutMs} ms` }),
        secs * 1000 + 2000,
      );
    });
    try {
      const r = await Promise.race([
        run.then((x) => ({ exitCode: x.exitCode === 137 ? null : x.exitCode, timedOut: x.exitCode === 137, stdout: x.stdout, stderr: x.stderr })),
        late,
      ]);
      return r;
    } finally {
      clearTimeout(timer);
    }
  }

  async remove(): Promise<void> {
    await this.handle.remove({ force: true, v: false }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404 && e.statusCode !== 409) throw e; // gone, or removal already in progress
    });
    await this.exited;
  }
}

export interface DockerRuntimeOptions {
  /** Seconds testcontainers waits for a container to be started. Default 30. */
  startTimeoutMs?: number;
}

export class DockerRuntime implements ContainerRuntime {
  readonly name = 'docker' as const;
  private readonly opts: DockerRuntimeOptions;
  constructor(opts: DockerRuntimeOptions = {}) {
    this.opts = opts;
  }

  pathInContainer(mount: MountSpec): string {
    return mount.containerPath;
  }

  /** A mount whose hostPath is not absolute names a docker volume (the pod's PVC, see {@link ensureVolume}). */
  async start(spec: ContainerSpec): Promise<RunningContainer> {
    const docker = await dockerode();
    const name = `sc-${spec.pod}-${spec.container}-${randomBytes(3).toString('hex')}`;
    const log = createWriteStream(spec.logFile, { flags: 'a' });
    log.once('error', (e) => logLost(spec.logFile, e));
    let c = new PodContainer(spec.image)
      .withName(name)
      .withNetworkMode('host')
      .withEntrypoint([spec.argv[0]!])
      .withCommand(spec.argv.slice(1))
      .withEnvironment(spec.env)
      .withWorkingDir(spec.workingDir)
      .withLabels({ ...spec.labels, [LABEL_POD]: spec.pod, [LABEL_CONTAINER]: spec.container })
      .withBindMounts(spec.mounts.map((m) => ({ source: m.hostPath, target: m.containerPath, mode: m.readOnly ? 'ro' : 'rw' })))
      .withLimits(spec.limits)
      .withStartupTimeout(this.opts.startTimeoutMs ?? 30_000)
      .withLogConsumer((stream) => stream.pipe(log));
    if (spec.dnsServer) c = c.withDns([spec.dnsServer]);
    let started: StartedTestContainer;
    try {
      started = await c.start();
    } catch (e) {
      log.end();
      // A half-created container must not outlive the failure.
      for (const info of await docker.listContainers({ all: true, filters: { name: [name] } }))
        await docker
          .getContainer(info.Id)
          .remove({ force: true })
          .catch(() => undefined);
      throw new HarnessError('PROCESS_FAILED', `container ${spec.pod}/${spec.container} (${spec.image}) did not start: ${(e as Error).message}`, {
        cause: e,
        exitCode: 1,
      });
    }
    const handle = docker.getContainer(started.getId());
    const pid = (await handle.inspect()).State.Pid || undefined;
    return new DockerContainer(started, handle, pid);
  }

  /** Creates (or finds) the named volume that stands for a pod's PVC: it survives container recreation. */
  async ensureVolume(name: string, labels: Record<string, string>): Promise<{ name: string; mountpoint: string }> {
    const docker = await dockerode();
    try {
      const v = await docker.getVolume(name).inspect();
      return { name, mountpoint: v.Mountpoint };
    } catch {
      const v = (await docker.createVolume({ Name: name, Labels: labels })) as unknown as { Name?: string; Mountpoint?: string };
      const info = await docker.getVolume(name).inspect();
      return { name: v.Name ?? name, mountpoint: info.Mountpoint };
    }
  }

  async removeLabelled(labels: Record<string, string>): Promise<string[]> {
    if (Object.keys(labels).length === 0) throw new HarnessError('USAGE', 'removeLabelled needs at least one label (it would remove every container)');
    const docker = await dockerode();
    const removed: string[] = [];
    const filters = { label: labelFilter(labels) };
    for (const info of await docker.listContainers({ all: true, filters })) {
      await docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch((e: { statusCode?: number }) => {
          if (e.statusCode !== 404 && e.statusCode !== 409) throw e;
        });
      removed.push(`container ${info.Names[0]?.replace(/^\//, '') ?? info.Id}`);
    }
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) {
      await docker.getVolume(v.Name).remove();
      removed.push(`volume ${v.Name}`);
    }
    return removed;
  }
}
