// KubeApi over @kubernetes/client-node (v1+: promise-based calls with one object parameter).
import { PassThrough, type Duplex } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CustomObjectsApi,
  CoreV1Api,
  Exec,
  KubernetesObjectApi,
  PatchStrategy,
  PortForward,
  VersionApi,
  Watch,
  setHeaderOptions,
  type KubernetesObject,
  type V1Node,
  type V1PersistentVolume,
  type V1Pod,
  type V1Status,
} from '@kubernetes/client-node';
import type { ManifestObject } from '../../config/manifests.ts';
import type { CustomObjectState, EvictionAnswer, ExecResult, KubeApi, KubeNode, KubePod } from './api.ts';

const isStatus = (e: unknown, code: number) => e instanceof ApiException && e.code === code;

export function toKubePod(p: V1Pod): KubePod {
  const statuses = p.status?.containerStatuses ?? [];
  return {
    name: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
    phase: p.status?.phase ?? 'Unknown',
    ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
    nodeName: p.spec?.nodeName ?? null,
    podIP: p.status?.podIP ?? null,
    deleting: p.metadata?.deletionTimestamp != null,
    containers: statuses.map((c) => ({ name: c.name, id: c.containerID ?? null, ready: c.ready, running: c.state?.running != null, restarts: c.restartCount })),
  };
}

export const toKubeNode = (n: V1Node): KubeNode => ({
  name: n.metadata?.name ?? '',
  unschedulable: n.spec?.unschedulable === true,
  annotations: n.metadata?.annotations ?? {},
});

/** The hostnames a PersistentVolume's required node affinity pins it to (every term names kubernetes.io/hostname In [...]), else null. */
export function pinnedHostnames(pv: V1PersistentVolume): string[] | null {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length === 0) return null;
  const hosts: string[] = [];
  for (const t of terms) {
    const e = (t.matchExpressions ?? []).find((x) => x.key === 'kubernetes.io/hostname' && x.operator === 'In');
    if (!e?.values?.length) return null;
    hosts.push(...e.values);
  }
  return [...new Set(hosts)];
}

/** The API server's Status of a refused eviction: 429 with a DisruptionBudget cause when the PDB says no. */
export function evictionRefusal(e: ApiException<unknown>): EvictionAnswer {
  let body: { message?: string; details?: { causes?: Array<{ reason?: string; message?: string }> } } = {};
  try {
    body = typeof e.body === 'string' ? JSON.parse(e.body) : ((e.body as typeof body) ?? {});
  } catch {
    body = { message: String(e.body) };
  }
  const cause = body.details?.causes?.[0];
  return { evicted: false, status: e.code, reason: cause?.message ?? body.message ?? e.message, cause: cause?.reason ?? null };
}

const clean = (o: ManifestObject): KubernetesObject => {
  const { __file: _file, ...rest } = o;
  return rest as KubernetesObject;
};

/** A custom resource as read back (a plain JSON object from CustomObjectsApi) ► what the harness looks at. */
export function toCustomObjectState(o: unknown): CustomObjectState {
  const x = (o ?? {}) as {
    metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; deletionTimestamp?: unknown };
    status?: { conditions?: Array<{ type?: string; status?: string }>; experiment?: { containerRecords?: Array<{ phase?: string }> } };
    spec?: { selector?: { pods?: Record<string, string[]> }; target?: { selector?: { pods?: Record<string, string[]> } } };
  };
  return {
    name: x.metadata?.name ?? '',
    labels: x.metadata?.labels ?? {},
    annotations: x.metadata?.annotations ?? {},
    finalizers: x.metadata?.finalizers ?? [],
    deleting: x.metadata?.deletionTimestamp != null,
    conditions: Object.fromEntries((x.status?.conditions ?? []).map((c) => [c.type ?? '?', c.status ?? 'Unknown'])),
    recordPhases: (x.status?.experiment?.containerRecords ?? []).map((r) => r.phase ?? '?'),
    pods: [...Object.values(x.spec?.selector?.pods ?? {}).flat(), ...Object.values(x.spec?.target?.selector?.pods ?? {}).flat()],
  };
}

