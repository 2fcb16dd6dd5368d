// summary.md: the verdict line, a table per scenario, trials that did not pass, and inert journal text.
import { describe, expect, it } from 'vitest';
import { md, renderMarkdown } from '../../../src/report/markdown.ts';
import { failoverTrials, journal, scenario, trial } from './builders.ts';
import { sampleJournal } from './sample-journal.ts';

const tableOf = (text: string, heading: string): string[] => {
  const from = text.indexOf(heading);
  const lines = text.slice(from).split('\n');
  const start = lines.findIndex((l) => l.startsWith('| figure'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start, end);
};

describe('renderMarkdown', () => {
  it('starts with the verdict line and the run facts', () => {
    const lines = renderMarkdown(sampleJournal()).split('\n');
    expect(lines[0]).toBe('## ❌ sentinel-chaos: FAIL');
    expect(lines[2]).toBe('**1 of 2 trials passed, 1 failed** · target `local` · Redis 8.2.1 · run `20261125T183012Z-3f9a` · 57.9 s · sentinel-chaos 0.1.0');
  });

  it('renders a table per scenario with n and min / median / p95 / max of client and Sentinel failover, outage, availability and lost writes', () => {
    const text = renderMarkdown(sampleJournal());
    expect(text).toContain('### ❌ master-kill — FAIL');
    expect(text).toContain('2 trials: 1 passed, 1 failed. SIGKILL the master and measure how long until writes are acknowledged again');
    expect(tableOf(text, '### ❌ master-kill')).toEqual([
      '| figure | n | min | median | p95 | max | SLO |',
      '| --- | --: | --: | --: | --: | --: | --- |',
      '| failover, client (ms) | 2 | 6211.4 | 6211.4 | 17204.9 | 17204.9 | ≤ 15000 |',
      // Not in the journal's stats: computed from the trials.
      '| failover, Sentinel (ms) | 2 | 5893.2 | 5893.2 | 16890 | 16890 | ≤ 15000 |',
      '| outage (ms) | 0 | – | – | – | – |  |',
      '| availability | 0 | – | – | – | – |  |',
      '| writes lost | 2 | 0 | 0 | 4 | 4 | ≤ 0 |',
    ]);
    expect(text).toContain('Writes over all trials: 4083 acknowledged, 4 lost, 14 indeterminate.');
    expect(text).toContain(
      'SLO gate (max): expected max failover\\_ms ≤ 15000 ms, observed 17204.9 ms over 2 trials (trial 2 over the bound); ' +
        'expected max sentinel\\_failover\\_ms ≤ 15000 ms, observed 16890 ms over 2 trials (trial 2 over the bound); ' +
        '1 other failure (trials listed below).',
    );
  });

  it('lists every trial that did not pass with its reason, and the quantile definition', () => {
    const text = renderMarkdown(sampleJournal());
    expect(text).toContain(
      '**Trials that did not pass**\n\n- trial 2 **FAIL**: failover-time: expected failover\\_ms &lt;= 15000, observed 17204.9 (first election attempt timed out); ' +
        'lost-writes: expected writes\\_lost &lt;= 0, observed 4 of 2210 acknowledged writes missing on the new master',
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe('<sub>nearest-rank</sub>');
  });

  it('shows split brain when measured, the band, lost elections and warnings', () => {
    const trials = failoverTrials(2200, 2300);
    trials[0]!.figures.split_brain_ms = 120.5;
    trials[1]!.figures.split_brain_ms = 0;
    trials[1]!.figures.lost_election = 1;
    trials[0]!.warnings = ['client-observed failover 2200 ms is outside the expected band 5000-10000 ms'];
    const text = renderMarkdown(journal('r', scenario('master-kill', trials)));
    expect(text).toContain('| split brain (ms) | 2 | 0 | 0 | 120.5 | 120.5 |  |');
    expect(text).toContain('Client failover outside the expected band 5000–10000 ms in 2 of 2 trials (2 below).');
    expect(text).toContain('**Findings**\n\n- trial 2 lost a Sentinel election; its failover took 2300 ms');
    expect(text).toContain(
      '**Warnings** (within the accepted bounds)\n\n- trial 1: client-observed failover 2200 ms is outside the expected band 5000-10000 ms',
    );
    expect(text).not.toContain('Trials that did not pass');
  });

  it('leaves out split brain when no trial measured it', () => {
    expect(renderMarkdown(sampleJournal())).not.toContain('split brain');
  });

  it('makes hostile journal text inert: no table break, no HTML, no emphasis, no link, one line', () => {
    const j = sampleJournal();
    const hostile = '<img src=x onerror=alert(1)> | **bold** [link](http://x) `code`\n# heading';
    j.scenarios[0]!.name = hostile;
    j.scenarios[0]!.trials[1]!.checks[0]!.explanation = hostile;
    j.target.name = 'a`b';
    const text = renderMarkdown(j);
    expect(text).not.toContain('<img');
    expect(text).not.toContain('**bold**');
    expect(text).not.toContain('[link]');
    expect(text).not.toMatch(/^# heading/m);
    expect(text).toContain(`### ❌ ${md(hostile)} — FAIL`);
    expect(md(hostile)).toBe('&lt;img src=x onerror=alert(1)&gt; \\| \\*\\*bold\\*\\* \\[link\\](http://x) \\`code\\` \\# heading');
    // Inline code holding a backtick gets a longer fence.
    expect(text).toContain('target ``a`b``');
    // Every table row keeps its 8 unescaped pipes.
    for (const row of text.split('\n').filter((l) => l.startsWith('| '))) expect(row.replace(/\\\|/g, '').match(/\|/g)).toHaveLength(8);
  });

  it('handles a scenario without trials and an interrupted run', () => {
    const j = journal('r', { ...scenario('partition', []), verdict: 'unknown' });
    j.run.interrupted = true;
    const text = renderMarkdown(j);
    expect(text).toContain('### ⚠️ partition — UNKNOWN');
    expect(text).toContain('0 trials: 0 passed.');
    expect(text).toContain('> **Interrupted**');
    expect(text).toContain('| failover, client (ms) | 0 | – | – | – | – | ≤ 10000 |');
  });

  it('cuts a very long reason, pointing at the HTML report for the rest', () => {
    const j = sampleJournal();
    j.scenarios[0]!.trials[1]!.checks[1]!.explanation = `4 lost: ${'key-'.repeat(300)}`;
    const line = renderMarkdown(j)
      .split('\n')
      .find((l) => l.startsWith('- trial 2 '))!;
    expect(line).toMatch(/… \(\d+ characters; full text in index\.html\)$/);
    expect(line.length).toBeLessThan(600);
  });

  it('is deterministic', () => {
    expect(renderMarkdown(sampleJournal())).toBe(renderMarkdown(JSON.parse(JSON.stringify(sampleJournal()))));
  });

  it('reports an unknown trial with its message', () => {
    const t = trial(1, {}, { checks: [], verdict: 'unknown', message: 'trial could not complete: no sentinel answered' });
    expect(renderMarkdown(journal('r', scenario('master-kill', [t])))).toContain('- trial 1 **UNKNOWN**: trial could not complete: no sentinel answered');
  });
});

describe('renderMarkdown without a failover', () => {
  it('leaves out the failover rows of a scenario that expects none', () => {
    const t = trial(
      1,
      { outage_ms: 19, availability: 1, writes_lost: 0 },
      { checks: [{ name: 'no-failover', valid: true, figures: {}, explanation: 'no +switch-master' }] },
    );
    const text = renderMarkdown(journal('r', scenario('replica-kill', [t])));
    expect(text).not.toContain('failover, client');
    expect(text).toContain('| outage (ms) | 1 | 19 | 19 | 19 | 19 |  |');
    expect(text).toContain('SLO gate (max): no failover expected; the trial passed its checks.');
  });
});
