// The trial's phases against a fake deployment (no redis): clean, client cannot connect, fault never lands, heal throws,
// interrupt mid-phase, failover never comes, skipped for a missing ability.
import { describe, expect, it } from 'vitest';
import { createClock, type Clock } from '../../../src/clock.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { runTrial, unfinishedTrial, type TrialContext } from '../../../src/runner/trial.ts';
import { fakeDeployment, fakeTrialIo, FakeWorld } from '../../support/fake-deployment.ts';

const MASTER_KILL = `
name: fake-master-kill
description: kill the master of a fake deployment
fault: { kind: kill-pod, target: master }
restart: true
workload: { rateHz: 200, warmupMs: 20 }
expect: { failover: true, failoverMs: 10000, failoverBandMs: [0, 10000], maxLostWrites: 0 }
timeouts: { failoverMs: 400, rejoinMs: 400, convergeMs: 400 }
`;

const PARTITION = `
name: fake-partition
description: partition the master of a fake deployment
fault: { kind: partition, target: master, cut: all, durationMs: 1x, isolatedClient: true }
workload: { rateHz: 200, warmupMs: 20 }
expect: { failover: true, maxLostWrites: 0 }
`;

function setup(yaml = MASTER_KILL): { world: FakeWorld; clock: Clock; phases: string[]; ctx: TrialContext } {
  const clock = createClock();
  const world = new FakeWorld(clock);
  const phases: string[] = [];
  const ctx: TrialContext = {
    deployment: fakeDeployment(world),
    scenario: parseScenario(yaml, 'fake.yaml'),
    index: 1,
    clock,
    runId: 'unit',
    convergeTimeoutMs: 1000,
    progress: { phase: (name) => phases.push(name), writes: () => {} },
    limits: { marginMs: 2000, injectMs: 300, healMs: 2000, readBackMs: 1000, lateInjectMs: 2000 },
  };
  return { world, clock, phases, ctx };
}

const check = (r: { checks: Array<{ name: string; valid: unknown }> }, name: string) => r.checks.find((c) => c.name === name)?.valid;
const marks = (r: { events: Array<{ source: string; type: string }> }) => r.events.filter((e) => e.source === 'harness').map((e) => e.type);

