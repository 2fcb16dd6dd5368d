// Bench: the write outage each real client sees in the planned disruptions (coordinated drain, rolling upgrade, hand-over), Service path and Sentinel path apart, with the hand-over's own timeline.
// Usage: npm run bench:planned -- [--trials N] [--subnet N] [--scenario NAME ...] [--rate HZ] [--report-dir DIR] [--manifests DIR]
import { parseArgs } from 'node:util';
import type { CheckResult } from '../src/model/check.ts';
import type { TrialEvent } from '../src/model/events.ts';
import type { TrialResult } from '../src/report/journal.ts';
import { resolveScenarios } from '../src/runner/scenario.ts';
import { RUN_DEFAULTS, runSuite } from '../src/runner/run.ts';
import { DRIVER_KINDS, driverUnavailable } from '../src/workload/drivers/registry.ts';
import type { WorkloadSpec } from '../src/workload/registry.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '3' },
    subnet: { type: 'string', default: '133' },
    scenario: { type: 'string', multiple: true },
    rate: { type: 'string', default: '50' },
    'report-dir': { type: 'string', default: '/tmp/reports-planned-disruptions' },
    manifests: { type: 'string' },
  },
});

/** The seed's applications' client libraries, one driver each (src/workload/drivers/registry.ts). */
const CLIENTS = ['redis-py-service', 'node-redis-service', 'django-service', 'redis-py', 'node-redis', 'ioredis', 'ruby-redis'];
const available: string[] = [];
for (const c of CLIENTS) {
  const why = await driverUnavailable(DRIVER_KINDS[c]!);
  if (why) console.log(`skipping ${c}: ${why}`);
  else available.push(c);
}
const workloads: WorkloadSpec[] = available.map((driver) => ({ kind: 'driver', driver, reads: false }));
const names = values.scenario?.length ? values.scenario : ['manual-failover-coordinated', 'node-drain', 'rolling-upgrade'];
const scenarios = (await resolveScenarios(names)).map((s) => ({ ...s, workload: { ...s.workload, rateHz: Number(values.rate) }, workloads }));

const res = await runSuite({
  scenarios,
  trials: Number(values.trials),
  target: 'local',
  manifestsDir: values.manifests ?? RUN_DEFAULTS.manifestsDir,
  reportDir: values['report-dir'],
  subnet: Number(values.subnet),
});

const ms = (ns: number, t0: number): number => Math.round((ns - t0) / 1e6);
/** The first event after t0 matching, as ms after t0. */
const first = (events: readonly TrialEvent[], t0: number, p: (e: TrialEvent) => boolean): number | null => {
  const e = events.filter((x) => x.ns >= t0 && p(x)).sort((a, b) => a.ns - b.ns)[0];
  return e ? ms(e.ns, t0) : null;
};
const WINDOW = /from (-?[\d.]+) ms to (-?[\d.]+) ms relative to the fault/;
const path = (client: string): 'service' | 'sentinel' => DRIVER_KINDS[client]!.path;

function row(scenario: string, t: TrialResult): { perClient: Record<string, number | null>; lines: string[] } {
  const t0 = t.clockStartNs ?? t.events.find((e) => e.kind === 'fault' && e.type === 'landed')?.ns ?? 0;
  const ev = t.events;
  const before = ev.filter((e) => e.kind === 'role' && e.ns < t0 && e.type === 'master').sort((a, b) => b.ns - a.ns)[0];
  const promoted = ev.filter((e) => e.kind === 'role' && e.ns >= t0 && e.type === 'master' && e.source !== before?.source).sort((a, b) => a.ns - b.ns)[0];
  const switches = ev.filter((e) => e.ns >= t0 && e.kind === 'sentinel' && e.type === '+switch-master').map((e) => ms(e.ns, t0));
  const label = (value: string) => first(ev, t0, (e) => e.kind === 'pod' && e.type === 'labelled' && e.detail.endsWith(`redis.io/role=${value}`));
  const timeline = {
    '+try-failover': first(ev, t0, (e) => e.kind === 'sentinel' && e.type === '+try-failover'),
    'REPLICAOF NO ONE sent': first(ev, t0, (e) => e.kind === 'sentinel' && e.type === '+failover-state-wait-promotion'),
    'new ROLE master': promoted ? ms(promoted.ns, t0) : null,
    'old ROLE slave': first(ev, t0, (e) => e.kind === 'role' && e.source === before?.source && e.type === 'slave'),
    // The role labeller's patches as the (local) API server accepted them: when the Service moved.
    'label master': label('master'),
    'old label replica': label('replica'),
    '+promoted-slave': first(ev, t0, (e) => e.kind === 'sentinel' && e.type === '+promoted-slave'),
    '+switch-master first': switches.length ? Math.min(...switches) : null,
    last: switches.length ? Math.max(...switches) : null,
  };
  const checks = new Map<string, CheckResult>(t.checks.map((c) => [c.name, c]));
  const perClient: Record<string, number | null> = {};
  const lines: string[] = [];
  for (const c of ['sentinel-client', ...available]) {
    const name = c === 'sentinel-client' ? 'availability' : `${c}.availability`;
    const a = checks.get(name);
    const f = a?.figures ?? {};
    const outage = (f[c === 'sentinel-client' ? 'outage_ms' : `${c}.outage_ms`] ?? null) as number | null;
    const lost = (t.figures[c === 'sentinel-client' ? 'writes_lost' : `${c}.writes_lost`] ?? null) as number | null;
    const w = a ? WINDOW.exec(a.explanation) : null;
    perClient[c] = outage;
    lines.push(
      `  ${c.padEnd(19)} ${(c === 'sentinel-client' ? 'sentinel' : path(c)).padEnd(8)} outage ${String(outage).padStart(5)} ms${w ? ` [${w[1]} → ${w[2]}]` : ''}  lost ${lost}`,
    );
  }
  const tl = Object.entries(timeline)
    .map(([k, v]) => `${k} ${v ?? '–'}`)
    .join(', ');
  return { perClient, lines: [`${scenario} #${t.index} ${t.verdict}: ${tl} (ms after t0)`, ...lines] };
}

const summary: string[] = [];
for (const s of res.journal.scenarios) {
  const perPath: Record<'service' | 'sentinel', number[]> = { service: [], sentinel: [] };
  for (const t of s.trials) {
    const r = row(s.name, t);
    console.log(r.lines.join('\n'));
    for (const [c, v] of Object.entries(r.perClient)) if (v !== null) perPath[c === 'sentinel-client' ? 'sentinel' : path(c)].push(v);
  }
  for (const p of ['service', 'sentinel'] as const) {
    const xs = perPath[p].sort((a, b) => a - b);
    if (xs.length)
      summary.push(
        `${s.name.padEnd(28)} ${p.padEnd(8)} outage min ${xs[0]} median ${xs[Math.floor(xs.length / 2)]} max ${xs[xs.length - 1]} ms (n=${xs.length})`,
      );
  }
}
console.log(
  `\nper path over every client and trial (${values.trials} trials, ${values.rate} writes/s per client; reports in ${res.runDir}):\n${summary.join('\n')}`,
);
// A driver library's socket may keep the event loop alive after the run: exit with the run's code.
process.exit(res.exitCode);
