// A workload that reports session reads gets a `<name>.reads` check beside its write checks (no redis: an exec driver replays a history).
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import type { TrialInput } from '../../../src/model/check.ts';
import { TrialWorkloads, type WorkloadExpect } from '../../../src/runner/workloads.ts';

/** A driver that writes once and runs one session step whose master-path read returns the older value (a read-your-writes violation), then waits for stdin to close. */
const SCRIPT = `
import json, sys, time
out = lambda o: print(json.dumps(o), flush=True)
t = time.monotonic_ns
out({"hello": {"client": "replay", "version": "1"}})
out({"type": "invoke", "f": "write", "key": "w:0", "ns": t()}); out({"type": "ok", "f": "write", "key": "w:0", "ns": t()})
for v in ("1", "2"):
    out({"type": "invoke", "f": "setex", "key": "s:0", "ns": t(), "value": v}); out({"type": "ok", "f": "setex", "key": "s:0", "ns": t()})
    out({"type": "invoke", "f": "read", "key": "s:0", "ns": t()}); out({"type": "ok", "f": "read", "key": "s:0", "ns": t(), "value": "1"})
    out({"type": "invoke", "f": "replica-read", "key": "s:0", "ns": t()}); out({"type": "ok", "f": "replica-read", "key": "s:0", "ns": t(), "value": None})
sys.stdin.read()
`;

const EXPECT: WorkloadExpect = { failover: false, failoverMs: 10_000, maxLostWrites: 0, acceptLossFromOldMaster: false };

describe('TrialWorkloads with session reads', () => {
  it('adds <name>.reads, failing on the master-path violation and counting the stale replica reads', async () => {
    const clock = createClock();
    const w = new TrialWorkloads([{ kind: 'exec', name: 'replay', command: ['/usr/bin/python3', '-c', SCRIPT] }]);
    await w.start(() => ({ sentinels: [], masterName: 'mymaster', password: 'pw', clock, keyPrefix: 'p', rateHz: 10, timeoutMs: 200, durationMs: 5000 }));
    const until = Date.now() + 5000;
    while (Date.now() < until && !/1 acknowledged/.test(w.describe())) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    await w.stop();
    w.readBack = { ns: clock.nowNs(), present: new Set(['w:0']), node: '127.0.0.1:6379' };
    const input: TrialInput = { history: [], events: [], readBack: null, faultNs: null, oldMaster: null, masterName: 'mymaster' };
    const checks = w.checks(input, EXPECT, null);
    const reads = checks.find((c) => c.name === 'replay.reads')!;
    expect(reads.valid).toBe(false);
    expect(reads.figures['replay.ryw_violations']).toBe(1);
    expect(reads.figures['replay.stale_replica_reads']).toBe(2);
    expect(reads.explanation).toMatch(/^replay 1: 1 read-your-writes violation/);
    expect(checks.find((c) => c.name === 'replay.write-loss')?.valid).toBe(true);
  });

  it('adds no reads check for a workload whose reads carry no session (the Django driver reads without values)', async () => {
    const clock = createClock();
    const script = [
      'import json, sys, time',
      'out = lambda o: print(json.dumps(o), flush=True)',
      'out({"type": "invoke", "f": "write", "key": "w:0", "ns": time.monotonic_ns()}); out({"type": "ok", "f": "write", "key": "w:0", "ns": time.monotonic_ns()})',
      'out({"type": "invoke", "f": "read", "key": "w:0", "ns": time.monotonic_ns()}); out({"type": "ok", "f": "read", "key": "w:0", "ns": time.monotonic_ns()})',
      'sys.stdin.read()',
    ].join('\n');
    const w = new TrialWorkloads([{ kind: 'exec', name: 'django', command: ['/usr/bin/python3', '-c', script] }]);
    await w.start(() => ({ sentinels: [], masterName: 'mymaster', password: 'pw', clock, keyPrefix: 'p', rateHz: 10, timeoutMs: 200, durationMs: 5000 }));
    await new Promise((r) => setTimeout(r, 500));
    await w.stop();
    w.readBack = { ns: clock.nowNs(), present: new Set(['w:0']), node: '127.0.0.1:6379' };
    const input: TrialInput = { history: [], events: [], readBack: null, faultNs: null, oldMaster: null, masterName: 'mymaster' };
    const names = w.checks(input, EXPECT, null).map((c) => c.name);
    expect(w.describe()).toMatch(/1 acknowledged/);
    expect(names).toContain('django.write-loss');
    expect(names).not.toContain('django.reads');
  });
});
