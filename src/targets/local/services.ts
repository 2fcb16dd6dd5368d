// The manifests' Services on the local target: a fake API server holding the pods' labels, and a kube-proxy per Service port.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { writePrivateFile } from './private-file.ts';
import path from 'node:path';
import type { DeploymentModel } from '../../config/manifests.ts';
import { asLabels } from '../../model/label-selector.ts';
import { HarnessError } from '../../errors.ts';
import type { Endpoint, PodLabelChange, ServiceAccess } from '../target.ts';
import { PodLabelStore, startFakeKubeApi, type FakeKubeApi } from './kube-api.ts';
import { selectEndpoints, servicesOf, startServiceProxy, type EndpointCandidate, type ServiceProxy } from './service-proxy.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LocalServices extends ServiceAccess {
  /** Environment a container needs to reach the API as its pod's ServiceAccount: the API URL and the mounted token's directory. */
  readonly containerEnv: Record<string, string>;
  /** Connections each Service port routed, by pod. */
  routed(): Record<string, Record<string, number>>;
  /** Call `fn` with each label change the API server accepts (pod, changed labels; null: removed). Returns the unsubscribe. */
  onLabelChange(fn: (pod: string, changed: Record<string, string | null>) => void): () => void;
  /** "name=host:port" of every Service port, for the report. */
  describe(): string;
  /** Resolves once every Service has an endpoint; throws a HarnessError naming those without after `timeoutMs`. */
  waitForEndpoints(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Address of the local API server and of the Services (by manifest order): 127.0.<subnet>.240 and .250, .251, … */
export const apiHost = (subnet: number) => `127.0.${subnet}.240`;
export const serviceHost = (subnet: number, index: number) => `127.0.${subnet}.${250 + index}`;
export const API_PORT = 6443;

export async function startLocalServices(opts: {
  model: DeploymentModel;
  subnet: number;
  runDir: string;
  /** Each pod's address and whether it is ready now. */
  pods: () => Array<{ name: string; host: string; ready: boolean }>;
}): Promise<LocalServices> {
  const { model } = opts;
  const services = servicesOf(model);
  if (services.length > 5)
    throw new HarnessError('MANIFEST_INVALID', `${model.manifestsDir}: ${services.length} Services with a cluster IP; the local target serves at most 5`);
  const sts = model.objects.find((o) => o.kind === 'StatefulSet');
  const template = (sts?.spec as { template?: { metadata?: { labels?: unknown } } } | undefined)?.template;
  const templateLabels = asLabels(template?.metadata?.labels);
  const token = randomBytes(24).toString('base64url');
  const store = new PodLabelStore({
    namespace: model.namespace,
    token,
    pods: Object.fromEntries(model.podNames.map((n) => [n, { ...templateLabels, 'statefulset.kubernetes.io/pod-name': n }])),
  });
  // The ServiceAccount volume a kubelet mounts: token and namespace (no ca.crt: the local API speaks HTTP).
  const saDir = path.join(opts.runDir, 'serviceaccount');
  await mkdir(saDir, { recursive: true, mode: 0o700 });
  await writePrivateFile(path.join(saDir, 'token'), token);
  await writeFile(path.join(saDir, 'namespace'), model.namespace);

  let api: FakeKubeApi | null = null;
  const proxies: Array<{ service: string; proxy: ServiceProxy }> = [];
  const close = async () => {
    await Promise.all(proxies.map((p) => p.proxy.close()));
    await api?.close();
  };
  try {
    api = await startFakeKubeApi(store, apiHost(opts.subnet), API_PORT);
    const candidates = (): EndpointCandidate[] => opts.pods().map((p) => ({ pod: p.name, host: p.host, ready: p.ready, labels: store.labels(p.name) }));
    for (const [i, svc] of services.entries()) {
      for (const port of svc.ports) {
        proxies.push({
          service: svc.name,
          proxy: await startServiceProxy({
            host: serviceHost(opts.subnet, i),
            port: port.port,
            targetPort: port.targetPort,
            selector: svc.selector,
            candidates,
          }),
        });
      }
    }
  } catch (e) {
    await close();
    throw e;
  }
  const apiUrl = api.url;
  const candidates = (): EndpointCandidate[] => opts.pods().map((p) => ({ pod: p.name, host: p.host, ready: p.ready, labels: store.labels(p.name) }));
  return {
    containerEnv: { KUBE_API: apiUrl, SA_DIR: saDir },
    endpoint(service: string, port: number): Endpoint {
      const p = proxies.find((x) => x.service === service && x.proxy.port === port);
      if (!p) {
        throw new HarnessError(
          'USAGE',
          `no Service ${service} with port ${port} (Services: ${proxies.map((x) => `${x.service}:${x.proxy.port}`).join(', ') || 'none'})`,
        );
      }
      return { host: p.proxy.host, port: p.proxy.port };
    },
    podLabels: (pod) => store.labels(pod),
    labelHistory: (): readonly PodLabelChange[] => store.history,
    onLabelChange: (fn) => store.onChange(fn),
    describe: () => proxies.map((p) => `${p.service}=${p.proxy.host}:${p.proxy.port}`).join(' '),
    routed: () => Object.fromEntries(proxies.map((p) => [`${p.service}:${p.proxy.port}`, { ...p.proxy.routed }])),
    async waitForEndpoints(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const empty = services.filter((svc) => selectEndpoints(svc.selector, candidates()).length === 0);
        if (empty.length === 0) return;
        if (performance.now() > deadline) {
          throw new HarnessError(
            'TIMEOUT',
            `Service ${empty.map((svc) => `${svc.name} (selector ${JSON.stringify(svc.selector)})`).join(', ')} selected no running pod within ${timeoutMs} ms; ` +
              `pod labels: ${store
                .podNames()
                .map((n) => `${n} ${JSON.stringify(store.labels(n))}`)
                .join('; ')} (see the pods' sidecar logs)`,
          );
        }
        await sleep(10);
      }
    },
    close,
  };
}
