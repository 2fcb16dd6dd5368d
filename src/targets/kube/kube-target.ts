// The kube target: the manifests' StatefulSet in a real cluster (kind, or an existing one), reached
// through port-forwards that follow the pods, with Sentinel's announced names resolved to them.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentModel, ManifestObject } from '../../config/manifests.ts';
import { setDirective } from '../../config/redis-conf.ts';
import { HarnessError } from '../../errors.ts';
import { onInterrupt } from '../../process/interrupt.ts';
import { waitForConvergence } from '../convergence.ts';
import type { ConfigOverrides } from '../local/local-target.ts';
import type { Pod, StartedDeployment } from '../target.ts';
import { AddressBook, installResolver } from './address-book.ts';
import type { KubeApi, NodeShell } from './api.ts';
import type { FaultBackendName } from './backends/backend.ts';
import { chaosMeshBackend } from './backends/chaos-mesh.ts';
import { kindNodeBackend } from './backends/kind-node.ts';
import { backendOps, createControls, createNetwork, createSecretPassword, PodCache, podSelectorOf } from './controls.ts';
export { podSelectorOf } from './controls.ts';
import { PodForwarder } from './forwarder.ts';
import { claimsOfPod, kubeScale } from './scale.ts';
import { PodEventTracker, type PodTimelineEvent } from './pod-events.ts';
import { prepareKubeSecurity } from './secure.ts';

export const FIELD_MANAGER = 'sentinel-chaos';

export interface KubeOptions {
  model: DeploymentModel;
  api: KubeApi;
  /** kind: docker exec into node containers; null for an existing cluster. */
  nodeShell: NodeShell | null;
  /** Name of the target in reports: kind or kube. */
  target: 'kind' | 'kube';
  /** Third octet of the loopback addresses the forwards listen on: pod i on 127.0.<subnet>.<i+1>. */
  subnet: number;
  overrides?: ConfigOverrides;
  /** Apply manifests whose objects already exist too (kind: the cluster is the harness's); otherwise leave them as they are. */
  applyExisting: boolean;
  /** Leave what the harness created in place on down(). */
  keep: boolean;
  rolloutTimeoutMs?: number;
  convergeTimeoutMs?: number;
  /** Extra facts for describe() (cluster, context). */
  facts?: Record<string, string>;
  /** Which fault backend kills containers, pauses and partitions (resolved: auto already decided). */
  faultBackend?: FaultBackendName;
  /** The run id: Chaos Mesh objects are labelled with it. */
  runId?: string;
  /** Called after everything the harness created was removed (kind: delete the cluster). */
  afterDown?: () => Promise<void>;
}

export const KUBE_DEFAULTS = { rolloutTimeoutMs: 300_000, convergeTimeoutMs: 60_000, readyTimeoutMs: 180_000, pollMs: 250 } as const;

const isPlaceholder = (v: string | null) => v === null;

/**
 * The manifest objects as the harness applies them: the Secret gets a generated password when the
 * manifest holds a placeholder, the sentinel ConfigMap gets explicit overrides. Pure; the password is
 * returned separately and never logged.
 */
export function prepareObjects(
  model: DeploymentModel,
  overrides: ConfigOverrides | undefined,
  generated: string,
): { objects: ManifestObject[]; password: string } {
  const password = isPlaceholder(model.password.value) ? generated : model.password.value!;
  // The harness works in the manifests' namespace only.
  const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'StorageClass', 'PriorityClass']);
  for (const o of model.objects) {
    if (!CLUSTER_SCOPED.has(o.kind) && o.metadata.namespace !== model.namespace) {
      throw new HarnessError(
        'MANIFEST_INVALID',
        `${o.__file}: ${o.kind}/${o.metadata.name} is in namespace ${o.metadata.namespace ?? '(none)'}, not ${model.namespace}: the kind and kube targets work in the manifests' namespace only (set metadata.namespace)`,
      );
    }
    if (o.kind === 'Namespace' && o.metadata.name !== model.namespace)
      throw new HarnessError(
        'MANIFEST_INVALID',
        `${o.__file}: a second Namespace ${o.metadata.name}: the kind and kube targets work in ${model.namespace} only`,
      );
  }
  const objects = model.objects.map((o) => {
    if (o.kind === 'Secret' && o.metadata.name === model.password.secret) {
      const { data: _d, ...rest } = o as ManifestObject & { data?: unknown; stringData?: Record<string, string> };
      return { ...rest, stringData: { ...(rest.stringData ?? {}), [model.password.key]: password } } as ManifestObject;
    }
    if (o.kind === 'ConfigMap' && o.metadata.name === model.sentinelConf.configMap && overrides?.sentinel) {
      let text = model.sentinelConf.text;
      for (const [k, v] of Object.entries(overrides.sentinel)) text = setDirective(text, ['sentinel', k, model.masterName], v);
      return { ...o, data: { ...(o.data as Record<string, string>), [model.sentinelConf.key]: text } } as ManifestObject;
    }
    if (o.kind === 'ConfigMap' && o.metadata.name === model.redisConf.configMap && overrides?.redis) {
      let text = model.redisConf.text;
      for (const [k, v] of Object.entries(overrides.redis)) text = setDirective(text, [k], v);
      return { ...o, data: { ...(o.data as Record<string, string>), [model.redisConf.key]: text } } as ManifestObject;
    }
    return o;
  });
  return { objects, password };
}

