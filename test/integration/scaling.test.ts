// The seed's "scale to 5, quorum 3", rendered and started from the start on real redis-server / redis-sentinel
// processes (5 pods, 5 sentinels, down-after 1500 ms), then one master-kill trial.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifestFiles, scaleManifestFiles, writeManifestFiles } from '../../src/config/scale.ts';
import { liveVariantChecks, scalingChecks } from '../../src/conformance/variants.ts';
import type { Journal } from '../../src/report/journal.ts';
import { runSuite, RUN_DEFAULTS, type RunResult } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

describe('5 pods with quorum 3 on the local target (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let manifests: string;
  let result: RunResult;
  let journal: Journal;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-it-scale-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    manifests = path.join(tmp, 'manifests-5');
    await writeManifestFiles(scaleManifestFiles(await readManifestFiles(RUN_DEFAULTS.manifestsDir), { replicas: 5 }), manifests, RUN_DEFAULTS.manifestsDir);
    result = await runSuite({
      scenarios: await resolveScenarios(['master-kill']),
      trials: 1,
      target: 'local',
      manifestsDir: manifests,
      reportDir: path.join(tmp, 'reports'),
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
      subnet: 240,
    });
    journal = result.journal;
  }, 180_000);

  afterAll(() => {
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the rendered variant passes the static checks of the scaled design', async () => {
    const checks = scalingChecks(await readManifestFiles(RUN_DEFAULTS.manifestsDir), 5, manifests);
    expect(checks.filter((c) => !c.valid).map((c) => c.name)).toEqual([]);
    expect(checks.some((c) => c.name === 'scaling-5.quorum-formula' && c.valid)).toBe(true);
  });

  it('started 5 pods on 127.0.240.1-5 with quorum 3', () => {
    expect(journal.deployment).toMatchObject({ replicas: 5, quorum: 3, pdb_min_available: 3 });
    expect(journal.target.details.pod_addresses).toBe([1, 2, 3, 4, 5].map((i) => `redis-${i - 1}=127.0.240.${i}`).join(' '));
  });

  it('fails the master over with 5 sentinels: every check of the trial passes, nothing acknowledged is lost', () => {
    const t = journal.scenarios[0]!.trials[0]!;
    expect(t.checks.filter((c) => c.valid !== true).map((c) => `${c.name}: ${c.explanation}`)).toEqual([]);
    expect(t.verdict).toBe('pass');
    expect(t.figures.writes_lost).toBe(0);
    expect(t.figures.failover_ms).not.toBeNull();
    expect(t.figures.rejoin_ms).not.toBeNull();
    expect(t.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(['failover-time', 'failover-phases', 'write-loss', 'split-brain', 'rejoin', 'convergence']),
    );
    expect(result.exitCode).toBe(0);
  });

  it('reports it as a passing live scaling check with expected and observed values', () => {
    const [live] = liveVariantChecks(journal, 'scaling');
    expect(live).toMatchObject({ group: 'scaling', name: 'scaling.live.master-kill', valid: true });
    expect(live!.observed).toContain('5 pods');
    expect(live!.expected).toContain('writes lost ≤ 0');
  });

  it('leaves no process and no state behind', () => {
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
