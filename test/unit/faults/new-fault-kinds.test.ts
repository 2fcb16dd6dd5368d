// The TILT, starvation, lossy-link and sentinel-outage faults against recording fakes: what each does, in which
// order, that its heal leaves nothing in place, and that a target without the ability skips with the reason.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import { cpuStarve } from '../../../src/faults/cpu-starve.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { linkFlap } from '../../../src/faults/link-flap.ts';
import { packetLoss } from '../../../src/faults/packet-loss.ts';
import { sentinelOutage } from '../../../src/faults/sentinel-outage.ts';
import { sentinelStall } from '../../../src/faults/sentinel-stall.ts';
import type { NetworkFaults, Partition, PartitionSpec, Pod, PodControl, StartedDeployment } from '../../../src/targets/target.ts';

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
    deployment: { target: 'fake', pods: [pod(0), pod(1), pod(2)], downAfterMs: 100, ...deployment } as StartedDeployment,
    topology: { master: pod(0), replicas: [pod(1), pod(2)] },
    clock: createClock(),
    ms: (d) => (typeof d === 'number' ? d : 100),
    mark: (type, detail) => marks.push(`${type}: ${detail}`),
    podEvent: () => {},
    events: () => [],
    history: () => [],
    setClientPassword: () => {},
  };
  return { ctx, marks };
}

/** A pod control that records calls and keeps which pods run. */
function recordingPods(calls: string[]): PodControl {
  const down = new Set<string>();
  return {
    kill: async (n) => void (calls.push(`kill ${n}`), down.add(n)),
    start: async (n) => void (calls.push(`start ${n}`), down.delete(n)),
    isRunning: (n) => !down.has(n),
    killContainer: async (n, c) => void calls.push(`kill ${n}/${c}`),
    startContainer: async (n, c) => void calls.push(`start ${n}/${c}`),
  } as PodControl;
}

describe('sentinel-stall', () => {
  it('freezes the replicas’ sentinels, thaws them after the stall, then kills the master; the heal restarts it', async () => {
    const calls: string[] = [];
    const pause = {
      pause: async (p: string, c: string) => void calls.push(`freeze ${p}/${c}`),
      resume: async (p: string, c: string) => void calls.push(`thaw ${p}/${c}`),
    };
    const { ctx } = context({ pause, podControl: recordingPods(calls) });
    const f = await sentinelStall(ctx, { sentinels: 2, stallMs: 20, killMaster: true, masterDownMs: 0 });
    expect(calls).toEqual(['freeze redis-1/sentinel', 'freeze redis-2/sentinel', 'thaw redis-1/sentinel', 'thaw redis-2/sentinel', 'kill redis-0']);
    expect(f.healAfterFailover).toBe(true);
    expect(f.mustRejoin?.name).toBe('redis-0');
    expect(f.checks[0]!.figures).toMatchObject({ sentinels_frozen: 2 });
    expect(f.checks[0]!.figures.stall_ms).toBeGreaterThanOrEqual(19);
    await f.heal();
    expect(calls.slice(5)).toEqual(['thaw redis-1/sentinel', 'thaw redis-2/sentinel', 'start redis-0']);
  });

  it('with masterDownMs the master is held down that long and need not rejoin as a replica', async () => {
    const calls: string[] = [];
    const pause = { pause: async () => {}, resume: async () => {} };
    const { ctx } = context({ pause, podControl: recordingPods(calls) });
    const f = await sentinelStall(ctx, { sentinels: 2, stallMs: 10, killMaster: true, masterDownMs: 500 });
    expect(f.healAfterFailover).toBe(false);
    expect(f.holdUntilNs! - f.landedNs).toBe(500e6);
    expect(f.mustRejoin).toBeUndefined();
  });

  it('without a pause ability it skips before freezing anything', async () => {
    const { ctx, marks } = context({});
    await expect(sentinelStall(ctx, { sentinels: 2, stallMs: 20, killMaster: true, masterDownMs: 0 })).rejects.toMatchObject({ code: 'ABILITY_MISSING' });
    expect(marks).toEqual([]);
  });
});

