// The conformance framework: group selection and running, verdicts and exit status, the journal, JUnit per group, summary and HTML sections.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { HarnessError } from '../../../src/errors.ts';
import { CONFORMANCE_GROUPS, DEFAULT_SUITE_GROUPS } from '../../../src/conformance/groups.ts';
import { conformanceJournal, runGroups, selectGroups } from '../../../src/conformance/run.ts';
import {
  conformanceExitCode,
  formatConformanceCheck,
  groupVerdict,
  type ConformanceCheck,
  type ConformanceGroup,
  type ConformanceGroupResult,
} from '../../../src/conformance/types.ts';
import { renderHtml } from '../../../src/report/html.ts';
import { renderJunit } from '../../../src/report/junit.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { createRedactor } from '../../../src/process/redact.ts';
import { writeReports } from '../../../src/report/write-reports.ts';
import { sampleJournal } from '../report/sample-journal.ts';

const BUNDLED = path.resolve(import.meta.dirname, '../../../manifests');

const chk = (name: string, valid: ConformanceCheck['valid'], extra: Partial<ConformanceCheck> = {}): ConformanceCheck => ({
  name,
  group: 'live',
  valid,
  expected: `${name}-expected`,
  observed: `${name}-observed`,
  explanation: `${name} matters`,
  ...(valid === 'skipped' ? { reason: `${name} cannot run here` } : {}),
  ...extra,
});

const result = (group: ConformanceGroupResult['group'], checks: ConformanceCheck[]): ConformanceGroupResult => ({
  group,
  verdict: groupVerdict(checks),
  durationMs: 1200,
  checks: checks.map((c) => ({ ...c, group })),
});

describe('verdicts and exit status', () => {
  it('a group fails when one check fails, is skipped only when every check is, passes otherwise', () => {
    expect(groupVerdict([chk('a', true), chk('b', false), chk('c', 'skipped')])).toBe('fail');
    expect(groupVerdict([chk('a', true), chk('c', 'skipped')])).toBe('pass');
    expect(groupVerdict([chk('c', 'skipped')])).toBe('skipped');
    expect(groupVerdict([])).toBe('skipped');
  });

  it('exit 1 when any group failed, 0 when all passed or were skipped', () => {
    expect(conformanceExitCode([result('static', [chk('a', true)]), result('live', [chk('b', false)])])).toBe(1);
    expect(conformanceExitCode([result('static', [chk('a', true)]), result('peer', [chk('b', 'skipped')])])).toBe(0);
  });

  it('one line per check names group, check, expected and observed, or the skip reason', () => {
    expect(formatConformanceCheck(chk('x', false))).toBe('FAIL live/x: expected x-expected, observed x-observed. x matters');
    expect(formatConformanceCheck(chk('y', 'skipped'))).toBe('skip live/y: skipped: y cannot run here');
  });
});

