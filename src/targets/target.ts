// The target interface: narrow parts (pods, endpoints) that the runner uses without knowing the target.
import type { Figures } from '../model/check.ts';
import type { DeploymentModel } from '../config/manifests.ts';
import type { Endpoint } from '../model/endpoint.ts';
import type { NodeIdentity } from '../model/history.ts';

export { addr, type Endpoint } from '../model/endpoint.ts';

export interface Pod {
  name: string;
  ordinal: number;
  /** Virtual or real node the pod is scheduled on. */
  node: string;
  redis: Endpoint;
  sentinel: Endpoint;
}

export type ContainerName = 'redis' | 'sentinel';

/** Pod lifecycle as a StatefulSet controller would drive it. */
export interface PodControl {
  /** SIGKILL every container of the pod; resolves once they are gone. */
  kill(pod: string): Promise<void>;
  /** Start the pod again with the same name and volume; resolves once its processes run. */
  start(pod: string): Promise<void>;
  isRunning(pod: string): boolean;
  /** SIGKILL one container; resolves once it is gone. */
  killContainer(pod: string, container: ContainerName): Promise<void>;
  /** Start one container of a pod whose other container may be running; resolves once it answers. */
  startContainer(pod: string, container: ContainerName): Promise<void>;
  /**
   * Terminate a pod as the kubelet does: the containers' preStop hooks (when `preStop`), then
   * SIGTERM, then SIGKILL once the manifest's grace period is up. Resolves once it is gone.
   */
  stop(pod: string, opts: { preStop: boolean }): Promise<{ preStopMs: number }>;
  /** Whether every container of the pod passes the manifest's readiness probe now. */
  isReady(pod: string): Promise<boolean>;
  /** Run the redis container from this binary (image) on its next start: the StatefulSet's image change. */
  setRedisImage(binary: string): void;
  /** Run the redis container's preStop hook without stopping the pod (the coordinated hand-over); false if it has none. */
  runPreStop(pod: string): Promise<boolean>;
  /**
   * Run one of the redis container's exec probes once, as the kubelet would: true passed, false failed
   * (or timed out), null when the manifest has no such probe or the container is not running. Absent
   * where the target cannot exec into a container.
   */
  runProbe?(pod: string, probe: 'liveness' | 'startup'): Promise<boolean | null>;
  /** The last time a container of the pod exited on its own (lastState.terminated): OOMKilled, exit code or signal; null if never. */
  lastTermination?(pod: string, container: ContainerName): { oomKilled: boolean; exitCode: number | null; signal: string | null } | null;
}

/** The outcome of an eviction request, as the Eviction API answers it. */
export type Eviction = { evicted: true } | { evicted: false; reason: string };

/** Optional ability: nodes that can be cordoned and pods evicted through the PodDisruptionBudget. */
export interface NodeControl {
  cordon(node: string): Promise<void>;
  uncordon(node: string): Promise<void>;
  /**
   * Evict a pod: refused (HTTP 429 in Kubernetes) when it would leave fewer ready pods than the PDB
   * allows; otherwise the pod is terminated gracefully and the StatefulSet recreates it on a
   * schedulable node. Resolves once the eviction is refused or the pod has terminated.
   */
  evict(pod: string): Promise<Eviction>;
  /** The node a pod runs on now. */
  nodeOf(pod: string): string;
}

export const hasNodes = (d: StartedDeployment): d is StartedDeployment & { nodes: NodeControl } => 'nodes' in d && d.nodes !== undefined;

/** Optional ability: freeze and thaw a container's processes (SIGSTOP / SIGCONT). */
export interface ProcessPause {
  /** Resolves once the process is proven stopped (state T). */
  pause(pod: string, container: ContainerName): Promise<void>;
  resume(pod: string, container: ContainerName): Promise<void>;
}

/** Which traffic a partition cuts. */
export interface PartitionSpec {
  /** The pod cut off from the rest. */
  isolate: string;
  /**
   * all: every packet between the pod and the other pods (redis and sentinel, both directions) and the
   * majority-side clients; sentinels: only the other pods' sentinels' traffic to and from this pod.
   */
  cut: 'all' | 'sentinels';
}

export interface Partition {
  /** Human-readable description of the rules in place. */
  readonly description: string;
  /** performance.now() when the rules took effect (the proof that they did came after). */
  readonly inEffectAt: number;
  /** Remove the rules; idempotent. */
  heal(): Promise<void>;
}

