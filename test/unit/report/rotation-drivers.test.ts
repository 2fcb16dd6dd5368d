// bench/rotation-drivers.ts: a rotation run's writes per workload, split at the fault's inject and the master's kill.
import { describe, expect, it } from 'vitest';
import { driverRotationRows, rotationBounds } from '../../../bench/rotation-drivers.ts';
import type { Op } from '../../../src/model/history.ts';

const events = [
  { ns: 5, kind: 'phase', type: 'workload-start' },
  { ns: 10, kind: 'fault', type: 'inject', detail: 'rotate ACL passwords of synapse' },
  { ns: 15, kind: 'fault', type: 'rotate', detail: 'old password removed' },
  { ns: 20, kind: 'fault', type: 'inject', detail: 'kill-pod redis-0 (master)' },
];
const op = (process: string, type: Op['type'], ns: number, error?: string): Op => ({
  process,
  type,
  f: 'write',
  key: `${process}:${ns}`,
  ns,
  ...(error ? { error } : {}),
});

describe('rotation figures per driver', () => {
  it('counts from the first inject, splits at the kill, and counts refused logins', () => {
    const ops = [
      op('ioredis', 'ok', 9),
      op('ioredis', 'invoke', 11),
      op('ioredis', 'ok', 11),
      op('ioredis', 'info', 12, 'no reply within 1000 ms (client timeout)'),
      op('ioredis', 'fail', 21, 'WRONGPASS invalid username-password pair or user is disabled.'),
      op('ioredis', 'fail', 22, 'WRONGPASS invalid username-password pair or user is disabled.'),
      op('redis-py', 'ok', 25),
    ];
    expect(driverRotationRows(ops, events)).toEqual([
      {
        process: 'ioredis',
        rotation: { ok: 1, fail: 0, info: 1 },
        afterKill: { ok: 0, fail: 2, info: 0 },
        refusedLogins: 2,
        errors: [
          ['WRONGPASS invalid username-password pair or user is disabled.', 2],
          ['no reply within N ms (client timeout)', 1],
        ],
      },
      { process: 'redis-py', rotation: { ok: 0, fail: 0, info: 0 }, afterKill: { ok: 1, fail: 0, info: 0 }, refusedLogins: 0, errors: [] },
    ]);
  });

  it('without a kill everything from the inject is the rotation; without an inject it says so', () => {
    expect(rotationBounds(events.slice(0, 3))).toEqual({ startNs: 10, killNs: Infinity });
    expect(() => rotationBounds([])).toThrow(/no fault inject/);
  });
});
