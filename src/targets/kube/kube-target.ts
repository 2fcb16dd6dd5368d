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
import { backendOps, createControls, createNetwork, createSecretPassword, PodCache } from './controls.ts';
import { PodForwarder } from './forwarder.ts';
import { PodEventTracker, type PodTimelineEvent } from './pod-events.ts';

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
  const sts = created.find((o) => o.kind === 'StatefulSet');
  const templates = ((sts?.spec as { volumeClaimTemplates?: Array<{ metadata?: { name?: string } }> } | undefined)?.volumeClaimTemplates ?? [])
    .map((t) => t.metadata?.name)
    .filter((n): n is string => !!n);
  return templates.flatMap((t) =>
    model.podNames.map((pod) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${t}-${pod}`, namespace: model.namespace },
      __file: sts!.__file,
    })),
  );
}

/** Delete what the harness created, newest first; never anything else. */
export async function deleteCreated(api: KubeApi, created: readonly ManifestObject[]): Promise<void> {
  for (const o of [...created].reverse()) await api.deleteObject(o).catch(() => {});
}

// eslint-disable-next-line max-lines-per-function -- over 120 lines only as Prettier wraps it; left for a split of its own
export async function startKubeDeployment(opts: KubeOptions): Promise<StartedDeployment> {
  const { model, api } = opts;
  const ns = model.namespace;
  const log = (line: string) => process.stderr.write(`${opts.target}: ${line}\n`);
  // A Secret already in the cluster keeps its password: running pods were started with it (--reuse).
  const generated = (await api.readSecretKey(ns, model.password.secret, model.password.key).catch(() => null)) ?? randomBytes(24).toString('base64url');
  const { objects } = prepareObjects(model, opts.overrides, generated);
  const created = await applyManifests(api, objects, opts.applyExisting, log);
  const cleanups: Array<() => Promise<void>> = [];
  let downed = false;
  const teardown = async () => {
    if (downed) return;
    downed = true;
    unregister();
    for (const c of cleanups.reverse()) await c().catch(() => {});
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

    // Rollout: every replica of the StatefulSet ready.
    const rolloutMs = opts.rolloutTimeoutMs ?? KUBE_DEFAULTS.rolloutTimeoutMs;
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
        break;
      if (performance.now() > deadline)
        throw new HarnessError(
          'TIMEOUT',
          `StatefulSet ${ns}/${model.statefulSet} not rolled out within ${rolloutMs} ms (${sts ? `${sts.readyReplicas}/${sts.replicas} ready` : 'not found'}): kubectl -n ${ns} describe statefulset ${model.statefulSet}`,
        );
      await sleep(KUBE_DEFAULTS.pollMs);
    }

    const cache = new PodCache();
    const tracker = new PodEventTracker();
    const selector = Object.entries(
      (model.objects.find((o) => o.kind === 'StatefulSet')?.spec as { selector?: { matchLabels?: Record<string, string> } })?.selector?.matchLabels ?? {},
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const book = new AddressBook();
    const dnsSuffix = `${model.headlessService}.${ns}.svc.cluster.local`;
    const local = (i: number) => `127.0.${opts.subnet}.${i + 1}`;
    const forwarders = new Map<string, PodForwarder>();
    const pods: Pod[] = [];
    for (const [i, name] of model.podNames.entries()) {
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
        throw new HarnessError(
          'PORT_BUSY',
          `cannot listen on ${local(i)} for the port-forward of ${name}: ${e.message} (pick other addresses with --subnet N)`,
        );
      });
      cleanups.push(() => f.close());
      forwarders.set(name, f);
      pods.push({
        name,
        ordinal: i,
        node: p?.nodeName ?? '(not scheduled)',
        redis: { host: fqdn, port: model.redisPort },
        sentinel: { host: fqdn, port: model.sentinelPort },
      });
    }
    const uninstall = installResolver(book);
    cleanups.push(async () => uninstall());
    const stopWatch = await api.watchPods(ns, selector, (e) => {
      cache.set(e.pod.name, e.type === 'DELETED' ? null : e.pod);
      const i = model.podNames.indexOf(e.pod.name);
      if (i >= 0 && e.pod.podIP) book.addName(e.pod.podIP, local(i));
      const pod = pods.find((x) => x.name === e.pod.name);
      if (pod && e.pod.nodeName) pod.node = e.pod.nodeName;
      tracker.onPod(e);
    });
    cleanups.push(async () => stopWatch());
    const stopEvents = await api.watchEvents(ns, (e) => tracker.onClusterEvent(e));
    cleanups.push(async () => stopEvents());

    const deps = { api, namespace: ns, model, nodeShell: opts.nodeShell, pollMs: KUBE_DEFAULTS.pollMs, readyTimeoutMs: KUBE_DEFAULTS.readyTimeoutMs };
    const ops = backendOps(deps, cache);
    const kindNode = kindNodeBackend(deps, ops);
    const backend =
      opts.faultBackend === 'chaos-mesh'
        ? chaosMeshBackend(deps, ops, { runId: opts.runId ?? 'run', nodeFallback: opts.nodeShell ? kindNode : null, podSelector: selector })
        : kindNode;
    const controls = createControls(deps, cache, backend);
    const majorityClientAddress = `127.0.${opts.subnet}.200`;
    const network = createNetwork(
      deps,
      {
        majorityClientAddress,
        blockMajority: (pod, on) => (on ? forwarders.get(pod)?.block(majorityClientAddress) : forwarders.get(pod)?.unblock(majorityClientAddress)),
      },
      backend,
    );
    cleanups.push(
      () => controls.restoreStrategy(),
      () => controls.uncordonAll(),
      () => controls.resumeAll(),
      () => network.healAll(),
    );

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
      nodes: controls.nodes,
      pause: controls.pause,
      network,
      podEvents: { subscribe: (fn: (e: PodTimelineEvent) => void) => tracker.subscribe(fn) },
      // Clients reach a pod at its forward's address; the topology knows it by its FQDN.
      nodeIdentity: (node: string) => book.identify(node),
      redisVersion: version,
      describe: () => ({
        ...opts.facts,
        namespace: ns,
        measured_through: "port-forwards that follow the pods (client-node PortForward per connection), Sentinel's announced pod names resolved to them",
        forward_addresses: pods.map((p, i) => `${p.name}=${local(i)}`).join(' '),
        created_objects: created.map((o) => `${o.kind}/${o.metadata.name}`).join(' ') || 'none',
        kill_semantics: 'pod delete, grace 0; the StatefulSet recreates the pod at once',
        fault_backend: backend.name,
      }),
      down: teardown,
      [Symbol.asyncDispose]: teardown,
    };
  } catch (e) {
    await teardown();
    throw e;
  }
}