/** Optional ability: network partitions between pods. */
export interface NetworkFaults {
  /** Resolves once the rules are in place and a probe connection across them is proven blocked. */
  partition(spec: PartitionSpec): Promise<Partition>;
  /**
   * Drop `percent` % of the same packets at random instead of all of them (a lossy link); resolves once a probe
   * was lost and dropped packets are counted. Absent where the backend cannot drop at random.
   */
  lossy?(spec: PartitionSpec & { percent: number }): Promise<Partition>;
  /**
   * Source address for a client that stands on the majority side of a partition (it cannot reach the
   * isolated pod); clients without it stand on the isolated pod's side.
   */
  readonly majorityClientAddress: string;
  /** Why partitions are unavailable here (e.g. no CAP_NET_ADMIN), or null when they work. */
  unavailableReason(): Promise<string | null>;
}

/** Optional ability: the orchestrator's pod lifecycle (deleted, scheduled, ready …) for the trial's timeline. */
export interface PodEventSource {
  /** `detail` starts with the pod name and a colon. Returns the unsubscriber. */
  subscribe(fn: (e: { type: string; detail: string }) => void): () => void;
}

/** A change of a pod's labels as the API server accepted it. */
export interface PodLabelChange {
  pod: string;
  /** The pod's labels after the change. */
  labels: Record<string, string>;
  /** performance.now() when it was accepted. */
  atMs: number;
}

/** Optional ability: the manifests' Services as applications reach them, and the pods' labels that route them. */
export interface ServiceAccess {
  /** The address applications use for a Service port (its cluster IP and port); throws HarnessError for an unknown Service or port. */
  endpoint(service: string, port: number): Endpoint;
  /** A pod's labels as the API server holds them now. */
  podLabels(pod: string): Record<string, string>;
  /** Every label change so far, oldest first. */
  labelHistory(): readonly PodLabelChange[];
}

export const hasServices = (d: StartedDeployment): d is StartedDeployment & { services: ServiceAccess } => 'services' in d && d.services !== undefined;
/** What a truncation of an AOF's tail did. */
export interface AofTruncation {
  /** The file cut, relative to the data dir. */
  file: string;
  sizeBefore: number;
  sizeAfter: number;
}

/**
 * Optional ability: a pod's persistent volume (its data dir) as files, for day-2 operations. Every
 * method but backupAof needs the pod stopped, as the volume would be unmounted in Kubernetes.
 */
export interface VolumeControl {
  /**
   * Keep `pod` from running again after its next kill, until its volume was changed (Kubernetes: the StatefulSet
   * recreates a deleted pod at once, so its node is cordoned first). Absent where a killed pod stays down by itself.
   */
  hold?(pod: string): Promise<void>;
  /** Undo a hold without changing the volume (the operation gave up before it); present with hold. */
  release?(pod: string): Promise<void>;
  /** Copy the pod's AOF (Redis 7: <data>/appendonlydir/; older: appendonly.aof) into `dest`; returns the files copied. */
  backupAof(pod: string, dest: string): Promise<string[]>;
  /** Replace the pod's AOF with a backup taken by backupAof (of this pod or another). */
  restoreAof(pod: string, src: string): Promise<void>;
  /** Empty the pod's data dir, as a new or lost PVC would be. */
  wipe(pod: string): Promise<void>;
  /** Cut `bytes` off the end of the AOF's last incremental file, as a crash in the middle of a write would. */
  truncateAofTail(pod: string, bytes: number): Promise<AofTruncation>;
}

export const hasVolumes = (d: StartedDeployment): d is StartedDeployment & { volumes: VolumeControl } => 'volumes' in d && d.volumes !== undefined;

/**
 * Optional ability: change the StatefulSet's replicas. New pods get the next ordinals and run the same
 * start-up scripts (they find the master through the sentinels); `pods` follows.
 */
export interface ScaleControl {
  /** Add pods up to `replicas`; resolves once their containers answer. Returns the new pods. */
  scaleUp(replicas: number): Promise<Pod[]>;
  /** Remove pods above `replicas`, highest ordinal first, each terminated as the kubelet does; their volumes go too. */
  scaleDown(replicas: number): Promise<void>;
}

export const hasScale = (d: StartedDeployment): d is StartedDeployment & { scale: ScaleControl } => 'scale' in d && d.scale !== undefined;

