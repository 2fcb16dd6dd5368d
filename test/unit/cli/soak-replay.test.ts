// --replay: the schedule a journal keeps, found in result.json or its run directory; a journal without one is a usage error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { coverageLine, parseDuration, scheduleFromJournal } from '../../../src/cli/soak.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sc-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const steps = [{ fault: { kind: 'kill-pod', target: 'master', holdMs: 0 }, at: 0, durationMs: 0, replica: 0 }];
const journal = (trials: unknown[]) => JSON.stringify({ scenarios: [{ name: 'x', trials }] });

describe('soak --replay', () => {
  it('reads the schedule from result.json or from the run directory', async () => {
    const record = { mode: 'serial', steps, seed: 5, realised: [], violations: [], checkpoints: 0 };
    writeFileSync(path.join(dir, 'result.json'), journal([{ index: 1 }, { index: 2, schedule: record }]));
    expect(await scheduleFromJournal(path.join(dir, 'result.json'))).toEqual(record);
    expect((await scheduleFromJournal(dir)).seed).toBe(5);
  });

  it('refuses a file that is no journal, or a journal without a schedule, naming what to pass', async () => {
    await expect(scheduleFromJournal(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'USAGE', message: /not a readable journal.*result\.json/ });
    const plain = path.join(dir, 'plain.json');
    writeFileSync(plain, journal([{ index: 1 }]));
    await expect(scheduleFromJournal(plain)).rejects.toMatchObject({ code: 'USAGE', message: /holds no schedule/ });
  });

  it('parses durations with units', () => {
    const d = parseDuration('--duration');
    expect([d('40s'), d('5m'), d('1h'), d('1500'), d('250ms')]).toEqual([40_000, 300_000, 3_600_000, 1500, 250]);
    expect(() => d('soon')).toThrow(/--duration must be a duration such as 40s/);
  });
});

describe('the soak summary line on fault-window coverage', () => {
  it('states the share covered and the writes inside (lost, excused) and outside (judged)', () => {
    const line = coverageLine({
      fault_window_coverage: 0.8333,
      writes_acked_in_windows: 1000,
      writes_lost_in_windows: 540,
      lost_share_in_windows: 0.54,
      writes_acked_outside_windows: 200,
    });
    expect(line).toBe(
      'soak: fault windows cover 83.3 % of the run; writes first acknowledged inside them 1000 (540 lost, 54 %, excused), outside 200 (judged by no-lost-writes)',
    );
    expect(coverageLine({ writes_lost: 3 })).toBeNull();
  });
});
