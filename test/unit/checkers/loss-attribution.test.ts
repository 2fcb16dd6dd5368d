// Lost writes split by who acknowledged them and when; only the old master's post-fault acks may be accepted.
import { describe, expect, it } from 'vitest';
import { attributeLoss, checkWriteLossAttributed } from '../../../src/checkers/loss-attribution.ts';
import { FAULT_MS, NEW, OLD, history, readBack, steadyWrites, trial, type WriteSpec } from './builders.ts';

/** Acked by OLD before the fault, all kept: p0..p4. */
const BEFORE: WriteSpec[] = steadyWrites('p', FAULT_MS - 1000, FAULT_MS - 500, 100, OLD.addr);
/** Acked by OLD after the fault (a returning / isolated master): o0, o1. */
const OLD_AFTER: WriteSpec[] = steadyWrites('o', FAULT_MS + 2000, FAULT_MS + 2200, 100, OLD.addr);
/** Acked by NEW after the failover: n0..n2. */
const NEW_AFTER: WriteSpec[] = steadyWrites('n', FAULT_MS + 8000, FAULT_MS + 8300, 100, NEW.addr);
const ALL = [...BEFORE, ...OLD_AFTER, ...NEW_AFTER];
const keys = (specs: WriteSpec[]): string[] => specs.map((w) => w.key);
const without = (specs: WriteSpec[], ...gone: string[]): string[] => keys(specs).filter((k) => !gone.includes(k));

const ACCEPT = { maxLost: 0, acceptLossFromOldMaster: true };
const STRICT = { maxLost: 0, acceptLossFromOldMaster: false };

describe('attributeLoss', () => {
  it('splits lost writes into the old master after the fault and the rest', () => {
    const input = trial({ history: history(...ALL), readBack: readBack(without(ALL, 'o0', 'o1', 'n1', 'p2')) });
    const { fromOldMasterAfterFault, other } = attributeLoss(input);
    expect(fromOldMasterAfterFault.map((o) => o.key)).toEqual(['o0', 'o1']);
    expect(fromOldMasterAfterFault.every((o) => o.type === 'ok' && o.node === OLD.addr)).toBe(true);
    expect(other.map((o) => o.key).sort()).toEqual(['n1', 'p2']);
  });

  it('attributes nothing to the old master when there is no fault or no old master', () => {
    const lost = without(ALL, 'o0');
    expect(attributeLoss(trial({ history: history(...ALL), readBack: readBack(lost), faultNs: null })).fromOldMasterAfterFault).toEqual([]);
    expect(attributeLoss(trial({ history: history(...ALL), readBack: readBack(lost), oldMaster: null })).fromOldMasterAfterFault).toEqual([]);
  });
});

