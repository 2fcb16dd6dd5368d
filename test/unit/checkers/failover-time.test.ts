import { describe, expect, it } from 'vitest';
import { checkFailoverTime } from '../../../src/checkers/failover-time.ts';
import { FAULT_MS, NEW, OLD, failoverEvents, history, ns, sentinel, steadyWrites, switchDetail, trial } from './builders.ts';

const SLO = { sloMs: 10_000 };

/** Writes to OLD until the fault, nothing acked for a while, then writes acked by NEW from FAULT + firstAckMs. */
function failoverHistory(firstAckMs: number) {
  return history(
    ...steadyWrites('before-', 0, FAULT_MS, 100, OLD.addr),
    { key: 'stuck', at: FAULT_MS + 50, done: FAULT_MS + 3050, outcome: 'info' },
    { key: 'first-new', at: FAULT_MS + firstAckMs - 5, done: FAULT_MS + firstAckMs, node: NEW.addr },
    ...steadyWrites('after-', FAULT_MS + firstAckMs + 100, FAULT_MS + firstAckMs + 2000, 100, NEW.addr),
  );
}

describe('checkFailoverTime', () => {
  it('measures client- and Sentinel-observed failover within the SLO', () => {
    const r = checkFailoverTime(trial({ history: failoverHistory(6210), events: failoverEvents({ sdown: 5000, odown: 5100, switched: 6270 }) }), SLO);
    expect(r.name).toBe('failover-time');
    expect(r.valid).toBe(true);
    expect(r.figures).toEqual({ failover_ms: 6210, sentinel_failover_ms: 6270 });
    expect(r.explanation).toBe('client-observed failover 6210 ms (SLO ≤ 10000 ms); Sentinel-observed 6270 ms');
  });

  it('does not count acks by the old master after the fault', () => {
    const h = history(
      { key: 'zombie', at: FAULT_MS + 10, done: FAULT_MS + 20, node: OLD.addr },
      { key: 'new', at: FAULT_MS + 7000, done: FAULT_MS + 7001, node: NEW.addr },
    );
    const r = checkFailoverTime(trial({ history: h, events: failoverEvents({ switched: 6900 }) }), SLO);
    expect(r.figures.failover_ms).toBe(7001);
  });

  it('keeps microsecond precision', () => {
    const h = history({ key: 'new', at: FAULT_MS + 6000, done: FAULT_MS + 6210.1234567, node: NEW.addr });
    const r = checkFailoverTime(trial({ history: h, events: failoverEvents({ switched: 6270 }) }), SLO);
    expect(r.figures.failover_ms).toBe(6210.123);
  });

  it('is invalid when failover never happens', () => {
    const h = history(
      ...steadyWrites('before-', 0, FAULT_MS, 100, OLD.addr),
      { key: 'stuck-1', at: FAULT_MS + 50, done: FAULT_MS + 3050, outcome: 'info' },
      { key: 'stuck-2', at: FAULT_MS + 3100, done: FAULT_MS + 6100, outcome: 'info' },
    );
    const r = checkFailoverTime(trial({ history: h, events: failoverEvents({ sdown: 5000 }) }), SLO);
    expect(r.valid).toBe(false);
    expect(r.figures).toEqual({ failover_ms: null, sentinel_failover_ms: null });
    expect(r.explanation).toContain(`no write acknowledged by a node other than the old master ${OLD.addr}`);
    expect(r.explanation).toContain('no +switch-master for mymaster');
  });

  it('is invalid when only the Sentinel side saw the failover', () => {
    const r = checkFailoverTime(trial({ events: failoverEvents({ switched: 6270 }) }), SLO);
    expect(r.valid).toBe(false);
    expect(r.figures.sentinel_failover_ms).toBe(6270);
  });

  it('is invalid when the client-observed failover breaches the SLO', () => {
    const r = checkFailoverTime(trial({ history: failoverHistory(12_000), events: failoverEvents({ switched: 9000 }) }), SLO);
    expect(r.valid).toBe(false);
    expect(r.figures.failover_ms).toBe(12_000);
    expect(r.explanation).toContain('client-observed failover 12000 ms (SLO ≤ 10000 ms, exceeded)');
  });

  it('is invalid when the Sentinel-observed failover breaches the SLO', () => {
    const r = checkFailoverTime(trial({ history: failoverHistory(6000), events: failoverEvents({ switched: 10_500 }) }), SLO);
    expect(r.valid).toBe(false);
    expect(r.explanation).toContain('Sentinel-observed 10500 ms (exceeds SLO ≤ 10000 ms)');
  });

  it('accepts a failover exactly at the SLO', () => {
    const r = checkFailoverTime(trial({ history: failoverHistory(10_000), events: failoverEvents({ switched: 10_000 }) }), SLO);
    expect(r.valid).toBe(true);
  });

  it('ignores +switch-master for another master and before the fault', () => {
    const events = [
      sentinel(FAULT_MS - 1000, '+switch-master', switchDetail()),
      sentinel(FAULT_MS + 100, '+switch-master', switchDetail('mymaster2')),
      sentinel(FAULT_MS + 6270, '+switch-master', switchDetail(), 'sentinel-3'),
    ];
    const r = checkFailoverTime(trial({ history: failoverHistory(6210), events }), SLO);
    expect(r.figures.sentinel_failover_ms).toBe(6270);
  });

  it('is unknown without a fault or without the old master', () => {
    const events = failoverEvents({ switched: 6270 });
    const noFault = checkFailoverTime(trial({ history: failoverHistory(6210), events, faultNs: null }), SLO);
    expect(noFault.valid).toBe('unknown');
    expect(noFault.figures).toEqual({ failover_ms: null, sentinel_failover_ms: null });
    const noMaster = checkFailoverTime(trial({ history: failoverHistory(6210), events, oldMaster: null }), SLO);
    expect(noMaster.valid).toBe('unknown');
    expect(noMaster.figures).toEqual({ failover_ms: null, sentinel_failover_ms: 6270 });
  });

  it('ignores an ack at exactly the fault instant', () => {
    const h = [{ process: 'c1', type: 'ok' as const, f: 'write' as const, key: 'k', ns: ns(FAULT_MS), node: NEW.addr }];
    expect(checkFailoverTime(trial({ history: h }), SLO).figures.failover_ms).toBeNull();
  });
});
