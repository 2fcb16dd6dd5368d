// A recording fake of the Kubernetes API and of the kind nodes' shells: it keeps pods, their readiness
// and the StatefulSet controller's recreation, answers evictions through a PDB, and records every call.
import type { Duplex } from 'node:stream';
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { ManifestObject } from '../../src/config/manifests.ts';
import type {
  ClusterEvent,
  CustomObject,
  CustomObjectRef,
  CustomObjectState,
  EvictionAnswer,
  ExecBytesResult,
  ExecResult,
  KubeApi,
  KubePod,
  NodeShell,
  KubeNode,
  PodObject,
  PodWatchEvent,
  StatefulSetInfo,
} from '../../src/targets/kube/api.ts';
import { selectedPods } from '../../src/targets/kube/backends/chaos-mesh-objects.ts';
import { WAIT_SCRIPT } from '../../src/targets/kube/volumes.ts';

let uids = 0;
const newUid = () => `uid-${++uids}`;

export interface FakeOptions {
  pods: string[];
  /** PDB minAvailable (ready pods that must remain after an eviction). */
  minAvailable?: number;
  /** A recreated pod turns Ready after this many GETs of it (0: at once). */
  readyAfterGets?: number;
  /** Namespaces that exist. */
  namespaces?: string[];
  /** Objects that exist before the harness applies anything ("Kind/name"). */
  existing?: string[];
  /** Make apply fail for this "Kind/name". */
  failApply?: string;
  /** Called when a pod is deleted or evicted (the kubelet kills its processes). */
  onDelete?: (pod: string) => void;
  /** Where portForward connects (a local TCP server standing in for the pod's port). */
  forwardTo?: (pod: string, port: number) => { host: string; port: number };
  /** Pods that do not carry the StatefulSet's labels: a labelled listPods leaves them out. */
  unlabelled?: string[];
  /** Installed CRDs by name (e.g. networkchaos.chaos-mesh.org). */
  crds?: string[];
  /** A created custom object reports AllInjected after this many GETs (0: at the first; Infinity: never). */
  injectedAfterGets?: number;
  /** A deleted custom object stays (finalizer held) for this many GETs (Infinity: the controller never recovers it). */
  finalizerGets?: number;
  /** The Chaos Mesh controller is gone: the cleanFinalizer=forced annotation is not acted on either (only a finalizer patch frees the object). */
  controllerGone?: boolean;
  /** The claims' volumes are pinned to their pod's node (kind's local-path; the default); false: network-attached (no pin). */
  pinnedVolumes?: boolean;
  /** A helper pod completes after this many GETs of it (default 1). */
  helperGets?: number;
  /** A helper pod ends Failed instead of Succeeded. */
  helperFails?: boolean;
  /** What a helper pod's log holds. */
  helperLog?: string;
  /** Nodes cordoned before the run (by someone else). */
  cordoned?: string[];
  /** What an execBytes answers (default: exit 0, no output); tests plug in a real shell on a temp dir standing for the claim. */
  execBytes?: (pod: string, container: string, command: readonly string[], stdin: Buffer | null) => Promise<ExecBytesResult>;
  /** Where each Secret is mounted in the pods (mount path ► Secret name): `sha256sum` through exec reads the pod's copy. */
  secretMounts?: Record<string, string>;
  /** The kubelet: a pod's mounted copy of a patched Secret is refreshed after this many sha256sum execs in that pod (default 0; Infinity: never). */
  refreshAfterExecs?: number;
  /** The password Secret's name (its keys are `secret`); default redis-password. */
  passwordSecret?: string;
}

/** A pod the harness created itself (the volume helper): its object and its progress. */
export interface FakeHelperPod {
  obj: PodObject;
  gets: number;
}

/** A custom object the fake holds: what was created, and the controller's progress on it. */
export interface FakeCustomObject {
  plural: string;
  obj: CustomObject;
  gets: number;
  deleting: boolean;
  deleteGets: number;
  annotations: Record<string, string>;
  finalizers: string[];
}

