// Probe modes and halt conditions in the trial, against a fake deployment and a scripted probe sampler:
// before (fails: not injected), during (only while the fault is in place), continuous, after, tolerance, haltOn.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { ProbeRunContext, ProbeSample, ProbeSpec } from '../../../src/probes/index.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { runTrial, type TrialContext } from '../../../src/runner/trial.ts';
import { fakeDeployment, fakeTrialIo, FakeWorld } from '../../support/fake-deployment.ts';

const scenario = (probes: string, extra = '') => `
name: fake-probes
description: kill the master of a fake deployment, with probes
fault: { kind: kill-pod, target: master }
workload: { rateHz: 200, warmupMs: 100 }
expect: { failover: true, failoverMs: 10000, failoverBandMs: [0, 10000], maxLostWrites: 0 }
timeouts: { failoverMs: 400, rejoinMs: 400, convergeMs: 400 }
probes:
${probes}
${extra}
`;

/** A sampler answering each probe from its script (true = ok), the last answer repeating; every call recorded. */
function scripted(script: Record<string, boolean[] | ((n: number) => boolean)>) {
  const calls: Array<{ name: string; password: string | undefined }> = [];
  const sample = async (spec: ProbeSpec, ctx: ProbeRunContext): Promise<ProbeSample> => {
    const n = calls.filter((c) => c.name === spec.name).length;
    calls.push({ name: spec.name, password: ctx.password });
    const s = script[spec.name] ?? [true];
    const ok = typeof s === 'function' ? s(n) : (s[n] ?? s.at(-1)!);
    return { ok, detail: ok ? 'fine' : `sample ${n} failed` };
  };
  return { calls, sample };
}

function setup(yaml: string, script: Parameters<typeof scripted>[0]) {
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
  const probes = scripted(script);
  return { world, phases, ctx, probes, io: { ...fakeTrialIo(world), sampleProbe: probes.sample } };
}

const check = (r: { checks: Array<{ name: string; valid: unknown; explanation: string }> }, name: string) => r.checks.find((c) => c.name === name);
const mark = (r: { events: Array<{ kind: string; type: string; ns: number }> }, kind: string, type: string) =>
  r.events.find((e) => e.kind === kind && e.type === type)?.ns;
const samples = (r: { events: Array<{ kind: string; source: string; type: string; ns: number }> }, name: string) =>
  r.events.filter((e) => e.kind === 'probe' && e.source === `probe/${name}` && e.type !== 'broken');

