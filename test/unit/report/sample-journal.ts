// A realistic journal for report tests: scenario master-kill, trial 1 passes, trial 2 misses the failover bound.
import { JOURNAL_SCHEMA, type Journal } from '../../../src/report/journal.ts';

/** A fresh copy on every call, so tests may mutate it. */
export function sampleJournal(): Journal {
  return {
    schema: JOURNAL_SCHEMA,
    harness: { name: 'sentinel-chaos', version: '0.1.0', node: 'v24.21.0' },
    run: {
      id: '20261125T183012Z-3f9a',
      startedAt: '2026-11-25T18:30:12.004Z',
      finishedAt: '2026-11-25T18:31:09.871Z',
      durationMs: 57867,
      argv: ['run', '--target', 'local', '--scenario', 'master-kill', '--trials', '2', '--report-dir', 'reports'],
      interrupted: false,
    },
    target: { name: 'local', redisVersion: '8.2.1', details: { topology: '1 master, 2 replicas, 3 sentinels' } },
    deployment: { masterName: 'mymaster', replicas: 2, sentinels: 3, quorum: 2, downAfterMs: 5000, failoverTimeoutMs: 60000 },
    client: { name: 'ioredis', version: '5.8.2', commandTimeoutMs: 500, writeIntervalMs: 10, enableOfflineQueue: false },
    quantileDefinition: 'nearest-rank',
    verdict: 'fail',
    scenarios: [
      {
        name: 'master-kill',
        description: 'SIGKILL the master and measure how long until writes are acknowledged again',
        slo: { failover_ms: 15000, writes_lost: 0 },
        verdict: 'fail',
        trials: [
          {
            index: 1,
            verdict: 'pass',
            startedAt: '2026-11-25T18:30:14.120Z',
            durationMs: 21433,
            figures: { failover_ms: 6211.4, sentinel_failover_ms: 5893.2, writes_acked: 1873, writes_lost: 0, writes_indeterminate: 3 },
            phases: [
              { name: '+sdown', ms: 5050.1 },
              { name: '+odown', ms: 5121.7 },
              { name: '+elected-leader', ms: 5133.9 },
              { name: '+promoted-slave', ms: 5790.4 },
              { name: '+switch-master', ms: 5893.2 },
              { name: 'first-ack', ms: 6211.4 },
            ],
            checks: [
              { name: 'failover-time', valid: true, figures: { failover_ms: 6211.4 }, explanation: 'failover took 6211.4 ms, within the 15000 ms bound' },
              { name: 'lost-writes', valid: true, figures: { writes_acked: 1873, writes_lost: 0 }, explanation: 'all 1873 acknowledged writes were read back' },
            ],
            events: [
              { ns: 2_000_000_000, kind: 'fault', source: 'harness', type: 'landed', detail: 'SIGKILL redis-0 (127.0.0.1:6379)' },
              { ns: 7_050_100_000, kind: 'sentinel', source: 'sentinel-1', type: '+sdown', detail: 'master mymaster 127.0.0.1 6379' },
              { ns: 7_893_200_000, kind: 'sentinel', source: 'sentinel-2', type: '+switch-master', detail: 'mymaster 127.0.0.1 6379 127.0.0.1 6380' },
            ],
            historyFile: 'history/master-kill-1.jsonl',
          },
          {
            index: 2,
            verdict: 'fail',
            startedAt: '2026-11-25T18:30:42.310Z',
            durationMs: 26002,
            figures: { failover_ms: 17204.9, sentinel_failover_ms: 16890, writes_acked: 2210, writes_lost: 4, writes_indeterminate: 11, replica_lag_ms: null },
            phases: [
              { name: '+sdown', ms: 5048.3 },
              { name: '+odown', ms: 5112 },
              { name: '+elected-leader', ms: 15140.2 },
              { name: '+promoted-slave', ms: 16702.5 },
              { name: '+switch-master', ms: 16890 },
              { name: 'first-ack', ms: 17204.9 },
            ],
            checks: [
              {
                name: 'failover-time',
                valid: false,
                figures: { failover_ms: 17204.9 },
                explanation: 'expected failover_ms <= 15000, observed 17204.9 (first election attempt timed out)',
              },
              {
                name: 'lost-writes',
                valid: false,
                figures: { writes_acked: 2210, writes_lost: 4 },
                explanation: 'expected writes_lost <= 0, observed 4 of 2210 acknowledged writes missing on the new master',
              },
              { name: 'split-brain', valid: true, figures: {}, explanation: 'only one node acknowledged writes at a time' },
            ],
            events: [
              { ns: 30_190_000_000, kind: 'fault', source: 'harness', type: 'landed', detail: 'SIGKILL redis-0 (127.0.0.1:6379)' },
              { ns: 47_080_000_000, kind: 'sentinel', source: 'sentinel-3', type: '+switch-master', detail: 'mymaster 127.0.0.1 6379 127.0.0.1 6381' },
            ],
            message: 'failover took 17204.9 ms (bound 15000 ms); 4 acknowledged writes lost',
            historyFile: 'history/master-kill-2.jsonl',
          },
        ],
        stats: {
          failover_ms: { n: 2, min: 6211.4, median: 6211.4, p95: 17204.9, max: 17204.9, mean: 11708.15 },
          writes_lost: { n: 2, min: 0, median: 0, p95: 4, max: 4, mean: 2 },
        },
      },
    ],
  };
}

/** JSON-lines history as the workload writes it. */
export function sampleHistory(trial: number): string {
  const base = trial * 1_000_000_000;
  return [
    { process: 'sentinel-client', type: 'invoke', f: 'write', key: `k-${trial}-1`, ns: base },
    { process: 'sentinel-client', type: 'ok', f: 'write', key: `k-${trial}-1`, ns: base + 812_000, node: '127.0.0.1:6379' },
    { process: 'sentinel-client', type: 'invoke', f: 'write', key: `k-${trial}-2`, ns: base + 10_000_000 },
    { process: 'sentinel-client', type: 'info', f: 'write', key: `k-${trial}-2`, ns: base + 510_000_000, error: 'Command timed out' },
  ]
    .map((op) => JSON.stringify(op))
    .join('\n')
    .concat('\n');
}
