// Renders the run journal as JUnit XML, the format CI test reporters (GitHub, Jenkins, GitLab) display and gate on.
import type { CheckResult, Figures } from '../model/check.ts';
import { sloBounds } from './format.ts';
import type { ConformanceCheck, ConformanceGroupResult } from '../model/conformance.ts';
import { checkVerdict } from './conformance-section.ts';
import type { Journal, ScenarioResult, TrialResult, Verdict } from './journal.ts';

interface Case {
  name: string;
  verdict: Verdict;
  timeMs: number;
  properties: [string, string][];
  /** Message and body of the <failure>, <error> or <skipped> element; unused for 'pass'. */
  message: string;
  body: string;
  systemOut: string;
  /** type of the <failure> element (default slo). */
  failureType?: string;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

/**
 * JUnit XML for `journal`: one <testsuite> per scenario, one <testcase> per trial carrying its figures as
 * <property> elements, with <failure> for verdict 'fail', <error> for 'unknown' and <skipped> for 'skipped'.
 * Pure and deterministic: the same journal always renders to the same string.
 */
export function renderJunit(journal: Journal): string {
  const suites = journal.scenarios.map((scenario) => {
    const cases = scenario.trials.flatMap((trial) => [trialCase(scenario, trial), ...probeCases(scenario, trial)]);
    const aggregate = scenarioCase(scenario);
    if (aggregate !== null) cases.push(aggregate);
    return { name: scenario.name, cases, counts: count(cases) };
  });
  for (const group of journal.conformance ?? []) {
    const cases = conformanceCases(group);
    suites.push({ name: `conformance-${group.group}`, cases, counts: count(cases) });
  }
  const total = count(suites.flatMap((s) => s.cases));

  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name: 'sentinel-chaos', ...total, time: seconds(journal.run.durationMs) })}>`);
  for (const suite of suites) {
    const time = seconds(suite.cases.reduce((sum, c) => sum + c.timeMs, 0));
    out.push(`  <testsuite${attrs({ name: suite.name, ...suite.counts, time })}>`);
    const classname = ['sentinel-chaos', journal.target.name, suite.name].map(classnamePart).join('.');
    for (const c of suite.cases) out.push(...renderCase(c, classname));
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}

function trialCase(scenario: ScenarioResult, trial: TrialResult): Case {
  const checks = (valid: CheckResult['valid']): string =>
    trial.checks
      .filter((c) => c.valid === valid)
      .map((c) => c.explanation)
      .join('; ');
  const message =
    trial.verdict === 'fail'
      ? failureMessage(scenario, trial) || trial.message || 'trial failed'
      : trial.verdict === 'unknown'
        ? trial.message || checks('unknown') || 'trial outcome unknown'
        : trial.message || (trial.verdict === 'skipped' ? 'trial skipped' : '');
  return {
    name: `${scenario.name} #${trial.index}`,
    verdict: trial.verdict,
    timeMs: trial.durationMs,
    properties: [...figureEntries(trial.figures), ...alertEntries(trial), ['verdict', trial.verdict]],
    message,
    body: figureEntries(trial.figures)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    systemOut: [
      ...trial.phases.map((p) => `${p.name} ${p.ms === null ? 'n/a' : `${p.ms} ms`}`),
      ...(Array.isArray(trial.alerts) ? trial.alerts : []).map(
        (w) =>
          `alert ${w.name} fired ${w.firedMs} ms, ${w.clearedMs === null ? 'still firing at the end' : `cleared ${w.clearedMs} ms`} (from the fault landing)`,
      ),
    ].join('\n'),
  };
}

/**
 * With --monitoring: alert.<name>.fired_ms, .cleared_ms (from the fault landing; "none": still firing) and
 * .cleared_after_heal_ms; a later window of the same alert as alert.<name>#2.…; alerts_fired, the count.
 */
