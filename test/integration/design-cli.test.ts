// --design end to end (static group: no cluster): a manifests copy with down-after 2000 passes under a design
// stating 2000 as an intended deviation and fails under the seed; bad design files exit 2 in one line.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processesUnder } from '../support/leftovers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
const SEED = readFileSync(path.join(ROOT, 'designs/seed.yaml'), 'utf8');

let tmp: string;
let stateDir: string;
let reportDir: string;
let manifests: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'sc-design-cli-'));
  stateDir = path.join(tmp, 'state');
  reportDir = path.join(tmp, 'reports');
  mkdirSync(stateDir);
  manifests = path.join(tmp, 'manifests');
  cpSync(path.join(ROOT, 'manifests'), manifests, { recursive: true });
  const f = path.join(manifests, '03-configmap-sentinel.yaml');
  const text = readFileSync(f, 'utf8');
  expect(text).toContain('sentinel down-after-milliseconds mymaster 5000');
  writeFileSync(f, text.replace('sentinel down-after-milliseconds mymaster 5000', 'sentinel down-after-milliseconds mymaster 2000'));
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

function design(name: string, text: string): string {
  const f = path.join(tmp, name);
  writeFileSync(f, text);
  return f;
}

const FAST = SEED.replace('name: seed', 'name: fast-detect')
  .replace('  down-after-milliseconds: 5000', '  down-after-milliseconds: 2000')
  .replace('deviations: []', 'deviations: [down-after-milliseconds]');

const journal = () => {
  const runs = readdirSync(reportDir).filter((e) => e !== 'latest');
  expect(runs).toHaveLength(1);
  return JSON.parse(readFileSync(path.join(reportDir, runs[0]!, 'result.json'), 'utf8'));
};

describe('conformance --design', () => {
  it('down-after 2000 in the manifests and in the design, listed as a deviation: exit 0, the deviation an information check', () => {
    const r = cli(
      'conformance',
      '--group',
      'static,scaling,profile',
      '--manifests',
      manifests,
      '--design',
      design('fast.yaml', FAST),
      '--report-dir',
      reportDir,
    );
    expect(r.stderr).toContain('conformance: static pass');
    // The scaled and profiled copies are held to the design as well, not to the seed's 5000.
    expect(r.stderr).toContain('conformance: scaling pass');
    expect(r.stderr).toContain('conformance: profile pass');
    expect(r.status).toBe(0);
    const checks = journal().conformance.find((g: { group: string }) => g.group === 'static').checks as {
      name: string;
      valid: boolean;
      expected: string;
      observed: string;
      explanation: string;
    }[];
    expect(checks.find((c) => c.name === 'sentinel.down-after-milliseconds')).toMatchObject({
      valid: true,
      expected: '2000',
      observed: '2000',
    });
    const info = checks.find((c) => c.name === 'design.sentinel.down-after-milliseconds')!;
    expect(info.valid).toBe(true);
    expect(info.explanation).toContain('deviates from the seed: sentinel.down-after-milliseconds 2000 (seed 5000)');
    expect(journal().deployment.design).toBe('fast-detect');
    expect(checks.find((c) => c.name === 'sentinel.down-after-milliseconds')!.explanation).toContain(
      "Held to the design's 2000 (deviates from the seed's 5000).",
    );
  });

  it('--group static,live on the local target: the running sentinels held to the design, exit 0, nothing left running', () => {
    const r = cli(
      'conformance',
      '--group',
      'static,live',
      '--manifests',
      manifests,
      '--design',
      design('fast.yaml', FAST),
      '--subnet',
      '110',
      '--report-dir',
      reportDir,
    );
    expect(r.stderr).toContain('conformance: live pass');
    expect(r.status).toBe(0);
    const live = journal().conformance.find((g: { group: string }) => g.group === 'live').checks as {
      name: string;
      valid: boolean;
      expected: string;
      observed: string;
    }[];
    expect(live.find((c) => c.name === 'config.sentinel.down-after-milliseconds')).toMatchObject({
      valid: true,
      expected: '2000 (design fast-detect and manifests)',
      observed: '2000 on all 3',
    });
    expect(live.find((c) => c.name === 'design.sentinel.down-after-milliseconds')?.valid).toBe(true);
  }, 120_000);

  it('the same copy under the seed design: exit 1 naming down-after, expected 5000 observed 2000', () => {
    for (const args of [[], ['--design', path.join(ROOT, 'designs/seed.yaml')]]) {
      rmSync(reportDir, { recursive: true, force: true });
      const r = cli('conformance', '--group', 'static', '--manifests', manifests, ...args, '--report-dir', reportDir);
      expect(r.status).toBe(1);
      const fails = r.stderr.split('\n').filter((l) => l.startsWith('FAIL'));
      expect(fails).toHaveLength(1);
      expect(fails[0]).toContain('static/sentinel.down-after-milliseconds:');
      expect(fails[0]).toContain('expected 5000, observed 2000');
    }
  });

  it('a deviation the design does not list fails, naming the field', () => {
    const r = cli(
      'conformance',
      '--group',
      'static',
      '--manifests',
      manifests,
      '--design',
      design('unlisted.yaml', FAST.replace('deviations: [down-after-milliseconds]', 'deviations: []')),
      '--report-dir',
      reportDir,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/FAIL static\/design\.sentinel\.down-after-milliseconds: .*not listed under deviations/);
  });

  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  for (const [what, text, needle, field] of [
    ['an unknown field', SEED.replace('  quorum: 2', '  quorum: 2\n  quorom: 2'), 'quorom', 'sentinel.quorom'],
    ['a wrong type', SEED.replace('  parallel-syncs: 1', '  parallel-syncs: one'), 'parallel-syncs: one', 'sentinel.parallel-syncs'],
    ['a negative number', SEED.replace('    writes-lost-max: 0', '    writes-lost-max: -5'), '-5', 'accepted-losses.seed.writes-lost-max'],
  ] as const) {
    it(`${what}: exit 2, one line naming file:line and the field, nothing written or left running`, () => {
      const f = design('bad.yaml', text);
      for (const cmd of [
        ['conformance', '--group', 'static'],
        ['run', '--scenario', 'master-kill', '--subnet', '110'],
      ]) {
        const r = cli(...cmd, '--manifests', manifests, '--design', f, '--report-dir', reportDir);
        expect(r.status).toBe(2);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(`^sentinel-chaos: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${lineOf(text, needle)}:\\d+: field ${field.replace(/\./g, '\\.')}: `),
        );
      }
      expect(() => readdirSync(reportDir)).toThrow();
    });
  }

  it('a design file that does not exist: exit 2 naming the flag', () => {
    const r = cli('conformance', '--group', 'static', '--design', path.join(tmp, 'nope.yaml'), '--report-dir', reportDir);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^sentinel-chaos: --design .*nope\.yaml: the design file cannot be read$/);
  });
});
