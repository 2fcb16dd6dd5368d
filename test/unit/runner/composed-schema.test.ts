// Composed faults in scenario files: steps over the registered kinds, defaults filled in, bad input named by file:line.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/runner/plan.ts';
import { BUILTIN_SCENARIO_DIR, parseScenario } from '../../../src/runner/scenario.ts';
import { scenarioError } from '../../support/scenario-errors.ts';

const FILE = 'scenarios/pair.yaml';
const head = ['# composed', 'name: pair', 'description: two kills', 'fault:', '  kind: composed'];
const text = (...lines: string[]) => [...head, ...lines, ''].join('\n');

describe('composed fault schema', () => {
  it('parses steps with defaults: serial, at 0, no hold, first replica, no invariants', () => {
    const s = parseScenario(
      text(
        '  steps:',
        '    - fault: { kind: kill-pod, target: master }',
        '    - after: +switch-master',
        '      at: 2x',
        '      fault: { kind: pause, durationMs: 1000 }',
      ),
      FILE,
    );
    expect(s.fault).toEqual({
      kind: 'composed',
      mode: 'serial',
      afterTimeoutMs: 60_000,
      skipUnable: false,
      steps: [
        { fault: { kind: 'kill-pod', target: 'master', holdMs: 0 }, at: 0, durationMs: 0, replica: 0 },
        { fault: { kind: 'pause', target: 'master', durationMs: 1000 }, at: '2x', after: '+switch-master', durationMs: 0, replica: 0 },
      ],
    });
    expect(buildPlan([s]).map((p) => `${p.scenario}: ${p.fault}`)).toEqual(['pair: composed step 1: kill-pod', 'pair: composed step 2: pause']);
  });

  it('loads the built-in pair scenario (failures in pairs: the new master killed right after +switch-master)', async () => {
    const file = path.join(BUILTIN_SCENARIO_DIR, 'master-kill-pair.yaml');
    const s = parseScenario(await readFile(file, 'utf8'), file);
    expect(s.fault.kind).toBe('composed');
    if (s.fault.kind !== 'composed') return;
    expect(s.fault.steps.map((st) => [st.fault.kind, st.after ?? null])).toEqual([
      ['kill-pod', null],
      ['kill-pod', '+switch-master'],
    ]);
    expect(s.fault.invariants).toEqual({ convergeMs: 30_000 });
  });

  it.each([
    [['  steps: []'], /^scenarios\/pair\.yaml:6:10: field fault\.steps: Too small/],
    [['  steps:', '    - fault: { kind: nuke-node }'], /^scenarios\/pair\.yaml:7:22: field fault\.steps\.0\.fault\.kind: Invalid discriminator value/],
    [['  steps:', '    - fault: { kind: composed, steps: [] }'], /^scenarios\/pair\.yaml:7:22: field fault\.steps\.0\.fault\.kind: /],
    [
      ['  steps:', '    - fault: { kind: kill-pod }', '      after: switch-master'],
      /^scenarios\/pair\.yaml:8:14: field fault\.steps\.0\.after: a Sentinel event type/,
    ],
    [['  steps:', '    - fault: { kind: kill-pod }', '      at: soon'], /^scenarios\/pair\.yaml:8:11: field fault\.steps\.0\.at: /],
    [['  steps:', '    - fault: { kind: kill-pod }', '      hold: 5'], /^scenarios\/pair\.yaml:8:7: field fault\.steps\.0\.hold: Unrecognized key/],
    [['  mode: sideways', '  steps:', '    - fault: { kind: kill-pod }'], /^scenarios\/pair\.yaml:6:9: field fault\.mode: /],
    [
      ['  steps:', '    - fault: { kind: kill-pod }', 'haltOn: invariants'],
      /^scenarios\/pair\.yaml:8:9: field haltOn: "invariants" halts on a composed fault's invariants/,
    ],
    [
      ['  steps:', '    - fault: { kind: kill-pod }', '    - fault: { kind: kill-pod }'],
      /^scenarios\/pair\.yaml:7:5: field fault\.steps: serial steps with neither at, after nor durationMs/,
    ],
  ])('names file, line and field of a bad composition: %j', (lines, message) => {
    const e = scenarioError(text(...lines), FILE);
    expect(e.message).toMatch(message);
  });

  it('accepts haltOn: invariants with invariants, and expect.failover any', () => {
    const s = parseScenario(
      text('  steps:', '    - fault: { kind: kill-sentinel }', '  invariants: {}', 'haltOn: invariants', 'expect:', '  failover: any'),
      FILE,
    );
    expect(s.haltOn).toBe('invariants');
    expect(s.expect.failover).toBe('any');
    expect(s.fault.kind === 'composed' && s.fault.invariants).toEqual({ convergeMs: 30_000 });
  });
});
