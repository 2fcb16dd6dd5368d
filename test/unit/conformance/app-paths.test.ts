// The app-path failover figure: the first acknowledgement of a write the killed master cannot have taken.
import { describe, expect, it } from 'vitest';
import { firstAckInvokedAfter } from '../../../src/conformance/app-paths.ts';
import type { Op } from '../../../src/model/history.ts';
import type { StartedDeployment } from '../../../src/targets/target.ts';

const op = (type: Op['type'], key: string, ns: number): Op => ({ process: 'synapse', type, f: 'write', key, ns });

describe('firstAckInvokedAfter', () => {
  it('ignores acknowledgements of writes invoked before the fault, even when they arrive after it', () => {
    const h = [
      op('invoke', 'a', 5),
      op('invoke', 'b', 15),
      op('ok', 'a', 20),
      op('info', 'b', 30),
      op('invoke', 'c', 40),
      op('ok', 'c', 70),
      op('ok', 'b', 60),
    ];
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
    const pods = [0, 1, 2].map((i) => ({
      name: `redis-${i}`,
      ordinal: i,
      node: `n${i}`,
      redis: { host: `127.0.239.${i + 1}`, port: 6379 },
      sentinel: { host: `127.0.239.${i + 1}`, port: 26379 },
    }));
    const d = { target: 'fake', model, pods, password: 'x', passwords: ['x'], downAfterMs: 1500 } as unknown as StartedDeployment;
    const checks = await appPathChecks(d);
    const skipped = checks.filter((c) => c.valid === 'skipped');
    expect(skipped.map((c) => c.name).sort()).toEqual([
      'django-sessions.keeps-writing',
      'django-sessions.lost-writes',
      'django-sessions.readonly',
      'django-sessions.reads',
      'livekit.keeps-writing',
      'livekit.lost-writes',
      'livekit.readonly',
      'livekit.reads',
      'service.routes-to-master',
      'synapse.keeps-writing',
      'synapse.lost-writes',
      'synapse.readonly',
      'synapse.reads',
    ]);
    for (const c of skipped) expect(c.observed).toContain("target fake does not expose the manifests' Services");
    const failover = checks.find((c) => c.name === 'failover')!;
    expect([failover.valid, failover.observed]).toEqual([false, 'no sentinel named a master']);
  });
});

describe('checkResumeTime and the side-by-side table', () => {
  it('measures fault → first acknowledged write invoked after it, without needing the acknowledging node', async () => {
    const { checkResumeTime } = await import('../../../src/checkers/resume-time.ts');
    const h = [op('invoke', 'a', 5e6), op('invoke', 'b', 15e6), op('ok', 'b', 2015e6)];
    const input = { history: h, events: [], readBack: null, faultNs: 10e6, oldMaster: null, masterName: 'mymaster' };
    expect(checkResumeTime(input, { sloMs: 5000 })).toMatchObject({ valid: true, figures: { failover_ms: 2005 } });
    expect(checkResumeTime(input, { sloMs: 1000 }).valid).toBe(false);
    expect(checkResumeTime({ ...input, history: h.slice(0, 2) }, { sloMs: 5000 }).valid).toBe(false);
    expect(checkResumeTime({ ...input, faultNs: null }, { sloMs: 5000 }).valid).toBe('unknown');
  });

  it('puts each client on a row with its library, and a skipped one with its reason', async () => {
    const { appPathTable } = await import('../../../src/conformance/app-paths.ts');
    const t = appPathTable([
      {
        name: 'synapse.keeps-writing',
        group: 'app-paths',
        valid: true,
        expected: 'e',
        observed: 'o',
        explanation: 'Library redis-py 4.3.4 (driver redis-py-service): …',
        figures: { failover_ms: 2100, readonly_errors: 0, writes_failed: 0, writes_info: 90, lost_acked: 0, lost_acked_after_fault: 0 },
      },
      {
        name: 'synapse.reads',
        group: 'app-paths',
        valid: false,
        expected: 'e',
        observed: 'o',
        explanation: 'x',
        figures: { ryw_violations: 1, master_reads: 42, master_reads_unconstrained: 2, stale_replica_reads: 0, replica_reads: 0 },
      },
      {
        name: 'redis-rb-sentinel.keeps-writing',
        group: 'app-paths',
        valid: 'skipped',
        reason: 'redis-rb is not installed',
        expected: 'e',
        observed: 'o',
        explanation: 'x',
      },
    ]);
    expect(t).toContain('| synapse | service | redis-py 4.3.4 | 2100 | 0 | 0 / 90 | 0 (0) | pass | 1 of 40 / 0 of 0 FAIL |');
    expect(t).toContain('| redis-rb-sentinel | sentinel | – | skipped: redis-rb is not installed |');
  });
});
