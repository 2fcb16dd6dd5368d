// The side-by-side view of two deployment profiles (--profile both) in the journal, summary.md, index.html and junit.xml.
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/html.ts';
import type { Journal, ScenarioResult } from '../../../src/report/journal.ts';
import { renderJunit } from '../../../src/report/junit.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { comparisonRows, scenarioForProfile } from '../../../src/runner/profile-run.ts';
import { parseScenario } from '../../../src/runner/scenario.ts';
import { journal, scenario, trial } from './builders.ts';

function profiled(name: string, profile: string, figures: Record<string, number | null>, bound?: number): ScenarioResult {
  const s = scenario(`${name}@${profile}`, [trial(1, figures)]);
  return { ...s, profile, slo: { ...s.slo, ...(bound === undefined ? {} : { writes_lost_old_master_max: bound }) } };
}

function comparison(): Journal {
  const scenarios = [
    profiled('network-partition', 'seed', {
      writes_lost: 3180,
      writes_lost_old_master: 3180,
      outage_ms: 9263.7,
      availability: 0.685,
      failover_ms: 9261,
      writes_acked: 3596,
    }),
    profiled(
      'network-partition',
      'hardened',
      { writes_lost: 855, writes_lost_old_master: 855, outage_ms: 9100.2, availability: 0.69, failover_ms: 9050, writes_acked: 3600 },
      1200,
    ),
  ];
  return {
    ...journal('20261125T210000Z-abcd', ...scenarios),
    profiles: [
      { name: 'seed', description: "the seed's settings", settings: {} },
      { name: 'hardened', description: 'min-replicas-to-write <1>', settings: { 'min-replicas-to-write': '1', 'min-replicas-max-lag': '4' } },
    ],
    profileComparison: comparisonRows(scenarios),
  };
}

describe('comparisonRows', () => {
  it('gives one row per scenario and profile with the worst trial and the declared bound', () => {
    const s = profiled('p', 'hardened', { writes_lost: 2, writes_lost_old_master: 2, availability: 0.9, outage_ms: 100 }, 1200);
    s.trials.push(trial(2, { writes_lost: 7, writes_lost_old_master: 5, availability: 0.8, outage_ms: 50 }));
    expect(comparisonRows([s, scenario('plain', [trial(1, {})])])).toEqual([
      {
        scenario: 'p',
        profile: 'hardened',
        verdict: s.verdict,
        trials: 2,
        writes_acked: null,
        writes_lost: 7,
        writes_lost_old_master: 5,
        writes_lost_old_master_max: 1200,
        outage_ms: 100,
        availability: 0.8,
        failover_ms: null,
        split_brain_ms: null,
      },
    ]);
  });
});

describe('side-by-side rendering', () => {
  it('summary.md: a table per scenario with a column per profile, bound next to the old-master loss', () => {
    const md = renderMarkdown(comparison());
    expect(md).toContain('### Profiles side by side');
    expect(md).toContain('| figure (worst trial) | seed | hardened |');
    expect(md).toContain('| writes lost | 3180 | 855 |');
    expect(md).toContain('| of which by the old master (bound) | 3180 | 855 (≤ 1200) |');
    expect(md).toContain('| outage (ms) | 9263.7 | 9100.2 |');
    expect(md).toContain('| availability | 68.5 % | 69 % |');
    // journal text is escaped
    expect(md).toContain('min-replicas-to-write &lt;1&gt;');
    expect(md).not.toContain('<1>');
  });

  it('summary.md and index.html have no such section for a single-profile run', () => {
    const j = journal('x', scenario('master-kill', [trial(1, { failover_ms: 6000 })]));
    expect(renderMarkdown(j)).not.toContain('Profiles side by side');
    expect(renderHtml(j, new Map())).not.toContain('Profiles side by side');
  });

  it('index.html: the same table, escaped', () => {
    const html = renderHtml(comparison(), new Map());
    expect(html).toContain('<h2>Profiles side by side</h2>');
    expect(html).toContain('<th class="num">seed</th><th class="num">hardened</th>');
    expect(html).toContain('<tr><td>writes lost</td><td class="num">3180</td><td class="num">855</td></tr>');
    expect(html).toContain('855 (≤ 1200)');
    expect(html).toContain('min-replicas-to-write &lt;1&gt;');
  });

  it('junit.xml: one suite per scenario and profile', () => {
    const xml = renderJunit(comparison());
    expect(xml).toContain('<testsuite name="network-partition@seed"');
    expect(xml).toContain('<testsuite name="network-partition@hardened"');
  });
});

describe('scenarioForProfile', () => {
  const s = parseScenario(
    [
      'name: p',
      'description: d',
      'fault: { kind: partition, durationMs: 3x }',
      'expect: { acceptLossFromOldMaster: true, maxSplitBrainMs: 3x+15000 }',
      'profiles:',
      '  hardened:',
      '    expect: { maxLostFromOldMaster: 1200 }',
    ].join('\n'),
    'p.yaml',
  );

  it("applies the profile's expectations over the scenario's and marks the name when asked", () => {
    const h = scenarioForProfile(s, 'hardened', true);
    expect(h.name).toBe('p@hardened');
    expect(h.expect).toMatchObject({ acceptLossFromOldMaster: true, maxLostFromOldMaster: 1200, maxSplitBrainMs: '3x+15000', maxLostWrites: 0 });
    const seed = scenarioForProfile(s, 'seed', false);
    expect(seed.name).toBe('p');
    expect(seed.expect.maxLostFromOldMaster).toBeUndefined();
    expect(seed.expect).toEqual(s.expect);
  });

  it('rejects an unknown profile or field in the scenario file, naming it', () => {
    expect(() => parseScenario('name: p\ndescription: d\nfault: { kind: kill-pod }\nprofiles:\n  strict: {}\n', 'p.yaml')).toThrow(/profiles\.strict/);
    expect(() =>
      parseScenario('name: p\ndescription: d\nfault: { kind: kill-pod }\nprofiles:\n  hardened:\n    expect: { failover: false }\n', 'p.yaml'),
    ).toThrow(/profiles\.hardened\.expect\.failover/);
  });
});
