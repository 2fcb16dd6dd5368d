// clock-skew against a recording clock control: whose clocks shift, the kill after the jump, the heal's order, a partial
// jump put back, and the skip reason of a target without the ability.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import { skewClock, skewedPods } from '../../../src/faults/clock-skew.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { isHarnessError } from '../../../src/errors.ts';
import type { ClockControl, Pod, PodControl, StartedDeployment } from '../../../src/targets/target.ts';

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `node-${i}`,
  redis: { host: `10.0.0.${i}`, port: 6379 },
  sentinel: { host: `10.0.0.${i}`, port: 26379 },
});
const topology = { master: pod(0), replicas: [pod(1), pod(2)] };

function context(deployment: Partial<StartedDeployment>): { ctx: FaultContext; marks: string[] } {
  const marks: string[] = [];
  const ctx: FaultContext = {
    deployment: { target: 'local', pods: [pod(0), pod(1), pod(2)], downAfterMs: 100, ...deployment } as StartedDeployment,
    topology,
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

function recording(calls: string[], failOn?: string): { clock: ClockControl; podControl: PodControl } {
  const down = new Set<string>();
  return {
    clock: {
      skew: async (p, c, ms) => {
        if (p === failOn) throw new Error(`${p} did not show it`);
        calls.push(`skew ${p}/${c} ${ms}`);
        return { description: `${p} ${ms}`, heal: async () => void calls.push(`back ${p}/${c}`) };
      },
    },
    podControl: {
      kill: async (n) => void (calls.push(`kill ${n}`), down.add(n)),
      start: async (n) => void (calls.push(`start ${n}`), down.delete(n)),
      isRunning: (n) => !down.has(n),
    } as PodControl,
  };
}

describe('clock-skew', () => {
  it('picks the target’s pod first, then the replicas, then the master', () => {
    expect(skewedPods(topology, 'master', 1).map((p) => p.name)).toEqual(['redis-0']);
    expect(skewedPods(topology, 'replica', 2).map((p) => p.name)).toEqual(['redis-1', 'redis-2']);
    expect(skewedPods(topology, 'replica', 3).map((p) => p.name)).toEqual(['redis-1', 'redis-2', 'redis-0']);
    expect(skewedPods(topology, 'master', 3).map((p) => p.name)).toEqual(['redis-0', 'redis-1', 'redis-2']);
  });

  it('shifts the survivors’ clocks, kills the master after them, and heals clocks first, then the master, once', async () => {
    const calls: string[] = [];
    const { ctx, marks } = context(recording(calls));
    const f = await skewClock(ctx, { target: 'replica', container: 'sentinel', sentinels: 2, offsetMs: 60_000, durationMs: 0, killMasterAfterMs: 10 });
    expect(calls).toEqual(['skew redis-1/sentinel 60000', 'skew redis-2/sentinel 60000', 'kill redis-0']);
    expect(f.victim.name).toBe('redis-0');
    expect(f.healAfterFailover).toBe(true);
    expect(f.mustRejoin?.name).toBe('redis-0');
    expect(f.holdUntilNs).toBe(f.landedNs);
    expect(marks.filter((m) => m.startsWith('landed'))).toHaveLength(2);
    expect(f.checks[0]!.name).toBe('clock-skew');
    expect(f.checks[0]!.figures).toMatchObject({ sentinels_skewed: 2, tilt_episodes: 0, switch_master_after_mark_ms: null });
    await f.heal();
    await f.heal();
    expect(calls.slice(3)).toEqual(['back redis-1/sentinel', 'back redis-2/sentinel', 'start redis-0']);
  });

  it('without a kill: holds for durationMs, no failover wanted, the heal only puts the clock back', async () => {
    const calls: string[] = [];
    const { ctx } = context(recording(calls));
    const f = await skewClock(ctx, { target: 'master', container: 'sentinel', sentinels: 1, offsetMs: -30_000, durationMs: 40_000 });
    expect(f.victim.name).toBe('redis-0');
    expect(f.healAfterFailover).toBe(false);
    expect(f.holdUntilNs).toBe(f.landedNs + 40_000 * 1e6);
    expect(f.figures).toEqual({ clock_offset_ms: -30_000 });
    await f.heal();
    expect(calls).toEqual(['skew redis-0/sentinel -30000', 'back redis-0/sentinel']);
  });

  it('a jump that does not land on the second pod puts the first back and kills nothing', async () => {
    const calls: string[] = [];
    const { ctx } = context(recording(calls, 'redis-2'));
    await expect(
      skewClock(ctx, { target: 'replica', container: 'sentinel', sentinels: 2, offsetMs: 60_000, durationMs: 0, killMasterAfterMs: 10 }),
    ).rejects.toThrow(/redis-2 did not show it/);
    expect(calls).toEqual(['skew redis-1/sentinel 60000', 'back redis-1/sentinel']);
  });

  it('a local or docker deployment without the shim skips with the reason (gcc)', async () => {
    const { ctx } = context({});
    const e = await skewClock(ctx, { target: 'master', container: 'sentinel', sentinels: 1, offsetMs: 60_000, durationMs: 0 }).catch((x: unknown) => x);
    expect(isHarnessError(e) && e.code).toBe('ABILITY_MISSING');
    expect((e as Error).message).toMatch(/clock shim .* install gcc/);
  });
});
