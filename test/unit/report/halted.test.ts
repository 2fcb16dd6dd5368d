// A run a safeguard halted, in each report: one JUnit testcase per probe, the halt named in HTML and Markdown.
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/html.ts';
import { renderJunit } from '../../../src/report/junit.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { check, journal, scenario, trial } from './builders.ts';

function haltedJournal() {
  const t = trial(
    1,
    { probe_api_samples: 12, probe_api_failures: 1 },
    {
      checks: [
        check('failover-time', true),
        check('probe/api', false, 'http probe (during) broke: 1 consecutive failed sample(s) (tolerated 0); last: HTTP 503, expected 200', {
          probe_api_samples: 12,
          probe_api_failures: 1,
        }),
        check('probe/gate', true, 'exec probe (before) held over 1 sample(s); last: exit 0'),
      ],
      message: 'stopped in failover: halted by probe/api: HTTP 503',
    },
  );
  const j = journal('run-1', { ...scenario('master-kill', [t]), verdict: 'fail' as const });
  return {
    ...j,
    verdict: 'fail' as const,
    run: {
      ...j.run,
      halted: { by: 'probe/api', at: '2026-11-25T18:30:20.000Z', reason: 'HTTP 503, expected 200', scenario: 'master-kill', trial: 1 },
    },
  };
}

describe('a halted run in the reports', () => {
  it('JUnit: each probe its own testcase, failing or passing with its explanation', () => {
    const x = renderJunit(haltedJournal());
    expect(x).toContain('<testcase name="master-kill #1 probe/api"');
    expect(x).toMatch(/<testcase name="master-kill #1 probe\/api"[^>]*>\s*<properties>[\s\S]*?<failure message="http probe \(during\) broke/);
    expect(x).toContain('<testcase name="master-kill #1 probe/gate"');
    expect(x).toMatch(/tests="3" failures="2"/);
  });

  it('HTML and Markdown name the safeguard, where and why', () => {
    expect(renderHtml(haltedJournal(), new Map())).toContain('<strong>Halted by probe/api</strong> in master-kill trial 1');
    expect(renderMarkdown(haltedJournal())).toContain('> **Halted** by probe/api in master-kill trial 1: HTTP 503, expected 200.');
  });
});
