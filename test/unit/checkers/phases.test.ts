import { describe, expect, it } from 'vitest';
import { checkPhases, failoverPhases } from '../../../src/checkers/phases.ts';
import { FAULT_MS, NEW, failoverEvents, history, masterDetail, ns, replicaDetail, sentinel, sentinelDetail, switchDetail, trial } from './builders.ts';

const CONFIG = { failoverTimeoutMs: 10_000 };
const at = (ms: number): number => FAULT_MS + ms;
const NORMAL = { sdown: 5000, odown: 5100, tryFailover: 5150, elected: 5200, promoted: 6000, switched: 6270 };

describe('failoverPhases', () => {
  it('times each phase from the fault, plus the first ack by a new master', () => {
    const h = history({ key: 'k', at: at(6300), done: at(6310), node: NEW.addr });
    const { phases, figures } = failoverPhases(trial({ history: h, events: failoverEvents(NORMAL) }));
    expect(phases).toEqual([
      { name: '+sdown', ms: 5000 },
      { name: '+odown', ms: 5100 },
      { name: '+elected-leader', ms: 5200 },
      { name: '+promoted-slave', ms: 6000 },
      { name: '+switch-master', ms: 6270 },
      { name: 'first-ack', ms: 6310 },
    ]);
    expect(figures).toEqual({
      sdown_ms: 5000,
      odown_ms: 5100,
      elected_ms: 5200,
      promoted_ms: 6000,
      switch_ms: 6270,
      try_failover_count: 1,
      failover_abort_count: 0,
    });
  });

  it('does not count +sdown of a sentinel or replica, or of a master with a longer name', () => {
    const events = [
      sentinel(at(300), '+sdown', masterDetail('mymaster2')),
      sentinel(at(500), '+sdown', sentinelDetail('4f1c0a'), 'sentinel-2'),
      sentinel(at(700), '+sdown', replicaDetail(), 'sentinel-3'),
      sentinel(at(900), '+odown', `${masterDetail('mymaster2')} #quorum 2/2`),
      ...failoverEvents(NORMAL),
      sentinel(at(7000), '+sdown', replicaDetail('mymaster', NEW, NEW)),
    ];
    const { figures } = failoverPhases(trial({ events }));
    expect(figures.sdown_ms).toBe(5000);
    expect(figures.odown_ms).toBe(5100);
  });

  it('takes the earliest event from any sentinel, whatever the order of the event list', () => {
    const events = [
      sentinel(at(5000), '+sdown', masterDetail(), 'sentinel-1'),
      sentinel(at(4800), '+sdown', masterDetail(), 'sentinel-2'),
      sentinel(at(6300), '+switch-master', switchDetail(), 'sentinel-1'),
      sentinel(at(6270), '+switch-master', switchDetail(), 'sentinel-3'),
    ];
    const { figures } = failoverPhases(trial({ events }));
    expect(figures.sdown_ms).toBe(4800);
    expect(figures.switch_ms).toBe(6270);
  });

  it('ignores events before the fault and non-sentinel events', () => {
    const events = [
      sentinel(at(-2000), '+sdown', masterDetail()),
      { ns: ns(at(100)), kind: 'fault' as const, source: 'harness', type: '+sdown', detail: masterDetail() },
      ...failoverEvents({ sdown: 5000 }),
    ];
    expect(failoverPhases(trial({ events })).figures.sdown_ms).toBe(5000);
  });

  it('ignores +promoted-slave for a replica of another master', () => {
    const events = [sentinel(at(1000), '+promoted-slave', replicaDetail('mymaster2')), ...failoverEvents({ promoted: 6000 })];
    expect(failoverPhases(trial({ events })).figures.promoted_ms).toBe(6000);
  });

  it('counts +try-failover and -failover-abort* for this master after the fault only', () => {
    const events = [
      sentinel(at(-100), '+try-failover', masterDetail()),
      sentinel(at(5150), '+try-failover', masterDetail(), 'sentinel-1'),
      sentinel(at(5160), '+try-failover', masterDetail(), 'sentinel-2'),
      sentinel(at(5170), '+try-failover', masterDetail('other')),
      sentinel(at(5300), '-failover-abort-not-elected', masterDetail(), 'sentinel-2'),
      sentinel(at(5400), '-failover-abort-no-good-slave', masterDetail(), 'sentinel-1'),
      sentinel(at(5500), '-failover-abort-not-elected', masterDetail('other')),
    ];
    const { figures } = failoverPhases(trial({ events }));
    expect(figures.try_failover_count).toBe(2);
    expect(figures.failover_abort_count).toBe(2);
  });

  it('has only null figures without a fault', () => {
    const { phases, figures } = failoverPhases(trial({ events: failoverEvents(NORMAL), faultNs: null }));
    expect(phases.every((p) => p.ms === null)).toBe(true);
    expect(Object.values(figures).every((v) => v === null)).toBe(true);
  });
});

