// index.html: self-contained, well-formed, a timeline per trial, escaping of hostile strings, no secret with a redactor.
import { describe, expect, it } from 'vitest';
import type { TrialEvent } from '../../../src/model/events.ts';
import { esc, renderHtml } from '../../../src/report/html.ts';
import type { Journal } from '../../../src/report/journal.ts';
import { createRedactor } from '../../../src/process/redact.ts';
import type { Op } from '../../../src/model/history.ts';
import { sampleHistory, sampleJournal } from './sample-journal.ts';

const parse = (text: string): Op[] =>
  text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Op);
const sampleHistories = (): Map<string, Op[]> =>
  new Map([
    ['history/master-kill-1.jsonl', parse(sampleHistory(1))],
    ['history/master-kill-2.jsonl', parse(sampleHistory(2))],
  ]);

const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link', 'wbr', 'col', 'source']);

/** Checks tags are balanced and properly nested (the subset renderHtml emits: no comments, no raw '<' or '>' in text or attributes). */
function assertWellFormed(html: string): void {
  expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
  const body = html.slice('<!DOCTYPE html>'.length);
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+(?:="[^"<>]*")?)*)\s*(\/?)>|<|>/g;
  for (const m of body.matchAll(tag)) {
    if (m[2] === undefined) throw new Error(`stray ${m[0]} at ${m.index}: ${body.slice(Math.max(0, m.index - 60), m.index + 60)}`);
    const name = m[2].toLowerCase();
    if (m[1] === '/') {
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${m.index}`);
    } else if (m[4] !== '/' && !VOID.has(name)) {
      stack.push(name);
    }
  }
  expect(stack).toEqual([]);
  // Every attribute value is quoted and every entity is one of the few esc() emits.
  expect(html.replace(/&(amp|lt|gt|quot|#39);/g, '')).not.toMatch(/&/);
}

describe('renderHtml', () => {
  const html = renderHtml(sampleJournal(), sampleHistories());

  it('is a well-formed document', () => {
    assertWellFormed(html);
    expect(html).toContain('<title>sentinel-chaos FAIL — 20261125T183012Z-3f9a</title>');
  });

  it('has a non-empty timeline SVG with a stable id for every trial', () => {
    for (const n of [1, 2]) {
      const m = new RegExp(`<svg id="timeline-master-kill-${n}"[^>]*viewBox="0 0 1200 (\\d+)"[^>]*>([^]*?)</svg>`).exec(html);
      expect(m, `timeline of trial ${n}`).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(100);
      expect(m![2]).toContain('<circle'); // event marks
      expect(m![2]).toContain('>sentinel-client<'); // the write strip of the workload client
      expect(m![2]).toContain('>failover phases<');
    }
    expect(html.match(/<svg id="timeline-/g)).toHaveLength(2);
  });

  it('references nothing outside itself: no URL but the SVG namespace, no script, stylesheet link, image or import', () => {
    const urls = [...html.matchAll(/https?:\/\/[^\s"'<>)]*/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(['http://www.w3.org/2000/svg']));
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|url\(|src=/i);
    for (const [, href] of html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^#[\w-]+$/);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  });

  it('states the verdicts, the SLO gate, the figures against the band and the quantile definition', () => {
    expect(html).toContain('<span class="pill big fail">FAIL</span>');
    expect(html).toContain(
      'SLO gate (max over trials): FAIL.</strong> expected max failover_ms ≤ 15000 ms, observed 17204.9 ms over 2 trials (trial 2 over the bound)',
    );
    expect(html).toContain('<strong>Quantiles.</strong> nearest-rank');
    expect(html).toContain('17204.9 ms');
    expect(html).toContain('expected band'); // the distribution plot
    expect(html).toMatch(/<circle [^>]*class="dot-fail"><title>trial 2: client 17204.9 ms \(fail\)<\/title>/);
    expect(html).toContain('Client failover vs the expected band 5000–15000 ms: 1 within, 0 below (faster), 1 above, of 2 trials.');
  });

  it('lists the environment: target, Redis version, harness, node, deployment and client options', () => {
    const env = html.slice(html.indexOf('id="environment"'));
    for (const s of ['8.2.1', 'v24.21.0', '0.1.0', 'downAfterMs', '5000', 'commandTimeoutMs', 'ioredis', '1 master, 2 replicas, 3 sentinels'])
      expect(env).toContain(s);
  });

  it('draws the write strip from the history and marks lost keys in black only when given', () => {
    expect(html).not.toContain('fill="#111827"');
    const j = sampleJournal();
    j.scenarios[0]!.trials[1]!.lostKeys = ['k-2-1'];
    const withLost = renderHtml(j, sampleHistories());
    const strip = /<svg id="timeline-master-kill-2"[^]*?<\/svg>/.exec(withLost)![0];
    // The two writes share a pixel: it shows the worse outcome, with both counted in its tooltip.
    expect(strip).toMatch(/fill="#111827"><title>2 writes invoked [^<]*worst: acknowledged but lost<\/title>/);
    expect(strip).toContain('<title>1 info · 1 lost</title>');
  });

  it('says so when a trial history is not available', () => {
    const out = renderHtml(sampleJournal(), new Map());
    expect(out.match(/history not available to this report/g)).toHaveLength(2);
    assertWellFormed(out);
  });

  it('renders role, Kubernetes and unknown event kinds as rows of their own, and split brain from the roles', () => {
    const j = sampleJournal();
    const t = j.scenarios[0]!.trials[0]!;
    const ev = (ms: number, kind: string, source: string, type: string, detail = ''): TrialEvent =>
      ({ ns: 2_000_000_000 + ms * 1e6, kind, source, type, detail }) as TrialEvent;
    t.events.push(
      ev(-500, 'role', '10.0.0.1:6379', 'master'),
      ev(-500, 'role', '10.0.0.2:6379', 'slave', 'of 10.0.0.1:6379 up'),
      ev(3000, 'role', '10.0.0.2:6379', 'master'),
      ev(4000, 'role', '10.0.0.1:6379', 'unreachable'),
      ev(100, 'k8s', 'pod/redis-0', 'Killing', 'Stopping container redis'),
      ev(900, 'chaos-mesh', 'experiment', 'Applied', 'pod-kill'),
    );
    const out = renderHtml(j, sampleHistories());
    assertWellFormed(out);
    const svg = /<svg id="timeline-master-kill-1"[^]*?<\/svg>/.exec(out)![0];
    expect(svg).toContain('>10.0.0.1:6379<');
    expect(svg).toContain('>role (sampled)<');
    expect(svg).toContain('>pod/redis-0<');
    expect(svg).toContain('>Kubernetes events<');
    expect(svg).toContain('>chaos-mesh events<');
    expect(svg).toContain('>Killing<');
    expect(svg).toMatch(/<title>split brain 3000 ms → 4000 ms: 10\.0\.0\.1:6379, 10\.0\.0\.2:6379 claim master<\/title>/);
  });

  it('shows split_brain_ms and warnings when the journal has them', () => {
    const j = sampleJournal();
    j.scenarios[0]!.trials[0]!.figures.split_brain_ms = 120;
    j.scenarios[0]!.trials[1]!.figures.split_brain_ms = 0;
    j.scenarios[0]!.trials[0]!.warnings = ['more than one node claimed master for 120 ms'];
    const out = renderHtml(j, sampleHistories());
    expect(out).toContain('Split brain, max');
    expect(out).toMatch(/<th>split brain<\/th><td class="num">2<\/td>/);
    expect(out).toContain('<li>more than one node claimed master for 120 ms</li>');
    expect(renderHtml(sampleJournal(), sampleHistories())).not.toContain('Split brain');
  });

  it('escapes hostile strings everywhere and keeps ids safe', () => {
    const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>&'"\u0000\u0007`;
    const j: Journal = sampleJournal();
    j.scenarios[0]!.name = `mk ${hostile}`;
    j.scenarios[0]!.description = hostile;
    j.target.name = hostile;
    j.target.details[hostile] = hostile;
    j.deployment[hostile] = hostile;
    j.run.argv.push(hostile);
    const t = j.scenarios[0]!.trials[1]!;
    t.message = hostile;
    t.checks[0]!.explanation = hostile;
    t.checks[0]!.name = hostile;
    t.phases[0]!.name = hostile;
    t.figures[hostile] = 1;
    t.events.push({ ns: 31_000_000_000, kind: 'sentinel', source: hostile, type: hostile, detail: hostile });
    const histories = sampleHistories();
    histories.get('history/master-kill-2.jsonl')![3]!.error = hostile;
    const out = renderHtml(j, histories);
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('\u0000');
    expect(out).not.toContain('\u0007');
    expect(out).toContain(esc(hostile));
    expect(esc(hostile)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;&#39;&quot;');
    assertWellFormed(out);
    // Ids and anchors are slugs.
    for (const [, id] of out.matchAll(/\bid="([^"]*)"/g)) expect(id).toMatch(/^[\w-]+$/);
    expect(out).toContain('id="timeline-mk-script-alert-x-script-img-src-x-onerror-alert-1-2"');
  });

  it('gives scenarios whose names slug alike distinct ids', () => {
    const j = sampleJournal();
    j.scenarios.push({ ...sampleJournal().scenarios[0]!, name: 'master kill' });
    j.scenarios[0]!.name = 'master/kill';
    const out = renderHtml(j, sampleHistories());
    expect(out).toContain('id="timeline-master-kill-1"');
    expect(out).toContain('id="timeline-master-kill-2-1"');
    expect(out).toContain('<h2>Scenarios</h2>');
  });

  it('has no secret left once the caller redacts the journal and the output', () => {
    const PW = 'Tr0ub4dor&3"horse<';
    const j = sampleJournal();
    j.run.argv.push('--password', PW);
    j.deployment.url = `redis://default:${encodeURIComponent(PW)}@127.0.0.1:6379`;
    j.scenarios[0]!.trials[1]!.events[0]!.detail = `AUTH ${PW}`;
    j.scenarios[0]!.trials[1]!.checks[0]!.explanation = `WRONGPASS ${PW}`;
    const histories = sampleHistories();
    histories.get('history/master-kill-2.jsonl')![3]!.error = `NOAUTH ${PW}`;
    const redactor = createRedactor([PW]);
    const out = redactor.text(renderHtml(redactor.value(j), histories));
    for (const form of [PW, esc(PW), 'Tr0ub4dor&amp;3', encodeURIComponent(PW)]) expect(out).not.toContain(form);
    expect(out).toContain('WRONGPASS ***');
  });

  it('marks when lost writes were acknowledged, from the write-loss figures', () => {
    const j = sampleJournal();
    Object.assign(j.scenarios[0]!.trials[1]!.figures, { lost_first_ms: 3454.9, lost_last_ms: 4286.3 });
    const svg = /<svg id="timeline-master-kill-2"[^]*?<\/svg>/.exec(renderHtml(j, sampleHistories()))![0];
    expect(svg).toContain('>lost writes<');
    expect(svg).toContain('4 acknowledged writes lost, acked 3454.9…4286.3 ms');
    expect(/<svg id="timeline-master-kill-1"[^]*?<\/svg>/.exec(renderHtml(j, sampleHistories()))![0]).not.toContain('>lost writes<');
  });

  it('names the old, interim and new masters of the ack rows from the +switch-master events', () => {
    const j = sampleJournal();
    const t = j.scenarios[0]!.trials[0]!;
    t.events = [
      { ns: 2_000_000_000, kind: 'fault', source: 'harness', type: 'landed', detail: 'redis-1 killed' },
      { ns: 3_000_000_000, kind: 'sentinel', source: 's1', type: '+switch-master', detail: 'mymaster 10.0.0.2 6379 10.0.0.1 6379' },
      { ns: 4_000_000_000, kind: 'sentinel', source: 's1', type: '+switch-master', detail: 'mymaster 10.0.0.1 6379 10.0.0.3 6379' },
    ];
    const ok = (node: string, ms: number): Op => ({ process: 'c', type: 'ok', f: 'write', key: `k${ms}`, ns: 2_000_000_000 + ms * 1e6, node });
    const history = [ok('10.0.0.2:6379', -100), ok('10.0.0.1:6379', 1500), ok('10.0.0.3:6379', 2500)];
    const svg = /<svg id="timeline-master-kill-1"[^]*?<\/svg>/.exec(renderHtml(j, new Map([['history/master-kill-1.jsonl', history]])))![0];
    expect(svg).toContain('>acks · old master (1)<');
    expect(svg).toContain('>acks · interim master (1)<');
    expect(svg).toContain('>acks · new master (1)<');
  });

  it('starts the clock where the journal says, else at the last landed or restored fault event before the heal', () => {
    const j = sampleJournal();
    const t = j.scenarios[0]!.trials[0]!;
    const f = (s: number, type: string): TrialEvent => ({ ns: s * 1e9, kind: 'fault', source: 'harness', type, detail: type });
    t.events = [f(1, 'inject'), f(1.01, 'landed'), f(4, 'restore'), f(5, 'restored'), f(9, 'heal'), f(9.5, 'healed'), f(12, 'landed')];
    const axis = (): string =>
      /<text x="12" y="\d+" class="axis-title">([^<]*)<\/text>/.exec(/<svg id="timeline-master-kill-1"[^]*?<\/svg>/.exec(renderHtml(j, new Map()))![0])![1]!;
    const eventLogOrigin = (): string =>
      /Event log \(\d+ events, ms from ([^)]*\)?)\)<\/summary>[^]*?<td class="num">([^<]*)<\/td>/.exec(renderHtml(j, new Map()))![2]!;
    expect(axis()).toBe('ms from fault restored');
    expect(eventLogOrigin()).toBe('-4000'); // inject at 1 s, t = 0 at 5 s
    t.clockStartNs = 1.01e9;
    expect(axis()).toBe('ms from fault landed');
    expect(eventLogOrigin()).toBe('-10');
  });

  it('is deterministic', () => {
    expect(renderHtml(JSON.parse(JSON.stringify(sampleJournal())), sampleHistories())).toBe(html);
  });

  it('handles a journal without scenarios, and a trial without a fault', () => {
    const empty = sampleJournal();
    empty.scenarios = [];
    assertWellFormed(renderHtml(empty, new Map()));
    const j = sampleJournal();
    const t = j.scenarios[0]!.trials[0]!;
    t.events = t.events.filter((e) => e.kind !== 'fault');
    t.phases = [];
    const out = renderHtml(j, sampleHistories());
    assertWellFormed(out);
    expect(out).toContain('ms from first event (no fault)');
  });
});

