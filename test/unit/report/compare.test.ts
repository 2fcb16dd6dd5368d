// Comparing two journals: regressions flagged only beyond both thresholds, the table, and loading journals safely.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../../../src/errors.ts';
import { COMPARE_DEFAULTS, compareJournals, loadJournal } from '../../../src/report/compare.ts';
import type { Journal } from '../../../src/report/journal.ts';
import { failoverTrials, journal, scenario, trial } from './builders.ts';
import { sampleJournal } from './sample-journal.ts';

/** A journal with one master-kill scenario whose trials have these failover times and figures. */
function run(id: string, failover: number[], extra: { writes_lost?: number; availability?: number; outage_ms?: number } = {}): Journal {
  const trials = failover.map((v, i) =>
    trial(i + 1, {
      failover_ms: v,
      sentinel_failover_ms: v - 20,
      outage_ms: extra.outage_ms ?? v,
      writes_lost: extra.writes_lost ?? 0,
      availability: extra.availability ?? 0.95,
    }),
  );
  return journal(id, scenario('master-kill', trials));
}

const flagged = (base: Journal, current: Journal, opts = {}): string[] => compareJournals(base, current, opts).regressions.map((r) => `${r.figure} ${r.stat}`);

describe('compareJournals', () => {
  it('uses 10 % and 250 ms by default', () => {
    expect(COMPARE_DEFAULTS).toEqual({ thresholdPct: 10, thresholdMs: 250 });
  });

  it('flags nothing when the runs are the same, and renders one row per figure and statistic', () => {
    const base = run('base', [6000, 6200]);
    const { regressions, table } = compareJournals(base, run('cur', [6000, 6200]));
    expect(regressions).toEqual([]);
    const rows = table.split('\n').filter((l) => l.startsWith('| master-kill'));
    expect(rows.map((r) => r.split(' | ').slice(1, 3).join(' '))).toEqual([
      'failover_ms median',
      'failover_ms max',
      'sentinel_failover_ms median',
      'sentinel_failover_ms max',
      'outage_ms median',
      'outage_ms max',
      'writes_lost max',
      'availability min',
    ]);
    expect(rows.every((r) => r.endsWith('| ✅ |'))).toBe(true);
    expect(table).toContain('**No regression.**');
  });

  it('flags a *_ms figure only when worse by more than both the percentage and the milliseconds', () => {
    const base = run('base', [6000]);
    // +300 ms is over 250 ms but only 5 %: not a regression.
    expect(flagged(base, run('cur', [6300]))).toEqual([]);
    // +700 ms is 11.7 % and over 250 ms: every *_ms figure and statistic that moved.
    expect(flagged(base, run('cur', [6700]))).toEqual([
      'failover_ms median',
      'failover_ms max',
      'sentinel_failover_ms median',
      'sentinel_failover_ms max',
      'outage_ms median',
      'outage_ms max',
    ]);
    // From 1000 ms: +200 ms is 20 % but under 250 ms; +300 ms is both.
    expect(flagged(run('b', [1000]), run('c', [1200]))).toEqual([]);
    expect(flagged(run('b', [1000]), run('c', [1300]))).toContain('failover_ms max');
    // Exactly at the thresholds is not over them.
    expect(flagged(run('b', [2500]), run('c', [2750]))).toEqual([]);
  });

  it('honours custom thresholds', () => {
    expect(flagged(run('b', [6000]), run('c', [6300]), { thresholdPct: 2, thresholdMs: 100 })).toContain('failover_ms max');
    expect(flagged(run('b', [6000]), run('c', [6700]), { thresholdPct: 20, thresholdMs: 100 })).toEqual([]);
  });

  it('compares median and max separately: one slow trial moves only the max', () => {
    const regs = compareJournals(run('b', [6000, 6100, 6200]), run('c', [6000, 6100, 9000])).regressions;
    expect(regs.map((r) => `${r.figure} ${r.stat}`)).toEqual(['failover_ms max', 'sentinel_failover_ms max', 'outage_ms max']);
    expect(regs[0]).toEqual({
      scenario: 'master-kill',
      figure: 'failover_ms',
      stat: 'max',
      base: 6200,
      current: 9000,
      delta: 2800,
      deltaPct: (2800 / 6200) * 100,
      message: 'master-kill failover_ms max 6200 ms → 9000 ms (+2800 ms, +45.2 %)',
    });
  });

  it('never flags an improvement', () => {
    expect(flagged(run('b', [9000]), run('c', [3000]))).toEqual([]);
  });

  it('flags any increase of lost writes', () => {
    expect(flagged(run('b', [6000]), run('c', [6000], { writes_lost: 1 }))).toEqual(['writes_lost max']);
    expect(flagged(run('b', [6000], { writes_lost: 3 }), run('c', [6000], { writes_lost: 3 }))).toEqual([]);
  });

  it('flags an availability drop of more than 0.01', () => {
    expect(flagged(run('b', [6000], { availability: 0.6 }), run('c', [6000], { availability: 0.595 }))).toEqual([]);
    expect(flagged(run('b', [6000], { availability: 0.6 }), run('c', [6000], { availability: 0.59 }))).toEqual([]);
    expect(flagged(run('b', [6000], { availability: 0.6 }), run('c', [6000], { availability: 0.585 }))).toEqual(['availability min']);
  });

  it('flags a figure the base measured and the current run did not', () => {
    const current = journal(
      'c',
      scenario('master-kill', [trial(1, { failover_ms: null, sentinel_failover_ms: null, outage_ms: 6000, writes_lost: 0, availability: 0.95 })]),
    );
    const regs = compareJournals(run('b', [6000]), current).regressions;
    expect(regs.map((r) => `${r.figure} ${r.stat}`)).toEqual([
      'failover_ms median',
      'failover_ms max',
      'sentinel_failover_ms median',
      'sentinel_failover_ms max',
    ]);
    expect(regs[0]!.message).toBe('master-kill failover_ms median was 6000 ms in the base run and is not measured in the current run');
  });

  it('matches scenarios by name and notes the unmatched ones without flagging them', () => {
    const base = journal('b', scenario('master-kill', failoverTrials(6000)), scenario('partition', failoverTrials(7000)));
    const current = journal('c', scenario('replica-kill', failoverTrials(100)), scenario('master-kill', failoverTrials(6000)));
    const { regressions, table } = compareJournals(base, current);
    expect(regressions).toEqual([]);
    expect(table).toContain('- scenario partition is only in the base run');
    expect(table).toContain('- scenario replica-kill is only in the current run');
  });

  it('uses the trials when a journal has no statistics, and escapes names in the table', () => {
    const base = run('b', [6000]);
    const current = run('c', [7000]);
    current.scenarios[0]!.stats = {};
    for (const j of [base, current]) j.scenarios[0]!.name = 'mk|<x>';
    const { regressions, table } = compareJournals(base, current);
    expect(regressions.map((r) => r.figure)).toContain('failover_ms');
    expect(table).toContain('| mk\\|&lt;x&gt; | failover_ms | max | 6000 ms | 7000 ms | +1000 ms | +16.7 % | ❌ regression |');
  });
});

