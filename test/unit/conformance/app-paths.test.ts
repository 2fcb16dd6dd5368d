// The app-path failover figure: the first acknowledgement of a write the killed master cannot have taken.
import { describe, expect, it } from 'vitest';
import { firstAckInvokedAfter } from '../../../src/conformance/app-paths.ts';
import type { Op } from '../../../src/model/history.ts';

const op = (type: Op['type'], key: string, ns: number): Op => ({ process: 'synapse', type, f: 'write', key, ns });

describe('firstAckInvokedAfter', () => {
  it('ignores acknowledgements of writes invoked before the fault, even when they arrive after it', () => {
    const h = [op('invoke', 'a', 5), op('invoke', 'b', 15), op('ok', 'a', 20), op('info', 'b', 30), op('invoke', 'c', 40), op('ok', 'c', 70), op('ok', 'b', 60)];
    // b was invoked after the fault at 10 and acknowledged (late) at 60: the first such acknowledgement.
    expect(firstAckInvokedAfter(h, 10)).toBe(60);
    expect(firstAckInvokedAfter(h, 16)).toBe(70);
  });

  it('is null when no write invoked after the fault was acknowledged (a client stuck on a replica)', () => {
    expect(firstAckInvokedAfter([op('invoke', 'a', 5), op('ok', 'a', 20), op('invoke', 'b', 25), op('fail', 'b', 26)], 10)).toBeNull();
  });
});

describe('appPathChecks on a target without Services', () => {
  it('skips every Service-path check with the reason, and fails when no sentinel names a master', async () => {
    const { loadDeployment } = await import('../../../src/config/manifests.ts');
    const { appPathChecks } = await import('../../../src/conformance/app-paths.ts');
    const model = await loadDeployment(new URL('../../../manifests', import.meta.url).pathname);
    // Nothing listens on these addresses: the sentinels refuse at once.
    const pods = [0, 1, 2].map((i) => ({ name: `redis-${i}`, ordinal: i, node: `n${i}`, redis: { host: `127.0.239.${i + 1}`, port: 6379 }, sentinel: { host: `127.0.239.${i + 1}`, port: 26379 } }));
    const d = { target: 'fake', model, pods, password: 'x', passwords: ['x'], downAfterMs: 1500 } as unknown as import('../../../src/targets/target.ts').StartedDeployment;
    const checks = await appPathChecks(d);
    const skipped = checks.filter((c) => c.valid === 'skipped');
    expect(skipped.map((c) => c.name).sort()).toEqual([
      'django-sessions.keeps-writing', 'django-sessions.lost-writes', 'django-sessions.readonly',
      'livekit.keeps-writing', 'livekit.lost-writes', 'livekit.readonly',
      'service.routes-to-master',
      'synapse.keeps-writing', 'synapse.lost-writes', 'synapse.readonly',
    ]);
    for (const c of skipped) expect(c.observed).toContain('target fake does not expose the manifests\' Services');
    const failover = checks.find((c) => c.name === 'failover')!;
    expect([failover.valid, failover.observed]).toEqual([false, 'no sentinel named a master']);
  });
});