/** Apply each object that does not exist (or every one, with applyExisting); returns those it created. Removes them again if one fails. */
export async function applyManifests(
  api: KubeApi,
  objects: readonly ManifestObject[],
  applyExisting: boolean,
  log: (line: string) => void,
): Promise<ManifestObject[]> {
  const created: ManifestObject[] = [];
  try {
    for (const o of objects) {
      const exists = await api.objectExists(o);
      if (exists && !applyExisting) {
        log(`${o.kind}/${o.metadata.name} exists: used as it is, not modified`);
        continue;
      }
      await api.apply(o, FIELD_MANAGER);
      if (!exists) created.push(o);
    }
    return created;
  } catch (e) {
    await deleteCreated(api, created);
    throw e;
  }
}

/**
 * The PersistentVolumeClaims a StatefulSet the harness created made for its pods (the controller
 * leaves them behind when the StatefulSet goes): put before the created objects, so they are deleted after them.
 */
export function claimsOf(model: DeploymentModel, created: readonly ManifestObject[]): ManifestObject[] {
  return created.some((o) => o.kind === 'StatefulSet') ? model.podNames.flatMap((pod) => claimsOfPod(model, pod)) : [];
}

/** Delete what the harness created, newest first; never anything else. */
export async function deleteCreated(api: KubeApi, created: readonly ManifestObject[]): Promise<void> {
  for (const o of [...created].reverse()) await api.deleteObject(o).catch(() => {});
}

/** Rollout: every replica of the StatefulSet ready and on the update revision, bounded. */
async function waitForRollout(api: KubeApi, model: DeploymentModel, rolloutMs: number): Promise<void> {
  const ns = model.namespace;
  const deadline = performance.now() + rolloutMs;
  for (;;) {
    const sts = await api.getStatefulSet(ns, model.statefulSet);
    if (
      sts &&
      sts.replicas === model.replicas &&
      sts.readyReplicas >= sts.replicas &&
      sts.updatedReplicas >= sts.replicas &&
      sts.currentRevision === sts.updateRevision
    )
      return;
    if (performance.now() > deadline)
      throw new HarnessError(
        'TIMEOUT',
        `StatefulSet ${ns}/${model.statefulSet} not rolled out within ${rolloutMs} ms (${sts ? `${sts.readyReplicas}/${sts.replicas} ready` : 'not found'}): kubectl -n ${ns} describe statefulset ${model.statefulSet}`,
      );
    await sleep(KUBE_DEFAULTS.pollMs);
  }
}

interface Forwarding {
  /** The deployment's pods, changed in place by scaling. */
  pods: Pod[];
  forwarders: Map<string, PodForwarder>;
  book: AddressBook;
  local: (i: number) => string;
  /** Forward pod `name` (ordinal i) and add it to `pods`. */
  add(i: number, name: string): Promise<Pod>;
  /** Close a removed pod's forward and drop it from `pods`. */
  remove(name: string): Promise<void>;
}

