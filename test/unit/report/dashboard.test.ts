// dashboards/sentinel-chaos.json reads only series metrics.prom emits, with labels it sets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { renderOpenMetrics } from '../../../src/report/metrics.ts';
import { sampleJournal } from './sample-journal.ts';

const DASHBOARD = path.resolve(import.meta.dirname, '../../../dashboards/sentinel-chaos.json');

it('every query names a metric and labels that metrics.prom carries', () => {
  const d = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
  const j = sampleJournal();
  j.scenarios[0]!.trials[0]!.figures.outage_ms = 1200;
  j.scenarios[0]!.trials[0]!.figures.availability = 0.98;
  const text = renderOpenMetrics(j);
  const emitted = new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('{')[0]),
  );
  const labels = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((m) => m[1]));
  const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr));
  for (const m of ['failover_ms', 'writes_lost', 'availability']) expect(exprs.some((e) => e.includes(`sentinel_chaos_${m}`))).toBe(true);
  for (const e of exprs) {
    for (const [metric] of e.matchAll(/sentinel_chaos_[a-z_]+/g)) expect(emitted, `${metric} in ${e}`).toContain(metric);
    for (const [, label] of e.matchAll(/(?:by \(|,\s*|\{)([a-z_]+)(?:=~|=|\)|,)/g)) {
      if (label !== 'job') expect(labels, `${label} in ${e}`).toContain(label);
    }
  }
});
