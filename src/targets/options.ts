// What the target factory takes: the target, the deployment model and the kind / kube flags.
import path from 'node:path';
import type { DeploymentModel } from '../config/manifests.ts';
import type { ConfigOverrides } from '../model/overrides.ts';
import type { Binaries } from './local/binaries.ts';

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
  /** Who injects container kills, pauses and partitions: auto (Chaos Mesh when its CRDs are installed, else kind-node), chaos-mesh or kind-node. */
  faultBackend: 'auto' | 'chaos-mesh' | 'kind-node';
  /** Most pods a fault may disrupt at once (--max-disruption); undefined: no limit. */
  maxDisruption?: number;
}

export const KUBE_FLAG_DEFAULTS: KubeFlags = {
  allowContexts: [],
  reuse: false,
  keep: false,
  faultBackend: 'auto',
  kindConfig: path.resolve(import.meta.dirname, '../../kind-config.yaml'),
};

export const TARGET_NAMES = ['local', 'docker', 'kind', 'kube'] as const;
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
  /** The docker target's flags. */
  docker?: DockerFlags;
}

/** The docker target's flags (--image, --stable-addresses). */
export interface DockerFlags {
  /** `NAME:VERSION` of the catalogue to run instead of the image the manifests name (--image). */
  image?: string;
  /** Keep each pod's address when it is recreated, as the local target does (--stable-addresses); by default a recreated pod moves. */
  stableAddresses?: boolean;
}
