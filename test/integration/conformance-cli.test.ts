// The `conformance` command end to end (static group: no cluster): exit 0 and reports on the bundled
// manifests, exit 1 naming the failed checks on a broken copy, exit 2 on an unknown group.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processesUnder } from '../support/leftovers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');

let tmp: string;
let stateDir: string;
let reportDir: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'sc-conf-cli-'));
  stateDir = path.join(tmp, 'state');
  reportDir = path.join(tmp, 'reports');
  mkdirSync(stateDir);
});

afterEach(() => {
  const left = processesUnder(stateDir);
  rmSync(tmp, { recursive: true, force: true });
  expect(left).toEqual([]);
});

function cli(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, SENTINEL_CHAOS_STATE_DIR: stateDir };
  delete env.NODE_OPTIONS;
  const r = spawnSync('node', ['src/cli/main.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return r;
}

const runDir = () => {
  const runs = readdirSync(reportDir).filter((e) => e !== 'latest');
  expect(runs).toHaveLength(1);
  return path.join(reportDir, runs[0]!);
};

describe('sentinel-chaos conformance', () => {
  it('--group static on the bundled manifests: exit 0, junit.xml with one testsuite, result.json with the checks', () => {
    const r = cli('conformance', '--group', 'static', '--report-dir', reportDir);
    expect(r.stderr).toContain('conformance: static pass (96 passed, 0 failed, 0 skipped');
    expect(r.status).toBe(0);
    const dir = runDir();
    const junit = readFileSync(path.join(dir, 'junit.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(1);
    expect(junit).toContain('<testsuite name="conformance-static" tests="96" failures="0"');
    const journal = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
    expect(journal.verdict).toBe('pass');
    expect(journal.conformance.map((g: { group: string; checks: unknown[] }) => [g.group, g.checks.length])).toEqual([['static', 96]]);
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain('| static | ✅ pass | 96 of 96 passed |');
  });

  it('a broken manifests copy: exit 1, the failed checks on stderr and as JUnit failures with expected and observed', () => {
    const manifests = path.join(tmp, 'manifests');
    cpSync(path.join(ROOT, 'manifests'), manifests, { recursive: true });
    const cm = path.join(manifests, '02-configmap-redis.yaml');
    writeFileSync(cm, readFileSync(cm, 'utf8').replace(/^(\s+)appendfsync everysec$/m, '$1appendfsync always'));
    const r = cli('conformance', '--group', 'static', '--manifests', manifests, '--report-dir', reportDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^FAIL static\/redis\.appendfsync: .*02-configmap-redis\.yaml ConfigMap\/redis-config .*expected everysec, observed always/m);
    expect(r.stderr.match(/^FAIL /gm)).toHaveLength(1);
    const junit = readFileSync(path.join(runDir(), 'junit.xml'), 'utf8');
    expect(junit).toContain('<failure message="expected everysec, observed always" type="conformance">');
  });

  it('an unknown group: exit 2, one line naming the flag and the choices, nothing written', () => {
    const r = cli('conformance', '--group', 'static,bogus', '--report-dir', reportDir);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      'sentinel-chaos: --group bogus: unknown group; choose from static, scaling, profile, live, app-paths, monitoring, security, peer',
    );
    expect(readdirSync(reportDir)).toEqual([]);
  });
});
