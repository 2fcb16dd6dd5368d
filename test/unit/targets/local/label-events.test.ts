// The role labeller's accepted patches as `labelled` pod events (local and docker targets): what the bench's timelines read.
import { describe, expect, it } from 'vitest';
import { emitLabelChanges, PodEventHub } from '../../../../src/targets/local/deployment.ts';
import { PodLabelStore } from '../../../../src/targets/local/kube-api.ts';

describe('emitLabelChanges', () => {
  it('turns each label change the API server accepted into a labelled event, and a rejected patch into none', () => {
    const store = new PodLabelStore({ namespace: 'matrix', token: 'tok', pods: { 'redis-0': { app: 'redis' } } });
    const events = new PodEventHub();
    const seen: string[] = [];
    events.subscribe((e) => seen.push(`${e.type} ${e.detail}`));
    const stop = emitLabelChanges({ onLabelChange: (fn) => store.onChange(fn) }, events);
    const patch = (token: string, labels: Record<string, string | null>) =>
      store.handle({
        method: 'PATCH',
        path: '/api/v1/namespaces/matrix/pods/redis-0',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ metadata: { labels } }),
      });
    expect(patch('tok', { 'redis.io/role': 'master' }).status).toBe(200);
    expect(patch('wrong', { 'redis.io/role': 'replica' }).status).toBe(401);
    expect(patch('tok', { 'redis.io/role': null }).status).toBe(200);
    stop();
    expect(patch('tok', { 'redis.io/role': 'replica' }).status).toBe(200);
    expect(seen).toEqual(['labelled redis-0 redis.io/role=master', 'labelled redis-0 redis.io/role=(removed)']);
  });
});