describe('probes in the trial', () => {
  it('before: a failure fails the trial without injecting; the observers and clients are closed', async () => {
    const { world, phases, ctx, io } = setup(scenario('  - { name: gate, kind: exec, mode: before, command: [x] }'), { gate: [false] });
    const { result, end } = await runTrial(ctx, io);
    expect(end).toEqual({ kind: 'stopped', phase: 'probes before the fault', reason: 'probe gate failed before the fault: not injected' });
    expect(result.verdict).toBe('fail');
    expect(result.message).toMatch(/^stopped in probes before the fault: probe gate failed/);
    expect(check(result, 'probe/gate')).toMatchObject({ valid: false, figures: { probe_gate_samples: 1, probe_gate_failures: 1 } });
    expect(phases).not.toContain('fault: kill-pod');
    expect(world.calls).toEqual([]);
    expect(world.closed).toEqual({ observer: true, sampler: true, clients: 1 });
  });

  it('during, continuous, before and after: each sampled in its window, each one check probe/<name>, the trial passes', async () => {
    const yaml = scenario(`
  - { name: pre, kind: exec, mode: before, command: [x] }
  - { name: mid, kind: exec, mode: during, intervalMs: 20, command: [x] }
  - { name: all, kind: exec, mode: continuous, intervalMs: 20, command: [x] }
  - { name: post, kind: exec, mode: after, command: [x] }`);
    const { phases, ctx, io, probes } = setup(yaml, {});
    const { result, end } = await runTrial(ctx, io);
    expect(end).toEqual({ kind: 'completed' });
    expect(result.verdict).toBe('pass');
    expect(phases).toEqual([
      'converge',
      'warm-up',
      'probes before the fault',
      'fault: kill-pod',
      'failover',
      'heal',
      'converge after heal',
      'probes after convergence',
      'read back',
    ]);
    for (const n of ['pre', 'mid', 'all', 'post']) expect(check(result, `probe/${n}`)?.valid, n).toBe(true);
    const inject = mark(result, 'fault', 'inject')!;
    const landed = mark(result, 'fault', 'landed')!;
    const heal = mark(result, 'fault', 'heal')!;
    const settled = mark(result, 'phase', 'converged-after-heal')!;
    expect(samples(result, 'pre').map((e) => e.ns < inject)).toEqual([true]);
    expect(samples(result, 'post')).toHaveLength(1);
    expect(samples(result, 'post')[0]!.ns).toBeGreaterThan(settled);
    const mid = samples(result, 'mid');
    expect(mid.length).toBeGreaterThan(1);
    expect(mid.every((e) => e.ns >= landed && e.ns <= heal)).toBe(true);
    const all = samples(result, 'all');
    expect(all[0]!.ns).toBeLessThan(inject);
    // The fake heals and converges at once: continuous samples span the warm-up and the fault window.
    expect(all.at(-1)!.ns).toBeGreaterThan(landed);
    expect(probes.calls.every((c) => c.password === 'fake-password')).toBe(true);
    expect(result.checks.filter((c) => c.name.startsWith('probe/')).map((c) => c.name)).toEqual(['probe/pre', 'probe/mid', 'probe/all', 'probe/post']);
    const n = probes.calls.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(probes.calls.length, 'no probe sampled after the trial').toBe(n);
  });

  it('tolerance: consecutive failures reset by an ok sample, total failures do not', async () => {
    const flaky = (n: number) => n % 3 !== 0; // fail, ok, ok, fail, ok, ok, ...
    const yaml = scenario(`
  - { name: consec, kind: exec, mode: continuous, intervalMs: 10, maxFailures: 1, command: [x] }
  - { name: total, kind: exec, mode: continuous, intervalMs: 10, maxFailures: 1, count: total, command: [x] }`);
    const { ctx, io } = setup(yaml, { consec: flaky, total: flaky });
    const { result } = await runTrial(ctx, io);
    expect(check(result, 'probe/consec')?.valid).toBe(true);
    expect(check(result, 'probe/consec')?.explanation).toMatch(/failed within tolerance/);
    expect(check(result, 'probe/total')).toMatchObject({
      valid: false,
      explanation: expect.stringMatching(/broke: 2 failed sample\(s\) \(tolerated 1\)/),
    });
    expect(result.verdict).toBe('fail');
    expect(result.events.filter((e) => e.kind === 'probe' && e.type === 'broken').map((e) => e.source)).toEqual(['probe/total']);
  });

  it('a broken probe not named in haltOn fails its check but lets the trial run to its end', async () => {
    const { world, ctx, io } = setup(scenario('  - { name: mid, kind: exec, mode: during, intervalMs: 10, command: [x] }'), {
      mid: [false],
    });
    const { result, end } = await runTrial(ctx, io);
    expect(end).toEqual({ kind: 'completed' });
    expect(result.verdict).toBe('fail');
    expect(check(result, 'probe/mid')?.valid).toBe(false);
    expect(world.calls).toEqual(['kill redis-0', 'start redis-0']);
  });

  it('haltOn a probe: the phase under way stops at once, the fault is healed, everything closed, nothing sampled afterwards', async () => {
    const yaml = scenario(
      `
  - { name: mid, kind: exec, mode: during, intervalMs: 10, command: [x] }
  - { name: all, kind: exec, mode: continuous, intervalMs: 10, command: [x] }`,
      'haltOn: [mid]',
    );
    const { world, phases, ctx, io, probes } = setup(yaml, { mid: [true, true, false] });
    // The failover would come only after 5 s: the halt must not wait for it.
    world.failoverAfterMs = 5000;
    const t0 = performance.now();
    const { result, end, halted } = await runTrial(ctx, io);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(end).toMatchObject({ kind: 'stopped', phase: 'failover' });
    expect(halted).toMatchObject({ by: 'probe/mid', reason: expect.stringMatching(/sample 2 failed/) });
    expect(result.verdict).toBe('fail');
    expect(result.message).toMatch(/^stopped in failover: halted by probe\/mid/);
    expect(phases.at(-1)).toBe('failover');
    expect(world.calls).toEqual(['kill redis-0', 'start redis-0']);
    expect(world.closed).toEqual({ observer: true, sampler: true, clients: 1 });
    expect(mark(result, 'phase', 'halted')).toBeLessThan(mark(result, 'fault', 'heal')!);
    const n = probes.calls.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(probes.calls.length).toBe(n);
  });
});
