// The kind and kube targets' set-up: kubeconfig and context, the guard, reachability, the kind cluster's lifetime.
import { access } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { HarnessError } from '../../errors.ts';
import { KUBE_FLAG_DEFAULTS, type KubeFlags, type TargetOptions } from '../options.ts';
import type { StartedDeployment } from '../target.ts';
import type { KubeApi, NodeShell } from './api.ts';
import type { FaultBackendChoice, FaultBackendName } from './backends/backend.ts';
import { chaosMeshInstalled, downChaosObjects, downLines, type ChaosObjectOptions } from './backends/chaos-mesh.ts';
import { CHAOS_MESH_VERSION } from './backends/chaos-mesh-schema.ts';
import { clientNodeApi } from './client-node.ts';
import { downCordons } from './cordon.ts';
import { downHelperPods } from './volumes.ts';
import { checkContext } from './guard.ts';
import { dockerNodeShell, kindClusterName, kindProvider, type ClusterProvider } from './kind.ts';
import { startKubeDeployment, type KubeOptions } from './kube-target.ts';

/** What the factory needs from the machine; injectable so bad input is testable without a cluster. */
export interface TargetDeps {
  provider: ClusterProvider;
  nodeShell: NodeShell;
  /** A KubeApi for this kubeconfig (file contents) and context. */
  api(kc: KubeConfig): KubeApi;
  start(o: KubeOptions): Promise<StartedDeployment>;
}

export const machineDeps: TargetDeps = { provider: kindProvider, nodeShell: dockerNodeShell, api: clientNodeApi, start: startKubeDeployment };

export const kubeconfigPath = (flag?: string): string =>
  flag ?? (process.env.KUBECONFIG ?? path.join(os.homedir(), '.kube', 'config')).split(path.delimiter)[0]!;

/** Load the kubeconfig and select the context; USAGE / TARGET_UNAVAILABLE errors name the fix. */
export async function loadContext(file: string, context: string | undefined): Promise<KubeConfig> {
  try {
    await access(file);
  } catch {
    throw new HarnessError(
      'TARGET_UNAVAILABLE',
      `no kubeconfig at ${file}: set KUBECONFIG=FILE or pass --kubeconfig FILE (for a kind cluster: kind get kubeconfig --name NAME > FILE)`,
    );
  }
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (e) {
    throw new HarnessError('TARGET_UNAVAILABLE', `${file} is not a usable kubeconfig (${(e as Error).message}): fix it or pass --kubeconfig FILE`);
  }
  const names = kc.getContexts().map((c) => c.name);
  if (!context) throw new HarnessError('USAGE', `--target kube needs --context NAME (contexts in ${file}: ${names.join(', ') || 'none'})`);
  if (!names.includes(context))
    throw new HarnessError('USAGE', `context ${context} is not in ${file} (contexts: ${names.join(', ') || 'none'}): pass --context NAME`);
  kc.setCurrentContext(context);
  return kc;
}

