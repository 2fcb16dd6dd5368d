// Fuzz of the local API server the harness plays (src/targets/local/kube-api.ts): a seeded set of malformed
// requests (bad JSON, huge bodies, wrong methods and tokens, path traversal, raw garbage on the socket) each gets
// a clear refusal (a Kubernetes Status with its reason, or 400 from the HTTP parser), in bounded time; none
// changes a label, crashes the server or hangs it, and the server still serves a correct PATCH afterwards.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { KUBE_API_LIMITS, PodLabelStore, startFakeKubeApi } from '../../../src/targets/local/kube-api.ts';
import { prng as rng } from '../../../src/model/prng.ts';

const TOKEN = 'fuzz-token-0123456789';
const HOST = '127.0.149.240';
const GOOD = '/api/v1/namespaces/matrix/pods/redis-0';
const REFUSALS = new Set([400, 401, 404, 405, 413, 414, 415, 422]);

interface Req {
  what: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

const store = () => new PodLabelStore({ namespace: 'matrix', token: TOKEN, pods: { 'redis-0': { app: 'redis' }, 'redis-1': { app: 'redis' } } });
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/merge-patch+json' };

/** One malformed request of each family, varied by the generator. */
function malformed(r: () => number): Req[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
  const valid = JSON.stringify({ metadata: { labels: { 'redis.io/role': 'master' } } });
  const deep = (n: number) => `${'{"metadata":'.repeat(1)}${'['.repeat(n)}${']'.repeat(n)}}`;
  return [
    { what: 'random bytes as body', method: 'PATCH', path: GOOD, headers: auth, body: bytes(1 + Math.floor(r() * 2000)) },
    { what: 'truncated JSON', method: 'PATCH', path: GOOD, headers: auth, body: valid.slice(0, Math.floor(r() * (valid.length - 1))) },
    {
      what: 'JSON nested 100k deep',
      method: 'PATCH',
      path: GOOD,
      headers: auth,
      body: deep(60_000 + Math.floor(r() * 40_000)).slice(0, KUBE_API_LIMITS.maxBodyBytes),
    },
    {
      what: 'JSON of another shape',
      method: 'PATCH',
      path: GOOD,
      headers: auth,
      body: pick(['null', '[]', '"x"', '7', '{"metadata":null}', '{"metadata":{"labels":[]}}']),
    },
    {
      what: 'label keys that are no labels',
      method: 'PATCH',
      path: GOOD,
      headers: auth,
      body: JSON.stringify({ metadata: { labels: { [pick(['__proto__', '-x', '../../x', '', 'a'.repeat(64), 'ü', 'a/b/c'])]: 'v' } } }),
    },
    {
      what: 'a label value that is no string',
      method: 'PATCH',
      path: GOOD,
      headers: auth,
      body: `{"metadata":{"labels":{"redis.io/role":${pick(['{}', '[]', '1e999', 'true', '"a b"'])}}}}`,
    },
    {
      what: 'a huge body announced',
      method: 'PATCH',
      path: GOOD,
      headers: auth,
      body: Buffer.alloc(KUBE_API_LIMITS.maxBodyBytes + 1 + Math.floor(r() * 1e6), 0x7b),
    },
    { what: 'a wrong method', method: pick(['POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'FOO']), path: GOOD, headers: auth, body: valid },
    {
      what: 'path traversal',
      method: pick(['GET', 'PATCH']),
      path: pick([
        '/api/v1/namespaces/matrix/pods/../../../../etc/passwd',
        '/api/v1/namespaces/matrix/pods/redis-0/../redis-1',
        '/api/v1/namespaces/matrix/pods/%2e%2e%2f%2e%2e%2fsecrets',
        '/api/v1/namespaces/../secrets/redis-password',
        '/api/v1/namespaces/matrix/secrets/redis-acl',
        '/../../../../etc/shadow',
        `/api/v1/namespaces/matrix/pods/${'a/'.repeat(1500)}`,
        '/api/v1/namespaces/matrix/pods/redis-0%00',
      ]),
      headers: auth,
      body: valid,
    },
    {
      what: 'no or a wrong token',
      method: 'PATCH',
      path: GOOD,
      headers: { ...auth, authorization: pick(['', 'Bearer', `Bearer ${TOKEN}x`, `bearer ${TOKEN}`, `Basic ${TOKEN}`, `Bearer ${TOKEN.slice(1)}`]) },
      body: valid,
    },
    {
      what: 'a wrong content type',
      method: 'PATCH',
      path: GOOD,
      headers: { ...auth, 'content-type': pick(['text/plain', 'application/json-patch+json', '']) },
      body: valid,
    },
  ];
}

/** Send `q` with node's http client; the status, or 'closed' when the server cut the connection. Bounded. */
function send(base: { host: string; port: number }, q: Req): Promise<{ status: number | 'closed'; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { ...base, method: q.method, path: q.path, headers: { ...q.headers, 'content-length': String(Buffer.byteLength(q.body)) }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, ms: performance.now() - started }));
        res.on('error', () => resolve({ status: res.statusCode!, body, ms: performance.now() - started }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', () => resolve({ status: 'closed', body: '', ms: performance.now() - started }));
    req.end(q.body);
  });
}

/** Raw bytes on a socket: what the server answers before closing (or '' if it closed without a word). Bounded. */
function raw(base: { host: string; port: number }, bytes: string | Buffer, waitMs = 3000): Promise<{ answer: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const s = net.connect(base);
    let answer = '';
    const done = () => resolve({ answer, ms: performance.now() - started });
    const t = setTimeout(() => s.destroy(), waitMs);
    s.on('data', (d) => (answer += d.toString('latin1')));
    s.on('close', () => {
      clearTimeout(t);
      done();
    });
    s.on('error', () => {});
    s.write(bytes);
  });
}

