// master-kill on real redis-server / redis-sentinel processes, with down-after shortened to 1500 ms (at 1000 Sentinel can fail a just-promoted master over a second time; see README).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/report/journal.ts';
import { runSuite, RUN_DEFAULTS, type RunResult } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const PASSWORD = 'integration-secret-Zx81q';

describe('master-kill on the local target (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let result: RunResult;
  let journal: Journal;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-it-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    // A copy of the bundled manifests with a known password, so the test can grep every output for it.
    const { cpSync, writeFileSync } = await import('node:fs');
    const manifests = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
    const secret = path.join(manifests, '01-secret.yaml');
    writeFileSync(secret, readFileSync(secret, 'utf8').replace('REPLACE_WITH_OPENSSL_RAND_BASE64_32', PASSWORD));
    result = await runSuite({
      scenarios: await resolveScenarios(['master-kill']),
      trials: 2,
      target: 'local',
      manifestsDir: manifests,
      reportDir: path.join(tmp, 'reports'),
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
      subnet: 211,
      conformance: ['static', 'live'],
    });
    journal = result.journal;
  }, 120_000);

  afterAll(() => {
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('fails over within the SLO as the client and as Sentinel see it, loses no acknowledged write', () => {
    expect(journal.verdict).toBe('pass');
    expect(result.exitCode).toBe(0);
    const trials = journal.scenarios[0]!.trials;
    expect(trials).toHaveLength(2);
    for (const t of trials) {
      expect(t.verdict).toBe('pass');
      // down-after 1500: nothing can be detected before it, and the whole failover stays well inside 10 s.
      expect(t.figures.sentinel_failover_ms).toBeGreaterThan(1500);
      expect(t.figures.failover_ms).toBeGreaterThan(1500);
      expect(t.figures.failover_ms).toBeLessThan(10_000);
      expect(t.figures.writes_acked).toBeGreaterThan(50);
      expect(t.figures.writes_lost).toBe(0);
      expect(t.figures.rejoin_ms).not.toBeNull();
      expect(t.phases.map((p) => p.name)).toEqual(['+sdown', '+odown', '+elected-leader', '+promoted-slave', '+switch-master', 'first-ack']);
      const ms = t.phases.slice(0, 5).map((p) => p.ms!);
      expect([...ms].sort((a, b) => a - b)).toEqual(ms);
      expect(t.events.some((e) => e.kind === 'fault' && e.type === 'landed')).toBe(true);
    }
  });

  it('records the override and the deployment parameters in the journal', () => {
    expect(journal.deployment.down_after_ms).toBe(5000);
    expect(journal.deployment.override_sentinel_down_after_milliseconds ?? journal.deployment['override_sentinel_down-after-milliseconds']).toBe('1500');
    expect(journal.target.redisVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(journal.scenarios[0]!.stats.failover_ms!.n).toBe(2);
  });

  it('writes junit.xml with the figures as properties and points latest at the run', () => {
    const junit = readFileSync(path.join(result.runDir, 'junit.xml'), 'utf8');
    for (const p of ['failover_ms', 'sentinel_failover_ms', 'writes_acked', 'writes_lost']) expect(junit).toContain(`name="${p}"`);
    expect(junit.match(/<testcase name="master-kill #/g)).toHaveLength(2);
    // Conformance groups asked for run first, on the same deployment.
    expect(junit).toContain('<testsuite name="conformance-static"');
    expect(junit).toContain('<testsuite name="conformance-live"');
    expect(journal.conformance?.map((g) => [g.group, g.verdict])).toEqual([
      ['static', 'pass'],
      ['live', 'pass'],
    ]);
    const latest = path.join(tmp, 'reports', 'latest');
    expect(statSync(latest).isDirectory()).toBe(true);
    expect(readFileSync(path.join(latest, 'result.json'), 'utf8')).toContain(journal.run.id);
  });

  it('never writes the password into any report file', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    const files = walk(result.runDir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(readFileSync(f, 'utf8')).not.toContain(PASSWORD);
  });

  it('leaves no process, state file or data dir behind', () => {
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
