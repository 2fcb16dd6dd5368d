// Each probe kind against the real thing it asks (a command, an HTTP server on loopback, a fake Prometheus
// speaking the query API's JSON), the scenario's `probes:` / `haltOn:` fields, and figure-bound halts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../../../src/errors.ts';
import { figureHalt, parseHaltCondition } from '../../../src/probes/halt.ts';
import { isLoopbackUrl } from '../../../src/probes/http.ts';
import { ProbeSchema, sampleProbe, type ProbeSpec } from '../../../src/probes/index.ts';
import { haltConditionsOf, parseScenario } from '../../../src/runner/scenario.ts';

const HOST = '127.0.117.9';
const PASSWORD = 'probe-secret-Zx81q';
const ctx = (signal = new AbortController().signal) => ({ signal, password: PASSWORD });
const spec = (s: Record<string, unknown>): ProbeSpec => ProbeSchema.parse({ name: 'p', mode: 'during', ...s });

let server: Server;
let base: string;
/** What the fake answers on each path: status, body (a Prometheus answer is JSON). */
const routes = new Map<string, { status: number; body: string; delayMs?: number }>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = url.pathname === '/api/v1/query' ? `query:${url.searchParams.get('query')}` : url.pathname;
    const r = routes.get(key) ?? { status: 404, body: 'no route' };
    setTimeout(() => res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body), r.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  base = `http://${HOST}:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('exec probe', () => {
  it('exit 0 is ok, any other exit fails with its code and output tail', async () => {
    expect(await sampleProbe(spec({ kind: 'exec', command: ['true'] }), ctx())).toEqual({ ok: true, detail: 'exit 0' });
    expect(await sampleProbe(spec({ kind: 'exec', command: ['sh', '-c', 'echo broken >&2; exit 3'] }), ctx())).toEqual({
      ok: false,
      detail: 'exit 3: broken',
    });
    expect((await sampleProbe(spec({ kind: 'exec', command: ['/nonexistent/probe'] }), ctx())).ok).toBe(false);
  });

  it('a command outlasting its timeout fails, and it and its children are killed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sc-probe-'));
    try {
      const late = path.join(dir, 'late');
      const t0 = performance.now();
      const r = await sampleProbe(spec({ kind: 'exec', timeoutMs: 200, command: ['sh', '-c', `(sleep 0.6; touch ${late}) & sleep 5`] }), ctx());
      expect(r).toEqual({ ok: false, detail: 'no exit within 200 ms' });
      expect(performance.now() - t0).toBeLessThan(1500);
      await new Promise((res) => setTimeout(res, 800));
      expect(existsSync(late), 'a child of the probe outlived it').toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an abort (the trial stops polling) kills the command at once', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = performance.now();
    const r = await sampleProbe(spec({ kind: 'exec', timeoutMs: 10_000, command: ['sleep', '5'] }), ctx(ac.signal));
    expect(r.ok).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('the password reaches the command only as env REDIS_PASSWORD when asked, and never its output', async () => {
    const show = ['sh', '-c', 'echo "pw=${REDIS_PASSWORD:-none}"; test -n "$REDIS_PASSWORD"'];
    expect(await sampleProbe(spec({ kind: 'exec', command: show }), ctx())).toEqual({ ok: false, detail: 'exit 1: pw=none' });
    expect(await sampleProbe(spec({ kind: 'exec', passwordEnv: true, command: show }), ctx())).toEqual({
      ok: true,
      detail: 'exit 0: pw=***',
    });
  });
});

describe('http probe', () => {
  it('ok on the expected status and body substring; fails naming what differed', async () => {
    routes.set('/health', { status: 200, body: '{"state":"ready"}' });
    routes.set('/down', { status: 503, body: 'unavailable' });
    expect(await sampleProbe(spec({ kind: 'http', url: `${base}/health` }), ctx())).toEqual({ ok: true, detail: 'HTTP 200' });
    expect(await sampleProbe(spec({ kind: 'http', url: `${base}/health`, bodyContains: 'ready' }), ctx())).toEqual({
      ok: true,
      detail: 'HTTP 200',
    });
    expect(await sampleProbe(spec({ kind: 'http', url: `${base}/health`, bodyContains: 'degraded' }), ctx())).toEqual({
      ok: false,
      detail: 'HTTP 200, body lacks "degraded"',
    });
    expect(await sampleProbe(spec({ kind: 'http', url: `${base}/down` }), ctx())).toEqual({ ok: false, detail: 'HTTP 503, expected 200' });
    expect(await sampleProbe(spec({ kind: 'http', url: `${base}/down`, expectStatus: 503 }), ctx())).toEqual({
      ok: true,
      detail: 'HTTP 503',
    });
  });

  it('a slow server fails on the timeout; a closed port fails with the error code', async () => {
    routes.set('/slow', { status: 200, body: 'late', delayMs: 1000 });
    expect(await sampleProbe(spec({ kind: 'http', url: `${base}/slow`, timeoutMs: 100 }), ctx())).toEqual({
      ok: false,
      detail: 'no answer within 100 ms',
    });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, HOST, r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    expect(await sampleProbe(spec({ kind: 'http', url: `http://${HOST}:${port}/` }), ctx())).toEqual({ ok: false, detail: 'ECONNREFUSED' });
  });

  it('only loopback URLs', () => {
    expect(isLoopbackUrl('http://127.0.117.3:8080/x')).toBe(true);
    expect(isLoopbackUrl('http://localhost/x')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:80/')).toBe(true);
    expect(isLoopbackUrl('http://10.0.0.1/')).toBe(false);
    expect(isLoopbackUrl('http://127.0.0.1.example.com/')).toBe(false);
    expect(isLoopbackUrl('file:///etc/passwd')).toBe(false);
  });
});