describe('checkWriteLossAttributed', () => {
  it('accepts writes acked by the old master after the fault, with a warning giving the count', () => {
    const input = trial({ history: history(...ALL), readBack: readBack(without(ALL, 'o0', 'o1')) });
    const { check, warning } = checkWriteLossAttributed(input, ACCEPT);
    expect(check.name).toBe('write-loss');
    expect(check.valid).toBe(true);
    expect(check.figures.writes_lost).toBe(2);
    expect(check.figures.writes_lost_old_master).toBe(2);
    expect(warning).not.toBeNull();
    expect(warning).toContain('2 writes');
    expect(warning).toContain(OLD.addr);
  });

  it('fails on the same loss when the scenario does not accept it', () => {
    const input = trial({ history: history(...ALL), readBack: readBack(without(ALL, 'o0', 'o1')) });
    const { check, warning } = checkWriteLossAttributed(input, STRICT);
    expect(check.valid).toBe(false);
    expect(check.figures.writes_lost_old_master).toBe(2);
    expect(warning).toBeNull();
    expect(check.explanation).toContain('2 lost writes count against the bound of 0');
  });

  it('never accepts a lost write the new master acknowledged, and names it', () => {
    const input = trial({ history: history(...ALL), readBack: readBack(without(ALL, 'n1')) });
    const { check, warning } = checkWriteLossAttributed(input, ACCEPT);
    expect(check.valid).toBe(false);
    expect(check.figures.writes_lost).toBe(1);
    expect(check.figures.writes_lost_old_master).toBe(0);
    expect(check.explanation).toContain(`n1 by ${NEW.addr}`);
    expect(warning).toBeNull();
  });

  it('does not accept a lost write the old master acknowledged before the fault', () => {
    const input = trial({ history: history(...ALL), readBack: readBack(without(ALL, 'p2')) });
    const { check, warning } = checkWriteLossAttributed(input, ACCEPT);
    expect(check.valid).toBe(false);
    expect(check.figures.writes_lost_old_master).toBe(0);
    expect(check.explanation).toContain(`p2 by ${OLD.addr}`);
    expect(warning).toBeNull();
  });

  it('does not accept a write the old master acknowledged at the very instant of the fault', () => {
    const h = history(...ALL, { key: 'edge', at: FAULT_MS - 5, done: FAULT_MS, node: OLD.addr });
    const { check } = checkWriteLossAttributed(trial({ history: h, readBack: readBack(keys(ALL)) }), ACCEPT);
    expect(check.valid).toBe(false);
    expect(check.figures.writes_lost_old_master).toBe(0);
  });

  it('lets maxLost cover other losses, on top of the accepted ones', () => {
    const present = without(ALL, 'o0', 'o1', 'n0', 'p1');
    const input = trial({ history: history(...ALL), readBack: readBack(present) });
    const ok = checkWriteLossAttributed(input, { maxLost: 2, acceptLossFromOldMaster: true });
    expect(ok.check.valid).toBe(true);
    expect(ok.check.figures.writes_lost).toBe(4);
    expect(ok.warning).toContain('2 writes');

    const tight = checkWriteLossAttributed(input, { maxLost: 1, acceptLossFromOldMaster: true });
    expect(tight.check.valid).toBe(false);
    expect(tight.check.explanation).toContain('2 lost writes count against the bound of 1');

    // Not accepted: the old master's two count too, 4 > 3.
    const strict = checkWriteLossAttributed(input, { maxLost: 3, acceptLossFromOldMaster: false });
    expect(strict.check.valid).toBe(false);
    expect(strict.check.explanation).toContain('4 lost writes count against the bound of 3');
    expect(checkWriteLossAttributed(input, { maxLost: 4, acceptLossFromOldMaster: false }).check.valid).toBe(true);
  });

  it('fails when unexpected keys are present, accepted losses or not', () => {
    const input = trial({ history: history(...ALL), readBack: readBack([...without(ALL, 'o0'), 'ghost']) });
    const { check, warning } = checkWriteLossAttributed(input, { maxLost: 10, acceptLossFromOldMaster: true });
    expect(check.valid).toBe(false);
    expect(check.figures.writes_unexpected).toBe(1);
    expect(check.explanation).toContain('1 unexpected keys present');
    expect(warning).toContain('1 writes');
  });

  it('is unknown without a read-back, and warns about nothing', () => {
    const { check, warning } = checkWriteLossAttributed(trial({ history: history(...ALL), readBack: null }), ACCEPT);
    expect(check.valid).toBe('unknown');
    expect(check.figures.writes_lost).toBeNull();
    expect(warning).toBeNull();
  });
});

describe('checkWriteLossAttributed with a bound on the old master (hardened profile)', () => {
  const input = trial({ history: history(...ALL), readBack: readBack(without(ALL, 'o0', 'o1')) });

  it('accepts old-master loss up to maxLostFromOldMaster, naming the bound in the warning', () => {
    const { check, warning } = checkWriteLossAttributed(input, { ...ACCEPT, maxLostFromOldMaster: 2 });
    expect(check.valid).toBe(true);
    expect(check.figures.writes_lost_old_master).toBe(2);
    expect(warning).toContain('accepted up to 2');
  });

  it('counts old-master loss beyond the bound against maxLost', () => {
    const { check, warning } = checkWriteLossAttributed(input, { ...ACCEPT, maxLostFromOldMaster: 1 });
    expect(check.valid).toBe(false);
    expect(check.explanation).toContain('1 lost writes count against the bound of 0');
    expect(warning).toContain('1 writes acknowledged by the old master');
    expect(checkWriteLossAttributed(input, { maxLost: 1, acceptLossFromOldMaster: true, maxLostFromOldMaster: 1 }).check.valid).toBe(true);
  });

  it('ignores the bound when old-master loss is not accepted at all', () => {
    expect(checkWriteLossAttributed(input, { ...STRICT, maxLostFromOldMaster: 5 }).check.valid).toBe(false);
  });
});