describe('group registry and selection', () => {
  it('registers static, scaling, profile, live, app-paths, monitoring, security and peer; the default suite runs all but monitoring, security and peer', () => {
    expect(CONFORMANCE_GROUPS.map((g) => g.name)).toEqual(['static', 'scaling', 'profile', 'live', 'app-paths', 'monitoring', 'security', 'peer']);
    for (const g of ['static', 'scaling', 'profile']) expect(CONFORMANCE_GROUPS.find((x) => x.name === g)?.needsDeployment).toBe(false);
    expect(DEFAULT_SUITE_GROUPS).toEqual(['static', 'scaling', 'profile', 'live', 'app-paths']);
  });

  it('selects in registry order whatever order they are asked in', () => {
    expect(selectGroups(['peer', 'static']).map((g) => g.name)).toEqual(['static', 'peer']);
  });

  it('refuses unknown, unregistered and empty selections as usage errors (exit 2)', () => {
    for (const [names, message] of [
      [['nope'], /--group nope: unknown group; choose from static, scaling, profile, live, app-paths, monitoring, security, peer/],
      [[], /--group needs at least one group/],
    ] as const) {
      const e = (() => {
        try {
          selectGroups(names);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(HarnessError);
      expect((e as HarnessError).exitCode).toBe(2);
      expect((e as HarnessError).message).toMatch(message);
    }
  });
});

describe('runGroups', () => {
  it('groups checks by group, turns a throwing group into a failing check, skips deployment groups without a deployment', async () => {
    const model = await loadDeployment(BUNDLED);
    const registry: ConformanceGroup[] = [
      {
        name: 'static',
        description: '',
        needsDeployment: false,
        run: async () => [
          { ...chk('s1', true), group: 'static' },
          { ...chk('s2', false), group: 'static' },
        ],
      },
      { name: 'live', description: '', needsDeployment: true, run: async () => [chk('never', true)] },
      {
        name: 'app-paths',
        description: '',
        needsDeployment: false,
        run: async () => {
          throw new Error('boom');
        },
      },
    ];
    const lines: string[] = [];
    const out = await runGroups(registry, { model, convergeTimeoutMs: 1000, log: (l) => lines.push(l) });
    expect(out.map((g) => [g.group, g.verdict])).toEqual([
      ['static', 'fail'],
      ['live', 'skipped'],
      ['app-paths', 'fail'],
    ]);
    expect(out[0]!.checks.map((c) => c.name)).toEqual(['s1', 's2']);
    expect(out[1]!.checks).toEqual([expect.objectContaining({ name: 'live.evaluation', valid: 'skipped', reason: 'no running deployment' })]);
    expect(out[2]!.checks).toEqual([expect.objectContaining({ name: 'app-paths.evaluation', group: 'app-paths', valid: false, observed: 'threw: boom' })]);
    expect(lines.some((l) => /static fail \(1 passed, 1 failed, 0 skipped/.test(l))).toBe(true);
  });

  it('runs the real static group on the bundled manifests: 96 checks, all pass', async () => {
    const model = await loadDeployment(BUNDLED);
    const [g] = await runGroups(selectGroups(['static']), { model, convergeTimeoutMs: 1000 });
    expect(g!.verdict).toBe('pass');
    expect(g!.checks.length).toBe(96);
    expect(g!.checks.every((c) => c.group === 'static' && c.valid === true && c.file && c.object && c.field)).toBe(true);
  });
});

describe('journal and reports', () => {
  const groups = (): ConformanceGroupResult[] => [
    result('static', [
      chk('schema', true, { object: 'ConfigMap/a' }),
      chk('schema', false, { object: 'ConfigMap/b', file: 'm/02.yaml', field: 'data' }),
      chk('sentinel.quorum', true),
    ]),
    result('live', [chk('config.redis.appendonly', false), chk('sentinel.ckquorum', true)]),
    result('peer', [
      chk('base.failover-master-down', true, { upstream: 'tests/sentinel/tests/00-base.tcl: "Basic failover works if the master is down"', durationMs: 2500 }),
      chk('master-reboot.loading', 'skipped'),
    ]),
  ];

  it('the conformance journal carries every check and fails when a group failed', async () => {
    const model = await loadDeployment(BUNDLED);
    const j = conformanceJournal({ runId: 'r1', startedAt: new Date(0), finishedAt: new Date(1500), argv: ['conformance'], model, results: groups() });
    expect(j.verdict).toBe('fail');
    expect(j.scenarios).toEqual([]);
    expect(j.conformance!.map((g) => [g.group, g.verdict, g.checks.length])).toEqual([
      ['static', 'fail', 3],
      ['live', 'fail', 2],
      ['peer', 'pass', 2],
    ]);
    expect(j.run.durationMs).toBe(1500);
    const passing = conformanceJournal({
      runId: 'r2',
      startedAt: new Date(0),
      finishedAt: new Date(1),
      argv: [],
      model,
      results: [result('static', [chk('a', true)])],
    });
    expect(passing.verdict).toBe('pass');
  });

  it('JUnit: one testsuite per group, each check a testcase; a failure carries expected and observed, a skip its reason', () => {
    const j = { ...sampleJournal(), conformance: groups() };
    const xml = renderJunit(j);
    expect(xml).toContain('<testsuite name="conformance-static" tests="3" failures="1" errors="0" skipped="0"');
    expect(xml).toContain('<testsuite name="conformance-live" tests="2" failures="1" errors="0" skipped="0"');
    expect(xml).toContain('<testsuite name="conformance-peer" tests="2" failures="0" errors="0" skipped="1" time="2.500"');
    expect(xml).toContain('<testcase name="schema (ConfigMap/b)" classname="sentinel-chaos.local.conformance-static"');
    expect(xml).toContain(
      '<failure message="expected config.redis.appendonly-expected, observed config.redis.appendonly-observed" type="conformance">config.redis.appendonly matters</failure>',
    );
    expect(xml).toContain('<skipped message="master-reboot.loading cannot run here"/>');
    expect(xml).toContain('<property name="upstream" value="tests/sentinel/tests/00-base.tcl: &quot;Basic failover works if the master is down&quot;"/>');
    // The scenarios are still there.
    expect(xml).toContain('<testsuite name="master-kill"');
  });

  it('summary.md and index.html show each group and every failed check with expected and observed', () => {
    const j = { ...sampleJournal(), conformance: groups() };
    const md = renderMarkdown(j);
    expect(md).toContain('### Conformance');
    expect(md).toMatch(/\| static \| ❌ fail \| 2 of 3 passed, 1 failed \| 1\.2 s \|/);
    expect(md).toMatch(/\| peer \| ✅ pass \| 1 of 2 passed, 1 skipped \|/);
    expect(md).toContain('**live/config.redis.appendonly**: expected config.redis.appendonly-expected, observed config.redis.appendonly-observed.');
    expect(md).toContain('master-reboot.loading cannot run here');
    const html = renderHtml(j, new Map());
    expect(html).toContain('<section class="card" id="conformance">');
    expect(html).toContain('<td>config.redis.appendonly-observed</td>');
    // The other report formats are unaffected when no conformance ran.
    expect(renderMarkdown(sampleJournal())).not.toContain('Conformance');
    expect(renderJunit(sampleJournal())).not.toContain('conformance-');
  });

  it('writeReports puts the checks in result.json and redacts a password that slipped into one', async () => {
    const model = await loadDeployment(BUNDLED);
    const secret = 'hunter2-very-secret';
    const results = [result('live', [chk('auth', false, { observed: `got ${secret}` })])];
    const j = conformanceJournal({ runId: 'r3', startedAt: new Date(0), finishedAt: new Date(1), argv: [], model, results });
    const dir = mkdtempSync(path.join(tmpdir(), 'sc-conf-'));
    try {
      const { runDir } = await writeReports({ reportDir: dir, journal: j, histories: new Map(), redactor: createRedactor([secret]) });
      const written = JSON.parse(readFileSync(path.join(runDir, 'result.json'), 'utf8'));
      expect(written.conformance[0].checks[0]).toMatchObject({ name: 'auth', group: 'live', valid: false, observed: 'got ***' });
      for (const f of ['result.json', 'junit.xml', 'summary.md', 'index.html']) expect(readFileSync(path.join(runDir, f), 'utf8')).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
