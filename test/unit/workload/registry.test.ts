// The workload registry: `workloads:` entries in a scenario (validated with file:line), their names, and --workload-exec.
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../../src/errors.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { execWorkloadFromCli, workloadNames } from '../../../src/workload/registry.ts';
import { scenarioError } from '../../support/scenario-errors.ts';

const FILE = 'scenarios/byo.yaml';
const scenario = (workloads: string) =>
  ['# a scenario with workloads of its own', 'name: byo', 'description: kill the master', 'fault:', '  kind: kill-pod', '  target: master', workloads, ''].join(
    '\n',
  );

describe('workloads: in a scenario', () => {
  it('parses exec and sentinel entries', () => {
    const s = parseScenario(
      scenario('workloads:\n  - kind: exec\n    command: [/usr/bin/python3, examples/exec-workload/writer.py]\n  - kind: sentinel\n    name: second'),
      FILE,
    );
    expect(s.workloads).toEqual([
      { kind: 'exec', command: ['/usr/bin/python3', 'examples/exec-workload/writer.py'] },
      { kind: 'sentinel', name: 'second' },
    ]);
    expect(parseScenario(scenario(''), FILE).workloads).toBeUndefined();
  });

  it('parses a driver entry (a registered client library, with session reads) and refuses an unknown driver', () => {
    const s = parseScenario(scenario('workloads:\n  - kind: driver\n    driver: redis-py\n    reads: true\n  - kind: driver\n    driver: ioredis'), FILE);
    expect(s.workloads).toEqual([
      { kind: 'driver', driver: 'redis-py', reads: true },
      { kind: 'driver', driver: 'ioredis', reads: false },
    ]);
    expect(workloadNames(s.workloads!)).toEqual(['redis-py', 'ioredis']);
    expect(scenarioError(scenario('workloads:\n  - kind: driver\n    driver: go-redis'), FILE).message).toMatch(
      /^scenarios\/byo\.yaml:9:13: field workloads\.0\.driver: .*redis-py/,
    );
  });

  it('gives a pub/sub workload an observation window after the fault: its own, or deadAfterMs + 2000', () => {
    const s = parseScenario(scenario('workloads:\n  - kind: pubsub\n    deadAfterMs: 3000\n  - kind: pubsub\n    observeAfterMs: 20000'), FILE);
    expect(s.workloads![0]).toMatchObject({ deadAfterMs: 3000 });
    expect(s.workloads![0]).not.toHaveProperty('observeAfterMs');
    expect(s.workloads![1]).toMatchObject({ deadAfterMs: 5000, observeAfterMs: 20_000 });
    expect(scenarioError(scenario('workloads:\n  - kind: pubsub\n    observeAfterMs: 0'), FILE).message).toMatch(/field workloads\.0\.observeAfterMs/);
  });

  it.each([
    [
      'an unknown kind',
      'workloads:\n  - kind: driverx\n    command: [x]',
      /^scenarios\/byo\.yaml:8:11: field workloads\.0\.kind: Invalid discriminator value\. Expected 'sentinel' \| 'exec' \| 'driver'/,
    ],
    ['an exec without command', 'workloads:\n  - kind: exec', /^scenarios\/byo\.yaml:8:5: field workloads\.0\.command: /],
    ['an empty command', 'workloads:\n  - kind: exec\n    command: []', /^scenarios\/byo\.yaml:9:14: field workloads\.0\.command: /],
    ['an unknown field', 'workloads:\n  - kind: exec\n    command: [x]\n    shell: true', /^scenarios\/byo\.yaml:10:5: field workloads\.0\.shell: /],
    ['a bad name', 'workloads:\n  - kind: sentinel\n    name: Big Name', /^scenarios\/byo\.yaml:9:11: field workloads\.0\.name: lowercase/],
  ])('names file, line and field for %s', (_what, text, re) => {
    expect(scenarioError(scenario(text), FILE).message).toMatch(re);
  });
});

describe('workload names and --workload-exec', () => {
  it("names an exec workload after its script, made unique; refuses the harness's own names", () => {
    const w = execWorkloadFromCli('  /usr/bin/python3   examples/exec-workload/writer.py ');
    expect(w).toEqual({ kind: 'exec', command: ['/usr/bin/python3', 'examples/exec-workload/writer.py'] });
    expect(workloadNames([w, w, { kind: 'sentinel' }, execWorkloadFromCli('./My_Tool.sh')])).toEqual(['writer', 'writer-2', 'sentinel', 'my_tool']);
    expect(() => workloadNames([{ kind: 'sentinel', name: 'sentinel-client' }])).toThrow(HarnessError);
    expect(() => execWorkloadFromCli('   ')).toThrow(/--workload-exec needs a command/);
  });
});
