// The soak's schedule generator: deterministic in its seed, bounded in overlap, drawn from the registry's soak kinds.
import { describe, expect, it } from 'vitest';
import { FAULTS } from '../../../src/faults/index.ts';
import { prng } from '../../../src/model/prng.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { defaultMix, generateSchedule, parseMix, scenarioYaml, SOAK_DEFAULTS, soakScenario, type SoakOptions } from '../../../src/runner/soak-schedule.ts';

const OPTS: SoakOptions = { seed: 42, durationMs: 600_000, mix: defaultMix(), ...SOAK_DEFAULTS };

describe('soak schedule', () => {
  it('gives the same schedule for the same seed and options, another for another seed', () => {
    const a = generateSchedule(OPTS);
    expect(a.length).toBeGreaterThan(10);
    expect(generateSchedule({ ...OPTS })).toEqual(a);
    expect(generateSchedule({ ...OPTS, seed: 43 })).not.toEqual(a);
  });

  it('keeps the PRNG in [0, 1) and reproducible', () => {
    const r = prng(1);
    const xs = Array.from({ length: 1000 }, () => r());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBeGreaterThan(990);
    const again = prng(1);
    expect(Array.from({ length: 1000 }, () => again())).toEqual(xs);
  });

  it('starts every step within the duration, holds within the range, and overlaps at most maxConcurrent planned windows', () => {
    const steps = generateSchedule({ ...OPTS, maxConcurrent: 1, intervalMs: [1000, 2000] });
    const ends = steps.map((s) => (s.at as number) + (s.durationMs as number) + OPTS.settleMs);
    steps.forEach((s, i) => {
      expect(s.at).toBeLessThan(OPTS.durationMs);
      expect(s.durationMs).toBeGreaterThanOrEqual(OPTS.holdMs[0]);
      expect(s.durationMs).toBeLessThanOrEqual(OPTS.holdMs[1]);
      // With one at a time, no step starts before the previous planned window ended.
      if (i > 0) expect(s.at as number).toBeGreaterThanOrEqual(ends[i - 1]!);
    });
    const two = generateSchedule({ ...OPTS, maxConcurrent: 2, intervalMs: [500, 1000] });
    for (const s of two) {
      const open = two.filter((o) => (o.at as number) <= (s.at as number) && (o.at as number) + (o.durationMs as number) + OPTS.settleMs > (s.at as number));
      expect(open.length).toBeLessThanOrEqual(2);
    }
  });

  it('draws only the kinds of the mix, roughly by weight, each spec valid for its kind', () => {
    const steps = generateSchedule({ ...OPTS, durationMs: 20 * 3_600_000, mix: parseMix('kill-pod=3,pause=1'), maxConcurrent: 4 });
    const kinds = steps.map((s) => s.fault.kind);
    expect(new Set(kinds)).toEqual(new Set(['kill-pod', 'pause']));
    const share = kinds.filter((k) => k === 'kill-pod').length / kinds.length;
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.85);
    for (const s of steps) expect(FAULTS.get(s.fault.kind)!.schema.safeParse(s.fault).success).toBe(true);
    expect(steps.some((s) => s.fault.target === 'replica' && s.replica === 1)).toBe(true);
  });

  it('takes the default mix from the registry and refuses an unknown or weightless mix', () => {
    expect(defaultMix().map((m) => m.kind)).toEqual(FAULTS.definitions.filter((d) => d.soak).map((d) => d.kind));
    expect(defaultMix().map((m) => m.kind)).toEqual(expect.arrayContaining(['kill-pod', 'pause', 'partition', 'kill-sentinel', 'node-drain']));
    expect(parseMix('kill-pod,pause=2.5')).toEqual([
      { kind: 'kill-pod', weight: 1 },
      { kind: 'pause', weight: 2.5 },
    ]);
    expect(() => parseMix('nuke=1')).toThrow(/"nuke" is not a fault kind a soak can draw \(known: .*kill-pod/);
    expect(() => parseMix('kill-pod=0')).toThrow(/at least one kind a weight above 0/);
    expect(() => parseMix('kill-pod=x')).toThrow(/is not kind or kind=weight/);
  });

  it('leaves an opt-in kind (pod-restart, weight 0) out of the default draw, and draws it when the mix names it', () => {
    expect(defaultMix()).toContainEqual({ kind: 'pod-restart', weight: 0 });
    const dflt = generateSchedule(OPTS);
    expect(dflt.some((s) => s.fault.kind === 'pod-restart')).toBe(false);
    // A weight-0 entry takes no draw from the PRNG: the seeds measured before it was added give the same schedules.
    expect(generateSchedule({ ...OPTS, mix: defaultMix().filter((m) => m.kind !== 'pod-restart') })).toEqual(dflt);
    const restarts = generateSchedule({ ...OPTS, mix: parseMix('pod-restart=1,kill-pod=1') }).filter((s) => s.fault.kind === 'pod-restart');
    expect(new Set(restarts.map((s) => s.fault.target))).toEqual(new Set(['master', 'replica']));
    for (const s of restarts) {
      expect(FAULTS.get('pod-restart')!.schema.safeParse(s.fault).success).toBe(true);
      expect(s.fault).toMatchObject({ gapMs: 0, loadBytesPerSec: 0 });
    }
  });

  it('prints the schedule as a scenario file that loads back with the same steps', () => {
    const steps = generateSchedule({ ...OPTS, durationMs: 60_000 });
    const text = scenarioYaml(soakScenario(steps, { seed: 42, rateHz: 100, convergeMs: 20_000, haltOnViolation: true }), ['a header']);
    expect(text.startsWith('# a header\n')).toBe(true);
    const s = parseScenario(text, 'shrunk.yaml');
    expect(s.fault.kind).toBe('composed');
    if (s.fault.kind !== 'composed') return;
    expect(s.fault.steps).toEqual(steps);
    expect(s.fault).toMatchObject({ mode: 'parallel', seed: 42, skipUnable: true, invariants: { convergeMs: 20_000 } });
    expect(s.haltOn).toBe('invariants');
    expect(s.expect.failover).toBe('any');
  });
});
