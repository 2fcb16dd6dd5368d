// A target without an ability a fault needs makes the scenario skip with the reason, never pass.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { partitionPod } from '../../../src/faults/partition.ts';
import { pauseRedis } from '../../../src/faults/pause.ts';
import type { NetworkFaults, Pod, StartedDeployment } from '../../../src/targets/target.ts';

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `node-${i}`,
  redis: { host: `10.0.0.${i}`, port: 6379 },
  sentinel: { host: `10.0.0.${i}`, port: 26379 },
});

function context(deployment: Partial<StartedDeployment>): { ctx: FaultContext; marks: string[] } {
  const marks: string[] = [];
  const ctx: FaultContext = {
    deployment: { target: 'fake', pods: [pod(0), pod(1), pod(2)], ...deployment } as StartedDeployment,
    topology: { master: pod(0), replicas: [pod(1), pod(2)] },
    clock: createClock(),
    ms: (d) => (typeof d === 'number' ? d : 1000),
    mark: (type) => marks.push(type),
    podEvent: () => {},
    events: () => [],
    history: () => [],
    setClientPassword: () => {},
  };
  return { ctx, marks };
}

describe('faults skip when the target lacks the ability', () => {
  it('partition: a target without network faults skips, injecting nothing', async () => {
    const { ctx, marks } = context({});
    await expect(partitionPod(ctx, { target: 'master', cut: 'all', durationMs: 1000 })).rejects.toMatchObject({
      name: 'HarnessError',
      code: 'ABILITY_MISSING',
    });
    expect(marks).toEqual([]);
  });

  it('partition: without CAP_NET_ADMIN the reason is carried and no rule is attempted', async () => {
    let attempted = false;
    const network: NetworkFaults = {
      majorityClientAddress: '10.0.0.200',
      unavailableReason: async () => 'nftables needs CAP_NET_ADMIN: run as root or grant the capability',
      partition: async () => {
        attempted = true;
        throw new Error('must not be called');
      },
    };
    const { ctx } = context({ network });
    const err = await partitionPod(ctx, { target: 'master', cut: 'all', durationMs: 1000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'HarnessError', code: 'ABILITY_MISSING' });
    expect((err as Error).message).toContain('CAP_NET_ADMIN');
    expect(attempted).toBe(false);
  });

  it('pause: a target that cannot stop processes skips', async () => {
    const { ctx, marks } = context({});
    await expect(pauseRedis(ctx, { target: 'master', durationMs: 1000 })).rejects.toThrow(/cannot pause/);
    expect(marks).toEqual([]);
  });
});

describe('DNS faults skip on a target without the dns ability (the local target rewrites names to addresses)', () => {
  it('dns-down and dns-record-gone throw ABILITY_MISSING with the reason, injecting nothing', async () => {
    const { dnsDown } = await import('../../../src/faults/dns-down.ts');
    const { dnsRecordGone } = await import('../../../src/faults/dns-record-gone.ts');
    const { ctx, marks } = context({ target: 'local' });
    await expect(dnsDown(ctx, { durationMs: 1000, killMaster: true, masterDownMs: 0 })).rejects.toThrow(
      /dns-down needs control of the cluster DNS server, which the local target does not have/,
    );
    await expect(dnsRecordGone(ctx, { holdMs: 1000 })).rejects.toMatchObject({ code: 'ABILITY_MISSING' });
    expect(marks).toEqual([]);
  });
});
