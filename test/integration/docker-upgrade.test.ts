// A real version change on the docker target (down-after 1500 ms): 7.0.15 → 8.0.2 with --upgrade-to-image,
// replicas first and the master last; every pod reports 8.0.2 afterwards, nothing is lost, nothing is left.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyUpgradeImage } from '../../src/cli/upgrade-image.ts';
import { runSuite, RUN_DEFAULTS } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';
import { entriesIn } from '../support/leftovers.ts';

const SUBNET = 118;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

let tmp: string;
let manifests: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-upgrade-'));
  process.env.SENTINEL_CHAOS_STATE_DIR = path.join(tmp, 'state');
  manifests = path.join(tmp, 'manifests');
  cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
  const secret = path.join(manifests, '01-secret.yaml');
  writeFileSync(secret, readFileSync(secret, 'utf8').replace('REPLACE_WITH_OPENSSL_RAND_BASE64_32', 'integration-secret-Up81x'));
});

afterAll(() => {
  delete process.env.SENTINEL_CHAOS_STATE_DIR;
  rmSync(tmp, { recursive: true, force: true });
});

describe('docker target: rolling upgrade to another image', () => {
  it('7.0.15 → 8.0.2: replicas first, the master last, every pod on 8.0.2, no write lost', async () => {
    const scenarios = await applyUpgradeImage(await resolveScenarios(['rolling-upgrade']), { target: 'docker', upgradeToImage: 'redis:8.0.2' });
    const r = await runSuite({
      scenarios,
      trials: 1,
      target: 'docker',
      manifestsDir: manifests,
      reportDir: path.join(tmp, 'reports'),
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
      subnet: SUBNET,
      docker: { image: 'redis:7.0.15' },
      conformance: [],
    });
    const t = r.journal.scenarios[0]!.trials[0]!;
    const versions = t.checks.find((c) => c.name === 'upgrade-versions');
    expect(versions?.valid, versions?.explanation).toBe(true);
    expect(versions!.explanation).toContain('before: redis 7.0.15');
    expect(versions!.explanation).toMatch(/redis-0 runs redis 8\.0\.2.*redis-1 runs redis 8\.0\.2.*redis-2 runs redis 8\.0\.2/);
    const inject = t.events.find((e) => e.type === 'inject')!.detail;
    expect(inject).toContain('(master last) to redis:8.0.2');
    expect(t.verdict, `${t.message} ${JSON.stringify(t.figures)}`).toBe('pass');
    expect(t.figures.writes_lost).toBe(0);
    expect(r.journal.target.name).toBe('docker');
    expect(docker('ps', '-aq', '--filter', `label=sentinel-chaos.run=${r.journal.run.id}`)).toBe('');
    expect(entriesIn(path.join(tmp, 'state'))).toEqual([]);
  }, 90_000);
});
