// The target factory: local processes, a kind cluster created from kind-config.yaml, or an existing cluster behind the context guard.
// The Kubernetes half (and @kubernetes/client-node, slow to load) is imported only when asked for.
import path from 'node:path';
import type { DeploymentModel } from '../config/manifests.ts';
import type { Binaries } from './local/binaries.ts';
import { startLocalDeployment, type ConfigOverrides } from './local/local-target.ts';
import type { StartedDeployment } from './target.ts';
import type { TargetDeps } from './kube/start-kube.ts';

/** The kind / kube flags of the run command. */
export interface KubeFlags {
  /** kubeconfig context (kube target). */
  context?: string;
  /** Contexts allowed to take faults besides kind-* (repeatable --allow-context). */
  allowContexts: string[];
  /** kind: use the cluster if it exists instead of refusing. */
  reuse: boolean;
  /** kind: keep the cluster; kube: keep the objects the harness created. */
  keep: boolean;
  /** kind cluster config (default: kind-config.yaml of the project). */
  kindConfig: string;
  /** kubeconfig file (default: $KUBECONFIG, else ~/.kube/config). */
  kubeconfig?: string;
}

export const KUBE_FLAG_DEFAULTS: KubeFlags = {
  allowContexts: [],
  reuse: false,
  keep: false,
  kindConfig: path.resolve(import.meta.dirname, '../../kind-config.yaml'),
};

export const TARGET_NAMES = ['local', 'kind', 'kube'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export interface TargetOptions {
  target: TargetName;
  model: DeploymentModel;
  runId: string;
  subnet?: number;
  binaries?: Partial<Binaries>;
  overrides?: ConfigOverrides;
  logsDir?: string;
  kube?: Partial<KubeFlags>;
  /** Local target: leave the processes running when this harness exits (`up`); kind / kube keep what they created. */
  detached?: boolean;
}

export async function startTarget(o: TargetOptions, deps?: TargetDeps): Promise<StartedDeployment> {
  if (o.target === 'local') {
    return startLocalDeployment({ model: o.model, runId: o.runId, subnet: o.subnet, binaries: o.binaries, overrides: o.overrides, ...(o.logsDir ? { logsDir: o.logsDir } : {}), ...(o.detached ? { detached: true } : {}) });
  }
  const kube = await import('./kube/start-kube.ts');
  return kube.startKubeTarget(o, deps ?? kube.machineDeps);
}