describe('runTrial against a fake deployment', () => {
  it('a clean trial passes through every phase, in order, and cleans up', async () => {
    const { world, phases, ctx } = setup();
    const { result, history, end } = await runTrial(ctx, fakeTrialIo(world));
    expect(end).toEqual({ kind: 'completed' });
    expect(result.message).toBeUndefined();
    expect(result.verdict).toBe('pass');
    expect(result.message).toBeUndefined();
    // No fault backend of its own: the target made the fault.
    expect(result.faultBackend).toBe('fake');
    expect(phases).toEqual(['converge', 'warm-up', 'fault: kill-pod', 'failover', 'heal', 'converge after heal', 'read back']);
    expect(marks(result)).toEqual(['converged', 'workload-start', 'inject', 'landed', 'heal', 'healed', 'rejoined', 'converged-after-heal', 'workload-stop']);
    expect(result.checks.map((c) => c.name)).toEqual([
      'failover-time',
      'failover-phases',
      'availability',
      'latency',
      'split-brain',
      'write-loss',
      'rejoin',
      'convergence',
    ]);
    expect(result.figures.failover_ms).toBeGreaterThan(0);
    expect(result.figures.writes_lost).toBe(0);
    expect(result.figures.repl_offset_master_at_fault).toBe(1000);
    expect(result.clockStartNs).toBeTypeOf('number');
    expect(history.some((o) => o.type === 'ok' && o.node === '127.0.9.2:6379')).toBe(true);
    expect(world.calls).toEqual(['kill redis-0', 'start redis-0']);
    expect(world.closed).toEqual({ observer: true, sampler: true, clients: 1 });
  });

  it('a client that cannot connect: unknown in the converge phase, the observers stopped and the client closed', async () => {
    const { world, ctx } = setup();
    world.ping = { throws: 'connect ECONNREFUSED 127.0.9.1:6379' };
    const { result, end } = await runTrial(ctx, fakeTrialIo(world));
    expect(end).toEqual({ kind: 'error', phase: 'converge', error: 'connect ECONNREFUSED 127.0.9.1:6379' });
    expect(result.verdict).toBe('unknown');
    expect(marks(result)).toEqual(['converged']);
    expect(world.calls).toEqual([]);
    expect(world.closed).toEqual({ observer: true, sampler: true, clients: 1 });
  });

  it('a fault that throws before it lands: unknown with the reason, nothing healed twice, everything closed', async () => {
    const { world, ctx } = setup();
    world.kill = { throws: 'kill: no such process' };
    const { result, end } = await runTrial(ctx, fakeTrialIo(world));
    expect(end).toEqual({ kind: 'error', phase: 'fault: kill-pod', error: 'kill: no such process' });
    expect(result.verdict).toBe('unknown');
    expect(result.message).toBe('trial could not complete: kill: no such process');
    expect(result.clockStartNs).toBeUndefined();
    expect(world.closed).toEqual({ observer: true, sampler: true, clients: 1 });
  });

  it('a fault that outlasts its phase: unknown naming the limit, and healed once it lands', async () => {
    const { world, ctx } = setup();
    let land!: () => void;
    world.kill = { after: new Promise<void>((r) => (land = r)) };
    setTimeout(() => land(), 500);
    const { result, end } = await runTrial(ctx, fakeTrialIo(world));
    expect(end).toMatchObject({ kind: 'error', phase: 'fault: kill-pod' });
    expect(result.message).toBe('trial could not complete: fault: kill-pod did not finish within 300 ms');
    expect(world.calls).toEqual(['kill redis-0', 'start redis-0']);
    expect(world.running.has('redis-0')).toBe(true);
  });

  it('a heal that throws: unknown with the error, the checks so far kept, the workload stopped and closed', async () => {
    const { world, ctx } = setup();
    world.start = { throws: 'spawn ELOOP' };
    const { result, history, end } = await runTrial(ctx, fakeTrialIo(world));
    expect(end).toEqual({ kind: 'error', phase: 'heal', error: 'spawn ELOOP' });
    expect(result.verdict).toBe('unknown');
    expect(result.message).toBe('trial could not complete: spawn ELOOP');
    expect(check(result, 'failover-time')).toBe(true);
    expect(check(result, 'rejoin')).toBeUndefined();
    expect(marks(result)).toContain('heal');
    expect(marks(result)).not.toContain('healed');
    expect(world.calls).toEqual(['kill redis-0', 'start redis-0']);
    expect(world.closed).toEqual({ observer: true, sampler: true, clients: 1 });
    const after = history.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(history.length).toBe(after);
  });

  it('an interrupt mid-phase reports the phase the trial is in', async () => {
    const { world, clock, phases, ctx } = setup();
    let release!: () => void;
    world.start = { after: new Promise<void>((r) => (release = r)) };
    const startedNs = clock.nowNs();
    const trial = runTrial(ctx, fakeTrialIo(world));
    while (phases.at(-1) !== 'heal') await new Promise((r) => setTimeout(r, 5));
    const partial = unfinishedTrial(1, phases.at(-1)!, startedNs, clock);
    expect(partial).toMatchObject({ verdict: 'unknown', message: 'interrupted during heal: the trial did not finish' });
    expect(unfinishedTrial(1, '', startedNs, clock).message).toBe('interrupted during start: the trial did not finish');
    release();
    expect((await trial).result.verdict).toBe('pass');
  });

  it('a failover that never comes: a bounded wait, then fail with the reason', async () => {
    const { world, ctx } = setup();
    world.failoverAfterMs = null;
    const t0 = performance.now();
    const { result, end } = await runTrial(ctx, fakeTrialIo(world));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(end).toEqual({ kind: 'completed' });
    expect(result.verdict).toBe('fail');
    expect(check(result, 'failover-time')).toBe(false);
    expect(result.message).toMatch(
      /^failover-time: no write acknowledged by a node other than the old master 127\.0\.9\.1:6379 after the fault; no \+switch-master for mymaster/,
    );
    expect(result.figures.failover_ms).toBeNull();
  });

  it('a fault the target lacks the ability for: skipped with the reason, never passed', async () => {
    const { world, phases, ctx } = setup(PARTITION);
    const { result, end } = await runTrial(ctx, fakeTrialIo(world));
    expect(end).toEqual({ kind: 'skipped', reason: 'the fake target cannot partition the network' });
    expect(result.verdict).toBe('skipped');
    expect(result.message).toBe('skipped: the fake target cannot partition the network');
    expect(result.faultBackend).toBe('fake');
    expect(phases.at(-1)).toBe('fault: partition');
    expect(marks(result)).not.toContain('inject');
    expect(world.calls).toEqual([]);
    expect(world.closed).toEqual({ observer: true, sampler: true, clients: 2 });
  });

  it("the journal names the deployment's fault backend for each trial (kind / kube), skipped ones included", async () => {
    for (const yaml of [MASTER_KILL, PARTITION]) {
      const { world, ctx } = setup(yaml);
      const { result } = await runTrial({ ...ctx, deployment: { ...fakeDeployment(world), faultBackend: 'chaos-mesh' } }, fakeTrialIo(world));
      expect(result.faultBackend).toBe('chaos-mesh');
    }
  });
});
