import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import { Timeline } from '../../../src/runner/trial-record.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const lines = (file: string): TrialEvent[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrialEvent);

describe('Timeline.streamTo', () => {
  it('writes marks and followed events as they come, each once, before the trial ends', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'events-'));
    dirs.push(dir);
    const file = path.join(dir, 'events', 't-1.jsonl');
    const t = new Timeline(createClock());
    const role: TrialEvent[] = [];
    t.follow(() => role);
    t.streamTo(file, (s) => s.replaceAll('pw123', '***'), 20);
    t.note('phase', 'converged', 'all three pods');
    role.push({ ns: 1, kind: 'role', source: 'redis-0', type: 'master', detail: '2 replicas' });
    await new Promise((r) => setTimeout(r, 80));
    expect(lines(file).map((e) => e.type)).toEqual(['converged', 'master']); // on disk mid-run
    role.push({ ns: 2, kind: 'role', source: 'redis-1', type: 'slave', detail: 'of x pw123' });
    t.note('fault', 'inject', 'kill');
    t.closeStream();
    const all = lines(file);
    expect(all.map((e) => e.type).sort()).toEqual(['converged', 'inject', 'master', 'slave']);
    expect(readFileSync(file, 'utf8')).not.toContain('pw123');
    t.note('phase', 'late', 'after close'); // no file any more: kept in memory only
    expect(lines(file)).toHaveLength(4);
    expect(t.all()).toHaveLength(5);
  });
});
