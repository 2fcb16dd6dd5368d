// The part of kube-proxy the local target plays: a Service address whose every NEW connection goes to a pod its selector selects now.
import net from 'node:net';
import type { DeploymentModel } from '../../config/manifests.ts';
import { asLabels, serviceSelectorMatches, type Labels } from '../../model/label-selector.ts';
import { HarnessError } from '../../errors.ts';

export interface ServicePortModel {
  name: string;
  port: number;
  /** The container port it resolves to (a named targetPort looked up in the pod template). */
  targetPort: number;
}

/** A Service of the manifests that has a virtual address (not headless). */
export interface ServiceModel {
  name: string;
  selector: Labels;
  ports: ServicePortModel[];
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The manifests' Services that kube-proxy serves on a cluster IP, with named target ports resolved against the pod template. */
export function servicesOf(model: DeploymentModel): ServiceModel[] {
  const sts = model.objects.find((o) => o.kind === 'StatefulSet');
  const containers = arr(rec(rec(rec(sts?.spec).template).spec).containers).map(rec);
  const namedPorts = new Map<string, number>();
  for (const c of containers) for (const p of arr(c.ports).map(rec)) if (typeof p.name === 'string') namedPorts.set(p.name, Number(p.containerPort));
  return model.objects
    .filter((o) => o.kind === 'Service' && o.metadata.namespace === model.namespace && rec(o.spec).clusterIP !== 'None')
    .map((o) => ({
      name: o.metadata.name,
      selector: asLabels(rec(o.spec).selector),
      ports: arr(rec(o.spec).ports)
        .map(rec)
        .map((p) => {
          const port = Number(p.port);
          const t = p.targetPort ?? port;
          const targetPort = typeof t === 'number' ? t : namedPorts.get(String(t));
          if (targetPort === undefined || !Number.isInteger(targetPort)) {
            throw new HarnessError(
              'MANIFEST_INVALID',
              `${o.__file}: Service ${o.metadata.name} port ${port}: targetPort ${String(t)} names no container port of the StatefulSet (fix the manifest or pass --manifests DIR)`,
            );
          }
          return { name: String(p.name ?? port), port, targetPort };
        }),
    }));
}

export interface EndpointCandidate {
  pod: string;
  host: string;
  labels: Labels;
  /** Whether the pod is ready to serve (in Kubernetes: its readiness; here: its redis container runs). */
  ready: boolean;
}

/** The pods a Service routes to now: selected by its selector and ready, in pod-name order (an EndpointSlice). */
export function selectEndpoints(selector: Labels, candidates: readonly EndpointCandidate[]): EndpointCandidate[] {
  return candidates.filter((c) => c.ready && serviceSelectorMatches(selector, c.labels)).sort((a, b) => a.pod.localeCompare(b.pod));
}

/** Round-robin over a list that may change between picks (ipvs rr): the next pod after the last one picked. */
export class RoundRobin {
  private last: string | null = null;

  pick(endpoints: readonly EndpointCandidate[]): EndpointCandidate | undefined {
    if (endpoints.length === 0) return undefined;
    const after = this.last === null ? undefined : endpoints.find((e) => e.pod.localeCompare(this.last!) > 0);
    const chosen = after ?? endpoints[0]!;
    this.last = chosen.pod;
    return chosen;
  }
}

export interface ServiceProxy {
  readonly host: string;
  readonly port: number;
  /** Connections accepted, by the pod each was sent to ("(none)": refused, no endpoint). */
  readonly routed: Record<string, number>;
  close(): Promise<void>;
}

/**
 * Listen on host:port; each new connection goes to the next endpoint (round-robin) on targetPort, or
 * is reset when the Service has no endpoint (kube-proxy's REJECT). Established connections stay
 * where they are when the endpoints change, as with kube-proxy.
 */
export async function startServiceProxy(opts: {
  host: string;
  port: number;
  targetPort: number;
  selector: Labels;
  candidates: () => EndpointCandidate[];
}): Promise<ServiceProxy> {
  const rr = new RoundRobin();
  const routed: Record<string, number> = {};
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => {});
    const to = rr.pick(selectEndpoints(opts.selector, opts.candidates()));
    routed[to?.pod ?? '(none)'] = (routed[to?.pod ?? '(none)'] ?? 0) + 1;
    if (!to) {
      client.resetAndDestroy();
      return;
    }
    client.pause();
    const upstream = net.connect({ host: to.host, port: opts.targetPort });
    open.add(upstream);
    upstream.on('close', () => open.delete(upstream));
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    upstream.once('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => client.resetAndDestroy());
    client.on('error', () => upstream.destroy());
    upstream.on('end', () => client.end());
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new HarnessError(
          'PORT_BUSY',
          `Service address ${opts.host}:${opts.port} ${e.code === 'EADDRINUSE' ? 'is already in use (a deployment left running? run `npm run chaos -- down`, or pick another --subnet)' : `cannot be listened on: ${e.message}`}`,
        ),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    host: opts.host,
    port: opts.port,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
