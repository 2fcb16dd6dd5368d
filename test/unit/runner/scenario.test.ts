// Scenario files: the bundled one parses with defaults, every invalid one names file, line and field.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HarnessError } from '../../../src/errors.ts';
import { BUILTIN_SCENARIO_DIR, parseScenario, resolveScenarios } from '../../../src/runner/scenario.ts';
import { scenarioError as scenarioErrorIn } from '../../support/scenario-errors.ts';

const SCENARIOS = path.resolve(import.meta.dirname, '../../../scenarios');
const FILE = 'scenarios/test-case.yaml';

/** A valid scenario; leading comments so that an error reported at line 1 (or off by one) is caught. */
const BASE = [
  '# a test scenario',
  '# second comment line',
  'name: test-case',
  'description: kill the master and watch',
  'fault:',
  '  kind: kill-pod',
  '  target: master',
  'workload:',
  '  rateHz: 200',
  '  warmupMs: 500',
  'restart: true',
  'expect:',
  '  failover: true',
  '  failoverMs: 10000',
  '  failoverBandMs: [5000, 10000]',
  '  maxLostWrites: 0',
  'timeouts:',
  '  failoverMs: 60000',
  '  rejoinMs: 30000',
  '',
].join('\n');

/** BASE with the whole line `from` replaced by `to` (which may hold several lines). */
function withLine(from: string, to: string): string {
  const lines = BASE.split('\n');
  const i = lines.indexOf(from);
  expect(i, `BASE has a line ${JSON.stringify(from)}`).toBeGreaterThanOrEqual(0);
  lines.splice(i, 1, ...to.split('\n'));
  return lines.join('\n');
}

/** 1-based line and column of the first occurrence of `needle` in `text`. */
function posOf(text: string, needle: string): { line: number; col: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  expect(line, `text has ${JSON.stringify(needle)}`).toBeGreaterThanOrEqual(0);
  return { line: line + 1, col: lines[line]!.indexOf(needle) + 1 };
}

const scenarioError = (text: string) => scenarioErrorIn(text, FILE);

/** The line and column the message reports right after the file name. */
function reported(e: HarnessError): { line: number; col: number } {
  const m = new RegExp(`^${FILE.replace(/[.]/g, '\\.')}:(\\d+):(\\d+): `).exec(e.message);
  expect(m, `message starts with ${FILE}:<line>:<col>: — got ${e.message}`).not.toBeNull();
  return { line: Number(m![1]), col: Number(m![2]) };
}

