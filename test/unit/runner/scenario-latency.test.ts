// The scenario's optional `latency:` bounds: parsed, invalid ones named at file:line, and a breach fails the trial's verdict.
import { describe, expect, it } from 'vitest';
import { checkLatency } from '../../../src/checkers/latency.ts';
import { trialVerdict } from '../../../src/checkers/trial-verdict.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { scenarioError } from '../../support/scenario-errors.ts';
import { NEW, history, trial } from '../checkers/builders.ts';

const FILE = 'scenarios/latency-case.yaml';
const BASE = [
  '# latency bounds',
  'name: latency-case',
  'description: kill the master',
  'fault:',
  '  kind: kill-pod',
  'latency:',
  '  p99AfterMs: 5',
  '  maxBeforeMs: 2.5',
  '',
].join('\n');

describe('scenario latency bounds', () => {
  it('parses optional bounds and leaves them out when absent', () => {
    expect(parseScenario(BASE, FILE).latency).toEqual({ p99AfterMs: 5, maxBeforeMs: 2.5 });
    expect(parseScenario('name: x\ndescription: y\nfault:\n  kind: kill-pod\n', FILE).latency).toBeUndefined();
  });

  it('reports an unknown bound at its line, naming it', () => {
    const e = scenarioError(BASE.replace('p99AfterMs', 'p95AfterMs'), FILE);
    expect(e.message).toMatch(/^scenarios\/latency-case\.yaml:7:\d+: /);
    expect(e.message).toContain('p95AfterMs');
  });

  it('reports a non-positive bound at its value, naming latency.p99AfterMs', () => {
    const e = scenarioError(BASE.replace('p99AfterMs: 5', 'p99AfterMs: 0'), FILE);
    expect(e.message).toMatch(/^scenarios\/latency-case\.yaml:7:15: /);
    expect(e.message).toContain('field latency.p99AfterMs');
  });

  it('a breach fails the trial with a message naming figure, bound and value', () => {
    const { latency } = parseScenario(BASE, FILE);
    const writes = Array.from({ length: 10 }, (_, i) => ({ key: `a${i}`, at: 11_000 + i * 10, done: 11_000 + i * 10 + 7, node: NEW.addr }));
    const result = checkLatency(trial({ history: history(...writes) }), { bounds: latency ?? {} });
    const v = trialVerdict([result], { kind: 'completed' });
    expect(v.verdict).toBe('fail');
    expect(v.message).toContain('latency: latency_p99_after_ms = 7 ms exceeds the bound 5 ms');
  });
});
