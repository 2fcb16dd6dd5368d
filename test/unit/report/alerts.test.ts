// --monitoring in the reports: a trial's alert windows (from its alert events) as timeline bars and a per-scenario
// table in index.html, as lines in summary.md and as properties of the trial's JUnit testcase.
import { describe, expect, it } from 'vitest';
import { alertWindows } from '../../../src/model/alerts.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import { renderHtml } from '../../../src/report/html.ts';
import type { Journal } from '../../../src/report/journal.ts';
import { renderJunit } from '../../../src/report/junit.ts';
import { renderMarkdown } from '../../../src/report/markdown.ts';
import { sampleJournal } from './sample-journal.ts';

const LANDED = 2_000_000_000;
const ms = (x: number) => LANDED + x * 1e6;
const ev = (at: number, name: string, type: 'firing' | 'resolved', detail = ''): TrialEvent => ({
  ns: ms(at),
  kind: 'alert',
  source: `alert/${name}`,
  type,
  detail,
});

const EVENTS: TrialEvent[] = [
  ev(1040, 'RedisDown', 'firing', '127.0.0.1:9121'),
  ev(3110, 'RedisNoMaster', 'firing'),
  ev(4133, 'RedisNoMaster', 'resolved'),
  { ns: ms(5000), kind: 'fault', source: 'harness', type: 'healed', detail: 'redis-0 started' },
  ev(6051, 'RedisDown', 'resolved'),
  ev(7000, 'RedisNoMaster', 'firing'),
];

/** The sample journal with the alert events in trial 1 and `alerts` as the runner derives them. */
function withAlerts(): Journal {
  const j = sampleJournal();
  const t = j.scenarios[0]!.trials[0]!;
  t.events = [...t.events, ...EVENTS].sort((a, b) => a.ns - b.ns);
  t.clockStartNs = LANDED;
  t.alerts = alertWindows(t.events, LANDED, ms(5000));
  return j;
}

describe('alert windows', () => {
  it('pairs firing and resolved per alert, ms from the fault landing and from the heal; a window left open is null', () => {
    expect(alertWindows(EVENTS, LANDED, ms(5000))).toEqual([
      { name: 'RedisDown', firedMs: 1040, clearedMs: 6051, clearedAfterHealMs: 1051, instances: ['127.0.0.1:9121'] },
      { name: 'RedisNoMaster', firedMs: 3110, clearedMs: 4133, clearedAfterHealMs: -867, instances: [] },
      { name: 'RedisNoMaster', firedMs: 7000, clearedMs: null, clearedAfterHealMs: null, instances: [] },
    ]);
  });
});

describe('alerts in the reports', () => {
  it('index.html: a bar per alert window on the trial timeline, and the scenario table', () => {
    const html = renderHtml(withAlerts(), new Map());
    const bars = [...html.matchAll(/<title>([^<]*)<\/title><rect [^>]*class="alert( open)?"/g)].map((m) => m[1]);
    expect(bars).toEqual([
      'RedisDown: fired 1040 ms after the fault, cleared 6051 ms after the fault (1051 ms after the heal) · 127.0.0.1:9121',
      'RedisNoMaster: fired 3110 ms after the fault, cleared 4133 ms after the fault (867 ms before the heal)',
      'RedisNoMaster: fired 7000 ms after the fault, still firing when the trial ended',
    ]);
    expect(html).toContain('<h3>Alerts (Prometheus, --monitoring)</h3>');
    expect(html).toMatch(/<th>RedisDown<\/th><td class="num">1040 ms<\/td><td class="num">6051 ms<\/td><td class="num">1051 ms after<\/td>/);
    // No generic "alert events" row: alerts have rows of their own.
    expect(html).not.toContain('alert events');
  });

  it('index.html: a trial whose alerts were watched but none fired says so; a run without --monitoring has no alert rows', () => {
    const j = sampleJournal();
    j.scenarios[0]!.trials[0]!.alerts = [];
    const html = renderHtml(j, new Map());
    expect(html).toContain('no alert fired');
    expect(renderHtml(sampleJournal(), new Map())).not.toMatch(/class="alert|Alerts \(Prometheus/);
  });

  it('summary.md: one line per trial and alert window', () => {
    const md = renderMarkdown(withAlerts());
    expect(md).toContain('| 1 | RedisDown | 1040 | 6051 | 1051 |');
    expect(md).toContain('| 1 | RedisNoMaster | 7000 | still firing |  |');
  });

  it('junit.xml: alert.<name>.fired_ms / cleared_ms / cleared_after_heal_ms on the trial testcase, a second window as #2', () => {
    const xml = renderJunit(withAlerts());
    for (const [k, v] of [
      ['alerts_fired', '2'],
      ['alert.RedisDown.fired_ms', '1040'],
      ['alert.RedisDown.cleared_ms', '6051'],
      ['alert.RedisDown.cleared_after_heal_ms', '1051'],
      ['alert.RedisNoMaster.cleared_after_heal_ms', '-867'],
      ['alert.RedisNoMaster#2.fired_ms', '7000'],
      ['alert.RedisNoMaster#2.cleared_ms', 'none'],
    ])
      expect(xml).toContain(`<property name="${k}" value="${v}"/>`);
    expect(renderJunit(sampleJournal())).not.toContain('alerts_fired');
  });
});