describe('parseScenario', () => {
  it('parses the bundled master-kill.yaml', async () => {
    const file = path.join(SCENARIOS, 'master-kill.yaml');
    const s = parseScenario(await readFile(file, 'utf8'), file);
    expect(s).toEqual({
      name: 'master-kill',
      description: expect.stringMatching(/\S/),
      suite: 'default',
      fault: { kind: 'kill-pod', target: 'master', holdMs: 0 },
      workload: { rateHz: 200, warmupMs: 300 },
      restart: true,
      expect: { failover: true, failoverMs: 10000, failoverBandMs: [5000, 10000], maxLostWrites: 0, acceptLossFromOldMaster: false, maxSplitBrainMs: 0 },
      timeouts: { failoverMs: 60000, rejoinMs: 30000, convergeMs: 30000 },
      file,
    });
  });

  it('fills in defaults for every optional field', () => {
    const s = parseScenario('name: minimal\ndescription: only what is required\nfault:\n  kind: kill-pod\n', FILE);
    expect(s).toEqual({
      name: 'minimal',
      description: 'only what is required',
      suite: 'default',
      fault: { kind: 'kill-pod', target: 'master', holdMs: 0 },
      workload: { rateHz: 200, warmupMs: 500 },
      restart: true,
      expect: { failover: true, failoverMs: 10_000, failoverBandMs: [5000, 10_000], maxLostWrites: 0, acceptLossFromOldMaster: false, maxSplitBrainMs: 0 },
      timeouts: { failoverMs: 60_000, rejoinMs: 30_000, convergeMs: 30_000 },
      file: FILE,
    });
  });

  it('accepts the test text itself', () => {
    expect(parseScenario(BASE, FILE).name).toBe('test-case');
  });

  it('reports a YAML syntax error at its line', () => {
    const text = withLine('  rateHz: 200', '  rateHz: 200: 3');
    const e = scenarioError(text);
    expect(reported(e).line).toBe(posOf(text, 'rateHz: 200: 3').line);
    expect(e.message).toMatch(/YAML syntax error/);
  });

  it('reports an unknown top-level field at its own line, naming it', () => {
    const text = withLine('restart: true', 'restart: true\nrestrat: false');
    const e = scenarioError(text);
    expect(e.message).toContain('restrat');
    expect(reported(e)).toEqual(posOf(text, 'restrat:'));
  });

  it('reports an unknown fault kind at the kind line, naming fault.kind', () => {
    const text = withLine('  kind: kill-pod', '  kind: nuke-node');
    const e = scenarioError(text);
    expect(e.message).toContain('fault.kind');
    expect(reported(e)).toEqual(posOf(text, 'nuke-node'));
  });

  it('reports a wrong type (rateHz: "fast") at the value, naming workload.rateHz', () => {
    const text = withLine('  rateHz: 200', '  rateHz: "fast"');
    const e = scenarioError(text);
    expect(e.message).toContain('field workload.rateHz');
    expect(reported(e)).toEqual(posOf(text, '"fast"'));
  });

  it('reports a negative warmupMs, naming workload.warmupMs', () => {
    const text = withLine('  warmupMs: 500', '  warmupMs: -1');
    const e = scenarioError(text);
    expect(e.message).toContain('field workload.warmupMs');
    expect(reported(e)).toEqual(posOf(text, '-1'));
  });

  it('reports an absurd duration (failoverMs: 99999999999), naming expect.failoverMs', () => {
    const text = withLine('  failoverMs: 10000', '  failoverMs: 99999999999');
    const e = scenarioError(text);
    expect(e.message).toContain('field expect.failoverMs');
    expect(reported(e)).toEqual(posOf(text, '99999999999'));
  });

  it('reports a missing required field (description) at the mapping that lacks it', () => {
    const text = withLine('description: kill the master and watch', '');
    const e = scenarioError(text);
    expect(e.message).toContain('field description');
    // No line holds the missing field: the position is the top-level mapping's first key.
    expect(reported(e)).toEqual(posOf(text, 'name: test-case'));
  });

  it('reports failoverBandMs with lower bound above upper bound', () => {
    const text = withLine('  failoverBandMs: [5000, 10000]', '  failoverBandMs: [10000, 5000]');
    const e = scenarioError(text);
    expect(e.message).toContain('field expect.failoverBandMs');
    expect(reported(e).line).toBe(posOf(text, 'failoverBandMs').line);
  });
});

describe('resolveScenarios', () => {
  let tmp: string;
  beforeEach(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'sentinel-chaos-scenario-'));
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** Names declared by the YAML files of scenarios/, read without the code under test. */
  async function builtinNames(suite?: 'default' | 'extended'): Promise<string[]> {
    const files = (await readdir(SCENARIOS)).filter((f) => /\.ya?ml$/.test(f));
    const docs = await Promise.all(files.map(async (f) => parseYaml(await readFile(path.join(SCENARIOS, f), 'utf8')) as { name: string; suite?: string }));
    return docs
      .filter((d) => suite === undefined || (d.suite ?? 'default') === suite)
      .map((d) => d.name)
      .sort();
  }

  it('uses the repository scenarios/ directory', () => {
    expect(BUILTIN_SCENARIO_DIR).toBe(SCENARIOS);
  });

  it('rejects an unknown name with SCENARIO_UNKNOWN, listing the known names', async () => {
    const e = await resolveScenarios(['nope']).then(
      () => expect.unreachable('resolveScenarios should reject'),
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(HarnessError);
    expect((e as HarnessError).code).toBe('SCENARIO_UNKNOWN');
    expect((e as HarnessError).message).toContain('"nope"');
    const known = await builtinNames();
    expect(known).toContain('master-kill');
    for (const n of known) expect((e as HarnessError).message).toContain(n);
  });

  it('returns the default suite when none is asked for; `extended` and `all` name the others', async () => {
    const dflt = await resolveScenarios([]);
    expect(dflt.map((s) => s.name).sort()).toEqual(await builtinNames('default'));
    for (const s of dflt) expect(path.dirname(s.file)).toBe(SCENARIOS);
    const extended = await resolveScenarios(['extended']);
    expect(extended.map((s) => s.name).sort()).toEqual(await builtinNames('extended'));
    expect(extended.length).toBeGreaterThan(0);
    expect((await resolveScenarios(['all'])).map((s) => s.name).sort()).toEqual(await builtinNames());
  });

  it('returns the named built-in scenarios, and loads a path as a scenario file', async () => {
    const file = path.join(tmp, 'custom.yaml');
    await writeFile(file, BASE);
    const got = await resolveScenarios(['master-kill', file]);
    expect(got.map((s) => s.name)).toEqual(['master-kill', 'test-case']);
    expect(got[1]!.file).toBe(file);
  });
});