function alertEntries(trial: TrialResult): [string, string][] {
  if (!Array.isArray(trial.alerts)) return [];
  const seen = new Map<string, number>();
  const out: [string, string][] = [['alerts_fired', String(new Set(trial.alerts.map((w) => w.name)).size)]];
  for (const w of trial.alerts) {
    const n = (seen.get(w.name) ?? 0) + 1;
    seen.set(w.name, n);
    const key = `alert.${w.name}${n > 1 ? `#${n}` : ''}`;
    out.push([`${key}.fired_ms`, String(w.firedMs)], [`${key}.cleared_ms`, w.clearedMs === null ? 'none' : String(w.clearedMs)]);
    if (w.clearedAfterHealMs !== null) out.push([`${key}.cleared_after_heal_ms`, String(w.clearedAfterHealMs)]);
  }
  return out;
}

/** One testcase per steady-state probe of a trial (its check `probe/<name>`), with its sample counts. */
function probeCases(scenario: ScenarioResult, trial: TrialResult): Case[] {
  // The journal may come from elsewhere (a file another version wrote): JUnit must still render without it.
  return (Array.isArray(trial.checks) ? trial.checks : [])
    .filter((c) => typeof c?.name === 'string' && c.name.startsWith('probe/'))
    .map((c): Case => {
      const verdict: Verdict = c.valid === true ? 'pass' : c.valid === false ? 'fail' : 'unknown';
      return {
        name: `${scenario.name} #${trial.index} ${c.name}`,
        verdict,
        timeMs: 0,
        properties: [...figureEntries(c.figures), ['verdict', verdict]],
        message: verdict === 'pass' ? '' : c.explanation,
        body: figureEntries(c.figures)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
        systemOut: verdict === 'pass' ? c.explanation : '',
      };
    });
}

/**
 * Why a trial failed, as CI shows it in one line: each failing check as "<name>: <explanation>", led by
 * "expected <figure> ≤ <bound>, observed <value>" for every figure of that check over its SLO bound
 * (unless the explanation already says so). Only failing checks' figures count: a figure over its bound
 * that a check accepted (loss the scenario tolerates) is not reported as a failure.
 */
function failureMessage(scenario: ScenarioResult, trial: TrialResult): string {
  const bounds = sloBounds(scenario);
  return trial.checks
    .filter((c) => c.valid === false)
    .map((c) => {
      const violations: string[] = [];
      for (const [figure, bound] of bounds) {
        if (!(figure in c.figures) || c.explanation.includes(`expected ${figure}`)) continue;
        const value = c.figures[figure];
        const unit = figure.endsWith('_ms') ? ' ms' : '';
        if (typeof value === 'number' && value > bound) violations.push(`expected ${figure} ≤ ${bound}${unit}, observed ${value}${unit}`);
        else if (value === null) violations.push(`expected ${figure} ≤ ${bound}${unit}, observed none`);
      }
      return `${c.name}: ${violations.length > 0 ? `${violations.join('; ')} — ` : ''}${c.explanation}`;
    })
    .join('; ');
}

/**
 * A testcase for the scenario as a whole, when its verdict is not already visible through a trial
 * (judged over all trials, or no trial ran): the JUnit view must never look greener than result.json.
 */
function scenarioCase(scenario: ScenarioResult): Case | null {
  const has = (...verdicts: Verdict[]): boolean => scenario.trials.some((t) => verdicts.includes(t.verdict));
  const none = scenario.trials.length === 0;
  let message: string;
  if (scenario.verdict === 'fail' && !has('fail')) {
    message = none ? 'scenario failed without running a trial' : 'scenario failed over its trials although no single trial failed';
  } else if (scenario.verdict === 'unknown' && !has('fail', 'unknown')) {
    message = none ? 'scenario outcome unknown: no trial ran' : 'scenario outcome unknown';
  } else if (scenario.verdict === 'skipped' && none) {
    message = 'scenario skipped';
  } else {
    return null;
  }
  const slo = Object.entries(scenario.slo).map(([k, v]): [string, string] => [`slo.${k}`, String(v)]);
  const stats = Object.entries(scenario.stats).map(([k, s]) => `${k}: n=${s.n} min=${s.min} median=${s.median} p95=${s.p95} max=${s.max} mean=${s.mean}`);
  return {
    name: scenario.name,
    verdict: scenario.verdict,
    timeMs: 0,
    properties: [...slo, ['verdict', scenario.verdict]],
    message,
    body: [...slo.map(([k, v]) => `${k}=${v}`), ...stats].join('\n'),
    systemOut: '',
  };
}

