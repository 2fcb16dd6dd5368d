import { describe, expect, it } from 'vitest';
import { restoredAway } from '../../../src/checkers/restore-point.ts';
import { checkWriteLossAttributed } from '../../../src/checkers/loss-attribution.ts';
import type { TrialInput } from '../../../src/model/check.ts';
import { history, ns, OLD } from './builders.ts';

const input = (present: string[]): TrialInput => ({
  history: history(
    { key: 'a', at: 100 },
    { key: 'b', at: 200 },
    { key: 'c', at: 300, done: 600 },
    { key: 'd', at: 700 },
    { key: 'e', at: 800, outcome: 'fail' },
  ),
  events: [],
  readBack: { ns: ns(2000), present: new Set(present), node: OLD.addr },
  faultNs: ns(1000),
  oldMaster: OLD.addr,
  masterName: 'mymaster',
});

describe('restoredAway', () => {
  it('leaves the input alone without a restore point', () => {
    const i = input(['a']);
    const r = restoredAway(i, undefined);
    expect(r.input).toBe(i);
    expect(r.figures).toEqual({});
    expect(r.warning).toBeNull();
  });

  it('sets aside writes first acknowledged after the backup, counting those the restore discarded', () => {
    const r = restoredAway(input(['a', 'b', 'd']), ns(500));
    // c (acked at 600) and d (701) came after the backup at 500; c is gone, d survived.
    expect(r.figures).toEqual({ writes_acked_after_backup: 2, writes_lost_after_backup: 1 });
    expect(r.warning).toMatch(/1 of 2 writes acknowledged after the backup/);
    expect(r.input.history.map((o) => o.key)).not.toContain('c');
    expect([...r.input.readBack!.present]).toEqual(['a', 'b']);
    const loss = checkWriteLossAttributed(r.input, { maxLost: 0, acceptLossFromOldMaster: false });
    expect(loss.check.valid).toBe(true);
  });

  it('still fails on a write lost from before the backup', () => {
    const r = restoredAway(input(['b', 'c', 'd']), ns(500));
    const loss = checkWriteLossAttributed(r.input, { maxLost: 0, acceptLossFromOldMaster: false });
    expect(loss.check.valid).toBe(false);
    expect(loss.check.figures.writes_lost).toBe(1);
    expect(r.warning).toBeNull();
  });
});