export class FakeKube implements KubeApi {
  readonly context = 'kind-fake';
  readonly calls: string[] = [];
  readonly pods = new Map<string, KubePod>();
  /** Every Secret's keys by name; `secret` is the password Secret's. */
  readonly secrets = new Map<string, Record<string, string>>();
  readonly secret: Record<string, string> = {};
  /** The kubelet's copy of each Secret in each pod ("pod/secret"), and how many sha256sum execs until it is refreshed. */
  private readonly mounted = new Map<string, { data: Record<string, string>; lag: number }>();
  sts: StatefulSetInfo = {
    replicas: 3,
    readyReplicas: 3,
    updatedReplicas: 3,
    currentRevision: 'r1',
    updateRevision: 'r1',
    images: { redis: 'redis:7.0.15-alpine' },
    updateStrategy: 'RollingUpdate',
  };
  private readonly o: FakeOptions;
  private readonly pendingGets = new Map<string, number>();
  private readonly existing: Set<string>;
  private readonly watchers = new Set<(e: PodWatchEvent) => void>();
  private nextPid = 1000;
  /** Custom objects by "plural/name". */
  readonly custom = new Map<string, FakeCustomObject>();
  readonly nodes = new Map<string, KubeNode>();
  readonly helpers = new Map<string, FakeHelperPod>();
  /** Pods recreated while their (pinned) volume's node was cordoned: Pending, unscheduled, until the uncordon. */
  private readonly heldOn = new Map<string, string>();

  constructor(o: FakeOptions) {
    this.o = o;
    this.existing = new Set(o.existing ?? []);
    this.secrets.set(o.passwordSecret ?? 'redis-password', this.secret);
    o.pods.forEach((name, i) => this.pods.set(name, this.pod(name, `worker-${i + 1}`, `10.244.${i + 1}.5`, true)));
    o.pods.forEach((_n, i) => {
      const node = `worker-${i + 1}`;
      this.nodes.set(node, { name: node, unschedulable: (o.cordoned ?? []).includes(node), annotations: {} });
    });
  }

  private pod(name: string, node: string | null, ip: string | null, ready: boolean): KubePod {
    return {
      name,
      uid: newUid(),
      phase: ready ? 'Running' : 'Pending',
      ready,
      nodeName: node,
      podIP: ip,
      deleting: false,
      containers: ['redis', 'sentinel'].map((c) => ({
        name: c,
        id: ready ? `containerd://${name}-${c}-${this.nextPid++}` : null,
        ready,
        running: ready,
        restarts: 0,
      })),
    };
  }

  /** The StatefulSet controller: the pod comes back at once under the same name, ready after a few GETs. */
  private recreate(name: string): void {
    const old = this.pods.get(name)!;
    this.o.onDelete?.(name);
    this.emit({ type: 'DELETED', pod: old });
    const wait = this.o.readyAfterGets ?? 0;
    // The scheduler: a pod whose volume is pinned to a cordoned node cannot go anywhere (Pending, no node).
    if (old.nodeName && this.o.pinnedVolumes !== false && this.nodes.get(old.nodeName)?.unschedulable) {
      const held = { ...this.pod(name, null, null, false), phase: 'Pending' };
      this.pods.set(name, held);
      this.heldOn.set(name, old.nodeName);
      this.emit({ type: 'ADDED', pod: held });
      return;
    }
    const p = this.pod(name, old.nodeName, old.podIP, wait === 0);
    this.pods.set(name, p);
    this.pendingGets.set(name, wait);
    this.emit({ type: 'ADDED', pod: p });
  }

