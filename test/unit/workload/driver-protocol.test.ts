// The driver protocol's parser: valid lines become Ops on the run clock; anything else is rejected naming the driver and line.
import { describe, expect, it } from 'vitest';
import { DriverProtocolError, parseDriverLine, writeOps, type DriverOp } from '../../../src/workload/drivers/protocol.ts';

const ORIGIN = 1_000_000_000_000n;
const ctx = (lineNo = 3) => ({ driver: 'redis-py', lineNo, originHrtimeNs: ORIGIN, nowNs: 60e9 });
const parse = (o: unknown, lineNo = 3) => parseDriverLine(typeof o === 'string' ? o : JSON.stringify(o), ctx(lineNo));
const rejects = (o: unknown, why: RegExp) => {
  let err: unknown;
  try {
    parse(o, 7);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DriverProtocolError);
  const e = err as DriverProtocolError;
  expect(e.message).toMatch(/^driver "redis-py" line 7: /);
  expect(e.why).toMatch(why);
  expect(e.code).toBe('PROCESS_FAILED');
  expect(e.lineNo).toBe(7);
};

describe('parseDriverLine', () => {
  it('turns an op into an Op on the run clock (CLOCK_MONOTONIC ns minus the origin), as a number or a digit string', () => {
    expect(parse({ type: 'invoke', f: 'write', key: 'k:1', ns: 1_000_500_000_000 })).toEqual({
      kind: 'op',
      op: { process: 'redis-py', type: 'invoke', f: 'write', key: 'k:1', ns: 500_000_000 },
    });
    const big = (ORIGIN + 2_000_000_123n).toString();
    expect(parse({ type: 'ok', f: 'write', key: 'k:1', ns: big, node: '127.0.103.2:6379', late: true, process: 'worker-2' })).toEqual({
      kind: 'op',
      op: { process: 'worker-2', type: 'ok', f: 'write', key: 'k:1', ns: 2_000_000_123, node: '127.0.103.2:6379', late: true },
    });
    const fail = parse({ type: 'fail', f: 'write', key: 'k:2', ns: 1_000_600_000_000, error: 'READONLY x', extra: 1 });
    expect(fail).toEqual({
      kind: 'op',
      op: { process: 'redis-py', type: 'fail', f: 'write', key: 'k:2', ns: 600_000_000, error: 'READONLY x' },
    });
  });

  it('keeps the value a session write wrote or a read read (null: the key was missing)', () => {
    expect(parse({ type: 'invoke', f: 'setex', key: 's:1', ns: 1_000_000_000_010, value: '42' })).toMatchObject({ op: { f: 'setex', value: '42' } });
    expect(parse({ type: 'ok', f: 'replica-read', key: 's:1', ns: 1_000_000_000_020, value: null })).toMatchObject({ op: { value: null } });
    expect('value' in (parse({ type: 'ok', f: 'read', key: 's:1', ns: 1_000_000_000_020 }) as { op: object }).op).toBe(false);
    rejects({ type: 'ok', f: 'read', key: 'k', ns: 1_000_000_000_001, value: 7 }, /"value"/);
  });

  it('reads hello and bye lines', () => {
    expect(parse({ hello: { client: 'redis-py', version: '4.3.4', python: '3.11.2' } })).toEqual({
      kind: 'hello',
      hello: { client: 'redis-py', version: '4.3.4', python: '3.11.2' },
    });
    expect(parse({ bye: { skipped: 4 } })).toEqual({ kind: 'bye', bye: { skipped: 4 } });
  });

  it('rejects malformed lines, naming the driver, the line number and what is wrong', () => {
    rejects('{"type":"ok"', /not JSON/);
    rejects('[1,2]', /not a JSON object/);
    rejects({ type: 'done', f: 'write', key: 'k', ns: 1_000_000_000_001 }, /"type"/);
    rejects({ type: 'ok', key: 'k', ns: 1_000_000_000_001 }, /"f"/);
    rejects({ type: 'ok', f: 'write', key: '', ns: 1_000_000_000_001 }, /"key"/);
    rejects({ type: 'ok', f: 'write', key: 'k', ns: 1.5 }, /"ns" must be/);
    rejects({ type: 'ok', f: 'write', key: 'k', ns: -1 }, /"ns" must be/);
    rejects({ type: 'ok', f: 'write', key: 'k', ns: 5 }, /before the run clock started/);
    // Wall-clock nanoseconds (CLOCK_REALTIME) are far ahead of the monotonic clock.
    rejects({ type: 'ok', f: 'write', key: 'k', ns: '1765036800000000000' }, /ahead of the harness clock/);
    rejects({ type: 'ok', f: 'write', key: 'k', ns: 1_000_000_000_001, node: 'nowhere' }, /"node"/);
    rejects({ type: 'info', f: 'write', key: 'k', ns: 1_000_000_000_001, late: true }, /"late"/);
    rejects({ type: 'fail', f: 'write', key: 'k', ns: 1_000_000_000_001, error: 42 }, /"error"/);
    rejects({ hello: { client: 'x' } }, /"hello"/);
    rejects({ bye: { skipped: -1 } }, /skipped/);
    rejects('x'.repeat(70_000), /longer than/);
  });

  it('shows a long offending line shortened', () => {
    try {
      parse(`{"type":"bogus","pad":"${'y'.repeat(500)}"}`);
      expect.unreachable();
    } catch (e) {
      expect((e as DriverProtocolError).line.length).toBeLessThanOrEqual(201);
    }
  });

  it('keeps only the writes for the checkers', () => {
    const ops: DriverOp[] = [
      { process: 'd', type: 'invoke', f: 'write', key: 'a', ns: 1 },
      { process: 'd', type: 'invoke', f: 'read', key: 'a', ns: 2 },
      { process: 'd', type: 'ok', f: 'write', key: 'a', ns: 3 },
    ];
    expect(writeOps(ops).map((o) => o.ns)).toEqual([1, 3]);
  });
});
