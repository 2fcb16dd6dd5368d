// The SLO gate over trials: the chosen statistic of the failover times, other failures, lost elections as findings.
import { describe, expect, it } from 'vitest';
import { DEFAULT_GATE_STAT, GATE_STATS, gateScenario, gateSummary, lostElections, type GateStat } from '../../../src/report/gate.ts';
import { check, failoverTrials, trial } from './builders.ts';

const SLO = { failoverMs: 10_000 };

describe('gateScenario', () => {
  it('exports the statistics, strictest first, with max the default', () => {
    expect(GATE_STATS).toEqual(['max', 'p95', 'median']);
    expect(DEFAULT_GATE_STAT).toBe('max');
    expect(() => gateScenario(failoverTrials(6000), SLO, 'mean' as GateStat)).toThrow(RangeError);
  });

  it('passes when the max of both figures is within the bound, and says so with the values', () => {
    const gate = gateScenario(failoverTrials(6000, 7200.5, 9999), SLO);
    expect(gate.verdict).toBe('pass');
    expect(gate.message).toBe('max failover_ms 9999 ms ≤ 10000 ms over 3 trials; max sentinel_failover_ms 9979 ms ≤ 10000 ms over 3 trials');
    expect(gate.findings).toEqual([]);
  });

  it('fails on max when a single trial is over the bound, naming expected, observed and the trial', () => {
    const gate = gateScenario(failoverTrials(6000, 10_020.5, 7000), SLO, 'max');
    expect(gate.verdict).toBe('fail');
    expect(gate.message).toBe(
      'expected max failover_ms ≤ 10000 ms, observed 10020.5 ms over 3 trials (trial 2 over the bound); ' +
        'expected max sentinel_failover_ms ≤ 10000 ms, observed 10000.5 ms over 3 trials (trial 2 over the bound)',
    );
  });

  it('judges the Sentinel-observed figure too', () => {
    const trials = [trial(1, { failover_ms: 9000, sentinel_failover_ms: 10_500 }), trial(2, { failover_ms: 8000, sentinel_failover_ms: 7000 })];
    const gate = gateScenario(trials, SLO);
    expect(gate.verdict).toBe('fail');
    expect(gate.message).toContain('expected max sentinel_failover_ms ≤ 10000 ms, observed 10500 ms');
  });

  it('p95 outvotes one slow trial in 20 but not two (nearest rank 19 of 20)', () => {
    const fast = Array.from({ length: 19 }, (_, i) => 6000 + i * 10);
    const one = gateScenario(failoverTrials(...fast, 12_000), SLO, 'p95');
    expect(one.verdict).toBe('pass');
    expect(one.message).toContain('p95 failover_ms 6180 ms ≤ 10000 ms over 20 trials (trial 20 over the bound)');
    expect(gateScenario(failoverTrials(...fast, 12_000), SLO, 'max').verdict).toBe('fail');

    const two = gateScenario(failoverTrials(...fast.slice(0, 18), 12_000, 13_000), SLO, 'p95');
    expect(two.verdict).toBe('fail');
    expect(two.message).toContain('expected p95 failover_ms ≤ 10000 ms, observed 12000 ms over 20 trials (trials 19, 20 over the bound)');
  });

  it('median passes with a slow minority and fails with a slow majority', () => {
    expect(gateScenario(failoverTrials(6000, 7000, 15_000), SLO, 'median').verdict).toBe('pass');
    const gate = gateScenario(failoverTrials(6000, 11_000, 15_000), SLO, 'median');
    expect(gate.verdict).toBe('fail');
    expect(gate.message).toContain('expected median failover_ms ≤ 10000 ms, observed 11000 ms');
  });

  it('fails the scenario on a trial-level failure other than failover time, whatever the statistic', () => {
    const trials = failoverTrials(6000, 6100, 6200);
    trials[1] = trial(
      2,
      { failover_ms: 6100, sentinel_failover_ms: 6080, writes_lost: 4 },
      {
        checks: [check('failover-time'), check('write-loss', false, '4 of 1200 acknowledged writes lost (max 0)')],
      },
    );
    for (const stat of GATE_STATS) {
      const gate = gateScenario(trials, SLO, stat);
      expect(gate.verdict, stat).toBe('fail');
      expect(gate.message, stat).toBe(`trial 2 write-loss: 4 of 1200 acknowledged writes lost (max 0)`);
    }
  });

  it('fails when a trial saw no failover at all, even where the statistic would outvote it', () => {
    const trials = [...failoverTrials(6000, 6100, 6200), trial(4, { failover_ms: null, sentinel_failover_ms: null })];
    const gate = gateScenario(trials, SLO, 'median');
    expect(gate.verdict).toBe('fail');
    expect(gate.message).toBe('trial 4: no failover observed (failover_ms, sentinel_failover_ms not measured)');
  });

  it('fails a trial that failed without a failing check', () => {
    const trials = [trial(1, { failover_ms: 6000, sentinel_failover_ms: 5900 }, { verdict: 'fail', message: 'replica never rejoined' })];
    expect(gateScenario(trials, SLO)).toMatchObject({ verdict: 'fail', message: 'trial 1 failed: replica never rejoined' });
  });

  it('is unknown when a trial is unknown and nothing failed; fail wins over unknown', () => {
    const unknown = trial(2, {}, { checks: [], verdict: 'unknown', message: 'lost contact with all sentinels' });
    const gate = gateScenario([...failoverTrials(6000), unknown], SLO);
    expect(gate.verdict).toBe('unknown');
    expect(gate.message).toMatch(/^trial 2 outcome unknown: lost contact with all sentinels; max failover_ms 6000 ms/);
    expect(gateScenario([...failoverTrials(12_000), unknown], SLO).verdict).toBe('fail');
  });

  it('leaves skipped trials out, and has no verdict without trials', () => {
    const skipped = trial(2, {}, { checks: [], verdict: 'skipped' });
    expect(gateScenario([...failoverTrials(6000), skipped], SLO).verdict).toBe('pass');
    expect(gateScenario([skipped], SLO)).toMatchObject({ verdict: 'skipped', message: 'the trial was skipped' });
    expect(gateScenario([skipped, { ...skipped, index: 3 }], SLO)).toMatchObject({ verdict: 'skipped', message: 'all 2 trials were skipped' });
    expect(gateScenario([], SLO)).toMatchObject({ verdict: 'unknown', message: 'no trial ran' });
  });

  it('judges a scenario that expects no failover on its other checks only', () => {
    const trials = [trial(1, { writes_lost: 0, outage_ms: 20 }, { checks: [check('write-loss'), check('no-failover')] })];
    expect(gateScenario(trials, SLO)).toMatchObject({ verdict: 'pass', message: 'no failover expected; the trial passed its checks' });
  });
});

