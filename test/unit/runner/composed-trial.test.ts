// Composed faults through the trial against a fake deployment (no redis): a serial pair started on +switch-master,
// parallel steps whose victim is busy or whose ability is missing, and a halt at the first invariant violation.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { runTrial, type TrialContext } from '../../../src/runner/trial.ts';
import type { TrialIo } from '../../../src/runner/trial-io.ts';
import { fakeDeployment, fakeTrialIo, FakeWorld } from '../../support/fake-deployment.ts';

const scenario = (fault: string, extra = '') => `
name: fake-composed
description: a composition on a fake deployment
fault:
${fault}
restart: true
workload: { rateHz: 200, warmupMs: 20 }
expect: { failover: any }
timeouts: { failoverMs: 400, rejoinMs: 400, convergeMs: 400 }
${extra}`;

function setup(yaml: string) {
  const clock = createClock();
  const world = new FakeWorld(clock);
  const ctx: TrialContext = {
    deployment: fakeDeployment(world),
    scenario: parseScenario(yaml, 'fake.yaml'),
    index: 1,
    clock,
    runId: 'unit',
    convergeTimeoutMs: 1000,
    limits: { marginMs: 2000, injectMs: 2000, healMs: 2000, readBackMs: 1000, lateInjectMs: 2000 },
  };
  return { world, ctx };
}

describe('composed faults in a trial (fake deployment)', () => {
  it('kills the new master right after +switch-master, restarts each after its failover, and holds every invariant', async () => {
    const { world, ctx } = setup(
      scenario(`  kind: composed
  mode: serial
  steps:
    - fault: { kind: kill-pod, target: master }
    - after: +switch-master
      fault: { kind: kill-pod, target: master }
  invariants: { convergeMs: 400 }`),
    );
    const { result } = await runTrial(ctx, fakeTrialIo(world));
    const sch = result.schedule!;
    expect(sch.realised.map((r) => r.victim)).toEqual(['redis-0 (master)', 'redis-1 (master)']);
    for (const r of sch.realised) expect(r.healedMs!).toBeGreaterThanOrEqual(r.landedMs!);
    // The second kill follows the first +switch-master; both pods come back.
    expect(world.calls.indexOf('kill redis-1')).toBeGreaterThan(world.calls.indexOf('kill redis-0'));
    expect(world.calls).toEqual(expect.arrayContaining(['start redis-0', 'start redis-1']));
    // The second failover promotes whichever pod runs then (redis-0 when its restart came first).
    expect(['redis-0', 'redis-2']).toContain(world.master?.name);
    const step2 = result.events.find((e) => e.type === 'step' && e.detail.startsWith('step 2'))!;
    const switched = result.events.find((e) => e.type === '+switch-master')!;
    expect(step2.ns).toBeGreaterThan(switched.ns);
    expect(result.checks.filter((c) => c.name.startsWith('invariant/')).map((c) => [c.name, c.valid])).toEqual([
      ['invariant/single-master', true],
      ['invariant/convergence', true],
      ['invariant/sentinels-agree', true],
      ['invariant/no-lost-writes', true],
    ]);
    expect(result.checks.some((c) => c.name === 'split-brain' || c.name === 'write-loss')).toBe(false);
    expect(sch.checkpoints).toBeGreaterThanOrEqual(1);
    expect(result.verdict).toBe('pass');
  });

  it('skips a parallel step whose victim is under another step, and one whose ability the target lacks, with the reason', async () => {
    const { world, ctx } = setup(
      scenario(`  kind: composed
  mode: parallel
  skipUnable: true
  steps:
    - fault: { kind: kill-pod, target: replica, holdMs: 100 }
    - at: 20
      fault: { kind: kill-pod, target: replica }
    - at: 40
      fault: { kind: pause, target: master, durationMs: 50 }
    - at: 60
      replica: 1
      fault: { kind: kill-pod, target: replica }`),
    );
    const { result } = await runTrial(ctx, fakeTrialIo(world));
    const r = result.schedule!.realised;
    expect(r.map((x) => x.victim)).toEqual(['redis-1 (replica)', 'redis-1 (replica)', 'redis-0 (master)', 'redis-2 (replica)']);
    expect(r[1]!.skipped).toBe('redis-1 is under step 1');
    expect(r[2]!.skipped).toMatch(/cannot pause processes/);
    expect(r[3]!.landedMs).toBeDefined();
    expect(world.calls.filter((c) => c.startsWith('kill'))).toEqual(['kill redis-1', 'kill redis-2']);
    expect(world.calls.filter((c) => c.startsWith('start')).sort()).toEqual(['start redis-1', 'start redis-2']);
    expect(result.verdict).toBe('pass');
  });

  it('halts at the first violation with haltOn: invariants, naming it and the step before it; the steps not started never run', async () => {
    const { world, ctx } = setup(
      scenario(
        `  kind: composed
  mode: serial
  steps:
    - { durationMs: 20, fault: { kind: kill-pod, target: replica } }
    - { at: 300, durationMs: 20, fault: { kind: kill-pod, target: replica } }
    - { at: 300, durationMs: 20, fault: { kind: kill-pod, target: replica } }
  invariants: { convergeMs: 400 }`,
        'haltOn: invariants',
      ),
    );
    const io: TrialIo = {
      ...fakeTrialIo(world),
      sentinelMasters: async () => [
        { sentinel: 'redis-0/sentinel', master: '127.0.9.1:6379' },
        { sentinel: 'redis-1/sentinel', master: '127.0.9.2:6379' },
      ],
    };
    const outcome = await runTrial(ctx, io);
    expect(outcome.halted?.by).toBe('invariant/sentinels-agree');
    expect(outcome.halted?.reason).toMatch(
      /redis-0\/sentinel → 127\.0\.9\.1:6379, redis-1\/sentinel → 127\.0\.9\.2:6379.*after step 1 \(kill-pod on redis-1 \(replica\)/,
    );
    expect(outcome.result.verdict).toBe('fail');
    const sch = outcome.result.schedule!;
    expect(sch.violations[0]).toMatchObject({ invariant: 'sentinels-agree', steps: [0] });
    expect(sch.realised.length).toBeLessThan(3);
    expect(world.calls.filter((c) => c.startsWith('kill')).length).toBe(world.calls.filter((c) => c.startsWith('start')).length);
  });
});