  /** The scheduler after an uncordon: pods held for this node are bound to it, ready after readyAfterGets GETs. */
  private schedule(node: string): void {
    for (const [name, on] of [...this.heldOn]) {
      if (on !== node) continue;
      this.heldOn.delete(name);
      const wait = this.o.readyAfterGets ?? 0;
      const i = Number(node.split('-').at(-1));
      const p = this.pod(name, node, `10.244.${i}.5`, wait === 0);
      this.pods.set(name, { ...p, uid: this.pods.get(name)!.uid });
      this.pendingGets.set(name, wait);
      this.emit({ type: 'MODIFIED', pod: this.pods.get(name)! });
    }
  }

  private emit(e: PodWatchEvent): void {
    for (const w of this.watchers) w(e);
  }

  readyCount(except?: string): number {
    return [...this.pods.values()].filter((p) => p.name !== except && p.ready && !p.deleting).length;
  }

  async serverVersion() {
    this.calls.push('version');
    return 'v1.31.2';
  }
  async namespaceExists(ns: string) {
    this.calls.push(`get namespace ${ns}`);
    return (this.o.namespaces ?? ['matrix']).includes(ns);
  }
  async getPod(_ns: string, name: string) {
    const h = this.helpers.get(name);
    if (h) return this.helperState(h);
    const p = this.pods.get(name);
    if (!p) return null;
    const left = this.pendingGets.get(name) ?? 0;
    if (left > 0) {
      this.pendingGets.set(name, left - 1);
      if (left === 1) {
        const ready: KubePod = {
          ...p,
          ready: true,
          phase: 'Running',
          containers: p.containers.map((c) => ({ ...c, ready: true, running: true, id: `containerd://${name}-${c.name}-${this.nextPid++}` })),
        };
        this.pods.set(name, ready);
        this.emit({ type: 'MODIFIED', pod: ready });
        return ready;
      }
    }
    return p;
  }
  async listPods(_ns: string, labelSelector: string) {
    if (labelSelector.includes('volume-helper')) {
      const want = labelSelector.split(',').map((kv) => kv.split('=') as [string, string]);
      return [...this.helpers.values()].filter((h) => want.every(([k, v]) => h.obj.metadata.labels[k] === v)).map((h) => this.helperState(h, false));
    }
    return [...this.pods.values()].filter((p) => !labelSelector || !(this.o.unlabelled ?? []).includes(p.name));
  }
  async deletePod(_ns: string, name: string, grace: number) {
    this.calls.push(`delete pod ${name} grace=${grace}`);
    if (this.helpers.delete(name)) return;
    if (!this.pods.has(name)) return;
    this.recreate(name);
  }
  async evictPod(_ns: string, name: string): Promise<EvictionAnswer> {
    const min = this.o.minAvailable ?? 2;
    if (this.readyCount(name) < min) {
      this.calls.push(`evict ${name} -> 429`);
      return { evicted: false, status: 429, reason: "Cannot evict pod as it would violate the pod's disruption budget.", cause: 'DisruptionBudget' };
    }
    this.calls.push(`evict ${name} -> 201`);
    this.recreate(name);
    return { evicted: true };
  }
  async getNode(name: string) {
    const n = this.nodes.get(name);
    return n ? structuredClone(n) : null;
  }
  async listNodes() {
    this.calls.push('list nodes');
    return [...this.nodes.values()].map((n) => structuredClone(n));
  }
  async patchNode(name: string, patch: { unschedulable: boolean; annotations: Record<string, string | null> }) {
    this.calls.push(`${patch.unschedulable ? 'cordon' : 'uncordon'} ${name}`);
    const n = this.nodes.get(name);
    if (!n) throw new Error(`node ${name} not found`);
    n.unschedulable = patch.unschedulable;
    for (const [k, v] of Object.entries(patch.annotations)) {
      if (v === null) delete n.annotations[k];
      else n.annotations[k] = v;
    }
    if (!n.unschedulable) this.schedule(name);
  }
  async createPod(_ns: string, pod: PodObject) {
    const name = pod.metadata.name;
    if (this.helpers.has(name) || this.pods.has(name)) throw new Error(`pod ${name} already exists`);
    const spec = pod.spec as { nodeName?: string; volumes?: Array<{ persistentVolumeClaim?: { claimName?: string } }> };
    this.calls.push(`create pod ${name} on ${spec.nodeName} claim ${spec.volumes?.[0]?.persistentVolumeClaim?.claimName}`);
    this.helpers.set(name, { obj: structuredClone(pod), gets: 0 });
  }
  private helperState(h: FakeHelperPod, count = true): KubePod {
    if (count) h.gets++;
    const done = h.gets >= (this.o.helperGets ?? 1);
    // A helper that waits to be exec'd into runs until deleted (or its deadline); the others run their script to the end.
    const waits = (h.obj.spec as { containers: Array<{ command: string[] }> }).containers[0]!.command.includes(WAIT_SCRIPT);
    return {
      name: h.obj.metadata.name,
      uid: `helper-${h.obj.metadata.name}`,
      phase: done ? (this.o.helperFails ? 'Failed' : waits ? 'Running' : 'Succeeded') : 'Pending',
      ready: false,
      nodeName: (h.obj.spec as { nodeName: string }).nodeName,
      podIP: null,
      deleting: false,
      containers: [],
    };
  }
  async podLog(_ns: string, name: string, container: string) {
    this.calls.push(`log ${name}/${container}`);
    return this.o.helperLog ?? '';
  }
  async claimPinnedNodes(_ns: string, claim: string) {
    if (this.o.pinnedVolumes === false) return null;
    const pod = claim.replace(/^data-/, '');
    const node = this.pods.get(pod)?.nodeName ?? this.heldOn.get(pod);
    return node ? [node] : null;
  }
  async getStatefulSet() {
    return this.sts;
  }
  async getServiceClusterIP(ns: string, name: string) {
    this.calls.push(`get service ${ns}/${name}`);
    return ns === 'kube-system' && name === 'kube-dns' ? '10.96.0.10' : null;
  }
  /** The StatefulSet controller on a scale: pods with the next ordinals (ready after readyAfterGets GETs), or the highest ones deleted. */
  async scaleStatefulSet(_ns: string, name: string, replicas: number) {
    this.calls.push(`scale statefulset ${name} replicas=${replicas}`);
    const current = [...this.pods.keys()].filter((n) => n.startsWith(`${name}-`)).length;
    for (let i = current; i < replicas; i++) {
      const pod = `${name}-${i}`;
      const wait = this.o.readyAfterGets ?? 0;
      this.pods.set(pod, this.pod(pod, `worker-${(i % 3) + 1}`, `10.244.${i + 1}.5`, wait === 0));
      this.pendingGets.set(pod, wait);
      this.emit({ type: 'ADDED', pod: this.pods.get(pod)! });
    }
    for (let i = current - 1; i >= replicas; i--) {
      const pod = this.pods.get(`${name}-${i}`)!;
      this.pods.delete(pod.name);
      this.o.onDelete?.(pod.name);
      this.emit({ type: 'DELETED', pod });
    }
    this.sts = { ...this.sts, replicas, readyReplicas: replicas, updatedReplicas: replicas };
  }
  async patchStatefulSet(_ns: string, name: string, patch: object) {
    this.calls.push(`patch statefulset ${name} ${JSON.stringify(patch)}`);
  }
  /** The Secret's keys (created empty on first use). */
  secretData(name: string): Record<string, string> {
    let d = this.secrets.get(name);
    if (!d) this.secrets.set(name, (d = {}));
    return d;
  }
  async patchSecretData(_ns: string, name: string, data: Record<string, string>) {
    // Every pod's copy is the Secret as it was until the kubelet refreshes it.
    const before = { ...this.secretData(name) };
    for (const pod of this.pods.keys()) if (!this.mounted.has(`${pod}/${name}`)) this.mounted.set(`${pod}/${name}`, { data: before, lag: 0 });
    Object.assign(this.secretData(name), data);
    this.calls.push(`patch secret ${name} keys=${Object.keys(data).join(',')}`);
    for (const [k, m] of this.mounted) if (k.endsWith(`/${name}`)) m.lag = this.o.refreshAfterExecs ?? 0;
  }
  async readSecretKey(_ns: string, name: string, key: string) {
    return this.secrets.get(name)?.[key] ?? null;
  }
  /** `sha256sum -- FILES` in a pod: the hashes of its mounted copies; each exec brings a stale copy one step nearer its refresh. */
  private sha256sum(pod: string, files: readonly string[]): ExecResult {
    const mounts = this.o.secretMounts ?? {};
    const copies = new Map<string, { data: Record<string, string>; lag: number }>();
    const lines: string[] = [];
    for (const f of files) {
      const mount = Object.keys(mounts).find((m) => f.startsWith(`${m}/`));
      if (!mount) return { code: 1, stdout: '', stderr: `sha256sum: ${f}: No such file or directory` };
      const secret = mounts[mount]!;
      const key = `${pod}/${secret}`;
      let m = this.mounted.get(key);
      if (!m) this.mounted.set(key, (m = { data: { ...this.secretData(secret) }, lag: 0 }));
      copies.set(key, m);
      const v = m.lag <= 0 ? this.secretData(secret)[f.slice(mount.length + 1)] : m.data[f.slice(mount.length + 1)];
      if (v === undefined) return { code: 1, stdout: '', stderr: `sha256sum: ${f}: No such file or directory` };
      lines.push(`${createHash('sha256').update(v).digest('hex')}  ${f}`);
    }
    for (const [key, m] of copies) {
      if (m.lag <= 0) m.data = { ...this.secretData(key.split('/')[1]!) };
      else m.lag--;
    }
    return { code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' };
  }
  async objectExists(obj: ManifestObject) {
    return this.existing.has(`${obj.kind}/${obj.metadata.name}`);
  }
  async apply(obj: ManifestObject, fieldManager: string) {
    const id = `${obj.kind}/${obj.metadata.name}`;
    if (this.o.failApply === id) throw new Error(`apply ${id} refused`);
    this.calls.push(`apply ${id} manager=${fieldManager}`);
    this.existing.add(id);
    // The API server turns stringData into data: the Secret then holds the applied value.
    if (obj.kind === 'Secret') Object.assign(this.secretData(obj.metadata.name), (obj as { stringData?: Record<string, string> }).stringData ?? {});
  }
  async deleteObject(obj: ManifestObject) {
    this.calls.push(`delete ${obj.kind}/${obj.metadata.name}`);
  }
  async exec(_ns: string, pod: string, container: string, command: readonly string[]): Promise<ExecResult> {
    this.calls.push(`exec ${pod}/${container} ${command.join(' ')}`);
    if (command[0] === 'sha256sum') return this.sha256sum(pod, command.slice(2));
    return { code: 0, stdout: '', stderr: '' };
  }
  async execBytes(_ns: string, pod: string, container: string, command: readonly string[], stdin: Buffer | null): Promise<ExecBytesResult> {
    // The script itself is long: the call names the pod, the container, the script's arguments and the bytes sent.
    this.calls.push(`stream ${pod}/${container} [${command.slice(3).join(' ')}] stdin=${stdin?.length ?? 0}`);
    return this.o.execBytes ? this.o.execBytes(pod, container, command, stdin) : { code: 0, stdout: Buffer.alloc(0), stderr: '' };
  }
  async portForward(_ns: string, pod: string, port: number, socket: Duplex) {
    this.calls.push(`port-forward ${pod}:${port}`);
    const to = this.o.forwardTo?.(pod, port);
    if (!to) throw new Error('no forward target');
    const upstream = net.connect(to.port, to.host);
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
    return () => upstream.destroy();
  }
  async watchPods(_ns: string, _sel: string, onEvent: (e: PodWatchEvent) => void) {
    this.watchers.add(onEvent);
    return () => this.watchers.delete(onEvent);
  }
  async watchEvents(_ns: string, _onEvent: (e: ClusterEvent) => void) {
    return () => {};
  }
  async crdExists(name: string) {
    this.calls.push(`get crd ${name}`);
    return (this.o.crds ?? []).includes(name);
  }
  async createCustomObject(ref: Omit<CustomObjectRef, 'name'>, obj: CustomObject) {
    const key = `${ref.plural}/${obj.metadata.name}`;
    if (this.custom.has(key)) throw new Error(`${key} already exists`);
    this.calls.push(`create ${obj.kind}/${obj.metadata.name} in ${ref.namespace}`);
    // Chaos Mesh's container-kill: the kubelet restarts the named containers (new ID, one more restart).
    if (obj.kind === 'PodChaos' && obj.spec.action === 'container-kill') {
      for (const name of selectedPods(obj)) {
        const p = this.pods.get(name);
        if (!p) continue;
        const killed = obj.spec.containerNames as string[];
        this.pods.set(name, {
          ...p,
          containers: p.containers.map((c) =>
            killed.includes(c.name) ? { ...c, restarts: c.restarts + 1, id: `containerd://${name}-${c.name}-${this.nextPid++}` } : c,
          ),
        });
      }
    }
    this.custom.set(key, {
      plural: ref.plural,
      obj: structuredClone(obj),
      gets: 0,
      deleting: false,
      deleteGets: 0,
      annotations: {},
      finalizers: ['chaos-mesh/records'],
    });
  }
  private state(c: FakeCustomObject): CustomObjectState {
    const injected = c.gets > (this.o.injectedAfterGets ?? 0);
    return {
      name: c.obj.metadata.name,
      labels: c.obj.metadata.labels,
      annotations: c.annotations,
      finalizers: c.finalizers,
      deleting: c.deleting,
      conditions: { Selected: 'True', AllInjected: injected && !c.deleting ? 'True' : 'False', AllRecovered: c.deleting ? 'True' : 'False' },
      recordPhases: [injected && !c.deleting ? 'Injected' : 'Not Injected'],
      pods: selectedPods(c.obj),
    };
  }
  async getCustomObject(ref: CustomObjectRef) {
    const key = `${ref.plural}/${ref.name}`;
    const c = this.custom.get(key);
    if (!c) return null;
    c.gets++;
    // The controller drops its finalizer when asked to (cleanFinalizer=forced) unless it is gone; without finalizers a deleted object goes.
    if (c.deleting && c.annotations['chaos-mesh.chaos-mesh.org/cleanFinalizer'] === 'forced' && !this.o.controllerGone) c.finalizers = [];
    if (c.deleting && (c.finalizers.length === 0 || ++c.deleteGets > (this.o.finalizerGets ?? 0))) {
      this.custom.delete(key);
      return null;
    }
    return this.state(c);
  }
  async deleteCustomObject(ref: CustomObjectRef) {
    this.calls.push(`delete ${ref.plural}/${ref.name}`);
    const c = this.custom.get(`${ref.plural}/${ref.name}`);
    if (c) c.deleting = true;
  }
  async patchCustomObjectMetadata(ref: CustomObjectRef, metadata: { annotations?: Record<string, string>; finalizers?: null }) {
    this.calls.push(`patch ${ref.plural}/${ref.name} metadata ${JSON.stringify(metadata)}`);
    const c = this.custom.get(`${ref.plural}/${ref.name}`);
    if (!c) return;
    Object.assign(c.annotations, metadata.annotations ?? {});
    if (metadata.finalizers === null) c.finalizers = [];
  }
  /**
   * `getent hosts NAME` inside a pod answers as a cluster would with the Chaos Mesh objects in place: a timeout
   * (124) behind a NetworkChaos to the kube-dns cluster IP, not found (2) for a name a DNSChaos matches, else an address.
   */
  resolveLikeCluster(): void {
    this.exec = async (_ns, pod, c, cmd) => {
      this.calls.push(`exec ${pod}/${c} ${cmd.join(' ')}`);
      if (!cmd.includes('getent')) return { code: 0, stdout: '', stderr: '' };
      const objs = [...this.custom.values()].filter((o) => !o.deleting);
      if (objs.some((o) => o.obj.kind === 'NetworkChaos' && (o.obj.spec.externalTargets as string[] | undefined)?.includes('10.96.0.10')))
        return { code: 124, stdout: '', stderr: '' };
      const name = cmd.at(-1)!;
      const dns = objs.find((o) => o.obj.kind === 'DNSChaos' && selectedPods(o.obj).includes(pod));
      if (dns && (dns.obj.spec.patterns as string[]).some((p) => name.startsWith(p.replace(/\*$/, '')))) return { code: 2, stdout: '', stderr: '' };
      return { code: 0, stdout: `10.244.1.5      ${name}\n`, stderr: '' };
    };
  }
  async listCustomObjects(ref: Omit<CustomObjectRef, 'name'>, labelSelector: string) {
    this.calls.push(`list ${ref.plural} ${labelSelector}`);
    const want = labelSelector
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=') as [string, string]);
    return [...this.custom.values()].filter((c) => c.plural === ref.plural && want.every(([k, v]) => c.obj.metadata.labels[k] === v)).map((c) => this.state(c));
  }
}

/** The kind nodes' shells: crictl answers a pid per container, kill changes the process's state. */
export class FakeNodeShell implements NodeShell {
  readonly calls: string[] = [];
  private readonly state = new Map<number, 'R' | 'T' | 'gone'>();
  private pids = 4000;
  private readonly byContainer = new Map<string, number>();
  /** Exit code of the partition probe (124: timed out, i.e. blocked). */
  probeExit = 124;