/** One port-forward per pod on 127.0.<subnet>.<i+1>, Sentinel's announced names mapped to them. */
async function forwardPods(opts: KubeOptions, cache: PodCache, cleanups: Array<() => Promise<void>>): Promise<Forwarding> {
  const { model, api } = opts;
  const ns = model.namespace;
  const book = new AddressBook();
  const dnsSuffix = `${model.headlessService}.${ns}.svc.cluster.local`;
  const local = (i: number) => `127.0.${opts.subnet}.${i + 1}`;
  const forwarders = new Map<string, PodForwarder>();
  const pods: Pod[] = [];
  const add = async (i: number, name: string): Promise<Pod> => {
    const p = await api.getPod(ns, name);
    cache.set(name, p);
    const fqdn = `${name}.${dnsSuffix}`;
    book.set({
      pod: name,
      names: [fqdn, `${name}.${model.headlessService}`, `${name}.${model.headlessService}.${ns}`, ...(p?.podIP ? [p.podIP] : [])],
      local: local(i),
    });
    const f = new PodForwarder(api, ns, name, local(i), [model.redisPort, model.sentinelPort]);
    await f.start().catch((e: Error) => {
      throw new HarnessError('PORT_BUSY', `cannot listen on ${local(i)} for the port-forward of ${name}: ${e.message} (pick other addresses with --subnet N)`);
    });
    forwarders.set(name, f);
    const pod: Pod = {
      name,
      ordinal: i,
      node: p?.nodeName ?? '(not scheduled)',
      redis: { host: fqdn, port: model.redisPort },
      sentinel: { host: fqdn, port: model.sentinelPort },
    };
    pods.push(pod);
    return pod;
  };
  const remove = async (name: string) => {
    await forwarders.get(name)?.close();
    forwarders.delete(name);
    const i = pods.findIndex((p) => p.name === name);
    if (i >= 0) pods.splice(i, 1);
  };
  cleanups.push(async () => {
    for (const f of forwarders.values()) await f.close().catch(() => {});
  });
  for (const [i, name] of model.podNames.entries()) await add(i, name);
  const uninstall = installResolver(book);
  cleanups.push(async () => uninstall());
  return { pods, forwarders, book, local, add, remove };
}

/** Pod watch (cache, addresses, nodes, the timeline) and the cluster's events. */
async function watchDeployment(opts: KubeOptions, cache: PodCache, fw: Forwarding, tracker: PodEventTracker, cleanups: Array<() => Promise<void>>) {
  const { model, api } = opts;
  const stopWatch = await api.watchPods(model.namespace, podSelectorOf(model), (e) => {
    cache.set(e.pod.name, e.type === 'DELETED' ? null : e.pod);
    // Pods added by a scale-out are in fw.pods too.
    const pod = fw.pods.find((x) => x.name === e.pod.name);
    if (pod && e.pod.podIP) fw.book.addName(e.pod.podIP, fw.local(pod.ordinal));
    if (pod && e.pod.nodeName) pod.node = e.pod.nodeName;
    tracker.onPod(e);
  });
  cleanups.push(async () => stopWatch());
  const stopEvents = await api.watchEvents(model.namespace, (e) => tracker.onClusterEvent(e));
  cleanups.push(async () => stopEvents());
}

/** The controls over the chosen fault backend, their heals registered as cleanups. */
function faultControls(opts: KubeOptions, cache: PodCache, fw: Forwarding, cleanups: Array<() => Promise<void>>) {
  const { model, api } = opts;
  const deps = {
    api,
    namespace: model.namespace,
    model,
    nodeShell: opts.nodeShell,
    pollMs: KUBE_DEFAULTS.pollMs,
    readyTimeoutMs: KUBE_DEFAULTS.readyTimeoutMs,
    runId: opts.runId ?? 'run',
  };
  const ops = backendOps(deps, cache);
  const kindNode = kindNodeBackend(deps, ops);
  const backend =
    opts.faultBackend === 'chaos-mesh'
      ? chaosMeshBackend(deps, ops, { runId: opts.runId ?? 'run', nodeFallback: opts.nodeShell ? kindNode : null, podSelector: podSelectorOf(model) })
      : kindNode;
  const controls = createControls(deps, cache, backend);
  const majorityClientAddress = `127.0.${opts.subnet}.200`;
  const network = createNetwork(
    deps,
    {
      majorityClientAddress,
      blockMajority: (pod, on) => (on ? fw.forwarders.get(pod)?.block(majorityClientAddress) : fw.forwarders.get(pod)?.unblock(majorityClientAddress)),
    },
    backend,
  );
  cleanups.push(
    () => controls.restoreStrategy(),
    () => controls.uncordonAll(),
    () => controls.volumes.healAll(),
    () => controls.resumeAll(),
    () => network.healAll(),
  );
  return { controls, network, backend };
}

