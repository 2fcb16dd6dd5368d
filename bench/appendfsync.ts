// Bench: appendfsync everysec (the seed's) against always, on the dataset-master-restart finding (a master SIGKILLed and
// recreated before down-after, with a dataset in its AOF): acknowledged writes lost, and what `always` costs the writes
// (the workload's latency before the fault, at its rate; the master's fsync counters). One fresh deployment per policy.
// Usage: npm run bench:appendfsync -- [--dataset 300mb] [--trials 3] [--target docker|local] [--subnet N] [--report-dir DIR] [--raw-only]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { RUN_DEFAULTS, runSuite } from '../src/runner/run.ts';
import { resolveScenarios } from '../src/runner/scenario.ts';
import { parseDatasetFlag } from '../src/workload/dataset.ts';
import type { TrialResult } from '../src/report/journal.ts';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: '300mb' },
    trials: { type: 'string', default: '3' },
    target: { type: 'string', default: 'docker' },
    subnet: { type: 'string', default: '135' },
    'report-dir': { type: 'string', default: '/tmp/reports-appendfsync-bench' },
    policies: { type: 'string', default: 'everysec,always' },
    /** Skip the deployments' trials: only the redis-benchmark part. */
    'raw-only': { type: 'boolean', default: false },
  },
});
const target = values.target as 'docker' | 'local';
const scenarios = await resolveScenarios(['dataset-master-restart']);
const median = (xs: number[]): number | null => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : null;
};
const fmt = (v: number | null, digits = 1) => (v === null ? '—' : v.toFixed(digits));
const col = (ts: TrialResult[], name: string) => ts.map((t) => Number(t.figures[name]));

const rows: Array<Record<string, string>> = [];
for (const policy of values['raw-only'] ? [] : values.policies.split(',')) {
  process.stderr.write(`appendfsync ${policy}: fresh ${target} deployment, ${values.dataset}, ${values.trials} trial(s) …\n`);
  const r = await runSuite({
    scenarios,
    trials: Number(values.trials),
    target,
    manifestsDir: RUN_DEFAULTS.manifestsDir,
    reportDir: values['report-dir'],
    subnet: Number(values.subnet),
    dataset: parseDatasetFlag(values.dataset),
    conformance: [],
    overrides: { redis: { appendfsync: policy } },
  });
  const ts = r.journal.scenarios[0]!.trials;
  const lost = col(ts, 'writes_lost');
  const row = {
    appendfsync: policy,
    run: r.journal.run.id,
    verdicts: ts.map((t) => t.verdict).join(' '),
    'acked (sum)': String(col(ts, 'writes_acked').reduce((a, b) => a + b, 0)),
    'lost per trial': lost.map((x) => (Number.isFinite(x) ? String(x) : '—')).join(' '),
    'p50 before ms': fmt(median(col(ts, 'latency_p50_before_ms')), 2),
    'p99 before ms': fmt(median(col(ts, 'latency_p99_before_ms')), 1),
    'max before ms': fmt(median(col(ts, 'latency_max_before_ms')), 1),
    'p99 after ms': fmt(median(col(ts, 'latency_p99_after_ms')), 1),
    'writes refused ms': fmt(median(col(ts, 'writes_refused_ms')), 0),
  };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
/**
 * What each policy costs a write by itself: redis-benchmark SET (64-byte values, 20 000 requests) against a throwaway
 * redis-server (the host's binary, appendonly yes, the policy) whose AOF is in a temporary directory on this machine's disk.
 */
async function rawCost(policy: string, clients: number): Promise<Record<string, string>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sc-fsync-'));
  const host = `127.0.${values.subnet}.9`;
  const port = '6395';
  const server = spawn('redis-server', ['--bind', host, '--port', port, '--save', '', '--appendonly', 'yes', '--appendfsync', policy, '--dir', dir], {
    cwd: dir,
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 50; i++) {
      try {
        execFileSync('redis-cli', ['-h', host, '-p', port, 'ping'], { stdio: 'ignore', timeout: 1000 });
        break;
      } catch {
        await sleep(100);
      }
    }
    const csv = execFileSync(
      'redis-benchmark',
      ['-h', host, '-p', port, '-t', 'set', '-n', '20000', '-c', String(clients), '-r', '100000', '-d', '64', '--csv'],
      {
        encoding: 'utf8',
        timeout: 300_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    // "SET","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    const f = (/"SET",(.*)$/m.exec(csv)?.[1] ?? '').split(',').map((x) => x.replaceAll('"', ''));
    return { appendfsync: policy, clients: String(clients), 'SET/s': f[0] ?? '—', 'p50 ms': f[3] ?? '—', 'p99 ms': f[5] ?? '—', 'max ms': f[6] ?? '—' };
  } finally {
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const table = (rs: Array<Record<string, string>>) => {
  if (!rs.length) return;
  const keys = Object.keys(rs[0]!);
  console.log(`| ${keys.join(' | ')} |`);
  console.log(`| ${keys.map(() => '---').join(' | ')} |`);
  for (const row of rs) console.log(`| ${keys.map((k) => row[k]).join(' | ')} |`);
  console.log('');
};
table(rows);
const raw: Array<Record<string, string>> = [];
for (const policy of values.policies.split(',')) for (const c of [1, 50]) raw.push(await rawCost(policy, c));
table(raw);
