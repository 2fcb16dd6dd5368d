// A soak's trial with its history streamed to disk (fake deployment, no redis): the file holds every operation, the
// writers keep only a recent window, and the checks read from the file agree with the in-memory checkers on it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAvailability } from '../../../src/checkers/availability.ts';
import { createClock } from '../../../src/clock.ts';
import type { Op } from '../../../src/model/history.ts';
import { foldHistoryFile } from '../../../src/report/history-file.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { runTrial, type TrialContext } from '../../../src/runner/trial.ts';
import { fakeDeployment, fakeTrialIo, FakeWorld } from '../../support/fake-deployment.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a streamed trial (fake deployment)', () => {
  it('writes every operation to its file and checks from it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streamed-'));
    dirs.push(dir);
    const file = path.join(dir, 'history', 'soak-1.jsonl');
    const clock = createClock();
    const world = new FakeWorld(clock);
    const ctx: TrialContext = {
      deployment: fakeDeployment(world),
      scenario: parseScenario(
        `
name: soak
description: streamed
fault:
  kind: composed
  mode: serial
  steps:
    - fault: { kind: kill-pod, target: master }
  invariants: { convergeMs: 400 }
restart: true
workload: { rateHz: 200, warmupMs: 20 }
expect: { failover: any }
timeouts: { failoverMs: 400, rejoinMs: 400, convergeMs: 400 }
`,
        'soak.yaml',
      ),
      index: 1,
      clock,
      runId: 'unit',
      convergeTimeoutMs: 1000,
      limits: { marginMs: 2000, injectMs: 2000, healMs: 2000, readBackMs: 1000, lateInjectMs: 2000 },
      historyStream: { file, redact: (t) => t, keepMs: 50 },
    };
    const outcome = await runTrial(ctx, fakeTrialIo(world));
    const { result } = outcome;
    expect(outcome.history).toEqual([]);
    expect(outcome.streamed?.file).toBe(file);
    const ops: Op[] = [];
    await foldHistoryFile(file, (o) => ops.push(o));
    expect(result.message).toBeUndefined();
    expect(ops.length).toBeGreaterThan(10);
    expect(result.figures.history_ops).toBe(ops.length);
    expect(ops.every((o, i) => i === 0 || o.ns >= ops[i - 1]!.ns)).toBe(true);
    // The same availability as the in-memory checker over the whole file, read from the file.
    const main = ops.filter((o) => o.process === 'sentinel-client');
    const expected = checkAvailability(
      { history: main, events: [], readBack: null, faultNs: result.clockStartNs ?? null, oldMaster: null, masterName: 'mymaster' },
      {},
    );
    expect(result.checks.find((c) => c.name === 'availability')).toEqual(expected);
    expect(result.figures.writes_invoked).toBe(main.filter((o) => o.type === 'invoke').length);
    expect(result.historySummary?.ops).toBe(ops.length);
    expect(result.historySummary?.windows.map((w) => w.label)).toEqual([expect.stringMatching(/^step 1 kill-pod/), 'outside every window']);
    expect(outcome.streamed!.sample.length).toBeLessThanOrEqual(ops.length);
    expect(result.checks.find((c) => c.name === 'invariant/no-lost-writes')?.valid).toBe(true);
    // The lost keys are a sample with its count (here every one of them: far fewer than the sample's bound).
    expect(result.lostKeysSample?.total).toBe(result.figures.writes_lost);
    expect(result.lostKeys?.length).toBe(result.lostKeysSample?.kept);
    expect(result.lostKeysSample?.rule).toBe('the first and last 500 by first acknowledgement');
    // The window's coverage of the run, and every acknowledged write counted once inside or outside it.
    const cov = result.historySummary?.coverage;
    expect(cov?.faultWindowCoverage).toBeGreaterThan(0);
    expect(cov?.faultWindowCoverage).toBeLessThanOrEqual(1);
    expect(result.figures.fault_window_coverage).toBe(cov?.faultWindowCoverage);
    expect(cov!.ackedInside + cov!.ackedOutside).toBe(new Set(ops.filter((o) => o.type === 'ok').map((o) => o.key)).size);
    expect(result.figures.writes_lost_in_windows).toBe(cov?.lostInside);
  });
});