export async function startKubeDeployment(opts: KubeOptions): Promise<StartedDeployment> {
  const { model, api } = opts;
  const ns = model.namespace;
  const log = (line: string) => process.stderr.write(`${opts.target}: ${line}\n`);
  // A Secret already in the cluster keeps its password: running pods were started with it (--reuse).
  const generated = (await api.readSecretKey(ns, model.password.secret, model.password.key).catch(() => null)) ?? randomBytes(24).toString('base64url');
  const prepared = prepareObjects(model, opts.overrides, generated).objects;
  // The secure profile: its Secrets' material made here (never printed) or read from the cluster's Secrets.
  let podsNow: () => readonly string[] = () => model.podNames;
  const security = await prepareKubeSecurity({ api, model, pods: () => podsNow(), log, keepFiles: opts.keep && !opts.afterDown });
  const objects = security ? security.fill(prepared) : prepared;
  const created = await applyManifests(api, objects, opts.applyExisting, log).catch(async (e: unknown) => {
    await security?.close(false);
    throw e;
  });
  const cleanups: Array<() => Promise<void>> = [];
  let downed = false;
  const teardown = async () => {
    if (downed) return;
    downed = true;
    unregister();
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await security?.close(opts.keep && !opts.afterDown).catch(() => {});
    if (!opts.keep) await deleteCreated(api, [...claimsOf(model, created), ...created]);
    if (opts.afterDown) {
      log('deleting the cluster this run created (should this be cut short: kind delete cluster --name <name in kind-config.yaml>)');
      await opts.afterDown();
    }
  };
  const unregister = onInterrupt(teardown);
  try {
    const secret = await api.readSecretKey(ns, model.password.secret, model.password.key);
    if (secret === null)
      throw new HarnessError(
        'TARGET_UNAVAILABLE',
        `Secret ${ns}/${model.password.secret} has no key ${model.password.key}: create it (kubectl -n ${ns} create secret generic ${model.password.secret} --from-literal=${model.password.key}=...)`,
      );
    const secretPw = createSecretPassword(api, ns, model, secret);
    security?.login();
    await waitForRollout(api, model, opts.rolloutTimeoutMs ?? KUBE_DEFAULTS.rolloutTimeoutMs);

    const cache = new PodCache();
    const tracker = new PodEventTracker();
    const fw = await forwardPods(opts, cache, cleanups);
    podsNow = () => fw.pods.map((p) => p.name);
    await watchDeployment(opts, cache, fw, tracker, cleanups);
    const { controls, network, backend } = faultControls(opts, cache, fw, cleanups);

    const { pods, local } = fw;
    await waitForConvergence(
      { pods, password: secretPw.password, masterName: model.masterName },
      { timeoutMs: opts.convergeTimeoutMs ?? KUBE_DEFAULTS.convergeTimeoutMs },
    );
    const version = (await api.exec(ns, model.podNames[0]!, model.redis.name, ['redis-server', '--version'])).stdout.trim();
    const downAfter = Number(opts.overrides?.sentinel?.['down-after-milliseconds'] ?? model.downAfterMs);

    return {
      target: opts.target,
      model,
      pods,
      get password() {
        return secretPw.password;
      },
      passwords: secretPw.passwords,
      setPassword: (next: string) => secretPw.setPassword(next),
      downAfterMs: downAfter,
      podControl: controls.podControl,
      faultBackend: backend.name,
      nodes: controls.nodes,
      pause: controls.pause,
      network,
      volumes: controls.volumes,
      scale: kubeScale({
        api,
        model,
        pods,
        add: fw.add,
        remove: fw.remove,
        ...(security ? { preparePods: (names: readonly string[]) => security.preparePods(names) } : {}),
        pollMs: KUBE_DEFAULTS.pollMs,
        readyTimeoutMs: KUBE_DEFAULTS.readyTimeoutMs,
      }),
      // Only the chaos-mesh backend has these; without them the faults needing them are skipped with the reason.
      ...(backend.dns ? { dns: backend.dns } : {}),
      ...(backend.clock ? { clock: backend.clock } : {}),
      ...(backend.stress ? { stress: backend.stress } : {}),
      podEvents: { subscribe: (fn: (e: PodTimelineEvent) => void) => tracker.subscribe(fn) },
      // Clients reach a pod at its forward's address; the topology knows it by its FQDN.
      nodeIdentity: (node: string) => fw.book.identify(node),
      redisVersion: version,
      describe: () => ({
        ...opts.facts,
        namespace: ns,
        measured_through: "port-forwards that follow the pods (client-node PortForward per connection), Sentinel's announced pod names resolved to them",
        forward_addresses: pods.map((p, i) => `${p.name}=${local(i)}`).join(' '),
        created_objects: created.map((o) => `${o.kind}/${o.metadata.name}`).join(' ') || 'none',
        kill_semantics: 'pod delete, grace 0; the StatefulSet recreates the pod at once',
        fault_backend: backend.name,
        ...security?.describe(),
      }),
      ...(security ? { credentials: security.credentials } : {}),
      ...(security?.tls ? { tls: security.tls } : {}),
      down: teardown,
      [Symbol.asyncDispose]: teardown,
    };
  } catch (e) {
    await teardown();
    throw e;
  }
}