/** Refuse forbidden contexts, then prove the API server answers (and the namespace exists when it must). */
export async function connect(kc: KubeConfig, deps: TargetDeps, opts: { allowContexts: readonly string[]; namespace: string | null }): Promise<KubeApi> {
  const context = kc.getCurrentContext();
  const guard = checkContext(context, opts.allowContexts);
  if (!guard.allowed) throw new HarnessError('CONTEXT_FORBIDDEN', guard.reason);
  const api = deps.api(kc);
  try {
    await api.serverVersion(5000);
  } catch (e) {
    const server = kc.getCurrentCluster()?.server ?? '?';
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = [(e as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(': ');
    throw new HarnessError(
      'TARGET_UNAVAILABLE',
      `cannot reach the API server of context ${context} at ${server} (${why}): check the cluster is up with kubectl --context ${context} cluster-info`,
    );
  }
  if (opts.namespace && !(await api.namespaceExists(opts.namespace))) {
    throw new HarnessError(
      'TARGET_UNAVAILABLE',
      `namespace ${opts.namespace} does not exist in context ${context}: create it (kubectl --context ${context} create namespace ${opts.namespace}) or pass --manifests DIR with the right namespace`,
    );
  }
  return api;
}

/** auto ► chaos-mesh when its CRDs are installed, else kind-node; chaos-mesh without its CRDs is an environment error (exit 2). */
export async function resolveFaultBackend(api: KubeApi, choice: FaultBackendChoice): Promise<FaultBackendName> {
  if (choice === 'kind-node') return 'kind-node';
  const { installed, missing } = await chaosMeshInstalled(api);
  if (installed) return 'chaos-mesh';
  if (choice === 'auto') return 'kind-node';
  throw new HarnessError(
    'TARGET_UNAVAILABLE',
    `--fault-backend chaos-mesh: the CRDs ${missing.join(', ')} are not installed in context ${api.context}: install Chaos Mesh (helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --create-namespace --version ${CHAOS_MESH_VERSION.slice(1)}; see scripts/kind-chaos-mesh.sh) or pass --fault-backend kind-node`,
  );
}

export async function startKubeTarget(o: TargetOptions, deps: TargetDeps): Promise<StartedDeployment> {
  const flags = { ...KUBE_FLAG_DEFAULTS, ...o.kube };
  const subnet = o.subnet ?? 83;
  if (o.target === 'kube') {
    const file = kubeconfigPath(flags.kubeconfig);
    const kc = await loadContext(file, flags.context);
    const api = await connect(kc, deps, { allowContexts: flags.allowContexts, namespace: o.model.namespace });
    const server = kc.getCurrentCluster()?.server ?? '?';
    // Node shells exist only for kind nodes (docker containers): elsewhere pause and partitions are skipped with the reason.
    const isKind = kc.getCurrentContext().startsWith('kind-') && (await deps.provider.unavailableReason()) === null;
    const faultBackend = await resolveFaultBackend(api, flags.faultBackend);
    return deps.start({
      model: o.model,
      api,
      nodeShell: isKind ? deps.nodeShell : null,
      target: 'kube',
      subnet,
      overrides: o.overrides,
      faultBackend,
      runId: o.runId,
      applyExisting: false,
      keep: flags.keep,
      facts: { context: kc.getCurrentContext(), api_server: server },
    });
  }
  // kind
  const reason = await deps.provider.unavailableReason();
  if (reason) throw new HarnessError('TARGET_UNAVAILABLE', reason);
  const name = await kindClusterName(flags.kindConfig);
  const exists = await deps.provider.exists(name);
  if (exists && !flags.reuse)
    throw new HarnessError('USAGE', `kind cluster ${name} already exists: pass --reuse to run on it, or delete it with kind delete cluster --name ${name}`);
  if (!exists) await deps.provider.create(name, flags.kindConfig);
  const removeCluster = !exists && !flags.keep;
  try {
    const kc = new KubeConfig();
    kc.loadFromString(await deps.provider.kubeconfig(name));
    kc.setCurrentContext(`kind-${name}`);
    const api = await connect(kc, deps, { allowContexts: flags.allowContexts, namespace: null });
    const faultBackend = await resolveFaultBackend(api, flags.faultBackend);
    return await deps.start({
      model: o.model,
      api,
      nodeShell: deps.nodeShell,
      target: 'kind',
      subnet,
      overrides: o.overrides,
      faultBackend,
      runId: o.runId,
      applyExisting: true,
      // A cluster the harness deletes takes its objects with it; a reused one keeps only what it had.
      keep: flags.keep || removeCluster,
      facts: {
        context: `kind-${name}`,
        kind_cluster: name,
        kind_config: flags.kindConfig,
        cluster: exists ? 'reused (--reuse)' : flags.keep ? 'created, kept (--keep)' : 'created, deleted after the run',
      },
      ...(removeCluster ? { afterDown: () => deps.provider.delete(name) } : {}),
    });
  } catch (e) {
    // Nothing half-created: a cluster this run created goes when its set-up fails (--keep or not).
    if (!exists) await deps.provider.delete(name);
    throw e;
  }
}

export interface KubeDownOptions {
  target: 'kind' | 'kube';
  /** The manifests' namespace: where the run created its objects. */
  namespace: string;
  kube: Partial<KubeFlags>;
  /** Only this run's objects (its id); all the harness labelled otherwise. */
  runId?: string;
  chaos?: ChaosObjectOptions;
}

/**
 * `down --target kube|kind`: what a SIGKILLed run left in the cluster: its volume helper pods (by label), its Chaos Mesh
 * objects, deleted finalizer-safely (escalated only when stuck past the bound), the nodes it cordoned (by annotation). No context guard: it only removes objects carrying the harness's label.
 */
export async function downKubeTarget(o: KubeDownOptions, deps: TargetDeps): Promise<{ lines: string[]; ok: boolean }> {
  const flags = { ...KUBE_FLAG_DEFAULTS, ...o.kube };
  let kc: KubeConfig;
  if (o.target === 'kube') kc = await loadContext(kubeconfigPath(flags.kubeconfig), flags.context);
  else {
    const reason = await deps.provider.unavailableReason();
    if (reason) throw new HarnessError('TARGET_UNAVAILABLE', reason);
    const name = await kindClusterName(flags.kindConfig);
    if (!(await deps.provider.exists(name))) return { lines: [`kind cluster ${name} does not exist: nothing to remove`], ok: true };
    kc = new KubeConfig();
    kc.loadFromString(await deps.provider.kubeconfig(name));
    kc.setCurrentContext(`kind-${name}`);
  }
  const context = kc.getCurrentContext();
  const api = await connect(kc, deps, { allowContexts: [context], namespace: null });
  if (!(await api.namespaceExists(o.namespace)))
    return { lines: [`namespace ${o.namespace} does not exist in context ${context}: nothing to remove`], ok: true };
  // Helper pods first (they may hold a claim), then the chaos objects, then the nodes the run cordoned (drain, volume change).
  const helpers = await downHelperPods(api, o.namespace, o.runId);
  const r = await downChaosObjects(api, o.namespace, { ...o.chaos, ...(o.runId ? { runId: o.runId } : {}) });
  const chaos = downLines(r, o.namespace);
  if (chaos.length === 0) chaos.push(`no Chaos Mesh objects of sentinel-chaos${o.runId ? ` run ${o.runId}` : ''} in ${o.namespace} (context ${context})`);
  const nodes = await downCordons(api, o.runId);
  return { lines: [...helpers, ...chaos, ...nodes], ok: r.stuck.length === 0 };
}
