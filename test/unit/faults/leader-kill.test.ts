// leader-kill against a recording pod control and hand-made sentinel events: the leader is whoever announces the event
// after the master kill, its pod dies and comes back, the master only at the heal; no leader: the trial errs, the master restarts.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { firstAfterMs, leaderKill, leaderOf } from '../../../src/faults/leader-kill.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import type { Pod, PodControl, StartedDeployment } from '../../../src/targets/target.ts';

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `node-${i}`,
  redis: { host: `10.0.0.${i}`, port: 6379 },
  sentinel: { host: `10.0.0.${i}`, port: 26379 },
});
const ev = (ns: number, source: string, type: string): TrialEvent => ({ ns, kind: 'sentinel', source: `${source}/sentinel`, type, detail: 'master mymaster' });

function setUp(onKill: (pod: string, events: TrialEvent[], nowNs: number) => void) {
  const calls: string[] = [];
  const events: TrialEvent[] = [];
  const clock = createClock();
  const down = new Set<string>();
  const podControl = {
    kill: async (n: string) => {
      calls.push(`kill ${n}`);
      down.add(n);
      onKill(n, events, clock.nowNs());
    },
    start: async (n: string) => void (calls.push(`start ${n}`), down.delete(n)),
    isRunning: (n: string) => !down.has(n),
  } as unknown as PodControl;
  const marks: string[] = [];
  const ctx: FaultContext = {
    deployment: { target: 'local', pods: [pod(0), pod(1), pod(2)], downAfterMs: 100, podControl } as unknown as StartedDeployment,
    topology: { master: pod(0), replicas: [pod(1), pod(2)] },
    clock,
    ms: (d) => (typeof d === 'number' ? d : 100),
    mark: (type, detail) => marks.push(`${type}: ${detail}`),
    podEvent: () => {},
    events: () => events,
    history: () => [],
    setClientPassword: () => {},
  };
  return { ctx, calls, marks, events };
}

describe('leader-kill', () => {
  it('finds the leader by its announcement after the kill, never on the dead master', () => {
    const events = [ev(5, 'redis-1', '+elected-leader'), ev(20, 'redis-0', '+elected-leader'), ev(30, 'redis-2', '+elected-leader')];
    expect(leaderOf(events, '+elected-leader', 10, 'redis-0')).toEqual({ pod: 'redis-2', ns: 30 });
    expect(leaderOf(events, '+failover-state-select-slave', 0, 'redis-0')).toBeNull();
    expect(firstAfterMs([ev(5e6, 'redis-1', '+try-failover'), ev(25e6, 'redis-1', '+try-failover')], '+try-failover', 10e6)).toBe(15);
    expect(firstAfterMs([], '+try-failover', 10e6)).toBeNull();
    expect(firstAfterMs([ev(25e6, 'redis-1', '+try-failover')], '+try-failover', null)).toBeNull();
  });

  it('kills the master, then the announcing leader’s pod, restarts the leader at once and the master at the heal', async () => {
    const { ctx, calls, marks } = setUp((n, events, now) => {
      // The election comes a moment after the master died.
      if (n === 'redis-0') setTimeout(() => events.push(ev(now + 5e6, 'redis-2', '+elected-leader')), 5);
    });
    const f = await leaderKill(ctx, { on: '+elected-leader', leaderDownMs: 0, leaderWaitMs: 2000 });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual(['kill redis-0', 'kill redis-2', 'start redis-2']);
    expect(f.victim.name).toBe('redis-0');
    expect(f.healAfterFailover).toBe(true);
    expect(f.mustRejoin?.name).toBe('redis-0');
    expect(marks.some((m) => /^leader-killed: redis-2 processes gone/.test(m))).toBe(true);
    expect(f.checks[0]!.figures).toMatchObject({ leader_ordinal: 2, try_failover_after_leader_kill_ms: null });
    await f.heal();
    expect(calls.slice(3)).toEqual(['start redis-0']);
  });

  it('no announcement within leaderWaitMs: the trial errs, the master is started again, nothing else killed', async () => {
    const { ctx, calls } = setUp(() => {});
    await expect(leaderKill(ctx, { on: '+elected-leader', leaderDownMs: 0, leaderWaitMs: 50 })).rejects.toThrow(
      /no sentinel announced \+elected-leader within 50 ms/,
    );
    expect(calls).toEqual(['kill redis-0', 'start redis-0']);
  });
});
