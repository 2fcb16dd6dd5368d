// The target factory: local processes, a kind cluster created from kind-config.yaml, or an existing cluster behind the context guard.
// The Kubernetes half (and @kubernetes/client-node, slow to load) is imported only when asked for.
import { startLocalDeployment } from './local/local-target.ts';
import type { TargetOptions } from './options.ts';
import type { StartedDeployment } from './target.ts';
import type { TargetDeps } from './kube/start-kube.ts';

export { KUBE_FLAG_DEFAULTS, TARGET_NAMES, type DockerFlags, type KubeFlags, type TargetName, type TargetOptions } from './options.ts';

export async function startTarget(o: TargetOptions, deps?: TargetDeps): Promise<StartedDeployment> {
  if (o.target === 'local') {
    return startLocalDeployment({
      model: o.model,
      runId: o.runId,
      subnet: o.subnet,
      binaries: o.binaries,
      overrides: o.overrides,
      ...(o.logsDir ? { logsDir: o.logsDir } : {}),
      ...(o.detached ? { detached: true } : {}),
    });
  }
  if (o.target === 'docker') {
    // testcontainers and dockerode load only for this target.
    const docker = await import('./docker/docker-target.ts');
    return docker.startDockerDeployment({
      model: o.model,
      runId: o.runId,
      subnet: o.subnet,
      overrides: o.overrides,
      ...(o.logsDir ? { logsDir: o.logsDir } : {}),
      ...(o.detached ? { detached: true } : {}),
      ...o.docker,
    });
  }
  const kube = await import('./kube/start-kube.ts');
  return kube.startKubeTarget(o, deps ?? kube.machineDeps);
}
