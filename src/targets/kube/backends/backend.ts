// The fault backend seam of the kube targets: how a container is killed, a process paused and a pod
// partitioned. kind-node acts from the pod's node (docker exec, nsenter); chaos-mesh creates Chaos Mesh objects.
import type { DeploymentModel } from '../../../config/manifests.ts';
import type { ClockControl, ContainerName, DnsControl, Partition, ProcessPause, StressControl } from '../../target.ts';
import type { KubeApi, KubePod, NodeShell } from '../api.ts';

export const FAULT_BACKEND_CHOICES = ['auto', 'chaos-mesh', 'kind-node'] as const;
export type FaultBackendChoice = (typeof FAULT_BACKEND_CHOICES)[number];
export type FaultBackendName = Exclude<FaultBackendChoice, 'auto'>;

export interface ControlDeps {
  api: KubeApi;
  namespace: string;
  model: DeploymentModel;
  /** Node access (kind: docker exec into the node containers); null on clusters whose nodes the harness cannot reach. */
  nodeShell: NodeShell | null;
  pollMs: number;
  /** How long start() waits for a recreated pod to be Ready. */
  readyTimeoutMs: number;
  /** The run id: recorded on what the run changes outside its objects (nodes it cordons, helper pods). */
  runId?: string;
}

/** What a backend is given besides the deps: the pod as the API server has it now, and a bounded wait. */
export interface BackendOps {
  must(name: string): Promise<KubePod>;
  until(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void>;
}

export interface FaultBackend {
  readonly name: FaultBackendName;
  /** SIGKILL one container; resolves once it is proven gone (the kubelet restarts it). */
  killContainer(pod: string, container: ContainerName): Promise<void>;
  /** SIGSTOP / SIGCONT, or null with `pauseUnavailable` saying why. */
  readonly pause: ProcessPause | null;
  readonly pauseUnavailable: string | null;
  /** Why partitions cannot be made, or null. */
  partitionUnavailable(): string | null;
  /** Cut `isolate` from the other pods both ways; `blockMajority` cuts the harness's majority-side client at the forward. Resolves once proven. */
  partition(isolate: string, blockMajority: (on: boolean) => void): Promise<Partition>;
  /** Drop `percent` % of the packets between `isolate` and the other pods at random; absent: the backend cannot. */
  lossy?(isolate: string, percent: number): Promise<Partition>;
  /** Undo everything still in place (heals on SIGINT and teardown). */
  healAll(): Promise<void>;
  /** Abilities only some backends have (chaos-mesh: DNSChaos / NetworkChaos, TimeChaos, StressChaos); absent: the faults needing them are skipped. */
  readonly dns?: DnsControl;
  readonly clock?: ClockControl;
  readonly stress?: StressControl;
}
