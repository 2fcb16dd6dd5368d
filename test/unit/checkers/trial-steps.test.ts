// The checkers of the trial's own steps: no failover while held, rejoin, convergence after the heal, failed writes.
import { describe, expect, it } from 'vitest';
import { checkConvergedAfterHeal } from '../../../src/checkers/converged-after-heal.ts';
import { checkFailedWrites } from '../../../src/checkers/failed-writes.ts';
import { checkNoFailover } from '../../../src/checkers/no-failover.ts';
import { checkRejoin } from '../../../src/checkers/rejoin.ts';
import { FAULT_MS, history, ns, sentinel, switchDetail, trial } from './builders.ts';

describe('checkNoFailover', () => {
  it('passes without a +switch-master while the fault was held', () => {
    const r = checkNoFailover(trial({ events: [sentinel(FAULT_MS + 100, '+sdown', 'slave x')] }), { untilNs: ns(FAULT_MS + 5000) });
    expect(r).toMatchObject({ name: 'no-failover', valid: true, explanation: 'no +switch-master while the fault was in place, as expected' });
  });

  it('fails on a +switch-master during the hold, naming it', () => {
    const r = checkNoFailover(trial({ events: [sentinel(FAULT_MS + 100, '+switch-master', switchDetail())] }), { untilNs: ns(FAULT_MS + 5000) });
    expect(r.valid).toBe(false);
    expect(r.explanation).toBe(`unexpected failover: sentinel-1 ${switchDetail()}`);
  });

  it('ignores switches before the fault, after the hold, and of another master', () => {
    const events = [
      sentinel(FAULT_MS - 1, '+switch-master', switchDetail()),
      sentinel(FAULT_MS + 6000, '+switch-master', switchDetail()),
      sentinel(FAULT_MS + 100, '+switch-master', switchDetail('other')),
    ];
    expect(checkNoFailover(trial({ events }), { untilNs: ns(FAULT_MS + 5000) }).valid).toBe(true);
  });

  it('is unknown without a fault', () => {
    expect(checkNoFailover(trial({ faultNs: null }), { untilNs: 0 }).valid).toBe('unknown');
  });
});

describe('checkRejoin', () => {
  it('passes with the time after the heal', () => {
    const r = checkRejoin(trial(), { pod: 'redis-0', rejoinMs: 812.5, timeoutMs: 30_000 });
    expect(r).toEqual({
      name: 'rejoin',
      valid: true,
      figures: { rejoin_ms: 812.5 },
      explanation: 'redis-0 is a replica of the current master with its link up 812.5 ms after the heal',
    });
  });

  it('fails when the wait ran out', () => {
    const r = checkRejoin(trial(), { pod: 'redis-0', rejoinMs: null, timeoutMs: 30_000 });
    expect(r).toEqual({
      name: 'rejoin',
      valid: false,
      figures: { rejoin_ms: null },
      explanation: 'redis-0 was not a replica of the current master with its link up within 30000 ms of the heal',
    });
  });
});

describe('checkConvergedAfterHeal', () => {
  it('passes with the time after the heal', () => {
    const r = checkConvergedAfterHeal(trial(), { convergenceMs: 1500, lastReason: 'converged', timeoutMs: 30_000 });
    expect(r).toMatchObject({ name: 'convergence', valid: true, figures: { convergence_ms: 1500 } });
    expect(r.explanation).toMatch(/^converged 1500 ms after the heal: one master/);
  });

  it('fails with the last reason when the wait ran out', () => {
    const r = checkConvergedAfterHeal(trial(), { convergenceMs: null, lastReason: 'redis-2 is in TILT', timeoutMs: 30_000 });
    expect(r).toEqual({
      name: 'convergence',
      valid: false,
      figures: { convergence_ms: null },
      explanation: 'not converged 30000 ms after the heal: redis-2 is in TILT',
    });
  });
});

describe('checkFailedWrites', () => {
  const h = history({ key: 'a', at: 1 }, { key: 'b', at: 2, outcome: 'fail' }, { key: 'c', at: 3, outcome: 'info' }, { key: 'd', at: 4, outcome: null });
  it('counts distinct keys that failed or got no reply in time', () => {
    const r = checkFailedWrites(trial({ history: h }), { maxFailedWrites: 2, commandTimeoutMs: 1000 });
    expect(r).toEqual({
      name: 'failed-writes',
      valid: true,
      figures: { writes_not_acked_in_time: 2 },
      explanation: '2 writes failed or were not acknowledged within 1000 ms (bound 2)',
    });
  });

  it('fails above the bound', () => {
    expect(checkFailedWrites(trial({ history: h }), { maxFailedWrites: 1, commandTimeoutMs: 1000 }).valid).toBe(false);
  });
});
