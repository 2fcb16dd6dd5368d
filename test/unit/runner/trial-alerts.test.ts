// --monitoring in the trial: the run's alerts (here a scripted source following a fake deployment) recorded on the
// timeline and as the trial's alert windows, ms from the fault landing and from the heal; one that never clears warns.
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { ActiveAlert } from '../../../src/observers/prometheus.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { runTrial, type TrialContext } from '../../../src/runner/trial.ts';
import { fakeDeployment, fakeTrialIo, FakeWorld } from '../../support/fake-deployment.ts';

const SCENARIO = `
name: fake-alerts
description: kill the master of a fake deployment, alerts watched
fault: { kind: kill-pod, target: master }
restart: true
workload: { rateHz: 200, warmupMs: 100 }
expect: { failover: true, failoverMs: 10000, failoverBandMs: [0, 10000], maxLostWrites: 0 }
timeouts: { failoverMs: 400, rejoinMs: 400, convergeMs: 400 }
`;

/** What a Prometheus with the shipped rules would report of the fake world: RedisDown while redis-0 is stopped, RedisNoMaster while there is none. */
function alertsOf(world: FakeWorld, stuck: ActiveAlert[] = []) {
  let polls = 0;
  return {
    polls: () => polls,
    source: {
      async alerts(): Promise<ActiveAlert[]> {
        polls++;
        const out: ActiveAlert[] = [...stuck];
        if (!world.running.has('redis-0')) out.push({ name: 'RedisDown', state: 'firing', labels: { instance: '127.0.9.1:9121' } });
        if (world.master === null) out.push({ name: 'RedisNoMaster', state: 'firing', labels: {} });
        return out;
      },
    },
  };
}

function setup(stuck: ActiveAlert[] = []) {
  const clock = createClock();
  const world = new FakeWorld(clock);
  world.failoverAfterMs = 300;
  const phases: string[] = [];
  const alerts = alertsOf(world, stuck);
  const ctx: TrialContext = {
    deployment: fakeDeployment(world),
    scenario: parseScenario(SCENARIO, 'fake.yaml'),
    index: 1,
    clock,
    runId: 'unit',
    convergeTimeoutMs: 1000,
    progress: { phase: (name) => phases.push(name), writes: () => {} },
    limits: { marginMs: 2000, injectMs: 300, healMs: 2000, readBackMs: 1000, lateInjectMs: 2000, alertsClearMs: 500 },
    alerts: alerts.source,
  };
  return { world, phases, ctx, alerts, io: fakeTrialIo(world) };
}

describe('alerts in the trial (--monitoring)', () => {
  it('records each alert firing and resolving, relative to the fault landing and the heal; waits for them to clear', async () => {
    const { ctx, io, phases } = setup();
    const { result, end } = await runTrial(ctx, io);
    expect(end).toEqual({ kind: 'completed' });
    expect(result.verdict).toBe('pass');
    expect(phases.at(-1)).toBe('alerts clear');
    const byName = Object.fromEntries((result.alerts ?? []).map((w) => [w.name, w]));
    expect(Object.keys(byName).sort()).toEqual(['RedisDown', 'RedisNoMaster']);
    const down = byName.RedisDown!;
    expect(down.instances).toEqual(['127.0.9.1:9121']);
    // Polled every 200 ms: seen firing within a poll of the kill, resolved once the pod runs again.
    expect(down.firedMs).toBeGreaterThanOrEqual(-1);
    expect(down.firedMs).toBeLessThan(400);
    expect(down.clearedMs).toBeGreaterThan(down.firedMs);
    expect(down.clearedAfterHealMs).toBeTypeOf('number');
    const noMaster = byName.RedisNoMaster!;
    expect(noMaster.clearedMs! - noMaster.firedMs).toBeGreaterThan(0);
    expect(noMaster.clearedMs).toBeLessThan(300 + 2 * 200 + 50);
    const alertEvents = result.events.filter((e) => e.kind === 'alert').map((e) => `${e.source} ${e.type}`);
    expect(alertEvents).toEqual(
      expect.arrayContaining(['alert/RedisDown firing', 'alert/RedisDown resolved', 'alert/RedisNoMaster firing', 'alert/RedisNoMaster resolved']),
    );
    expect(result.events.some((e) => e.kind === 'phase' && e.type === 'alerts-clear')).toBe(true);
    expect(result.warnings ?? []).toEqual([]);
  });

  it("an alert still firing at the end: its window stays open, a warning says so, the verdict is the checks' (pass)", async () => {
    const { ctx, io } = setup([{ name: 'SentinelTilt', state: 'firing', labels: { instance: '127.0.9.2:9355' } }]);
    const { result } = await runTrial(ctx, io);
    expect(result.verdict).toBe('pass');
    const tilt = result.alerts?.find((w) => w.name === 'SentinelTilt');
    expect(tilt).toMatchObject({ clearedMs: null, clearedAfterHealMs: null, instances: ['127.0.9.2:9355'] });
    expect(tilt!.firedMs).toBeLessThan(0);
    expect(result.warnings).toEqual([expect.stringMatching(/^alert SentinelTilt was still firing when the trial ended \(it fired -\d/)]);
    expect(result.events.find((e) => e.kind === 'phase' && e.type === 'alerts-still-firing')?.detail).toBe('SentinelTilt');
  });

  it('without a Prometheus: no alerts field, no alerts phase, no polls', async () => {
    const { ctx, io, phases, alerts } = setup();
    delete ctx.alerts;
    const { result } = await runTrial(ctx, io);
    expect(result.alerts).toBeUndefined();
    expect(phases).not.toContain('alerts clear');
    expect(alerts.polls()).toBe(0);
  });
});
