// Design files: the bundled seed equals today's SEED_DESIGN and changes no scenario; deviations are found
// and marked; bad files name file:line:col and field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDesign, loadSeedDesign, parseDesign, SEED_DESIGN_FILE } from '../../../src/config/design.ts';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { CONFORMANCE_GROUPS } from '../../../src/conformance/groups.ts';
import { SEED_DESIGN } from '../../../src/conformance/static.ts';
import { scenarioUnderDesign } from '../../../src/runner/design-scenarios.ts';
import { listScenarios } from '../../../src/runner/scenario.ts';
import { designError } from '../../support/design-errors.ts';

const SEED_TEXT = readFileSync(SEED_DESIGN_FILE, 'utf8');
const FILE = 'designs/mine.yaml';
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
const variant = (from: string, to: string, text = SEED_TEXT) => {
  expect(text).toContain(from);
  return text.replace(from, to);
};
const FAST = variant(
  'deviations: []',
  'deviations: [down-after-milliseconds]',
  variant('  down-after-milliseconds: 5000', '  down-after-milliseconds: 2000', variant('name: seed', 'name: fast-detect')),
);

describe('the bundled seed design', () => {
  it('holds exactly the values of SEED_DESIGN (the static and live checks of today)', async () => {
    const seed = await loadSeedDesign();
    expect(seed.params).toEqual({ ...SEED_DESIGN, accessModes: [...SEED_DESIGN.accessModes] });
    expect(seed.slo).toEqual({ failoverMs: 10_000, failoverBandMs: [5000, 10_000] });
    expect(seed.deviations).toEqual([]);
  });

  it('loaded as --design, deviates from itself nowhere', async () => {
    expect((await loadDesign(SEED_DESIGN_FILE)).deviations).toEqual([]);
  });

  it('changes no built-in scenario', async () => {
    const seed = await loadSeedDesign();
    for (const s of await listScenarios()) expect(scenarioUnderDesign(s, seed, seed), s.name).toEqual(s);
  });
});

describe('a design that deviates', () => {
  it('marks a listed deviation as intended (by its leaf name or its path) and an unlisted one as not', async () => {
    const seed = (await loadSeedDesign()).data;
    expect(parseDesign(FAST, FILE, seed).deviations).toEqual([{ field: 'sentinel.down-after-milliseconds', seed: 5000, value: 2000, intended: true }]);
    const byPath = variant('[down-after-milliseconds]', '[sentinel.down-after-milliseconds]', FAST);
    expect(parseDesign(byPath, FILE, seed).deviations[0]!.intended).toBe(true);
    const unlisted = variant('deviations: [down-after-milliseconds]', 'deviations: []', FAST);
    expect(parseDesign(unlisted, FILE, seed).deviations).toEqual([{ field: 'sentinel.down-after-milliseconds', seed: 5000, value: 2000, intended: false }]);
  });

  it('its SLO follows into scenarios that use the seed bound; losses are ceilings', async () => {
    const seed = await loadSeedDesign();
    const d = parseDesign(
      variant('  failover-ms: 10000', '  failover-ms: 6000', variant('    old-master-max: 1200', '    old-master-max: 500', SEED_TEXT)),
      FILE,
      seed.data,
    );
    const all = await listScenarios();
    const kill = scenarioUnderDesign(
      all.find((s) => s.name === 'master-kill')!,
      d,
      seed,
    );
    expect(kill.expect.failoverMs).toBe(6000);
    const upgrade = scenarioUnderDesign(
      all.find((s) => s.name === 'rolling-upgrade')!,
      d,
      seed,
    );
    expect(upgrade.expect.failoverMs).toBe(60_000);
    const partition = scenarioUnderDesign(
      all.find((s) => s.name === 'network-partition')!,
      d,
      seed,
    );
    expect(partition.profiles?.hardened?.expect.maxLostFromOldMaster).toBe(500);
  });

  it('static group: manifests held to the design, the deviation an information check', async () => {
    const seed = await loadSeedDesign();
    const design = parseDesign(FAST, FILE, seed.data);
    const model = await loadDeployment('manifests');
    const group = CONFORMANCE_GROUPS.find((g) => g.name === 'static')!;
    // The bundled manifests say 5000: held to the design's 2000 they fail, and the deviation itself is information.
    const checks = await group.run({ model, design, convergeTimeoutMs: 1 });
    const da = checks.find((c) => c.name === 'sentinel.down-after-milliseconds')!;
    expect([da.valid, da.expected, da.observed]).toEqual([false, '2000', '5000']);
    const info = checks.find((c) => c.name === 'design.sentinel.down-after-milliseconds')!;
    expect(info.valid).toBe(true);
    expect(info.explanation).toContain('deviates from the seed: sentinel.down-after-milliseconds 2000 (seed 5000)');
    expect(checks.filter((c) => c.valid === false).map((c) => c.name)).toEqual(['sentinel.down-after-milliseconds']);
  });
});

describe('bad design files: DESIGN_INVALID (exit 2) naming file:line:col and field', () => {
  it('an unknown field, at the key', () => {
    const text = variant('  quorum: 2', '  quorum: 2\n  quorom: 2');
    expect(designError(text, FILE).message).toBe(`${FILE}:${lineOf(text, 'quorom')}:3: field sentinel.quorom: Unrecognized key: "quorom"`);
  });

  it('a wrong type', () => {
    const text = variant('  down-after-milliseconds: 5000', '  down-after-milliseconds: "5s"');
    expect(designError(text, FILE).message).toMatch(
      new RegExp(`^${FILE}:${lineOf(text, '"5s"')}:28: field sentinel\\.down-after-milliseconds: .*expected number`),
    );
  });

  it('a negative number', () => {
    const text = variant('  failover-ms: 10000', '  failover-ms: -1');
    expect(designError(text, FILE).message).toMatch(new RegExp(`^${FILE}:${lineOf(text, '-1')}:16: field slo\\.failover-ms: Too small`));
  });

  it('a deviation that names no value', () => {
    const text = variant('deviations: []', 'deviations: [down-after]');
    expect(designError(text, FILE).message).toBe(
      `${FILE}:${lineOf(text, 'deviations: [')}:14: field deviations.0: "down-after" names no value of the design (e.g. sentinel.down-after-milliseconds)`,
    );
  });

  it('a band upside down, and a quorum above the sentinels', () => {
    expect(designError(variant('failover-band-ms: [5000, 10000]', 'failover-band-ms: [10000, 5000]'), FILE).message).toContain(
      'field slo.failover-band-ms: lower bound above upper bound',
    );
    expect(designError(variant('  quorum: 2', '  quorum: 4'), FILE).message).toContain('field sentinel.quorum: quorum 4 above the 3 sentinels');
  });

  it('a YAML syntax error', () => {
    expect(designError('name: [x\n', FILE).message).toMatch(new RegExp(`^${FILE}:\\d+:\\d+: YAML syntax error`));
  });
});
