// Synthetic run journals for trend and baseline tests: one run per entry, each scenario's trials given by their failover_ms.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JOURNAL_SCHEMA, type Journal, type Verdict } from '../../src/report/journal.ts';

export interface RunSpec {
  /** Per scenario, each trial's failover_ms (writes_lost from `lost`, default 0). */
  scenarios: Record<string, number[]>;
  lost?: Record<string, number>;
  verdict?: Verdict;
}

/** Run `i` (0-based) started i hours after a fixed instant, id sortable by time. */
export function runJournal(i: number, spec: RunSpec): Journal {
  const started = new Date(Date.UTC(2026, 10, 1, 0, 0, 0) + i * 3_600_000);
  const id = `${started
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${String(i).padStart(4, '0')}`;
  return {
    schema: JOURNAL_SCHEMA,
    harness: { name: 'sentinel-chaos', version: '0.1.0', node: 'v24.21.0' },
    run: {
      id,
      startedAt: started.toISOString(),
      finishedAt: new Date(started.getTime() + 60_000).toISOString(),
      durationMs: 60_000,
      argv: [],
      interrupted: false,
    },
    target: { name: 'local', redisVersion: '8.2.1', details: {} },
    deployment: {},
    client: {},
    quantileDefinition: 'nearest-rank',
    verdict: spec.verdict ?? 'pass',
    scenarios: Object.entries(spec.scenarios).map(([name, fo]) => ({
      name,
      description: name,
      slo: { failover_ms_max: 10_000 },
      verdict: spec.verdict ?? 'pass',
      stats: {},
      trials: fo.map((f, t) => ({
        index: t + 1,
        verdict: 'pass' as const,
        startedAt: started.toISOString(),
        durationMs: 20_000,
        figures: { failover_ms: f, writes_lost: spec.lost?.[name] ?? 0, availability: 0.99 },
        phases: [],
        checks: [],
        events: [],
      })),
    })),
  };
}

/** Writes each journal as <dir>/<run id>/result.json; returns the run directories. */
export function writeRuns(dir: string, journals: readonly Journal[]): string[] {
  return journals.map((j) => {
    const d = path.join(dir, j.run.id);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'result.json'), `${JSON.stringify(j, null, 2)}\n`);
    return d;
  });
}