describe('renderHtml: a long (streamed) trial', () => {
  it('draws the summary: per-window figures, the rate with its minima, the history count, a cut event log', () => {
    const j = sampleJournal();
    const t = j.scenarios[0]!.trials[0]!;
    const ops = parse(sampleHistory(1));
    const origin = t.clockStartNs ?? ops[0]!.ns;
    t.events = [
      ...t.events,
      ...Array.from({ length: 2000 }, (_, i): TrialEvent => ({ ns: origin + i * 1e6, kind: 'role', source: 'redis-0', type: 'master', detail: `sample ${i}` })),
    ];
    t.historySummary = {
      ops: 123_456_789,
      originNs: origin,
      sampled: ops.length,
      rate: { bucketMs: 1000, points: [0, 1, 2, 3].map((k) => ({ x: k * 3600, max: 200 + k, min: k === 2 ? 0 : 190 })) },
      windows: [
        { label: 'step 1 kill-pod on redis-0 (master)', fromMs: 0, toMs: 9000, invoked: 1800, acked: 1500, notOk: 300, maxLatencyMs: 2500, lost: 7 },
        { label: 'outside every window', fromMs: -5000, toMs: 20000, invoked: 4000, acked: 4000, notOk: 0, maxLatencyMs: 3.2, lost: 0 },
      ],
      coverage: { faultWindowCoverage: 0.36, ackedInside: 1500, ackedOutside: 4000, lostInside: 7, lostOutside: 0, lostShareInside: 0.0047 },
    };
    t.lostKeysSample = { total: 5000, kept: 1000, rule: 'the first and last 500 by first acknowledgement' };
    const html = renderHtml(j, new Map([['history/master-kill-1.jsonl', ops]]));
    assertWellFormed(html);
    expect(html).toContain('<h3>Per fault window</h3>');
    expect(html).toContain('step 1 kill-pod on redis-0 (master)');
    expect(html).toMatch(/class="num bad">7</);
    expect(html).toContain('class="rate-min"');
    expect(html).toContain('123456789 operations, streamed to disk');
    expect(html).toContain('the first and last 300 shown');
    expect(html).toMatch(/Fault windows cover <strong>36(\.0)? ?%<\/strong> of the run/);
    expect(html).toContain('a sample of 1000 of their keys (the first and last 500 by first acknowledgement)');
    const logged = [...html.matchAll(/<td>sample (\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(logged.length).toBeGreaterThan(590); // 600 rows, a few of them the journal's own events
    expect(logged.length).toBeLessThanOrEqual(600);
    expect(logged).toContain(299);
    expect(logged).not.toContain(1000);
    expect(logged).toContain(1999);
  });
});