describe('loadJournal', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'sentinel-chaos-compare-'));
    await mkdir(join(tmp, 'run'));
    await writeFile(join(tmp, 'run', 'result.json'), JSON.stringify(sampleJournal()));
    await writeFile(join(tmp, 'run', 'junit.xml'), '<?xml version="1.0"?><testsuites/>');
    await writeFile(join(tmp, 'other.json'), JSON.stringify({ schema: 'someone-else/v2', scenarios: [] }));
    await writeFile(join(tmp, 'noschema.json'), JSON.stringify({ scenarios: [] }));
    await writeFile(join(tmp, 'broken.json'), JSON.stringify({ ...sampleJournal(), scenarios: [{ name: 'x' }] }));
    await mkdir(join(tmp, 'empty'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reads a run directory or its result.json', async () => {
    expect((await loadJournal(join(tmp, 'run'))).run.id).toBe(sampleJournal().run.id);
    expect(await loadJournal(join(tmp, 'run', 'result.json'))).toEqual(sampleJournal());
  });

  const rejects = async (path: string, message: RegExp): Promise<void> => {
    const e: unknown = await loadJournal(path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HarnessError);
    const h = e as HarnessError;
    expect(h.code).toBe('USAGE');
    expect(h.exitCode).toBe(2);
    expect(h.message).toMatch(message);
    expect(h.message).toContain('pass a run directory (e.g. reports/latest) or its result.json');
  };

  it('throws a USAGE HarnessError naming the file for anything that is not a journal', async () => {
    await rejects(join(tmp, 'missing'), new RegExp(`^${join(tmp, 'missing')}: cannot read it: no such file or directory;`));
    await rejects(join(tmp, 'empty'), new RegExp(`^${join(tmp, 'empty', 'result.json')}: cannot read it: no such file or directory;`));
    await rejects(join(tmp, 'run', 'junit.xml'), new RegExp(`^${join(tmp, 'run', 'junit.xml')}: not a sentinel-chaos run journal: not JSON`));
    await rejects(join(tmp, 'other.json'), /other\.json: not a sentinel-chaos run journal: schema "someone-else\/v2", expected "sentinel-chaos\/result@1"/);
    await rejects(join(tmp, 'noschema.json'), /noschema\.json: not a sentinel-chaos run journal: no "schema" field/);
    await rejects(join(tmp, 'broken.json'), /broken\.json: malformed sentinel-chaos run journal: scenario "x" has no trials array/);
  });
});
