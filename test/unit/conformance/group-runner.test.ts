// The group runner: convergence before every group that needs the deployment, abilities, skips and verdicts.
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { runGroups, type Converge } from '../../../src/conformance/run.ts';
import type { ConformanceCheck, ConformanceGroup, ConformanceGroupName } from '../../../src/conformance/types.ts';
import type { Topology } from '../../../src/targets/convergence.ts';
import type { StartedDeployment } from '../../../src/targets/target.ts';
import path from 'node:path';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../manifests'));

const fakeDeployment = (abilities: Partial<StartedDeployment> = {}): StartedDeployment =>
  ({ target: 'fake', pods: [], model, ...abilities }) as unknown as StartedDeployment;

function group(name: ConformanceGroupName, log: string[], extra: Partial<ConformanceGroup> = {}): ConformanceGroup {
  return {
    name,
    description: name,
    needsDeployment: true,
    run: async () => {
      log.push(`run ${name}`);
      return [{ name: 'x', group: name, valid: true, expected: 'e', observed: 'o', explanation: 'w' } satisfies ConformanceCheck];
    },
    ...extra,
  };
}

/** Records each call; `healthyAfter` calls fail before the deployment counts as converged (a group's disruption still healing). */
function recordingConverge(log: string[], fail: (n: number) => string | null = () => null): Converge {
  let n = 0;
  return async (_d, timeoutMs) => {
    n++;
    log.push(`converge (${timeoutMs} ms)`);
    const why = fail(n);
    if (why) throw new Error(why);
    return {} as Topology;
  };
}

describe('runGroups', () => {
  it('waits for strict convergence before every group that needs the deployment, never before a static one', async () => {
    const log: string[] = [];
    const groups = [group('static', log, { needsDeployment: false }), group('live', log), group('app-paths', log), group('peer', log)];
    const results = await runGroups(groups, { model, deployment: fakeDeployment(), convergeTimeoutMs: 1234 }, recordingConverge(log));
    expect(log).toEqual(['run static', 'converge (1234 ms)', 'run live', 'converge (1234 ms)', 'run app-paths', 'converge (1234 ms)', 'run peer']);
    expect(results.map((r) => r.verdict)).toEqual(['pass', 'pass', 'pass', 'pass']);
  });

  it('a deployment that does not converge after a group fails the next group with the reason, and does not run it', async () => {
    const log: string[] = [];
    const groups = [group('app-paths', log), group('peer', log)];
    const converge = recordingConverge(log, (n) =>
      n === 2 ? 'deployment did not converge within 1 ms: redis-2/sentinel counts 2 usable sentinels, expected 3' : null,
    );
    const results = await runGroups(groups, { model, deployment: fakeDeployment(), convergeTimeoutMs: 1 }, converge);
    expect(log).toEqual(['converge (1 ms)', 'run app-paths', 'converge (1 ms)']);
    expect(results[1]!.verdict).toBe('fail');
    expect(results[1]!.checks).toEqual([
      expect.objectContaining({ name: 'peer.converged-before', valid: false, observed: expect.stringContaining('2 usable sentinels') }),
    ]);
  });

  it('skips, with the reason, a group whose target lacks an ability it needs; never passes it', async () => {
    const log: string[] = [];
    const results = await runGroups(
      [group('app-paths', log, { needs: ['services'] })],
      { model, deployment: fakeDeployment(), convergeTimeoutMs: 1 },
      recordingConverge(log),
    );
    expect(log).toEqual([]);
    expect(results[0]!.verdict).toBe('skipped');
    expect(results[0]!.checks[0]).toMatchObject({ valid: 'skipped', reason: 'the fake target lacks the services ability' });
    const withServices = await runGroups(
      [group('app-paths', log, { needs: ['services'] })],
      { model, deployment: fakeDeployment({ services: {} as never }), convergeTimeoutMs: 1 },
      recordingConverge(log),
    );
    expect(withServices[0]!.verdict).toBe('pass');
  });

  it('a check that could not be decided makes its group unknown, not pass', async () => {
    const undecided: ConformanceGroup = {
      ...group('live', []),
      run: async () => [{ name: 'y', group: 'live', valid: 'unknown', expected: 'e', observed: 'o', explanation: 'w' }],
    };
    const results = await runGroups([undecided], { model, deployment: fakeDeployment(), convergeTimeoutMs: 1 }, recordingConverge([]));
    expect(results[0]!.verdict).toBe('unknown');
  });
});
