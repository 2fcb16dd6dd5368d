// The fault registry: one definition per kind, the scenario schema composed from them, a plan line for each, "not able" said one way.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createClock } from '../../../src/clock.ts';
import { skipReason } from '../../../src/errors.ts';
import { defineFault, faultRegistry } from '../../../src/faults/define.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { FAULTS, injectFault, planFault, type FaultSpec } from '../../../src/faults/index.ts';
import { gateScenario } from '../../../src/report/gate.ts';
import { listScenarios, parseScenario } from '../../../src/runner/scenario.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';
import { trial } from '../report/builders.ts';

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `node-${i}`,
  redis: { host: `127.0.0.${i + 1}`, port: 6379 },
  sentinel: { host: `127.0.0.${i + 1}`, port: 26379 },
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

const fake = (kind: string) =>
  defineFault({
    kind,
    fields: { n: z.number().default(1) },
    inject: () => Promise.reject(new Error('not injected in this test')),
    plan: () => ({ victim: 'none', action: 'nothing', heal: 'none' }),
  });

const faultOf = (yaml: string): FaultSpec => parseScenario(`name: x\ndescription: y\nfault:\n${yaml}`, 'x.yaml').fault as FaultSpec;

describe('fault registry', () => {
  it('rejects a kind registered twice', () => {
    expect(() => faultRegistry([fake('a'), fake('b'), fake('a')])).toThrow(/fault kind "a" is registered twice/);
    expect(faultRegistry([fake('a'), fake('b')]).get('b')?.kind).toBe('b');
  });

  it('has unique kinds and a strict schema per kind', () => {
    const kinds = FAULTS.definitions.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const d of FAULTS.definitions) expect(d.schema.shape.kind.value).toBe(d.kind);
  });

  it('composes the scenario schema: each kind accepts its own fields and rejects the others, naming the field', () => {
    expect(faultOf('  kind: partition\n  durationMs: 1000\n  cut: sentinels\n')).toEqual({
      kind: 'partition',
      target: 'master',
      cut: 'sentinels',
      durationMs: 1000,
      isolatedClient: true,
    });
    expect(faultOf('  kind: kill-pod\n  target: replica\n  holdMs: 2x\n')).toEqual({ kind: 'kill-pod', target: 'replica', holdMs: '2x' });
    expect(() => faultOf('  kind: pause\n  durationMs: 1000\n  cut: all\n')).toThrow(/^x\.yaml:6:3: field fault\.cut: Unrecognized key: "cut"$/);
    expect(() => faultOf('  kind: kill-pod\n  durationMs: 1000\n')).toThrow(/^x\.yaml:5:3: field fault\.durationMs: Unrecognized key/);
    expect(() => faultOf('  kind: pause\n')).toThrow(/^x\.yaml:4:3: field fault\.durationMs: /);
    expect(() => faultOf('  kind: nuke-node\n')).toThrow(new RegExp(`field fault\\.kind: .*${FAULTS.definitions.map((d) => `'${d.kind}'`).join('.*')}`));
  });

  it('gives every registered kind a plan line, and every kind a built-in scenario', async () => {
    const scenarios = await listScenarios();
    for (const d of FAULTS.definitions) {
      const using = scenarios.filter((s) => s.fault.kind === d.kind);
      expect(using.length, `a built-in scenario uses ${d.kind}`).toBeGreaterThan(0);
      for (const s of using) {
        const plan = planFault(s.fault as FaultSpec, 'kube');
        expect(plan.fault).toBe(d.kind);
        for (const part of [plan.victim, plan.action, plan.heal]) expect(part, `${s.name} plan`).toMatch(/\S/);
      }
    }
  });

  it('skips, never passes, a fault whose ability the target lacks: nothing is injected and the reason is kept', async () => {
    const needing = FAULTS.definitions.filter((d) => d.needs?.length);
    expect(needing.map((d) => d.kind)).toEqual(expect.arrayContaining(['pause', 'partition', 'node-drain', 'scale-out', 'aof-damage']));
    const scenarios = await listScenarios();
    for (const d of needing) {
      const spec = scenarios.find((s) => s.fault.kind === d.kind)!.fault as FaultSpec;
      const { ctx, marks } = context();
      const err = await injectFault(ctx, spec, { restart: true }).catch((e: unknown) => e);
      expect(err, d.kind).toMatchObject({ name: 'HarnessError', code: 'ABILITY_MISSING' });
      const reason = skipReason(err);
      expect(reason, d.kind).toMatch(/fake target/);
      expect(marks, d.kind).toEqual([]);
      // The trial records it as skipped with the reason; the gate keeps the scenario skipped, not passed.
      const gate = gateScenario([trial(1, {}, { checks: [], verdict: 'skipped', message: `skipped: ${reason}` })], { failoverMs: 10_000 });
      expect(gate.verdict).toBe('skipped');
    }
    expect(skipReason(new Error('boom'))).toBeUndefined();
  });
});