export function clientNodeApi(kc: KubeConfig): KubeApi {
  const core = kc.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    context: kc.getCurrentContext(),
    async serverVersion(timeoutMs) {
      const version = kc.makeApiClient(VersionApi).getCode();
      const timer = new Promise<never>((_r, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref());
      const v = await Promise.race([version, timer]);
      return v.gitVersion;
    },
    async namespaceExists(ns) {
      try {
        await core.readNamespace({ name: ns });
        return true;
      } catch (e) {
        if (isStatus(e, 404)) return false;
        throw e;
      }
    },
    async getPod(ns, name) {
      try {
        return toKubePod(await core.readNamespacedPod({ name, namespace: ns }));
      } catch (e) {
        if (isStatus(e, 404)) return null;
        throw e;
      }
    },
    async listPods(ns, labelSelector) {
      return (await core.listNamespacedPod({ namespace: ns, labelSelector })).items.map(toKubePod);
    },
    async deletePod(ns, name, gracePeriodSeconds) {
      try {
        await core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds });
      } catch (e) {
        if (!isStatus(e, 404)) throw e;
      }
    },
    async evictPod(ns, name) {
      try {
        await core.createNamespacedPodEviction({ name, namespace: ns, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns } } });
        return { evicted: true };
      } catch (e) {
        if (e instanceof ApiException && e.code === 429) return evictionRefusal(e);
        throw e;
      }
    },
    async getServiceClusterIP(ns, name) {
      try {
        const ip = (await core.readNamespacedService({ name, namespace: ns })).spec?.clusterIP;
        return ip && ip !== 'None' ? ip : null;
      } catch (e) {
        if (isStatus(e, 404)) return null;
        throw e;
      }
    },
    async patchSecretData(ns, name, data) {
      const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
      await core.patchNamespacedSecret({ name, namespace: ns, body: { data: b64 } }, merge);
    },
    async readSecretKey(ns, name, key) {
      try {
        const s = await core.readNamespacedSecret({ name, namespace: ns });
        const v = s.data?.[key];
        return v === undefined ? (s.stringData?.[key] ?? null) : Buffer.from(v, 'base64').toString('utf8');
      } catch (e) {
        if (isStatus(e, 404)) return null;
        throw e;
      }
    },
    async objectExists(obj) {
      try {
        await objects.read(clean(obj) as KubernetesObject & { metadata: { name: string } });
        return true;
      } catch (e) {
        if (isStatus(e, 404)) return false;
        throw e;
      }
    },
    async apply(obj, fieldManager) {
      await objects.patch(clean(obj), undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
    },
    async deleteObject(obj) {
      try {
        await objects.delete(clean(obj));
      } catch (e) {
        if (!isStatus(e, 404)) throw e;
      }
    },
    ...nodeAndHelperApi(kc),
    ...statefulSetApi(kc),
    ...customObjectsApi(kc),
    ...streamingApi(kc),
  };
}

/** Nodes (cordons and their annotation), the volume helper pod, and where a claim's volume is pinned. */
function nodeAndHelperApi(kc: KubeConfig): Pick<KubeApi, 'getNode' | 'listNodes' | 'patchNode' | 'createPod' | 'podLog' | 'claimPinnedNodes'> {
  const core = kc.makeApiClient(CoreV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    async getNode(name) {
      try {
        return toKubeNode(await core.readNode({ name }));
      } catch (e) {
        if (isStatus(e, 404)) return null;
        throw e;
      }
    },
    async listNodes() {
      return (await core.listNode()).items.map(toKubeNode);
    },
    async patchNode(name, patch) {
      await core.patchNode({ name, body: { spec: { unschedulable: patch.unschedulable }, metadata: { annotations: patch.annotations } } }, merge);
    },
    async createPod(ns, pod) {
      await core.createNamespacedPod({ namespace: ns, body: pod as unknown as V1Pod });
    },
    async podLog(ns, name, container) {
      return (await core.readNamespacedPodLog({ name, namespace: ns, container })) ?? '';
    },
    async claimPinnedNodes(ns, claim) {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ name: claim, namespace: ns });
      const volume = pvc.spec?.volumeName;
      if (!volume || pvc.status?.phase !== 'Bound') return null;
      return pinnedHostnames(await core.readPersistentVolume({ name: volume }));
    },
  };
}

/** The StatefulSet: its rollout state, its scale subresource, patches. */
function statefulSetApi(kc: KubeConfig): Pick<KubeApi, 'getStatefulSet' | 'scaleStatefulSet' | 'patchStatefulSet'> {
  const apps = kc.makeApiClient(AppsV1Api);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  return {
    async getStatefulSet(ns, name) {
      try {
        const s = await apps.readNamespacedStatefulSet({ name, namespace: ns });
        return {
          replicas: s.spec?.replicas ?? 1,
          readyReplicas: s.status?.readyReplicas ?? 0,
          updatedReplicas: s.status?.updatedReplicas ?? 0,
          currentRevision: s.status?.currentRevision ?? null,
          updateRevision: s.status?.updateRevision ?? null,
          images: Object.fromEntries((s.spec?.template.spec?.containers ?? []).map((c) => [c.name, c.image ?? ''])),
          updateStrategy: s.spec?.updateStrategy?.type ?? 'RollingUpdate',
        };
      } catch (e) {
        if (isStatus(e, 404)) return null;
        throw e;
      }
    },
    async scaleStatefulSet(ns, name, replicas) {
      await apps.patchNamespacedStatefulSetScale({ name, namespace: ns, body: { spec: { replicas } } }, merge);
    },
    async patchStatefulSet(ns, name, patch) {
      await apps.patchNamespacedStatefulSet({ name, namespace: ns, body: patch }, strategic);
    },
  };
}

