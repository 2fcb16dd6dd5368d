// metrics.prom: every trial's figures as OpenMetrics text with the run's labels.
import { describe, expect, it } from 'vitest';
import { checkPushUrl, metricName, pushUrl, renderOpenMetrics } from '../../../src/report/metrics.ts';
import { sampleJournal } from './sample-journal.ts';

describe('renderOpenMetrics', () => {
  it('one gauge family per figure, a sample per trial with scenario, target, profile, redis version, run id and trial', () => {
    const text = renderOpenMetrics(sampleJournal());
    const labels = (trial: number) =>
      `scenario="master-kill",target="local",profile="seed",redis_version="8.2.1",run_id="20261125T183012Z-3f9a",trial="${trial}"`;
    expect(text).toContain('# TYPE sentinel_chaos_failover_ms gauge\n# HELP sentinel_chaos_failover_ms Client-observed failover time');
    expect(text).toContain(`sentinel_chaos_failover_ms{${labels(1)}} 6211.4\nsentinel_chaos_failover_ms{${labels(2)}} 17204.9\n`);
    expect(text).toContain(`sentinel_chaos_writes_lost{${labels(2)}} 4\n`);
    expect(text).toContain(`sentinel_chaos_trial_passed{${labels(1)}} 1\nsentinel_chaos_trial_passed{${labels(2)}} 0\n`);
    // A figure never measured (null) has no sample; the text ends with # EOF.
    expect(text).not.toContain('replica_lag_ms{');
    expect(text.endsWith('# EOF\n')).toBe(true);
    // Each family's samples are contiguous, after its TYPE and HELP.
    const names = text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('{')[0]);
    expect(names).toEqual([...names].sort());
  });

  it('a profile run: the scenario without its @profile suffix, the profile as a label; label values escaped', () => {
    const j = sampleJournal();
    j.scenarios[0]!.name = 'master-kill@hardened';
    j.scenarios[0]!.profile = 'hardened';
    j.target.name = 'loc"al\\x';
    const text = renderOpenMetrics(j);
    expect(text).toContain('{scenario="master-kill",target="loc\\"al\\\\x",profile="hardened",');
  });

  it('metric names and the push URL', () => {
    expect(metricName('writes-lost.old')).toBe('sentinel_chaos_writes_lost_old');
    expect(pushUrl('http://127.0.0.1:9091/', 'r1')).toBe('http://127.0.0.1:9091/metrics/job/sentinel-chaos/run_id/r1');
    expect(checkPushUrl('http://127.0.0.1:9091')).toBeNull();
    expect(checkPushUrl('ftp://x')).toBe('--push ftp://x: not an http(s) URL');
    expect(checkPushUrl('nope')).toContain('--push nope: not a URL');
  });
});