/** Optional ability: the cluster DNS server the pods resolve each other's names with. */
export interface DnsControl {
  /** Freeze the server (SIGSTOP): every lookup blocks until its timeout. Resolves once a query is proven to time out. */
  pause(): Promise<void>;
  /** Thaw it; resolves once it answers again. */
  resume(): Promise<void>;
  /**
   * Remove one name's record (a Pending pod's, as the endpoints controller drops it); resolves once
   * NXDOMAIN is proven. `restore` puts the old addresses back unless the target set the name again meanwhile.
   */
  removeRecord(name: string): Promise<{ restore(): Promise<void> }>;
  /** One A query at the server: the addresses, or the error code (ENOTFOUND = NXDOMAIN, ETIMEOUT). */
  query(name: string, timeoutMs?: number): Promise<string[] | string>;
  /** A resolv.conf naming the server: the driver processes see it as /etc/resolv.conf, so they resolve pod names as the pods do. */
  readonly resolvConf?: string;
}

/** A fault the target holds in place until healed, with what it did in words. */
export interface HeldFault {
  description: string;
  heal(): Promise<void>;
  /** What the heal left behind, read back once it ran, when the control can tell (else the fault says it). */
  healedDescription?(): string;
  /** The control's own figures of the fault so far (e.g. the memory cgroup's usage and OOM kills). */
  figures?(): Figures;
}

/** Optional ability: offset one container's realtime clock (Chaos Mesh TimeChaos). */
export interface ClockControl {
  /** Shift CLOCK_REALTIME of `container` in `pod` by `offsetMs` (negative: back) until healed; resolves once injected. */
  skew(pod: string, container: ContainerName, offsetMs: number): Promise<HeldFault>;
}

/** CPU and memory pressure: stress workers beside the container's process. */
export interface StressSpec {
  cpuWorkers?: number;
  /** Percent of a CPU each CPU worker takes. */
  cpuLoad?: number;
  memoryWorkers?: number;
  /** Per memory worker: bytes with a unit (256MB) or a percent of memory (50%). */
  memorySize?: string;
  /** The longest the workers may run: they stop by themselves then, should the harness die before its heal. */
  maxMs?: number;
}

/** Optional ability: CPU / memory pressure inside one container (docker: stress-ng in its cgroups; Chaos Mesh StressChaos). */
export interface StressControl {
  stress(pod: string, container: ContainerName, spec: StressSpec): Promise<HeldFault>;
}

/** A CPU cap in place on a pod's containers. */
export interface CpuThrottle {
  /** What was set, with the proof read back from the cgroup inside each container. */
  readonly description: string;
  /** Lift the cap (unlimited again), proven the same way; idempotent. */
  restore(): Promise<void>;
}

/** Optional ability: a pod's CPU through its cgroup (the containers' CFS quota), as a CPU limit or a noisy neighbour would starve it. */
export interface CpuControl {
  /** Cap every container of the pod at `cpus` CPUs; resolves once each container's cgroup shows the quota. */
  throttle(pod: string, cpus: number): Promise<CpuThrottle>;
}

/**
 * Optional ability: the secure profile's TLS Secret on a target that makes it (local, docker), for certificate
 * rotation and expiry. What a cluster operator (or cert-manager) does to the Secret and the clients' config.
 */
export interface TlsControl {
  /**
   * Replace files of the TLS Secret (ca.crt, <pod>.crt, <pod>.key), each atomically (written beside, then renamed),
   * keys mode 0600: what a kubelet does to a mounted Secret. Running processes read them again only when told.
   */
  writeSecretFiles(files: Readonly<Record<string, string>>): Promise<void>;
  /** A file of the TLS Secret (a certificate; never a key). */
  readSecretFile(name: string): Promise<string>;
  /** A private directory (mode 0700, in no pod's mounts) for a fault's CAs and their keys. */
  readonly workDir: string;
  /** The client certificates' names (harness, synapse, livekit, django); their files are the deployment's `credentials.tls.clients`. */
  readonly clients: readonly string[];
  /**
   * Replace the client certificates' files and, for the harness, what its connections present and trust from
   * their next handshake on (PEM contents; `ca` alone for a new trust bundle).
   */
  setClientMaterial(m: { ca?: string; clients?: Readonly<Record<string, { cert: string; key: string }>> }): Promise<void>;
  /** The CA that signs the deployment's certificates now (files; its key is in no pod's mounts); a CA rotation makes its new CA this one. */
  signingCa: { cert: string; key: string };
  /**
   * The longest writeSecretFiles may take to reach the pods' files (kind / kube: the kubelet's refresh of the mounted
   * Secret; absent: at once). A certificate meant to expire soon after it is loaded is issued valid this much longer.
   */
  readonly deliveryMs?: number;
}

