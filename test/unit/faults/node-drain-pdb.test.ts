// node-drain's pdb-min-available beside other faults: a pod another step (a soak's kill) takes down during the drain
// is not the eviction's doing; an eviction accepted while too few other pods were ready still fails the check.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { drainMasterNode } from '../../../src/faults/node-drain.ts';
import { ReadinessSampler } from '../../../src/faults/readiness-sampler.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';

const NAMES = ['redis-0', 'redis-1', 'redis-2'];

/** Three pods whose readiness the test sets; the evicted pod is ready again after `downSamples` readiness queries. */
function deployment(o: { downSamples: number; onEvict?: () => void }) {
  const ready = new Map(NAMES.map((n) => [n, true]));
  let countdown = 0;
  const pods: Pod[] = NAMES.map((name, ordinal) => ({
    name,
    ordinal,
    node: `node-${ordinal}`,
    redis: { host: name, port: 6379 },
    sentinel: { host: name, port: 26379 },
  }));
  const podControl = {
    isReady: async (n: string) => {
      if (n === 'redis-0' && !ready.get(n) && --countdown <= 0) ready.set(n, true);
      return ready.get(n)!;
    },
    isRunning: () => true,
    start: async () => {},
  };
  const nodes = {
    cordon: async () => {},
    uncordon: async () => {},
    nodeOf: (n: string) => `node-${NAMES.indexOf(n)}`,
    // The eviction the emulation accepts (the test decides whether it should have): the pod down for a while.
    evict: async (n: string) => {
      if (n !== 'redis-0') return { evicted: false as const, reason: 'PDB' };
      ready.set(n, false);
      countdown = o.downSamples;
      o.onEvict?.();
      return { evicted: true as const };
    },
  };
  const d = { target: 'local', model: { pdb: { name: 'redis', minAvailable: 2 } }, pods, podControl, nodes } as unknown as StartedDeployment;
  return { d, pods, ready };
}

function context(d: StartedDeployment, pods: Pod[], otherSteps?: () => ReadonlySet<string>): FaultContext {
  return {
    deployment: d,
    topology: { master: pods[0]!, replicas: pods.slice(1) },
    clock: createClock(),
    ms: (x) => (typeof x === 'number' ? x : 0),
    mark: () => {},
    podEvent: () => {},
    events: () => [],
    history: () => [],
    setClientPassword: () => {},
    ...(otherSteps ? { otherSteps } : {}),
  };
}

const minAvailable = async (ctx: FaultContext) => {
  const f = await drainMasterNode(ctx, { readyTimeoutMs: 5000 });
  await f.heal();
  return f.checks.find((c) => c.name === 'pdb-min-available')!;
};

describe('node-drain pdb-min-available', () => {
  it('counts a pod another step took down during the drain apart, and fails on the same samples outside a composition', async () => {
    const other = new Set<string>();
    const { d, pods, ready } = deployment({
      downSamples: 24,
      // A soak's kill-pod of redis-2 lands right after the eviction.
      onEvict: () => {
        ready.set('redis-2', false);
        other.add('redis-2');
      },
    });
    const c = await minAvailable(context(d, pods, () => other));
    expect(c.valid).toBe(true);
    expect(c.figures).toMatchObject({ min_ready_pods: 1, min_ready_or_other_step: 2, pods_down_by_other_steps: 1, other_pods_ready_at_eviction: 2 });
    expect(c.explanation).toContain('down because of another step (redis-2)');

    const alone = deployment({ downSamples: 24, onEvict: () => alone.ready.set('redis-2', false) });
    const single = await minAvailable(context(alone.d, alone.pods));
    expect(single.valid).toBe(false);
    expect(single.figures).toMatchObject({ min_ready_pods: 1, min_ready_or_other_step: 1, pods_down_by_other_steps: 0 });
  });

  it('beside other steps the samples are reported, not judged: a dip no step is blamed for (a replica resyncing) does not fail it; alone it does', async () => {
    const other = new Set<string>();
    const { d, pods, ready } = deployment({
      downSamples: 24,
      onEvict: () => {
        // Another step acts for a moment during the drain, then its pod is ready again ...
        other.add('redis-1');
        setTimeout(() => other.clear(), 250);
        // ... and then redis-2 dips with no step to blame.
        setTimeout(() => ready.set('redis-2', false), 300);
        setTimeout(() => ready.set('redis-2', true), 2500);
      },
    });
    const c = await minAvailable(context(d, pods, () => other));
    expect(c.figures).toMatchObject({ min_ready_or_other_step: 1, other_pods_ready_at_eviction: 2 });
    expect(c.valid).toBe(true);
    expect(c.explanation).toContain('reported, not judged');

    const alone = deployment({
      downSamples: 24,
      onEvict: () => {
        setTimeout(() => alone.ready.set('redis-2', false), 300);
        setTimeout(() => alone.ready.set('redis-2', true), 2500);
      },
    });
    const single = await minAvailable(context(alone.d, alone.pods));
    expect(single.valid).toBe(false);
    expect(single.explanation).not.toContain('reported, not judged');
  });

  it('fails when the eviction went through with a pod already down, even if another step had it down', async () => {
    const { d, pods, ready } = deployment({ downSamples: 3 });
    ready.set('redis-2', false);
    const c = await minAvailable(context(d, pods, () => new Set(['redis-2'])));
    expect(c.valid).toBe(false);
    expect(c.figures).toMatchObject({ other_pods_ready_at_eviction: 1 });
    expect(c.explanation).toMatch(/^1 other pod\(s\) ready when the eviction of redis-0 was asked/);
  });

  it('excuses a replica not ready while another step acts (its probe needs the master that step killed), never the drained pod', () => {
    const { d } = deployment({ downSamples: 0 });
    let other = new Set(['redis-1']);
    const s = new ReadinessSampler(
      d,
      () => {},
      () => other,
      'redis-0',
    );
    s.record([false, false, false]); // redis-0 drained, redis-1 (the master) killed by another step, redis-2's link down with it
    expect([s.minReady, s.minReadyOrElsewhere]).toEqual([0, 2]);
    other = new Set();
    s.record([false, true, true]);
    s.record([false, true, false]); // no other step now, redis-2 seen ready since: counted
    expect([s.minReady, s.minReadyOrElsewhere]).toEqual([0, 1]);
  });

  it('keeps a pod excused after its step healed until it is seen ready again', () => {
    const { d } = deployment({ downSamples: 0 });
    let other = new Set(['redis-2']);
    const s = new ReadinessSampler(
      d,
      () => {},
      () => other,
      'redis-0',
    );
    s.record([false, true, false]); // redis-0 evicted, redis-2 killed by another step
    other = new Set(); // that step healed: redis-2 restarting, not ready yet
    s.record([false, true, false]);
    expect([s.minReady, s.minReadyOrElsewhere]).toEqual([1, 2]);
    s.record([true, true, true]);
    s.record([false, true, false]); // down again with no step to blame
    expect([s.minReady, s.minReadyOrElsewhere]).toEqual([1, 1]);
  });
});
