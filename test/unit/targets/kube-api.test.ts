// The local API server's pod-label store: what a label PATCH from the role-labeller gets as an answer, and what it changes.
import { describe, expect, it } from 'vitest';
import { PodLabelStore, startFakeKubeApi } from '../../../src/targets/local/kube-api.ts';

const TOKEN = 'test-token-123';
const path = (pod: string, ns = 'matrix') => `/api/v1/namespaces/${ns}/pods/${pod}`;
let now = 0;
const store = () =>
  new PodLabelStore({ namespace: 'matrix', token: TOKEN, pods: { 'redis-0': { app: 'redis' }, 'redis-1': { app: 'redis' } }, now: () => ++now });
const patch = (s: PodLabelStore, body: unknown, opts: { pod?: string; type?: string; token?: string; ns?: string } = {}) =>
  s.handle({
    method: 'PATCH',
    path: path(opts.pod ?? 'redis-0', opts.ns),
    headers: { authorization: `Bearer ${opts.token ?? TOKEN}`, 'content-type': opts.type ?? 'application/merge-patch+json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('PodLabelStore', () => {
  it('tells its listeners each accepted change: the pod and the labels it changed (null: removed), not a patch that changed nothing', () => {
    const s = store();
    const seen: Array<[string, Record<string, string | null>]> = [];
    const off = s.onChange((pod, changed) => seen.push([pod, changed]));
    patch(s, { metadata: { labels: { 'redis.io/role': 'master' } } });
    patch(s, { metadata: { labels: { 'redis.io/role': 'master' } } });
    patch(s, { metadata: { labels: { 'redis.io/role': 'replica', app: null } } });
    off();
    patch(s, { metadata: { labels: { 'redis.io/role': 'master' } } });
    expect(seen).toEqual([
      ['redis-0', { 'redis.io/role': 'master' }],
      ['redis-0', { app: null, 'redis.io/role': 'replica' }],
    ]);
  });

  it('merges a label patch into the pod, answers the pod, and records the change once', () => {
    const s = store();
    const r = patch(s, { metadata: { labels: { 'redis.io/role': 'master' } } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'Pod', metadata: { name: 'redis-0', labels: { app: 'redis', 'redis.io/role': 'master' } } });
    expect(s.labels('redis-0')).toEqual({ app: 'redis', 'redis.io/role': 'master' });
    expect(s.labels('redis-1')).toEqual({ app: 'redis' });
    // The same patch again changes nothing and records nothing (the labeller re-asserts every ~10 s).
    expect(patch(s, { metadata: { labels: { 'redis.io/role': 'master' } } }).status).toBe(200);
    expect(s.history.map((h) => [h.pod, h.labels['redis.io/role']])).toEqual([['redis-0', 'master']]);
    expect(patch(s, { metadata: { labels: { 'redis.io/role': 'replica' } } }, { type: 'application/strategic-merge-patch+json; charset=utf-8' }).status).toBe(
      200,
    );
    expect(s.history).toHaveLength(2);
    expect(s.history[1]!.atMs).toBeGreaterThan(s.history[0]!.atMs);
  });

  it('removes a label patched to null', () => {
    const s = store();
    patch(s, { metadata: { labels: { 'redis.io/role': 'master' } } });
    expect(patch(s, { metadata: { labels: { 'redis.io/role': null } } }).status).toBe(200);
    expect(s.labels('redis-0')).toEqual({ app: 'redis' });
  });

  it('answers GET with the pod and its labels', () => {
    const s = store();
    const r = s.handle({ method: 'GET', path: path('redis-1'), headers: { authorization: `Bearer ${TOKEN}` }, body: '' });
    expect(r).toEqual({ status: 200, body: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'redis-1', namespace: 'matrix', labels: { app: 'redis' } } } });
  });

  it('refuses what the API server would refuse, changing nothing', () => {
    const s = store();
    const ok = { metadata: { labels: { 'redis.io/role': 'master' } } };
    expect(patch(s, ok, { token: 'wrong' }).status).toBe(401);
    expect(
      s.handle({ method: 'PATCH', path: path('redis-0'), headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify(ok) }).status,
    ).toBe(401);
    expect(patch(s, ok, { pod: 'redis-9' })).toMatchObject({ status: 404, body: { message: 'pods "redis-9" not found' } });
    expect(patch(s, ok, { ns: 'default' }).status).toBe(404);
    expect(patch(s, ok, { type: 'application/json-patch+json' }).status).toBe(415);
    expect(patch(s, '{not json').status).toBe(400);
    expect(patch(s, { spec: { nodeName: 'x' } }).status).toBe(422);
    expect(patch(s, { metadata: { labels: { 'redis.io/role': 'not a valid value!' } } }).status).toBe(422);
    expect(patch(s, { metadata: { labels: { 'redis.io/role': 7 } } }).status).toBe(422);
    expect(patch(s, { metadata: { labels: { '-bad key': 'x' } } }).status).toBe(422);
    expect(s.handle({ method: 'DELETE', path: path('redis-0'), headers: { authorization: `Bearer ${TOKEN}` }, body: '' }).status).toBe(405);
    expect(s.labels('redis-0')).toEqual({ app: 'redis' });
    expect(s.history).toEqual([]);
  });
});

describe('startFakeKubeApi', () => {
  it('serves the store over HTTP: a PATCH as curl sends it changes the labels', async () => {
    const s = store();
    const api = await startFakeKubeApi(s, '127.0.232.240', 16443);
    try {
      const res = await fetch(`${api.url}${path('redis-1')}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels: { 'redis.io/role': 'master' } } }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { metadata: { labels: Record<string, string> } }).metadata.labels['redis.io/role']).toBe('master');
      expect(s.labels('redis-1')['redis.io/role']).toBe('master');
      expect((await fetch(`${api.url}${path('redis-1')}`)).status).toBe(401);
    } finally {
      await api.close();
    }
  });
});