export const hasDns = (d: StartedDeployment): d is StartedDeployment & { dns: DnsControl } => 'dns' in d && d.dns !== undefined;
export const hasPause = (d: StartedDeployment): d is StartedDeployment & { pause: ProcessPause } => 'pause' in d && d.pause !== undefined;
export const hasNetwork = (d: StartedDeployment): d is StartedDeployment & { network: NetworkFaults } => 'network' in d && d.network !== undefined;

/** A deployment that is up; dispose of it (or call down()) to remove it. */
/** What the secure profile's clients log in with (src/targets/local/security.ts makes them per run). */
export interface DeploymentCredentials {
  acl: Readonly<Record<string, string>>;
  /**
   * Where the host sees each ACL user's file of the mounted ACL Secret (local, docker): an application's real
   * client reads its password from there at each new connection, as an application mounting the Secret would.
   * Absent (kind / kube: the Secret is in the pods only): the clients are given the password itself.
   */
  aclFiles?: Readonly<Record<string, string>>;
  /** Paths: the CA certificate, and per client (harness, synapse, livekit, django) its certificate and key. */
  tls: { ca: string; clients: Readonly<Record<string, { cert: string; key: string }>> } | null;
  /**
   * Make `password` the ACL user's in the ACL Secret (pods started from now on get it, the pods' hooks read it at
   * their next call) and in `acl`; registered for redaction. Does not touch running redis processes.
   */
  setAclPassword?(user: string, password: string): Promise<void>;
  /** Why the ACL Secret cannot be changed when setAclPassword is absent (kind / kube: a Secret the run found in the cluster). */
  aclReadOnly?: string;
}

export interface StartedDeployment extends AsyncDisposable {
  readonly target: string;
  readonly model: DeploymentModel;
  readonly pods: readonly Pod[];
  /** The current password; held in memory only, never printed. */
  readonly password: string;
  /**
   * Every password this deployment has used (a rotation adds one), so that reports can redact all
   * of them.
   */
  readonly passwords: readonly string[];
  /**
   * Make `password` the one pods are given from now on (the Secret's new value): containers started
   * after this call use it. Does not touch running processes.
   */
  setPassword(password: string): Promise<void>;
  /** down-after-milliseconds the sentinels run with (the manifest's, or an explicit override). */
  readonly downAfterMs: number;
  readonly podControl: PodControl;
  readonly pause?: ProcessPause;
  readonly network?: NetworkFaults;
  readonly nodes?: NodeControl;
  readonly podEvents?: PodEventSource;
  readonly services?: ServiceAccess;
  readonly volumes?: VolumeControl;
  readonly scale?: ScaleControl;
  readonly dns?: DnsControl;
  /** Who injects the faults when it is not the target itself: kind / kube's fault backend (chaos-mesh, kind-node). */
  readonly faultBackend?: string;
  /** Optional: shift one container's clock (kind / kube with the chaos-mesh fault backend). */
  readonly clock?: ClockControl;
  /** Optional: stress workers inside a container (kind / kube with the chaos-mesh fault backend). */
  readonly stress?: StressControl;
  /**
   * The pod identity of a node a client reached, when the clients' sockets see other addresses than the
   * pods' endpoints (docker: the pod IP behind its DNS name; kube: the port-forward). Applied to every
   * history before it is compared with the topology; without it the node is the identity (local).
   */
  readonly nodeIdentity?: NodeIdentity;
  /** Optional: cap a pod's CPU through its containers' cgroups (docker). */
  readonly cpu?: CpuControl;
  /** `redis-server --version` of what runs. */
  readonly redisVersion: string;
  /** The secure profile's credentials, in memory only and never printed: ACL passwords by user, the TLS files' paths. */
  readonly credentials?: DeploymentCredentials;
  /** Optional: the TLS Secret and the clients' certificates (local, docker under the secure profile). */
  readonly tls?: TlsControl;
  /** Facts about the target for the report (never secrets). */
  describe(): Record<string, string>;
  down(): Promise<void>;
}
