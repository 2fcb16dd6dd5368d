// One network-partition trial under the seed's settings and under the hardened profile (min-replicas-to-write),
// each on its own real deployment (down-after 1500 ms), reported side by side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/report/journal.ts';
import { runProfiles } from '../../src/runner/profile-run.ts';
import { RUN_DEFAULTS, type RunResult } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

/** The harness's nft tables whose rules name this test's subnet (other runs on the machine have tables of their own). */
const nftTables = (): string[] =>
  execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('sentinel_chaos_'))
    .filter((l) => {
      try {
        return execFileSync('nft', ['list', 'table', ...l.replace(/^table /, '').split(' ')], { encoding: 'utf8' }).includes('127.0.243.');
      } catch {
        return false; // deleted meanwhile
      }
    });

describe('network-partition under --profile both (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let reportDir: string;
  let tablesBefore: string[];
  let result: RunResult;
  let journal: Journal;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-it-profiles-'));
    stateDir = path.join(tmp, 'state');
    reportDir = path.join(tmp, 'reports');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    tablesBefore = nftTables();
    result = await runProfiles(
      {
        scenarios: await resolveScenarios(['network-partition']),
        trials: 1,
        target: 'local',
        manifestsDir: RUN_DEFAULTS.manifestsDir,
        reportDir,
        overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
        subnet: 243,
      },
      ['seed', 'hardened'],
    );
    journal = result.journal;
  }, 240_000);

  afterAll(() => {
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it("holds both profiles' results in one journal, each on its own deployment settings", () => {
    expect(journal.scenarios.map((s) => [s.name, s.profile])).toEqual([
      ['network-partition@seed', 'seed'],
      ['network-partition@hardened', 'hardened'],
    ]);
    expect(journal.profileComparison?.map((r) => [r.scenario, r.profile])).toEqual([
      ['network-partition', 'seed'],
      ['network-partition', 'hardened'],
    ]);
    expect(journal.deployment.min_replicas_to_write).toBe('seed: (default) / hardened: 1');
    expect(journal.profiles?.find((p) => p.name === 'hardened')?.settings).toEqual({ 'min-replicas-to-write': '1', 'min-replicas-max-lag': '4' });
  });

  it("the hardened profile's old-master loss is measured and within its declared bound; nothing else is lost", () => {
    const hardened = journal.profileComparison!.find((r) => r.profile === 'hardened')!;
    expect(hardened.writes_lost_old_master_max).toBe(1200);
    expect(hardened.writes_lost_old_master).not.toBeNull();
    expect(hardened.writes_lost_old_master!).toBeLessThanOrEqual(hardened.writes_lost_old_master_max!);
    for (const s of journal.scenarios) {
      const t = s.trials[0]!;
      expect(t.checks.find((c) => c.name === 'write-loss')?.valid, `${s.name}: ${t.message}`).toBe(true);
      expect(t.figures.writes_lost).toBe(t.figures.writes_lost_old_master);
    }
    // The seed profile's old-master loss is accepted without a bound.
    expect(journal.profileComparison!.find((r) => r.profile === 'seed')!.writes_lost_old_master_max).toBeNull();
  });

  it('writes one report with the side-by-side table and a JUnit suite per profile, and nothing else in the report dir', () => {
    expect(readFileSync(path.join(result.runDir, 'summary.md'), 'utf8')).toContain('| figure (worst trial) | seed | hardened |');
    expect(readFileSync(path.join(result.runDir, 'index.html'), 'utf8')).toContain('Profiles side by side');
    const junit = readFileSync(path.join(result.runDir, 'junit.xml'), 'utf8');
    expect(junit).toContain('<testsuite name="network-partition@seed"');
    expect(junit).toContain('<testsuite name="network-partition@hardened"');
    expect(JSON.parse(readFileSync(path.join(result.runDir, 'result.json'), 'utf8')).profileComparison).toHaveLength(2);
    expect(readdirSync(path.join(result.runDir, 'logs')).sort()).toEqual(['hardened', 'seed']);
    expect(readdirSync(reportDir).sort()).toEqual([journal.run.id, 'latest'].sort());
  });

  it('leaves no process, state or nft table behind', () => {
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
    expect(nftTables().filter((t) => !tablesBefore.includes(t))).toEqual([]);
  });
});
