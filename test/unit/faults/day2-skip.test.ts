// Day-2 faults that need the pods' volumes skip, injecting nothing, on a target without them.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import { aofDamage } from '../../../src/faults/aof-damage.ts';
import { backupRestore } from '../../../src/faults/backup-restore.ts';
import { emptyVolume } from '../../../src/faults/empty-volume.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { scaleOut } from '../../../src/faults/scale-out.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `node-${i}`,
  redis: { host: `10.0.0.${i}`, port: 6379 },
  sentinel: { host: `10.0.0.${i}`, port: 26379 },
});

function context(): { ctx: FaultContext; marks: string[] } {
  const marks: string[] = [];
  const ctx: FaultContext = {
    deployment: { target: 'fake', pods: [pod(0), pod(1), pod(2)] } as unknown as StartedDeployment,
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

describe('day-2 faults without a volumes or scale ability', () => {
  it.each([
    ['empty-volume', (c: FaultContext) => emptyVolume(c, { settleTimeoutMs: 1000 })],
    ['backup-restore', (c: FaultContext) => backupRestore(c, { preStop: true, settleTimeoutMs: 1000 })],
    ['aof-damage', (c: FaultContext) => aofDamage(c, { bytes: 7 })],
    ['scale-out', (c: FaultContext) => scaleOut(c, { replicas: 5, quorum: 3, discoverTimeoutMs: 1000 })],
  ])('%s skips with the reason and injects nothing', async (kind, inject) => {
    const { ctx, marks } = context();
    const err = await inject(ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'HarnessError', code: 'ABILITY_MISSING' });
    expect((err as Error).message).toMatch(new RegExp(`${kind} needs (access to the pods' volumes|to add pods)`));
    expect(marks).toEqual([]);
  });
});

describe('day-2 scenario schema', () => {
  it('fills in the defaults of each kind', () => {
    const s = (fault: string) => parseScenario(`name: x\ndescription: y\nfault:\n${fault}`, 'x.yaml').fault;
    expect(s('  kind: backup-restore\n')).toEqual({ kind: 'backup-restore', preStop: true, settleTimeoutMs: 60_000 });
    expect(s('  kind: full-restart\n')).toEqual({ kind: 'full-restart', order: 'together', gapMs: 0, settleTimeoutMs: 60_000 });
    expect(s('  kind: empty-volume\n')).toEqual({ kind: 'empty-volume', settleTimeoutMs: 60_000 });
    expect(s('  kind: aof-damage\n')).toEqual({ kind: 'aof-damage', bytes: 7 });
    expect(s('  kind: scale-out\n')).toEqual({ kind: 'scale-out', replicas: 5, quorum: 3, discoverTimeoutMs: 60_000 });
  });

  it('rejects an unknown restart order and a zero-byte truncation, naming the field', () => {
    expect(() => parseScenario('name: x\ndescription: y\nfault:\n  kind: full-restart\n  order: random\n', 'x.yaml')).toThrow(/fault.order/);
    expect(() => parseScenario('name: x\ndescription: y\nfault:\n  kind: aof-damage\n  bytes: 0\n', 'x.yaml')).toThrow(/fault.bytes/);
  });
});