describe('lostElections', () => {
  const lost = trial(
    2,
    { failover_ms: 9800, sentinel_failover_ms: 9700, lost_election: 1 },
    {
      checks: [check('failover-time'), check('failover-phases', true, 'lost election: 2 +try-failover, 1 -failover-abort-not-elected; +sdown 5050 ms')],
    },
  );

  it('reports a trial with lost_election = 1 with the reason, and nothing otherwise', () => {
    expect(lostElections(lost)).toBe('trial 2 lost a Sentinel election (2 +try-failover, 1 -failover-abort-not-elected); its failover took 9800 ms');
    expect(lostElections(trial(1, { failover_ms: 6000, lost_election: 0 }))).toBeNull();
    expect(lostElections(trial(1, { failover_ms: 6000 }))).toBeNull();
  });

  it('is a finding of its own in the gate: the verdict stands, the message and findings carry it', () => {
    const trials = [...failoverTrials(6000, 6100), lost];
    trials[2]!.index = 3;
    const gate = gateScenario(trials, SLO, 'median');
    expect(gate.verdict).toBe('pass');
    expect(gate.findings).toEqual([expect.stringMatching(/^trial 3 lost a Sentinel election/)]);
    expect(gate.message).toMatch(/≤ 10000 ms over 3 trials; trial 3 lost a Sentinel election/);
  });
});

describe('gateSummary', () => {
  it('keeps the timing over the bound and counts the other failures, which are listed elsewhere', () => {
    const trials = failoverTrials(6000, 12_000);
    trials[0] = trial(
      1,
      { failover_ms: 6000, sentinel_failover_ms: 5980, writes_lost: 2 },
      {
        checks: [check('failover-time'), check('write-loss', false, '2 lost'), check('rejoin', false, 'never rejoined')],
      },
    );
    expect(gateSummary(gateScenario(trials, SLO))).toBe(
      'expected max failover_ms ≤ 10000 ms, observed 12000 ms over 2 trials (trial 2 over the bound); ' +
        'expected max sentinel_failover_ms ≤ 10000 ms, observed 11980 ms over 2 trials (trial 2 over the bound); ' +
        '2 other failures (trials listed below)',
    );
  });

  it('is the timing when passing and the whole message when unknown', () => {
    expect(gateSummary(gateScenario(failoverTrials(6000), SLO))).toBe(
      'max failover_ms 6000 ms ≤ 10000 ms over 1 trial; max sentinel_failover_ms 5980 ms ≤ 10000 ms over 1 trial',
    );
    expect(gateSummary(gateScenario([], SLO))).toBe('no trial ran');
  });
});