describe('the local API server under malformed requests (seeded fuzz)', () => {
  it('refuses each of 20 rounds of every family clearly and in bounded time, changes nothing, and still serves', async () => {
    const s = store();
    const api = await startFakeKubeApi(s, HOST, 16449);
    const base = { host: HOST, port: 16449 };
    const started = performance.now();
    try {
      const r = rng(19);
      let sent = 0;
      for (let round = 0; round < 20; round++) {
        for (const q of malformed(r)) {
          const a = await send(base, q);
          sent++;
          expect(a.ms, `${q.what}: answered within 5 s`).toBeLessThan(5000);
          if (a.status === 'closed') {
            // Only a body beyond the limit may be cut off mid-upload (after the 413 was sent).
            expect(q.what, 'a connection closed without an answer').toBe('a huge body announced');
            continue;
          }
          expect(REFUSALS.has(a.status), `${q.what} (${q.method} ${q.path.slice(0, 80)}): status ${a.status} ${a.body.slice(0, 200)}`).toBe(true);
          // A method HTTP does not know is refused by Node's parser: 400, closed, no body.
          if (q.method === 'FOO') expect(a.status).toBe(400);
          else if (q.method !== 'HEAD') {
            expect(a.body, `${q.what} (${q.method} ${q.path.slice(0, 80)}): ${a.status} with a body`).not.toBe('');
            const status = JSON.parse(a.body) as { kind: string; reason: string; message: string; code: number };
            expect(status).toMatchObject({ kind: 'Status', code: a.status });
            expect(status.message.length, `${q.what}: a message saying why`).toBeGreaterThan(5);
          }
        }
      }
      expect(sent).toBe(220);
      expect(s.history, 'no malformed request changed a label').toEqual([]);
      // Still serving: a correct patch works.
      const ok = await send(base, {
        what: 'valid',
        method: 'PATCH',
        path: GOOD,
        headers: auth,
        body: JSON.stringify({ metadata: { labels: { role: 'master' } } }),
      });
      expect(ok.status).toBe(200);
      expect(s.labels('redis-0')).toEqual({ app: 'redis', role: 'master' });
    } finally {
      await api.close();
    }
    expect(performance.now() - started, 'the whole fuzz within 30 s').toBeLessThan(30_000);
  }, 60_000);

  it('answers garbage on the socket with 400 and closes; a stalled request is cut off; the server lives on', async () => {
    const s = store();
    const api = await startFakeKubeApi(s, HOST, 16450, { headersTimeoutMs: 500, requestTimeoutMs: 1000 } as const);
    const base = { host: HOST, port: 16450 };
    try {
      const r = rng(7);
      for (let i = 0; i < 10; i++) {
        const junk = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 300) }, () => 1 + Math.floor(r() * 255)));
        const a = await raw(base, Buffer.concat([junk, Buffer.from('\r\n\r\n')]));
        expect(a.answer, `junk #${i}`).toMatch(/^HTTP\/1\.1 400 /);
        expect(a.ms).toBeLessThan(3000);
      }
      // Headers too large, then headers never finished, then a body never sent: each cut off, none waited for long.
      expect((await raw(base, `GET ${GOOD} HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`)).answer).toMatch(/^HTTP\/1\.1 431 /);
      const stalledHeaders = await raw(base, `PATCH ${GOOD} HTTP/1.1\r\nhost: x\r\n`, 10_000);
      expect(stalledHeaders.ms, 'a request whose headers never end is cut off').toBeLessThan(4000);
      const stalledBody = await raw(
        base,
        `PATCH ${GOOD} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/merge-patch+json\r\ncontent-length: 100\r\n\r\n{`,
        10_000,
      );
      expect(stalledBody.ms, 'a request whose body never comes is cut off').toBeLessThan(4000);
      // A body that announces no length and grows past the limit: 413 once it does, and the connection dropped.
      const big = KUBE_API_LIMITS.maxBodyBytes + 10_000;
      const chunked = await raw(
        base,
        Buffer.concat([
          Buffer.from(
            `PATCH ${GOOD} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\ncontent-type: application/merge-patch+json\r\ntransfer-encoding: chunked\r\n\r\n`,
          ),
          Buffer.from(`${big.toString(16)}\r\n`),
          Buffer.alloc(big, 0x7b),
          Buffer.from('\r\n'),
        ]),
        10_000,
      );
      expect(chunked.answer).toMatch(/^HTTP\/1\.1 413 [^]*"reason":"RequestEntityTooLarge"/);
      expect(chunked.ms).toBeLessThan(3000);
      const ok = await send(base, { what: 'valid', method: 'GET', path: GOOD, headers: auth, body: '' });
      expect(ok.status).toBe(200);
      expect(s.history).toEqual([]);
    } finally {
      await api.close();
    }
  }, 60_000);

  it('the store alone: 1100 seeded garbage requests, each a Status with a refusal code, never a throw', () => {
    const s = store();
    const r = rng(2026);
    const chars = (n: number) => String.fromCharCode(...Array.from({ length: n }, () => Math.floor(r() * 0x3000)));
    let family: Req[] = [];
    for (let i = 0; i < 1100; i++) {
      if (i % 11 === 0) family = malformed(r);
      const q = family[i % 11]!;
      const body = i % 3 === 0 ? chars(Math.floor(r() * 200)) : q.body.toString();
      const a = s.handle({ method: q.method, path: q.path, headers: q.headers, body });
      expect(REFUSALS.has(a.status), `${q.what}: ${a.status}`).toBe(true);
      expect(a.body).toMatchObject({ kind: 'Status', code: a.status });
    }
    expect(s.history).toEqual([]);
  });
});