describe('checkPhases', () => {
  it('passes a clean failover with no lost election', () => {
    const r = checkPhases(trial({ events: failoverEvents(NORMAL) }), CONFIG);
    expect(r.name).toBe('failover-phases');
    expect(r.valid).toBe(true);
    expect(r.figures.lost_election).toBe(0);
    expect(r.explanation).toContain('+switch-master 6270 ms');
    expect(r.explanation).not.toContain('lost election');
  });

  it('reports a lost election without failing the check', () => {
    const events = [
      ...failoverEvents({ sdown: 5000, odown: 5100, tryFailover: 5150 }),
      sentinel(at(5900), '-failover-abort-not-elected', masterDetail()),
      ...failoverEvents({ tryFailover: 25_200, elected: 25_250, promoted: 26_000, switched: 26_300 }),
    ];
    const r = checkPhases(trial({ events }), CONFIG);
    expect(r.valid).toBe(true);
    expect(r.figures.lost_election).toBe(1);
    expect(r.figures.try_failover_count).toBe(2);
    expect(r.explanation).toMatch(/^lost election: 2 \+try-failover, 1 -failover-abort-not-elected/);
  });

  it('infers a lost election from an election ≥ 2 × failover-timeout after +odown', () => {
    const events = failoverEvents({ sdown: 5000, odown: 5100, elected: 25_100, promoted: 26_000, switched: 26_300 });
    const r = checkPhases(trial({ events }), CONFIG);
    expect(r.figures.lost_election).toBe(1);
    expect(r.explanation).toContain('+elected-leader 20000 ms after +odown');
    expect(checkPhases(trial({ events }), { failoverTimeoutMs: 15_000 }).figures.lost_election).toBe(0);
  });

  it('fails when phases are out of order', () => {
    const events = failoverEvents({ sdown: 5000, odown: 6500, elected: 6600, switched: 6270 });
    const r = checkPhases(trial({ events }), CONFIG);
    expect(r.valid).toBe(false);
    expect(r.explanation).toContain('out of order');
    expect(r.explanation).toContain('+switch-master at 6270 ms before +elected-leader at 6600 ms');
  });

  it('tolerates an inversion of a few ms between sentinels (receipt order on separate connections), not a larger one', () => {
    // Seen live: +switch-master from a peer read 0.064 ms (5 sentinels) and 5 ms (two loaded cores) before the leader's +promoted-slave.
    const close = failoverEvents({ sdown: 5064.587, odown: 5163.791, elected: 5226.624, promoted: 6296.527, switched: 6291.463 });
    expect(checkPhases(trial({ events: close }), CONFIG).valid).toBe(true);
    const far = failoverEvents({ sdown: 5064.587, odown: 5163.791, elected: 5226.624, promoted: 6360, switched: 6291.463 });
    expect(checkPhases(trial({ events: far }), CONFIG).valid).toBe(false);
  });

  it('does not fail when phases are missing, but names them', () => {
    const r = checkPhases(trial({ events: failoverEvents({ sdown: 5000, switched: 6270 }) }), CONFIG);
    expect(r.valid).toBe(true);
    expect(r.explanation).toContain('not observed: +odown, +elected-leader, +promoted-slave, first-ack');
  });

  it('is unknown without a fault', () => {
    const r = checkPhases(trial({ events: failoverEvents(NORMAL), faultNs: null }), CONFIG);
    expect(r.valid).toBe('unknown');
    expect(r.figures.lost_election).toBeNull();
  });
});
