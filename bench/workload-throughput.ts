// Bench: the tracked workload's sustained write rate against redis-benchmark on the same local master, in one run.
// Usage: npm run bench:throughput -- [--seconds N] [--subnet N]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClock } from '../src/clock.ts';
import { loadDeployment } from '../src/config/manifests.ts';
import { newRunId } from '../src/report/run-id.ts';
import { RUN_DEFAULTS } from '../src/runner/run.ts';
import { startLocalDeployment } from '../src/targets/local/local-target.ts';
import { sentinelClient } from '../src/workload/sentinel-client.ts';
import { TrackedWriter } from '../src/workload/tracked-writer.ts';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, subnet: { type: 'string', default: '85' }, clients: { type: 'string', default: '50' } },
});
const seconds = Number(values.seconds);
const nClients = Number(values.clients);
const model = await loadDeployment(RUN_DEFAULTS.manifestsDir);
const d = await startLocalDeployment({ model, runId: `bench-tp-${newRunId()}`, subnet: Number(values.subnet) });
try {
  const master = d.pods[0]!.redis;
  // redis-benchmark takes the password only on its command line; this deployment's is generated for
  // this run alone and never printed.
  const out = execFileSync(
    'redis-benchmark',
    ['-h', master.host, '-p', String(master.port), '-a', d.password, '-t', 'set', '-c', '50', '-n', String(60_000 * seconds), '-r', '1000000', '-q', '--csv'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const benchRate = Number(/"SET","([\d.]+)"/.exec(out)?.[1]);
  await sleep(500);

  // The harness's workload: Sentinel-aware clients, open-loop at a rate above what they can reach,
  // every write recorded as invoke + completion on the run clock.
  const clock = createClock();
  const clients = Array.from({ length: nClients }, () =>
    sentinelClient({ sentinels: d.pods.map((p) => p.sentinel), masterName: model.masterName, password: d.password }),
  );
  await Promise.all(clients.map((c) => c.ping()));
  const writers = clients.map(
    (client, i) => new TrackedWriter({ name: `c${i}`, client, clock, keyPrefix: `tp:${i}`, rateHz: 200_000 / nClients, maxInFlight: 64, timeoutMs: 5000 }),
  );
  const t0 = performance.now();
  for (const w of writers) w.start();
  await sleep(seconds * 1000);
  await Promise.all(writers.map((w) => w.stop(2000)));
  const elapsed = (performance.now() - t0) / 1000;
  const acked = writers.reduce((n, w) => n + w.history.filter((o) => o.type === 'ok').length, 0);
  const recorded = writers.reduce((n, w) => n + w.history.length, 0);
  for (const c of clients) c.disconnect();
  const rate = acked / elapsed;
  console.log(`redis-benchmark -t set -c 50: ${benchRate.toFixed(0)} SET/s`);
  console.log(
    `tracked workload (${nClients} Sentinel-aware clients, every write recorded): ${rate.toFixed(0)} acknowledged writes/s over ${elapsed.toFixed(1)} s, ${recorded} history entries`,
  );
  console.log(`ratio: ${(rate / benchRate).toFixed(2)} (target ≥ 0.35)`);
} finally {
  await d.down();
}
