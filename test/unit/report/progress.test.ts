// Progress output: key=value lines for CI, one throttled status line on a terminal.
import { describe, expect, it } from 'vitest';
import { createProgress, logfmt, REDRAW_INTERVAL_MS } from '../../../src/report/progress.ts';
import { failoverTrials, journal, scenario, trial } from './builders.ts';

function fakeStream(columns = 100): { stream: NodeJS.WriteStream; out: () => string; writes: () => string[] } {
  const chunks: string[] = [];
  const stream = { columns, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, out: () => chunks.join(''), writes: () => chunks };
}

function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const passed = trial(1, { failover_ms: 6210.1, sentinel_failover_ms: 5893.2, outage_ms: 6300, availability: 0.97, writes_acked: 1873, writes_lost: 0 });
passed.durationMs = 21_433.4;

describe('createProgress, not a TTY', () => {
  it('prints one machine-readable line per event and nothing for write counts', () => {
    const { stream, out } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({ stream, isTTY: false, now: clock.now });
    p.runStart('20261125T183012Z-3f9a', 'local');
    p.scenarioStart('master-kill', 2);
    p.trialStart('master-kill', 1, 2);
    clock.advance(1500);
    p.phase('fault');
    for (let i = 0; i < 500; i++) p.writes(i, 0);
    p.trialEnd(passed);
    const failed = trial(
      2,
      { failover_ms: 17204.9, sentinel_failover_ms: 16890, writes_lost: 4 },
      { message: 'failover took 17204.9 ms; 4 writes lost', warnings: ['x'] },
    );
    p.trialStart('master-kill', 2, 2);
    p.trialEnd(failed);
    const j = journal('20261125T183012Z-3f9a', scenario('master-kill', [passed, failed]));
    p.runEnd(j, '/work/reports/20261125T183012Z-3f9a');
    expect(out().split('\n')).toEqual([
      'event=run_start run=20261125T183012Z-3f9a target=local',
      'event=scenario_start scenario=master-kill trials=2',
      'event=trial_start scenario=master-kill trial=1 of=2',
      'event=phase scenario=master-kill trial=1 phase=fault elapsed_ms=1500',
      'event=trial_end scenario=master-kill trial=1 of=2 verdict=pass failover_ms=6210.1 sentinel_failover_ms=5893.2 outage_ms=6300 availability=0.97 writes_acked=1873 writes_lost=0 duration_ms=21433',
      'event=trial_start scenario=master-kill trial=2 of=2',
      'event=trial_end scenario=master-kill trial=2 of=2 verdict=fail failover_ms=17204.9 sentinel_failover_ms=16890 writes_lost=4 duration_ms=20000 warnings=1 message="failover took 17204.9 ms; 4 writes lost"',
      'event=run_end run=20261125T183012Z-3f9a verdict=fail trials=2 passed=1 failed=1 unknown=0 skipped=0 duration_ms=57867 report=/work/reports/20261125T183012Z-3f9a',
      '',
    ]);
    expect(out()).not.toContain('\r');
    expect(out()).not.toContain('\x1b');
  });

  it('quotes values that are not plain tokens, so every line splits into key=value pairs', () => {
    expect(logfmt('master-kill')).toBe('master-kill');
    expect(logfmt(6210.1)).toBe('6210.1');
    expect(logfmt(Number.NaN)).toBe('n/a');
    expect(logfmt('')).toBe('""');
    expect(logfmt('a b')).toBe('"a b"');
    expect(logfmt('k=v')).toBe('"k=v"');
    expect(logfmt('say "hi"\nnext')).toBe('"say \\"hi\\"\\nnext"');
    expect(logfmt('csi\u009b31m')).toBe('"csi\\u009b31m"');
    const { stream, out } = fakeStream();
    const p = createProgress({ stream, isTTY: false });
    p.scenarioStart('evil scenario=x\n\u001b[2J', 1);
    const line = out();
    expect(line.split('\n')).toHaveLength(2);
    expect(line).not.toContain('\u001b');
    expect(line).toBe('event=scenario_start scenario="evil scenario=x\\n\\u001b[2J" trials=1\n');
  });
});