/** The custom resources (Chaos Mesh's objects) and the CRDs that define them. */
function customObjectsApi(
  kc: KubeConfig,
): Pick<KubeApi, 'crdExists' | 'createCustomObject' | 'getCustomObject' | 'deleteCustomObject' | 'listCustomObjects' | 'patchCustomObjectMetadata'> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  return {
    async crdExists(name) {
      try {
        await extensions.readCustomResourceDefinition({ name });
        return true;
      } catch (e) {
        if (isStatus(e, 404)) return false;
        throw e;
      }
    },
    async createCustomObject(ref, body) {
      await custom.createNamespacedCustomObject({
        group: ref.group,
        version: ref.version,
        namespace: ref.namespace,
        plural: ref.plural,
        body,
        fieldManager: 'sentinel-chaos',
      });
    },
    async getCustomObject(ref) {
      try {
        return toCustomObjectState(await custom.getNamespacedCustomObject(ref));
      } catch (e) {
        if (isStatus(e, 404)) return null;
        throw e;
      }
    },
    async deleteCustomObject(ref) {
      try {
        await custom.deleteNamespacedCustomObject(ref);
      } catch (e) {
        if (!isStatus(e, 404)) throw e;
      }
    },
    async listCustomObjects(ref, labelSelector) {
      const list = (await custom.listNamespacedCustomObject({ ...ref, labelSelector })) as { items?: unknown[] };
      return (list.items ?? []).map(toCustomObjectState);
    },
    async patchCustomObjectMetadata(ref, metadata) {
      try {
        await custom.patchNamespacedCustomObject({ ...ref, body: { metadata } }, merge);
      } catch (e) {
        if (!isStatus(e, 404)) throw e;
      }
    },
  };
}

/** The KubeApi calls that hold a stream open: exec, port-forward and the watches. */
function streamingApi(kc: KubeConfig): Pick<KubeApi, 'exec' | 'execBytes' | 'portForward' | 'watchPods' | 'watchEvents'> {
  // stdin: the bytes Exec writes to the command (a tar, as `kubectl cp` sends one); stdout kept as bytes. stdin is
  // ended only once the command has exited: before the v5 exec protocol client-node closes the whole websocket at the
  // end of stdin, which would cut the command off; the command reads a known byte count instead (RESTORE_SCRIPT).
  const execBytes: KubeApi['execBytes'] = async (ns, pod, container, command, stdin) => {
    const out = new PassThrough();
    const err = new PassThrough();
    const input = stdin ? new PassThrough() : null;
    const chunks: { out: Buffer[]; err: Buffer[] } = { out: [], err: [] };
    out.on('data', (b: Buffer) => chunks.out.push(b));
    err.on('data', (b: Buffer) => chunks.err.push(b));
    if (input && stdin) input.write(stdin);
    const status = await new Promise<V1Status>((resolve, reject) => {
      new Exec(kc).exec(ns, pod, container, [...command], out, err, input, false, resolve).catch(reject);
    }).finally(() => input?.end());
    const code = status.status === 'Success' ? 0 : Number(status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message ?? 1);
    return { code, stdout: Buffer.concat(chunks.out), stderr: Buffer.concat(chunks.err).toString() };
  };
  return {
    async exec(ns, pod, container, command): Promise<ExecResult> {
      const r = await execBytes(ns, pod, container, command, null);
      return { ...r, stdout: r.stdout.toString() };
    },
    execBytes,
    async portForward(ns, pod, port, socket: Duplex) {
      const ws = await new PortForward(kc, true).portForward(ns, pod, [port], socket, null, socket);
      return () => {
        const w = typeof ws === 'function' ? ws() : ws;
        w?.close();
      };
    },
    async watchPods(ns, labelSelector, onEvent) {
      const ctl = await new Watch(kc).watch(
        `/api/v1/namespaces/${ns}/pods`,
        { labelSelector },
        (type, obj: V1Pod) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onEvent({ type, pod: toKubePod(obj) });
        },
        () => {},
      );
      return () => ctl.abort();
    },
    async watchEvents(ns, onEvent) {
      const ctl = await new Watch(kc).watch(
        `/api/v1/namespaces/${ns}/events`,
        {},
        (type, ev: { reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } }) => {
          if (type === 'ADDED')
            onEvent({ object: `${ev.involvedObject?.kind ?? '?'}/${ev.involvedObject?.name ?? '?'}`, reason: ev.reason ?? '', message: ev.message ?? '' });
        },
        () => {},
      );
      return () => ctl.abort();
    },
  };
}
