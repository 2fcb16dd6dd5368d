// The part of the Kubernetes API the local target plays: pods' labels, read and merge-patched with a bearer token.
import { timingSafeEqual } from 'node:crypto';
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

/** Limits of what the local API server accepts: a label patch is a few hundred bytes, a role-labeller call a second or less. */
export const KUBE_API_LIMITS = {
  maxBodyBytes: 64 * 1024,
  maxPathChars: 2048,
  /** Headers and body must arrive within these (a slow or stalled client is cut off, not waited for). */
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  maxConnections: 64,
} as const;

/** The token compared in constant time (a bearer token must not leak through how long a refusal takes). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const want = Buffer.from(`Bearer ${token}`);
  const got = Buffer.from(header ?? '');
  return got.length === want.length && timingSafeEqual(got, want);
}

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

  /** The token requests must carry (the pods' ServiceAccount token). */
  get bearerToken(): string {
    return this.token;
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
    if (!bearerMatches(req.headers.authorization, this.token)) return status(401, 'Unauthorized', 'Unauthorized');
    if (req.path.length > KUBE_API_LIMITS.maxPathChars)
      return status(414, 'RequestURITooLong', `the request path is longer than ${KUBE_API_LIMITS.maxPathChars} characters`);
    if (Buffer.byteLength(req.body) > KUBE_API_LIMITS.maxBodyBytes)
      return status(413, 'RequestEntityTooLarge', `the request body is larger than ${KUBE_API_LIMITS.maxBodyBytes} bytes`);
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

/** The JSON answer `r`; `close`: the connection is not kept (the client sent more than it may). */
function send(res: http.ServerResponse, r: ApiResponse, close = false): void {
  if (res.headersSent) return;
  res.writeHead(r.status, { 'content-type': 'application/json', ...(close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(r.body));
}

/**
 * The HTTP side of `store`: a request is refused before its body is read when its token is wrong or it announces
 * too large a body, cut off (413, connection closed) when its body grows past the limit, answered 500 when the
 * store throws; nothing a client sends can crash the harness or hold it (timeouts, a connection cap).
 */
export function kubeApiHandler(store: PodLabelStore, token: string): http.RequestListener {
  return (req, res) => {
    // An aborted upload emits 'error' on the request: without a listener it would crash the process.
    req.on('error', () => {});
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    const refuse = (r: ApiResponse) => {
      send(res, r, true);
      req.resume();
    };
    if (!bearerMatches(headers.authorization, token)) return refuse(status(401, 'Unauthorized', 'Unauthorized'));
    if (Number(headers['content-length'] ?? 0) > KUBE_API_LIMITS.maxBodyBytes)
      return refuse(status(413, 'RequestEntityTooLarge', `the request body is larger than ${KUBE_API_LIMITS.maxBodyBytes} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= KUBE_API_LIMITS.maxBodyBytes) chunks.push(c);
      else if (!res.headersSent) {
        chunks.length = 0;
        send(res, status(413, 'RequestEntityTooLarge', `the request body is larger than ${KUBE_API_LIMITS.maxBodyBytes} bytes`), true);
        // Nothing more is read: the rest of the body is dropped with the connection.
        res.once('finish', () => req.destroy());
      }
    });
    req.on('end', () => {
      if (res.headersSent) return;
      try {
        send(res, store.handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') }));
      } catch (e) {
        send(res, status(500, 'InternalError', `the local API server failed on this request: ${e instanceof Error ? e.message : String(e)}`), true);
      }
    });
  };
}

/** Serve `store` over HTTP on host:port (loopback; the token stands in for the ServiceAccount's). */
export async function startFakeKubeApi(
  store: PodLabelStore,
  host: string,
  port: number,
  /** Shorter timeouts, for a test of a stalled client. */
  limits: { headersTimeoutMs?: number; requestTimeoutMs?: number } = {},
): Promise<FakeKubeApi> {
  const headersTimeout = limits.headersTimeoutMs ?? KUBE_API_LIMITS.headersTimeoutMs;
  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs ?? KUBE_API_LIMITS.requestTimeoutMs,
      // Node checks those timeouts this often (default 30 s): a stalled client is cut off within about headersTimeout.
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
      maxHeaderSize: 16 * 1024,
    },
    kubeApiHandler(store, store.bearerToken),
  );
  server.maxConnections = KUBE_API_LIMITS.maxConnections;
  // A malformed request line or headers, headers too large, a stalled request: answered as Node would, and closed.
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    const line =
      e.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : e.code === 'HPE_HEADER_TIMEOUT' || e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${line}\r\nconnection: close\r\n\r\n`);
    else socket.destroy();
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