describe('promql probe (against a fake Prometheus: the real one is the monitoring work)', () => {
  const vector = (...values: string[]) =>
    JSON.stringify({
      status: 'success',
      data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { i: String(i) }, value: [1700000000.1, v] })) },
    });

  it('every value of a vector must meet the bound; a scalar too', async () => {
    routes.set('query:up', { status: 200, body: vector('1', '1') });
    routes.set('query:errors', { status: 200, body: vector('0', '4') });
    routes.set('query:scalar(1)', {
      status: 200,
      body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1700000000, '1'] } }),
    });
    expect(await sampleProbe(spec({ kind: 'promql', url: base, query: 'up', expect: '== 1' }), ctx())).toEqual({
      ok: true,
      detail: 'value(s) 1, 1 == 1',
    });
    expect(await sampleProbe(spec({ kind: 'promql', url: `${base}/`, query: 'errors', expect: '< 1' }), ctx())).toEqual({
      ok: false,
      detail: 'value 4 not < 1 (2 value(s): 0, 4)',
    });
    expect(await sampleProbe(spec({ kind: 'promql', url: base, query: 'errors', expect: '>= 0' }), ctx())).toMatchObject({ ok: true });
    expect(await sampleProbe(spec({ kind: 'promql', url: base, query: 'scalar(1)', expect: '> 0.5' }), ctx())).toMatchObject({ ok: true });
  });

  it('no series, a query error, and a non-Prometheus answer all fail, saying which', async () => {
    routes.set('query:absent', { status: 200, body: vector() });
    routes.set('query:bad(', {
      status: 400,
      body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }),
    });
    expect(await sampleProbe(spec({ kind: 'promql', url: base, query: 'absent', expect: '== 0' }), ctx())).toEqual({
      ok: false,
      detail: 'no series in the result',
    });
    expect(await sampleProbe(spec({ kind: 'promql', url: base, query: 'bad(', expect: '== 0' }), ctx())).toEqual({
      ok: false,
      detail: 'query failed: parse error at char 5',
    });
    expect(await sampleProbe(spec({ kind: 'promql', url: `${base}/nothing-here`, query: 'up', expect: '== 1' }), ctx())).toEqual({
      ok: false,
      detail: 'HTTP 404: not a Prometheus query answer',
    });
  });
});

