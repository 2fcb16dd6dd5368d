// Bench: the harness's failover figures against an independent redis-cli observer, plus up/down/trial timings.
// Usage: npm run bench -- [--trials N] [--subnet N]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClock } from '../src/clock.ts';
import { loadDeployment } from '../src/config/manifests.ts';
import { newRunId } from '../src/report/run-id.ts';
import { RUN_DEFAULTS } from '../src/runner/run.ts';
import { resolveScenarios } from '../src/runner/scenario.ts';
import { runTrial } from '../src/runner/trial.ts';
import { startLocalDeployment } from '../src/targets/local/local-target.ts';
import { Observer, type Node } from './observer.ts';
import { describeClient } from '../src/workload/sentinel-client.ts';

const { values } = parseArgs({
  options: { trials: { type: 'string', default: '5' }, subnet: { type: 'string', default: '84' }, 'retry-ms': { type: 'string' } },
});
const trials = Number(values.trials);
const model = await loadDeployment(RUN_DEFAULTS.manifestsDir);
const [scenario] = await resolveScenarios(['master-kill']);
const clock = createClock();
const runId = `bench-${newRunId()}`;
const client = values['retry-ms'] ? { retryDelayMs: Number(values['retry-ms']), sentinelRetryDelayMs: Number(values['retry-ms']) } : {};
const f = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(1).padStart(8) : '     n/a');

console.log(
  `failover accuracy bench: ${trials} master-kill trials, down-after ${model.downAfterMs} ms (bundled manifests); client ${JSON.stringify(describeClient(client))}`,
);
const upStart = performance.now();
const d = await startLocalDeployment({ model, runId, subnet: Number(values.subnet) });
const upMs = performance.now() - upStart;
const nodes: Node[] = d.pods.map((p) => ({ name: p.name, host: p.redis.host, redisPort: p.redis.port, sentinelPort: p.sentinel.port }));
const rows: Array<{ client: number; sentinel: number; trialMs: number }> = [];
try {
  console.log('all figures in ms from the kill; observer: redis-cli every 10 ms (see bench/observer.ts)');
  console.log(
    'trial | client: harness  observer(any)   diff  observer(1st) | sentinel: harness  observer   diff | promoted: harness  addr(any) addr(1st) | trial',
  );
  for (let i = 1; i <= trials; i++) {
    // Wait for the previous trial's restarted pod to be back in every sentinel's view before picking the master.
    await sleep(200);
    const masterHost = execFileSync(
      'redis-cli',
      ['-h', nodes[1]!.host, '-p', String(nodes[1]!.sentinelPort), 'SENTINEL', 'get-master-addr-by-name', model.masterName],
      { encoding: 'utf8' },
    ).split('\n')[0];
    const master = nodes.find((n) => n.host === masterHost)!;
    const obs = new Observer(nodes, master, model.masterName, d.password);
    obs.start();
    await sleep(300);
    const { result } = await runTrial({ deployment: d, scenario: scenario!, index: i, clock, runId, client, convergeTimeoutMs: 60_000 });
    obs.stop();
    const o = obs.result();
    const hc = result.figures.failover_ms ?? null;
    const hs = result.figures.sentinel_failover_ms ?? null;
    const dc = hc !== null && o.ackAnyMs !== null ? hc - o.ackAnyMs : null;
    const ds = hs !== null && o.switchMs !== null ? hs - o.switchMs : null;
    console.log(
      `${String(i).padStart(5)} |        ${f(hc)} ${f(o.ackAnyMs)} ${f(dc)}  ${f(o.ackMs)}    |          ${f(hs)} ${f(o.switchMs)} ${f(ds)} |          ${f(result.figures.promoted_ms)} ${f(o.addrAnyMs)} ${f(o.addrMs)} | ${f(result.durationMs)}` +
        (result.verdict !== 'pass' ? `  [${result.verdict}: ${result.message}]` : ''),
    );
    if (dc !== null && ds !== null) rows.push({ client: dc, sentinel: ds, trialMs: result.durationMs - hs! });
  }
} finally {
  const downStart = performance.now();
  await d.down();
  const downMs = performance.now() - downStart;
  const maxAbs = (k: 'client' | 'sentinel') => Math.max(...rows.map((r) => Math.abs(r[k])));
  console.log(
    `\nmax |harness - observer|: client-observed ${maxAbs('client').toFixed(1)} ms, Sentinel-observed ${maxAbs('sentinel').toFixed(1)} ms over ${rows.length} trials (target ≤ 50 ms)`,
  );
  console.log(`trial time beyond the Sentinel-observed failover: max ${Math.max(...rows.map((r) => r.trialMs)).toFixed(0)} ms (target ≤ 3000 ms)`);
  console.log(`up() to converged: ${upMs.toFixed(0)} ms (target ≤ 2000 ms); down(): ${downMs.toFixed(0)} ms (target ≤ 1000 ms)`);
}
