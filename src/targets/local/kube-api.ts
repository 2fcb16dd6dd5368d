// The part of the Kubernetes API the local target plays: pods' labels, read and merge-patched with a bearer token.
import http from 'node:http';
import { HarnessError } from '../../errors.ts';

export type Labels = Record<string, string>;

export interface LabelChange {
  pod: string;
  /** The pod's labels after the change. */
  labels: Labels;
  /** performance.now() when the API server accepted the patch. */
  atMs: number;
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

// Kubernetes label values: empty, or up to 63 characters, alphanumeric at both ends, with - _ . inside.
const LABEL_VALUE = /^(|[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PATCH_TYPES = new Set(['application/merge-patch+json', 'application/strategic-merge-patch+json']);

const status = (code: number, reason: string, message: string): ApiResponse => ({
  status: code,
  body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code },
});

/**
 * The pods of one namespace and their labels, with the API's answers to GET and PATCH of
 * /api/v1/namespaces/<ns>/pods/<name>. Only label changes are accepted (that is all the deployment's
 * RBAC grants the role-labeller anyway). Pure: no sockets, so it is unit-tested directly.
 */
export class PodLabelStore {
  readonly namespace: string;
  readonly history: LabelChange[] = [];
  private readonly token: string;
  private readonly pods: Map<string, Labels>;
  private readonly now: () => number;
  private readonly listeners = new Set<(pod: string, changed: Record<string, string | null>) => void>();

  constructor(opts: { namespace: string; token: string; pods: Record<string, Labels>; now?: () => number }) {
    this.namespace = opts.namespace;
    this.token = opts.token;
    this.pods = new Map(Object.entries(opts.pods).map(([k, v]) => [k, { ...v }]));
    this.now = opts.now ?? (() => performance.now());
  }

  labels(pod: string): Labels {
    return { ...(this.pods.get(pod) ?? {}) };
  }

  /** Call `fn` with each accepted change: the pod and the labels it changed (null: removed). Returns the unsubscribe. */
  onChange(fn: (pod: string, changed: Record<string, string | null>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  podNames(): string[] {
    return [...this.pods.keys()];
  }

  handle(req: { method: string; path: string; headers: Record<string, string | undefined>; body: string }): ApiResponse {
    if (req.headers.authorization !== `Bearer ${this.token}`) return status(401, 'Unauthorized', 'Unauthorized');
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)(\?.*)?$/.exec(req.path);
    if (!m) return status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.path})`);
    const [, ns, name] = m as unknown as [string, string, string];
    const labels = ns === this.namespace ? this.pods.get(name) : undefined;
    if (!labels) return status(404, 'NotFound', `pods "${name}" not found`);
    if (req.method === 'GET') return { status: 200, body: this.pod(name) };
    if (req.method !== 'PATCH') return status(405, 'MethodNotAllowed', `${req.method} is not supported on pods here`);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!PATCH_TYPES.has(type))
      return status(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${[...PATCH_TYPES].join(', ')}`,
      );
    let patch: unknown;
    try {
      patch = JSON.parse(req.body);
    } catch (e) {
      return status(400, 'BadRequest', `error decoding patch: ${e instanceof Error ? e.message : String(e)}`);
    }
    const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
    if (
      !isObj(patch) ||
      Object.keys(patch).some((k) => k !== 'metadata') ||
      !isObj(patch.metadata) ||
      Object.keys(patch.metadata).some((k) => k !== 'labels') ||
      !isObj(patch.metadata.labels)
    ) {
      return status(422, 'Invalid', 'the local API server accepts patches of metadata.labels only');
    }
    const next = { ...labels };
    for (const [k, v] of Object.entries(patch.metadata.labels)) {
      if (!LABEL_KEY.test(k)) return status(422, 'Invalid', `metadata.labels: Invalid value: "${k}": not a valid label key`);
      if (v === null) delete next[k];
      else if (typeof v === 'string' && LABEL_VALUE.test(v)) next[k] = v;
      else
        return status(
          422,
          'Invalid',
          `metadata.labels: Invalid value: ${JSON.stringify(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', at most 63`,
        );
    }
    const changed = Object.keys(next).length !== Object.keys(labels).length || Object.entries(next).some(([k, v]) => labels[k] !== v);
    if (changed) {
      this.pods.set(name, next);
      this.history.push({ pod: name, labels: { ...next }, atMs: this.now() });
      const diff: Record<string, string | null> = {};
      for (const k of new Set([...Object.keys(labels), ...Object.keys(next)])) if (labels[k] !== next[k]) diff[k] = next[k] ?? null;
      for (const fn of this.listeners) fn(name, diff);
    }
    return { status: 200, body: this.pod(name) };
  }

  private pod(name: string): Record<string, unknown> {
    return { kind: 'Pod', apiVersion: 'v1', metadata: { name, namespace: this.namespace, labels: this.labels(name) } };
  }
}

export interface FakeKubeApi {
  /** Base URL, e.g. http://127.0.83.240:6443. */
  readonly url: string;
  readonly store: PodLabelStore;
  close(): Promise<void>;
}

/** Serve `store` over HTTP on host:port (loopback; the token stands in for the ServiceAccount's). */
export async function startFakeKubeApi(store: PodLabelStore, host: string, port: number): Promise<FakeKubeApi> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
      const r = store.handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new HarnessError(
          'PORT_BUSY',
          `the local Kubernetes API cannot listen on ${host}:${port}: ${e.code === 'EADDRINUSE' ? 'in use (a deployment left running? run `npm run chaos -- down`, or pick another --subnet)' : e.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://${host}:${port}`,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