describe('cpu-starve', () => {
  it('on the local target it skips with the reason (no cgroup per pod)', async () => {
    const { ctx, marks } = context({ target: 'local' });
    await expect(cpuStarve(ctx, { target: 'master', cpus: 0.01, durationMs: 100 })).rejects.toThrow(/cgroup per pod.*local target/);
    expect(marks).toEqual([]);
  });

  it('caps the victim, marks the proof, and the heal lifts the cap once', async () => {
    const calls: string[] = [];
    const cpu = {
      throttle: async (p: string, cpus: number) => {
        calls.push(`cap ${p} ${cpus}`);
        return { description: `${p}: cpu.cfs_quota_us 1000`, restore: async () => void calls.push(`lift ${p}`) };
      },
    };
    const { ctx, marks } = context({ cpu });
    const f = await cpuStarve(ctx, { target: 'replica', cpus: 0.01, durationMs: 100 });
    expect(marks.some((m) => m.startsWith('landed: redis-1: cpu.cfs_quota_us 1000'))).toBe(true);
    expect(f.holdUntilNs! - f.landedNs).toBe(100e6);
    await f.heal();
    await f.heal();
    expect(calls).toEqual(['cap redis-1 0.01', 'lift redis-1']);
  });
});

/** A network whose cuts are recorded; each returns a partition that records its heal. */
function recordingNetwork(log: string[], opts: { lossy?: boolean } = {}): NetworkFaults {
  let n = 0;
  const make = (what: string): Partition => {
    const id = ++n;
    log.push(`${what} #${id}`);
    return { description: `${what} #${id}`, inEffectAt: performance.now(), heal: async () => void log.push(`heal #${id}`) };
  };
  return {
    majorityClientAddress: '10.0.0.200',
    unavailableReason: async () => null,
    partition: async (s: PartitionSpec) => make(`cut ${s.isolate} ${s.cut}`),
    ...(opts.lossy ? { lossy: async (s: PartitionSpec & { percent: number }) => make(`loss ${s.percent}% ${s.isolate}`) } : {}),
  };
}

describe('link-flap', () => {
  it('cuts and restores the link in turn until its time is up; every cut is healed, the last by the heal', async () => {
    const log: string[] = [];
    const { ctx } = context({ network: recordingNetwork(log) });
    const f = await linkFlap(ctx, { target: 'master', cut: 'all', downMs: 30, upMs: 20, durationMs: 240 });
    await new Promise((r) => setTimeout(r, 300));
    await f.heal();
    const cuts = log.filter((l) => l.startsWith('cut')).length;
    expect(cuts).toBeGreaterThanOrEqual(3);
    expect(log.filter((l) => l.startsWith('heal')).length).toBe(cuts);
    expect(f.checks[0]!.figures.flap_cycles).toBe(cuts);
    // Nothing is cut after the heal.
    const after = log.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(log.length).toBe(after);
  });

  it('a heal in the middle of a cut removes it and stops the loop', async () => {
    const log: string[] = [];
    const { ctx } = context({ network: recordingNetwork(log) });
    const f = await linkFlap(ctx, { target: 'replica', cut: 'sentinels', downMs: 1000, upMs: 1000, durationMs: 60_000 });
    await f.heal();
    expect(log).toEqual(['cut redis-1 sentinels #1', 'heal #1']);
  });
});

describe('packet-loss', () => {
  it('asks the network for a lossy link of the given share and removes it at the heal', async () => {
    const log: string[] = [];
    const { ctx } = context({ network: recordingNetwork(log, { lossy: true }) });
    const f = await packetLoss(ctx, { target: 'master', percent: 30, cut: 'all', durationMs: 100 });
    await f.heal();
    expect(log).toEqual(['loss 30% redis-0 #1', 'heal #1']);
  });

  it('a network that cannot drop at random (Kubernetes backends here) skips', async () => {
    const { ctx } = context({ network: recordingNetwork([]) });
    await expect(packetLoss(ctx, { target: 'master', percent: 30, cut: 'all', durationMs: 100 })).rejects.toMatchObject({ code: 'ABILITY_MISSING' });
  });
});

describe('sentinel-outage', () => {
  it('kills every sentinel and the master, restarts the sentinels after the outage, the master only at the heal', async () => {
    const calls: string[] = [];
    const { ctx } = context({ podControl: recordingPods(calls) });
    const f = await sentinelOutage(ctx, { outageMs: 30, masterDownMs: 50 });
    expect(calls).toEqual(['kill redis-1/sentinel', 'kill redis-2/sentinel', 'kill redis-0', 'start redis-1/sentinel', 'start redis-2/sentinel']);
    expect(f.healAfterFailover).toBe(false);
    expect(f.mustRejoin).toBeUndefined();
    expect(f.checks[0]!.figures.sentinel_outage_ms).toBeGreaterThanOrEqual(29);
    await f.heal();
    expect(calls.slice(5)).toEqual(['start redis-1/sentinel', 'start redis-2/sentinel', 'start redis-0']);
  });
});