describe('createProgress, TTY', () => {
  it('keeps one status line redrawn in place, with permanent lines above it', () => {
    const { stream, out } = fakeStream(120);
    const clock = fakeClock();
    const p = createProgress({ stream, isTTY: true, now: clock.now });
    p.runStart('20261125T183012Z-3f9a', 'local');
    p.scenarioStart('master-kill', 2);
    p.trialStart('master-kill', 1, 2);
    clock.advance(2500);
    p.phase('fault');
    p.writes(300, 0); // within 100 ms of the last redraw: counted, not drawn
    clock.advance(100);
    p.writes(351, 2);
    p.trialEnd(passed);
    const text = out();
    expect(text).toContain('sentinel-chaos run 20261125T183012Z-3f9a on target local\n');
    expect(text).toContain('master-kill: 2 trials\n');
    expect(text).toContain('\r\x1b[2K▶ master-kill  ·  trial 1/2  ·  fault  ·  2.5 s  ·  writes ok 0 failed 0');
    expect(text).not.toContain('writes ok 300');
    expect(text).toContain('\r\x1b[2K▶ master-kill  ·  trial 1/2  ·  fault  ·  2.6 s  ·  writes ok 351 failed 2');
    // The status line is cleared before the trial's permanent line.
    expect(text.endsWith('\r\x1b[2K  ✓ trial 1 PASS · failover 6210.1 ms (Sentinel 5893.2 ms) · 1873 writes acked, 0 lost\n')).toBe(true);
  });

  it('redraws for write counts at most every 100 ms', () => {
    const { stream, writes } = fakeStream();
    const clock = fakeClock();
    const p = createProgress({ stream, isTTY: true, now: clock.now });
    p.trialStart('master-kill', 1, 1);
    const before = writes().length;
    for (let i = 0; i < 1000; i++) {
      p.writes(i, 0);
      clock.advance(1); // 1000 calls over one second
    }
    const redraws = writes().length - before;
    expect(REDRAW_INTERVAL_MS).toBe(100);
    expect(redraws).toBeGreaterThanOrEqual(9);
    expect(redraws).toBeLessThanOrEqual(10);
  });

  it('cuts the status line to the terminal width so it never wraps', () => {
    const { stream, writes } = fakeStream(40);
    const p = createProgress({ stream, isTTY: true, now: fakeClock().now });
    p.trialStart('a-scenario-with-a-very-long-name', 12, 20);
    const status = writes().at(-1)!;
    expect(status.startsWith('\r\x1b[2K')).toBe(true);
    expect([...status.slice('\r\x1b[2K'.length)]).toHaveLength(39);
    expect(status.endsWith('…')).toBe(true);
  });

  it('prints the verdict and the report directory at the end, with warnings under their trial', () => {
    const { stream, out } = fakeStream();
    const p = createProgress({ stream, isTTY: true, now: fakeClock().now });
    p.trialStart('master-kill', 1, 1);
    p.trialEnd(
      trial(
        1,
        { failover_ms: 2273.3, sentinel_failover_ms: 2299.5, writes_acked: 351, writes_lost: 0 },
        { warnings: ['failover 2273.3 ms is outside the expected band 5000-10000 ms'] },
      ),
    );
    p.runEnd(journal('r1', scenario('master-kill', failoverTrials(2273.3))), '/work/reports/r1');
    expect(out()).toContain(
      '  ✓ trial 1 PASS · failover 2273.3 ms (Sentinel 2299.5 ms) · 351 writes acked, 0 lost\n    ! failover 2273.3 ms is outside the expected band 5000-10000 ms\n',
    );
    expect(out().endsWith('verdict: PASS — 1/1 trials passed in 57.9 s; reports in /work/reports/r1\n')).toBe(true);
  });

  it('strips control characters from names so nothing reaches the terminal as an escape sequence', () => {
    const { stream, out } = fakeStream();
    const p = createProgress({ stream, isTTY: true, now: fakeClock().now });
    p.scenarioStart('evil\u001b]0;title\u0007name', 1);
    expect(out()).toBe('evil ]0;title name: 1 trial\n');
  });
});
