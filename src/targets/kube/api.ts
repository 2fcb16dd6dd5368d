// The handful of Kubernetes calls the kube target needs, as a narrow interface: the real one wraps
// @kubernetes/client-node (client-node.ts), tests use a recording fake.
import type { Duplex } from 'node:stream';
import type { ManifestObject } from '../../config/manifests.ts';

export interface KubeContainer {
  name: string;
  /** runtime://id, null until the container was created. */
  id: string | null;
  ready: boolean;
  running: boolean;
  restarts: number;
}

export interface KubePod {
  name: string;
  uid: string;
  phase: string;
  /** The pod's Ready condition. */
  ready: boolean;
  nodeName: string | null;
  podIP: string | null;
  /** deletionTimestamp is set: the pod is terminating. */
  deleting: boolean;
  containers: KubeContainer[];
}

/** The Eviction API's answer; a refusal carries the HTTP status and the Status's cause (DisruptionBudget for a PDB). */
export type EvictionAnswer = { evicted: true } | { evicted: false; status: number; reason: string; cause: string | null };

export interface StatefulSetInfo {
  replicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  currentRevision: string | null;
  updateRevision: string | null;
  images: Record<string, string>;
  updateStrategy: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecBytesResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Pod lifecycle as the API server reports it (watch events), and the cluster's Event objects. */
export type PodWatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; pod: KubePod };
export interface ClusterEvent {
  object: string;
  reason: string;
  message: string;
}

/** A node as the harness looks at it: whether it is cordoned, and its annotations (the run that cordoned it). */
export interface KubeNode {
  name: string;
  unschedulable: boolean;
  annotations: Record<string, string>;
}

/** A pod the harness creates itself (the volume helper): plain JSON as the API takes it. */
export interface PodObject {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/** Where a custom resource lives: its group, version, plural and namespaced name. */
export interface CustomObjectRef {
  group: string;
  version: string;
  plural: string;
  namespace: string;
  name: string;
}

/** A custom resource as the harness creates it (plain JSON; validated offline before it is sent). */
export interface CustomObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

/** What the harness reads back of a custom resource: its finalizers, whether it is being deleted, and its status. */
export interface CustomObjectState {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  finalizers: string[];
  deleting: boolean;
  /** status.conditions as type ► status ("True" / "False"). */
  conditions: Record<string, string>;
  /** status.experiment.containerRecords: each record's phase ("Injected", "Not Injected"). */
  recordPhases: string[];
  /** The pods its spec names (selector and target): those to recreate when it went without being recovered. */
  pods: string[];
}

export interface KubeApi {
  readonly context: string;
  /** The API server's version; throws when it cannot be reached. */
  serverVersion(timeoutMs: number): Promise<string>;
  namespaceExists(ns: string): Promise<boolean>;
  getPod(ns: string, name: string): Promise<KubePod | null>;
  listPods(ns: string, labelSelector: string): Promise<KubePod[]>;
  deletePod(ns: string, name: string, gracePeriodSeconds: number): Promise<void>;
  evictPod(ns: string, name: string): Promise<EvictionAnswer>;
  getNode(name: string): Promise<KubeNode | null>;
  listNodes(): Promise<KubeNode[]>;
  /** Merge-patch a node: spec.unschedulable and annotations to set (a null value removes the annotation). */
  patchNode(name: string, patch: { unschedulable: boolean; annotations: Record<string, string | null> }): Promise<void>;
  createPod(ns: string, pod: PodObject): Promise<void>;
  /** The logs of one container of a pod ('' when it has none). */
  podLog(ns: string, name: string, container: string): Promise<string>;
  /**
   * The nodes the PersistentVolume bound to this claim is pinned to (its nodeAffinity on kubernetes.io/hostname:
   * local-path, local volumes); null when the claim is unbound or its volume is not pinned to nodes (network-attached).
   */
  claimPinnedNodes(ns: string, claim: string): Promise<string[] | null>;
  getStatefulSet(ns: string, name: string): Promise<StatefulSetInfo | null>;
  /** A Service's cluster IP (e.g. kube-system/kube-dns), null when there is no such Service or it is headless. */
  getServiceClusterIP(ns: string, name: string): Promise<string | null>;
  /** Set spec.replicas through the scale subresource (statefulsets/scale). */
  scaleStatefulSet(ns: string, name: string, replicas: number): Promise<void>;
  /** Strategic merge patch. */
  patchStatefulSet(ns: string, name: string, patch: object): Promise<void>;
  /** Merge-patch the Secret's `data` (values base64-encoded by the implementation). */
  patchSecretData(ns: string, name: string, data: Record<string, string>): Promise<void>;
  readSecretKey(ns: string, name: string, key: string): Promise<string | null>;
  objectExists(obj: ManifestObject): Promise<boolean>;
  /** Server-side apply with this field manager. */
  apply(obj: ManifestObject, fieldManager: string): Promise<void>;
  deleteObject(obj: ManifestObject): Promise<void>;
  exec(ns: string, pod: string, container: string, command: readonly string[]): Promise<ExecResult>;
  /** exec with the bytes of `stdin` written to the command and its stdout kept as bytes (a tar stream, as `kubectl cp` moves files). */
  execBytes(ns: string, pod: string, container: string, command: readonly string[], stdin: Buffer | null): Promise<ExecBytesResult>;
  /** Forward one connection (`socket`) to the pod's port; returns a function that closes it. */
  portForward(ns: string, pod: string, port: number, socket: Duplex): Promise<() => void>;
  watchPods(ns: string, labelSelector: string, onEvent: (e: PodWatchEvent) => void): Promise<() => void>;
  watchEvents(ns: string, onEvent: (e: ClusterEvent) => void): Promise<() => void>;
  /** Whether a CustomResourceDefinition of this name (e.g. networkchaos.chaos-mesh.org) is installed. */
  crdExists(name: string): Promise<boolean>;
  createCustomObject(ref: Omit<CustomObjectRef, 'name'>, obj: CustomObject): Promise<void>;
  /** null when it does not exist (any more). */
  getCustomObject(ref: CustomObjectRef): Promise<CustomObjectState | null>;
  /** Request the deletion (finalizers, if any, hold the object until its controller releases them); a missing object is not an error. */
  deleteCustomObject(ref: CustomObjectRef): Promise<void>;
  listCustomObjects(ref: Omit<CustomObjectRef, 'name'>, labelSelector: string): Promise<CustomObjectState[]>;
  /** Merge-patch the object's metadata: annotations to set, or `finalizers: null` to drop every finalizer. A missing object is not an error. */
  patchCustomObjectMetadata(ref: CustomObjectRef, metadata: { annotations?: Record<string, string>; finalizers?: null }): Promise<void>;
}

/** Commands run on a node (for kind: `docker exec <node container>`); absent on clusters whose nodes the harness cannot reach. */
export interface NodeShell {
  exec(node: string, argv: readonly string[]): Promise<ExecResult>;
}
