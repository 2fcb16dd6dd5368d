// Bench: the app-path checks (issue 4, item 4) over N master kills: failover time through the Service vs the Sentinel path, and the role label's lag.
// Usage: node bench/app-paths.ts [--runs N] [--subnet N] [--down-after MS] [--manifests DIR]
import { parseArgs } from 'node:util';
import { appPathChecks } from '../src/conformance/app-paths.ts';
import { loadDeployment } from '../src/config/manifests.ts';
import { newRunId } from '../src/report/run-id.ts';
import { RUN_DEFAULTS } from '../src/runner/run.ts';
import { startLocalDeployment } from '../src/targets/local/local-target.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    subnet: { type: 'string', default: '85' },
    'down-after': { type: 'string' },
    manifests: { type: 'string' },
  },
});
const model = await loadDeployment(values.manifests ?? RUN_DEFAULTS.manifestsDir);
const overrides = values['down-after'] ? { sentinel: { 'down-after-milliseconds': values['down-after'] } } : {};
const d = await startLocalDeployment({ model, runId: `bench-app-paths-${newRunId()}`, subnet: Number(values.subnet), overrides });
const cols = [
  'promoted_ms',
  'label_ms',
  'label_lag_ms',
  'service_failover_ms',
  'sentinel_failover_ms',
  'synapse_failover_ms',
  'livekit_failover_ms',
  'django-sessions_failover_ms',
  'ioredis-sentinel_failover_ms',
  'redis-py-sentinel_failover_ms',
];
let failed = 0;
try {
  console.log(`app-paths bench: ${values.runs} master kills, down-after ${d.downAfterMs} ms, manifests ${model.manifestsDir}`);
  console.log(['run', ...cols].join('\t'));
  for (let i = 1; i <= Number(values.runs); i++) {
    const checks = await appPathChecks(d);
    const f = checks.find((c) => c.name === 'failover-time')?.figures ?? {};
    console.log([i, ...cols.map((c) => f[c] ?? 'n/a')].join('\t'));
    for (const c of checks.filter((x) => x.valid === false)) {
      failed++;
      console.log(`  FAIL ${c.name}: expected ${c.expected}; observed ${c.observed}`);
    }
  }
} finally {
  await d.down();
}
process.exitCode = failed > 0 ? 1 : 0;
