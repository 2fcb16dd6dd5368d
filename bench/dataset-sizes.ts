// Bench: recovery figures as a function of dataset size, in one run: for each size a fresh deployment
// filled with --dataset SIZE, then the master restarted before down-after (AOF load), a replica restarted
// under bulk writes (full resync) and an AOF rewrite beside a full sync (fork, copy-on-write, memory limit).
// Usage: npm run bench:dataset -- [--sizes 100mb,500mb,1.5gb] [--target docker|local] [--subnet N] [--report-dir DIR]
//   [--scenarios dataset-replica-resync,...] [--manifests DIR] (a variant of the manifests, e.g. another output-buffer limit)
import { parseArgs } from 'node:util';
import { humanBytes } from '../src/model/quantity.ts';
import { RUN_DEFAULTS, runSuite } from '../src/runner/run.ts';
import { resolveScenarios } from '../src/runner/scenario.ts';
import { parseDatasetFlag } from '../src/workload/dataset.ts';
import type { Journal } from '../src/report/journal.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100mb,500mb,1.5gb' },
    target: { type: 'string', default: 'docker' },
    subnet: { type: 'string', default: '135' },
    'report-dir': { type: 'string', default: '/tmp/reports-dataset-bench' },
    'down-after': { type: 'string', default: '5000' },
    scenarios: { type: 'string', default: 'dataset-master-restart,dataset-replica-resync,dataset-aof-rewrite' },
    manifests: { type: 'string', default: RUN_DEFAULTS.manifestsDir },
  },
});
const sizes = values.sizes.split(',').map((s) => ({ name: s, bytes: parseDatasetFlag(s) }));
const target = values.target as 'docker' | 'local';
const scenarios = await resolveScenarios(values.scenarios.split(','));

type Row = Record<string, string>;
const rows: Row[] = [];
const fig = (j: Journal, scenario: string, name: string): string => {
  const t = j.scenarios.find((s) => s.name === scenario)?.trials[0];
  const v = t?.figures[name];
  return v === undefined || v === null ? '—' : String(Math.round(Number(v)));
};
const verdict = (j: Journal, scenario: string): string => j.scenarios.find((s) => s.name === scenario)?.verdict ?? '—';
const mib = (v: number | null | undefined | string): string => (v === null || v === undefined || v === '—' ? '—' : (Number(v) / 2 ** 20).toFixed(0));

for (const size of sizes) {
  process.stderr.write(`dataset ${size.name}: fresh ${target} deployment …\n`);
  const r = await runSuite({
    scenarios,
    trials: 1,
    target,
    manifestsDir: values.manifests,
    reportDir: values['report-dir'],
    subnet: Number(values.subnet),
    dataset: size.bytes,
    conformance: [],
    overrides: { sentinel: { 'down-after-milliseconds': values['down-after'] } },
  });
  const j = r.journal;
  const ds = j.run.dataset ?? {};
  rows.push({
    size: humanBytes(size.bytes),
    keys: String(ds.keys ?? '—'),
    'write s': ds.write_ms == null ? '—' : (Number(ds.write_ms) / 1000).toFixed(1),
    'used MiB': mib(ds.used_memory_bytes),
    'AOF MiB': mib(ds.aof_bytes),
    // master restarted before down-after
    'M: load ms': fig(j, 'dataset-master-restart', 'loading_ms'),
    'M: writes refused ms': fig(j, 'dataset-master-restart', 'writes_refused_ms'),
    'M: failovers': fig(j, 'dataset-master-restart', 'failovers_seen'),
    'M: liveness fails': fig(j, 'dataset-master-restart', 'liveness_failures_loading'),
    'M: replicas full syncs': fig(j, 'dataset-master-restart', 'sync_full_delta'),
    'M: verdict': verdict(j, 'dataset-master-restart'),
    // replica restarted under 8 MiB/s
    'R: resync ms': fig(j, 'dataset-replica-resync', 'resync_ms'),
    'R: sync_full': fig(j, 'dataset-replica-resync', 'sync_full_delta'),
    'R: done': fig(j, 'dataset-replica-resync', 'resync_completed'),
    'R: verdict': verdict(j, 'dataset-replica-resync'),
    // AOF rewrite + full sync under 16 MiB/s
    'W: rewrite ms': fig(j, 'dataset-aof-rewrite', 'rewrite_ms'),
    'W: fork µs': fig(j, 'dataset-aof-rewrite', 'latest_fork_usec'),
    'W: CoW peak MiB': mib(fig(j, 'dataset-aof-rewrite', 'cow_peak_bytes')),
    'W: RSS peak MiB': mib(fig(j, 'dataset-aof-rewrite', 'rss_peak_bytes')),
    'W: delayed fsync': fig(j, 'dataset-aof-rewrite', 'aof_delayed_fsync_delta'),
    'W: OOMKilled': fig(j, 'dataset-aof-rewrite', 'oom_killed'),
    'W: +sdown': fig(j, 'dataset-aof-rewrite', 'sdown_events'),
    'W: verdict': verdict(j, 'dataset-aof-rewrite'),
  });
  // Each size's row as soon as it is measured, so an interrupted bench keeps what it had.
  process.stderr.write(`dataset ${size.name}: report ${r.runDir}\n${JSON.stringify(rows[rows.length - 1])}\n`);
}

// One row per figure, one column per size: the table reads as "how it grows".
const keys = Object.keys(rows[0] ?? {});
const header = ['figure', ...rows.map((r) => r.size!)];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const k of keys.filter((k) => k !== 'size')) console.log(`| ${k} | ${rows.map((r) => r[k]).join(' | ')} |`);