/** One testcase per conformance check; a failure's message carries expected and observed. */
function conformanceCases(group: ConformanceGroupResult): Case[] {
  const seen = new Map<string, number>();
  return group.checks.map((c: ConformanceCheck): Case => {
    // Static checks repeat a name per object (schema, namespace.membership): the object tells them apart.
    let name = c.object && group.checks.filter((x) => x.name === c.name).length > 1 ? `${c.name} (${c.object})` : c.name;
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    if (n > 1) name = `${name} #${n}`;
    const verdict: Verdict = checkVerdict(c);
    const where = [c.file, c.object, c.field].filter((x) => x !== undefined && x !== '');
    const properties: [string, string][] = [
      ['group', c.group],
      ['expected', c.expected],
      ['observed', c.observed],
    ];
    if (c.upstream) properties.push(['upstream', c.upstream]);
    if (where.length) properties.push(['where', where.join(' ')]);
    properties.push(...figureEntries(c.figures ?? {}));
    return {
      name,
      verdict,
      timeMs: c.durationMs ?? 0,
      properties,
      message: verdict === 'skipped' ? (c.reason ?? 'skipped') : `expected ${c.expected}, observed ${c.observed}`,
      body: [c.explanation, ...(where.length ? [`where: ${where.join(' ')}`] : []), ...(c.upstream ? [`upstream: ${c.upstream}`] : [])].join('\n'),
      systemOut: '',
      failureType: 'conformance',
    };
  });
}

function renderCase(c: Case, classname: string): string[] {
  const out = [`    <testcase${attrs({ name: c.name, classname, time: seconds(c.timeMs) })}>`];
  out.push('      <properties>');
  for (const [name, value] of c.properties) out.push(`        <property${attrs({ name, value })}/>`);
  out.push('      </properties>');
  if (c.verdict === 'fail') {
    out.push(`      <failure${attrs({ message: c.message, type: c.failureType ?? 'slo' })}>${text(c.body)}</failure>`);
  } else if (c.verdict === 'unknown') {
    out.push(`      <error${attrs({ message: c.message, type: 'unknown' })}>${text(c.body)}</error>`);
  } else if (c.verdict === 'skipped') {
    out.push(`      <skipped${attrs({ message: c.message })}/>`);
  }
  if (c.systemOut !== '') out.push(`      <system-out>${text(c.systemOut)}</system-out>`);
  out.push('    </testcase>');
  return out;
}

function count(cases: readonly Case[]): Counts {
  const n = (v: Verdict): number => cases.filter((c) => c.verdict === v).length;
  return { tests: cases.length, failures: n('fail'), errors: n('unknown'), skipped: n('skipped') };
}

function figureEntries(figures: Figures): [string, string][] {
  return Object.entries(figures).map(([k, v]) => [k, v === null ? 'n/a' : String(v)]);
}

function seconds(ms: number): string {
  return (Number.isFinite(ms) && ms > 0 ? ms / 1000 : 0).toFixed(3);
}

// Jenkins splits a classname at its dots into package and class; a dotted target name ("10.0.0.5") would scatter.
function classnamePart(s: string): string {
  return s.replaceAll('.', '_');
}

// Everything XML 1.0 allows in a document; the rest (most C0 controls, lone surrogates, U+FFFE/F) is dropped.
const ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function text(s: string): string {
  return s.replace(ILLEGAL, '').replace(/[&<>"'\r]/g, (c) => ENTITIES[c] ?? c);
}

// Tabs and newlines are encoded too: parsers normalise raw ones in attribute values to spaces.
function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(
      ([k, v]) =>
        ` ${k}="${String(v)
          .replace(ILLEGAL, '')
          .replace(/[&<>"'\t\n\r]/g, (c) => ENTITIES[c] ?? c)}"`,
    )
    .join('');
}
