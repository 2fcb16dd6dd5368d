// JUnit rendering: structure CI reporters rely on, outcomes per verdict, escaping of hostile strings.
import { describe, expect, it } from 'vitest';
import { renderJunit } from '../../../src/report/junit.ts';
import { sampleJournal } from './sample-journal.ts';

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;
const decode = (s: string): string =>
  s.replace(ENTITY, (e) => {
    const named: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };
    if (named[e] !== undefined) return named[e];
    return String.fromCodePoint(e[2] === 'x' ? parseInt(e.slice(3, -1), 16) : parseInt(e.slice(2, -1), 10));
  });

/** A strict little parser for the subset renderJunit emits; throws on anything not well-formed. */
function parseXml(xml: string): El {
  if (/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(xml)) throw new Error('character illegal in XML 1.0');
  const decl = '<?xml version="1.0" encoding="UTF-8"?>\n';
  if (!xml.startsWith(decl)) throw new Error('missing XML declaration');
  const checkRefs = (s: string): void => {
    if (/&/.test(s.replace(ENTITY, ''))) throw new Error(`bare & in ${JSON.stringify(s)}`);
  };
  const token = /<\/([A-Za-z][\w-]*)>|<([A-Za-z][\w-]*)((?:\s+[A-Za-z][\w-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const root: El = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  token.lastIndex = decl.length;
  while (token.lastIndex < xml.length) {
    const m = token.exec(xml);
    if (m === null) throw new Error(`not well-formed at ${token.lastIndex}: ${xml.slice(token.lastIndex, token.lastIndex + 40)}`);
    const top = stack.at(-1)!;
    if (m[1] !== undefined) {
      if (top.name !== m[1]) throw new Error(`</${m[1]}> closes <${top.name}>`);
      stack.pop();
    } else if (m[2] !== undefined) {
      const el: El = { name: m[2], attrs: {}, children: [], text: '' };
      for (const a of (m[3] ?? '').matchAll(/([A-Za-z][\w-]*)="([^"]*)"/g)) {
        if (a[1]! in el.attrs) throw new Error(`duplicate attribute ${a[1]}`);
        checkRefs(a[2]!);
        el.attrs[a[1]!] = decode(a[2]!);
      }
      if (stack.length === 1 && root.children.length > 0) throw new Error('second root element');
      top.children.push(el);
      if (m[4] !== '/') stack.push(el);
    } else {
      checkRefs(m[5]!);
      if (stack.length === 1 && m[5]!.trim() !== '') throw new Error('text outside the root element');
      top.text += decode(m[5]!);
    }
  }
  if (stack.length !== 1) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  return root.children[0]!;
}

const all = (el: El, name: string): El[] => [...el.children.filter((c) => c.name === name), ...el.children.flatMap((c) => all(c, name))];
const child = (el: El, name: string): El | undefined => el.children.find((c) => c.name === name);
const props = (testcase: El): Record<string, string> => Object.fromEntries(all(testcase, 'property').map((p) => [p.attrs.name, p.attrs.value]));

describe('renderJunit', () => {
  it('renders suites, testcases and counts as CI reporters read them', () => {
    const doc = parseXml(renderJunit(sampleJournal()));
    expect(doc.name).toBe('testsuites');
    expect(doc.attrs).toEqual({ name: 'sentinel-chaos', tests: '2', failures: '1', errors: '0', skipped: '0', time: '57.867' });
    const suites = all(doc, 'testsuite');
    expect(suites).toHaveLength(1);
    expect(suites[0]!.attrs).toEqual({ name: 'master-kill', tests: '2', failures: '1', errors: '0', skipped: '0', time: '47.435' });
    const cases = all(doc, 'testcase');
    expect(cases.map((c) => c.attrs)).toEqual([
      { name: 'master-kill #1', classname: 'sentinel-chaos.local.master-kill', time: '21.433' },
      { name: 'master-kill #2', classname: 'sentinel-chaos.local.master-kill', time: '26.002' },
    ]);
  });

  it('gives each testcase one property per figure plus the verdict', () => {
    const [pass, fail] = all(parseXml(renderJunit(sampleJournal())), 'testcase');
    expect(props(pass!)).toEqual({
      failover_ms: '6211.4',
      sentinel_failover_ms: '5893.2',
      writes_acked: '1873',
      writes_lost: '0',
      writes_indeterminate: '3',
      verdict: 'pass',
    });
    expect(props(fail!)).toMatchObject({ failover_ms: '17204.9', writes_lost: '4', replica_lag_ms: 'n/a', verdict: 'fail' });
    expect(child(pass!, 'failure')).toBeUndefined();
    expect(child(pass!, 'error')).toBeUndefined();
    expect(child(pass!, 'skipped')).toBeUndefined();
  });

  it('reports a failing trial with its failing checks, expected vs observed, and all figures in the body', () => {
    const fail = all(parseXml(renderJunit(sampleJournal())), 'testcase')[1]!;
    const failure = child(fail, 'failure')!;
    expect(failure.attrs).toEqual({
      message:
        // These explanations state expected and observed themselves: nothing is added.
        'failover-time: expected failover_ms <= 15000, observed 17204.9 (first election attempt timed out); ' +
        'lost-writes: expected writes_lost <= 0, observed 4 of 2210 acknowledged writes missing on the new master',
      type: 'slo',
    });
    expect(failure.text.split('\n')).toEqual([
      'failover_ms=17204.9',
      'sentinel_failover_ms=16890',
      'writes_acked=2210',
      'writes_lost=4',
      'writes_indeterminate=11',
      'replica_lag_ms=n/a',
    ]);
  });

  it('lists the phases in system-out, one per line', () => {
    const pass = all(parseXml(renderJunit(sampleJournal())), 'testcase')[0]!;
    expect(child(pass, 'system-out')!.text.split('\n')).toEqual([
      '+sdown 5050.1 ms',
      '+odown 5121.7 ms',
      '+elected-leader 5133.9 ms',
      '+promoted-slave 5790.4 ms',
      '+switch-master 5893.2 ms',
      'first-ack 6211.4 ms',
    ]);
  });

  it('renders unknown as <error> and skipped as <skipped>', () => {
    const journal = sampleJournal();
    const scenario = journal.scenarios[0]!;
    scenario.verdict = 'unknown';
    Object.assign(scenario.trials[0]!, { verdict: 'skipped', message: 'replica never caught up before the fault' });
    Object.assign(scenario.trials[1]!, { verdict: 'unknown', message: 'lost contact with all sentinels' });
    const doc = parseXml(renderJunit(journal));
    expect(doc.attrs).toMatchObject({ tests: '2', failures: '0', errors: '1', skipped: '1' });
    const [skipped, unknown] = all(doc, 'testcase');
    expect(child(skipped!, 'skipped')!.attrs).toEqual({ message: 'replica never caught up before the fault' });
    expect(child(unknown!, 'error')!.attrs).toEqual({ message: 'lost contact with all sentinels', type: 'unknown' });
    expect(child(unknown!, 'failure')).toBeUndefined();
  });

  it('adds a scenario-level testcase when the scenario verdict shows in no trial', () => {
    const journal = sampleJournal();
    journal.scenarios[0]!.trials[1]!.verdict = 'pass';
    journal.scenarios.push({ ...sampleJournal().scenarios[0]!, name: 'partition', verdict: 'unknown', trials: [], stats: {} });
    const doc = parseXml(renderJunit(journal));
    expect(doc.attrs).toMatchObject({ tests: '4', failures: '1', errors: '1', skipped: '0' });
    const [masterKill, partition] = all(doc, 'testsuite');
    const aggregate = all(masterKill!, 'testcase')[2]!;
    expect(aggregate.attrs.name).toBe('master-kill');
    expect(child(aggregate, 'failure')!.text).toContain('slo.failover_ms=15000');
    expect(child(aggregate, 'failure')!.text).toContain('failover_ms: n=2 min=6211.4');
    expect(child(all(partition!, 'testcase')[0]!, 'error')!.attrs.message).toBe('scenario outcome unknown: no trial ran');
  });

  it('escapes hostile strings and drops characters XML 1.0 forbids', () => {
    const hostile = `<b>&"'\u0001]]></b>`;
    const journal = sampleJournal();
    const scenario = journal.scenarios[0]!;
    scenario.name = `mk${hostile}`;
    journal.target.name = `t${hostile}`;
    const fail = scenario.trials[1]!;
    fail.checks[0]!.explanation = `expected ${hostile}\nsecond line\ttab`;
    fail.phases[0]!.name = `+sdown${hostile}`;
    fail.figures = { [`odd${hostile}`]: 1 };
    const xml = renderJunit(journal);

    expect(xml).not.toContain('\u0001');
    expect(xml.match(/<testcase\b/g)).toHaveLength(2);
    expect(xml.match(/<\/testcase>/g)).toHaveLength(2);
    for (const [, value] of xml.matchAll(/="([^"]*)"/g)) expect(value).not.toMatch(/[<>'\n\t]/);
    const doc = parseXml(xml);

    const clean = hostile.replace('\u0001', '');
    expect(all(doc, 'testsuite')[0]!.attrs.name).toBe(`mk${clean}`);
    const testcase = all(doc, 'testcase')[1]!;
    expect(testcase.attrs.name).toBe(`mk${clean} #2`);
    expect(testcase.attrs.classname).toBe(`sentinel-chaos.t${clean}.mk${clean}`);
    expect(child(testcase, 'failure')!.attrs.message).toBe(
      `failover-time: expected failover_ms ≤ 15000 ms, observed 17204.9 ms — expected ${clean}\nsecond line\ttab; lost-writes: ${fail.checks[1]!.explanation}`,
    );
    expect(props(testcase)[`odd${clean}`]).toBe('1');
    expect(child(testcase, 'system-out')!.text.split('\n')[0]).toBe(`+sdown${clean} 5048.3 ms`);
  });

  it('states expected vs observed from the SLO when the failing checks do not', () => {
    const journal = sampleJournal();
    const scenario = journal.scenarios[0]!;
    scenario.slo = { failover_ms_max: 10000, failover_band_low_ms: 5000, failover_band_high_ms: 10000, writes_lost_max: 0 };
    const fail = scenario.trials[1]!;
    fail.checks = [
      {
        name: 'failover-time',
        valid: false,
        figures: { failover_ms: 17204.9, sentinel_failover_ms: 16890 },
        explanation: 'client-observed failover 17204.9 ms (SLO ≤ 10000 ms, exceeded)',
      },
      { name: 'write-loss', valid: false, figures: { writes_lost: 4 }, explanation: '4 of 2210 acknowledged writes lost' },
      { name: 'rejoin', valid: false, figures: {}, explanation: 'redis-0 did not rejoin within 30000 ms' },
      // Over its bound but accepted by its check: not a failure.
      { name: 'loss-attribution', valid: true, figures: { writes_lost: 4 }, explanation: 'accepted' },
    ];
    const failure = child(all(parseXml(renderJunit(journal)), 'testcase')[1]!, 'failure')!;
    expect(failure.attrs.message).toBe(
      'failover-time: expected failover_ms ≤ 10000 ms, observed 17204.9 ms; expected sentinel_failover_ms ≤ 10000 ms, observed 16890 ms — ' +
        'client-observed failover 17204.9 ms (SLO ≤ 10000 ms, exceeded); ' +
        'write-loss: expected writes_lost ≤ 0, observed 4 — 4 of 2210 acknowledged writes lost; ' +
        'rejoin: redis-0 did not rejoin within 30000 ms',
    );
  });

  it('says a bounded figure was not observed when a failing check measured nothing', () => {
    const journal = sampleJournal();
    const fail = journal.scenarios[0]!.trials[1]!;
    fail.figures = { failover_ms: null, sentinel_failover_ms: null, writes_lost: 0 };
    fail.checks = [
      {
        name: 'failover-time',
        valid: false,
        figures: { failover_ms: null, sentinel_failover_ms: null },
        explanation: 'no write acknowledged by a node other than the old master',
      },
    ];
    expect(child(all(parseXml(renderJunit(journal)), 'testcase')[1]!, 'failure')!.attrs.message).toBe(
      'failover-time: expected failover_ms ≤ 15000 ms, observed none; expected sentinel_failover_ms ≤ 15000 ms, observed none — ' +
        'no write acknowledged by a node other than the old master',
    );
  });

  it('keeps the classname to three dot-separated parts when the target name has dots', () => {
    const journal = sampleJournal();
    journal.target.name = '10.0.0.5';
    expect(all(parseXml(renderJunit(journal)), 'testcase')[0]!.attrs.classname).toBe('sentinel-chaos.10_0_0_5.master-kill');
  });

  it('is deterministic', () => {
    expect(renderJunit(sampleJournal())).toBe(renderJunit(JSON.parse(JSON.stringify(sampleJournal()))));
  });
});