describe('scenario fields probes: and haltOn:', () => {
  const yaml = (probes: string, haltOn = '') => `name: p
description: probes
fault: { kind: kill-pod, target: master }
probes:
${probes}
${haltOn}
`;
  const error = (text: string): string => {
    try {
      parseScenario(text, 's.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(HarnessError);
      expect((e as HarnessError).exitCode).toBe(2);
      return (e as Error).message;
    }
    throw new Error('no error');
  };

  it('parses every kind with defaults, and haltOn as a probe name or a figure bound', () => {
    const s = parseScenario(
      yaml(
        `  - { name: api, kind: http, mode: continuous, url: "http://127.0.0.1:8080/health" }
  - { name: up, kind: promql, mode: during, url: "http://127.0.0.1:9090", query: up, expect: "== 1" }
  - { name: file, kind: exec, mode: before, command: [test, -e, /tmp/x] }`,
        'haltOn: [api, "writes_lost > 0"]',
      ),
      's.yaml',
    );
    expect(s.probes?.[0]).toMatchObject({ intervalMs: 1000, timeoutMs: 2000, maxFailures: 0, count: 'consecutive', expectStatus: 200 });
    expect(haltConditionsOf(s)).toEqual([
      { kind: 'probe', probe: 'api' },
      { kind: 'figure', figure: 'writes_lost', op: '>', value: 0, text: 'writes_lost > 0' },
    ]);
    expect(haltConditionsOf(parseScenario(yaml('  - { name: api, kind: exec, mode: after, command: ["true"] }', 'haltOn: api'), 's.yaml'))).toEqual([
      { kind: 'probe', probe: 'api' },
    ]);
  });

  it('bad input: one line naming file:line and the field', () => {
    expect(error(yaml('  - { name: api, kind: http, mode: during, url: "http://10.1.2.3/" }'))).toMatch(
      /^s\.yaml:5:\d+: field probes\.0\.url: an http\(s\) URL on loopback/,
    );
    expect(error(yaml('  - { name: api, kind: ftp, mode: during }'))).toMatch(/^s\.yaml:5:\d+: field probes\.0\.kind: /);
    expect(error(yaml('  - { name: api, kind: exec, mode: sometimes, command: ["true"] }'))).toMatch(/^s\.yaml:5:\d+: field probes\.0\.mode: /);
    expect(error(yaml('  - { name: up, kind: promql, mode: during, url: "http://127.0.0.1:9090", query: up, expect: "about 1" }'))).toMatch(
      /^s\.yaml:5:\d+: field probes\.0\.expect: a comparison/,
    );
    expect(error(yaml('  - { name: a, kind: exec, mode: after, command: ["true"] }\n  - { name: a, kind: exec, mode: after, command: ["true"] }'))).toMatch(
      /^s\.yaml:6:\d+: field probes\.1\.name: "a" names two probes$/,
    );
    expect(error(yaml('  - { name: a, kind: exec, mode: after, command: ["true"] }', 'haltOn: [a, b]'))).toMatch(
      /^s\.yaml:6:\d+: field haltOn\.1: "b" is neither one of the probes \(a\) nor a figure bound/,
    );
    for (const m of [error(yaml('  - { name: a, kind: exec, mode: after, command: ["true"] }', 'haltOn: [a, b]'))]) expect(m.split('\n')).toHaveLength(1);
  });
});

describe('figure-bound halts', () => {
  it('halt when a figure meets its bound; a figure the trial lacks (or null) never halts', () => {
    const c = parseHaltCondition('writes_lost > 0', []);
    expect(c).toMatchObject({ kind: 'figure' });
    const conds = [c as Exclude<typeof c, { error: string }>];
    expect(figureHalt(conds, { writes_lost: 3 })).toEqual({ by: 'writes_lost > 0', reason: 'writes_lost = 3' });
    expect(figureHalt(conds, { writes_lost: 0 })).toBeNull();
    expect(figureHalt(conds, { writes_lost: null })).toBeNull();
    expect(figureHalt(conds, {})).toBeNull();
  });
});