  async exec(node: string, argv: readonly string[]): Promise<ExecResult> {
    this.calls.push(`${node}: ${argv.join(' ')}`);
    const ok = (stdout = ''): ExecResult => ({ code: 0, stdout, stderr: '' });
    if (argv[0] === 'crictl') {
      const id = argv.at(-1)!;
      if (!this.byContainer.has(id)) {
        this.byContainer.set(id, ++this.pids);
        this.state.set(this.pids, 'R');
      }
      return ok(`${this.byContainer.get(id)}\n`);
    }
    if (argv[0] === 'kill') {
      const pid = Number(argv[2]);
      this.state.set(pid, argv[1] === '-STOP' ? 'T' : argv[1] === '-CONT' ? 'R' : 'gone');
      return ok();
    }
    if (argv[0] === 'test') {
      const pid = Number(argv[2]!.split('/')[2]);
      return { code: this.state.get(pid) === 'gone' || !this.state.has(pid) ? 1 : 0, stdout: '', stderr: '' };
    }
    if (argv[0] === 'cat') {
      const pid = Number(argv[1]!.split('/')[2]);
      return ok(`${pid} (redis-server) ${this.state.get(pid) === 'T' ? 'T' : 'S'} 1 ${pid}`);
    }
    if (argv.includes('timeout')) return { code: this.probeExit, stdout: '', stderr: '' };
    return ok();
  }

  /** The pod's processes are gone (the kubelet killed them when the pod was deleted). */
  killPod(pod: string): void {
    for (const [id, pid] of this.byContainer) if (id.startsWith(`${pod}-`)) this.state.set(pid, 'gone');
  }
}

/** The pod operations kubeVolumes takes, over the fake, polling every millisecond (the tests' short bounds). */
export function fastPodOps(api: FakeKube, ns: string) {
  return {
    get: (n: string) => api.getPod(ns, n),
    must: async (n: string) => (await api.getPod(ns, n))!,
    until: async (what: string, cond: () => Promise<boolean>, ms: number) => {
      const end = performance.now() + ms;
      while (!(await cond())) {
        if (performance.now() > end) throw new Error(`${what} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 1));
      }
    },
  };
}
