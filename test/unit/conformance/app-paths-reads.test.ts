// The app-path reads check on hand-built driver histories: sessions read back on the master path and from replicas, and Django's own sessions.
import { describe, expect, it } from 'vitest';
import { appReadsCheck, djangoSessionReadOps } from '../../../src/conformance/app-paths-reads.ts';
import type { DriverOp } from '../../../src/workload/drivers/protocol.ts';

const MS = 1e6;
const OLD = '127.0.9.1:6379';
const NEW = '127.0.9.2:6379';
const FAULT = { faultNs: 1000 * MS, oldMaster: OLD };
const op = (type: DriverOp['type'], f: string, key: string, atMs: number, extra: Partial<DriverOp> = {}): DriverOp => ({
  process: 'synapse',
  type,
  f,
  key,
  ns: atMs * MS,
  ...extra,
});
/** One session step: SETEX key value, then GET on the master path reading `read`, then (optionally) a replica read. */
const step = (key: string, atMs: number, value: string, read: string | null, node: string, replica?: string | null): DriverOp[] => [
  op('invoke', 'setex', key, atMs, { value }),
  op('ok', 'setex', key, atMs + 2, { node }),
  op('invoke', 'read', key, atMs + 3),
  op('ok', 'read', key, atMs + 4, { value: read, node }),
  ...(replica === undefined ? [] : [op('invoke', 'replica-read', key, atMs + 5), op('ok', 'replica-read', key, atMs + 6, { value: replica })]),
];
const client = { name: 'synapse', library: 'redis-py 4.3.4', how: 'plain client', mode: 'sessions' as const };

describe('appReadsCheck', () => {
  it('passes when every master-path read sees its session’s last write, before and after the master kill', () => {
    const h = [...step('s:0', 100, '1', '1', OLD, '1'), ...step('s:0', 500, '2', '2', OLD, '2'), ...step('s:0', 2500, '3', '3', NEW, '3')];
    const c = appReadsCheck(client, h, FAULT);
    expect(c).toMatchObject({ name: 'synapse.reads', group: 'app-paths', valid: true });
    expect(c.figures).toMatchObject({ master_reads: 3, ryw_violations: 0, replica_reads: 3, stale_replica_reads: 0 });
    expect(c.observed).toContain('redis-py 4.3.4: 0 read-your-writes violation(s)');
  });

  it('fails on a read-your-writes violation on the master path after the failover (the new master answers an older value)', () => {
    // Written 3 on the new master after the fault and acknowledged, then read back as 2.
    const h = [...step('s:0', 500, '2', '2', OLD), ...step('s:0', 2500, '3', '2', NEW)];
    const c = appReadsCheck(client, h, FAULT);
    expect(c.valid).toBe(false);
    expect(c.figures).toMatchObject({ ryw_violations: 1, ryw_violations_across_fault: 0 });
    expect(c.observed).toContain('1 read-your-writes violation(s) (0 across the fault)');
  });

  it('reports, and accepts, a write acknowledged before the kill and missing after it (the old master took it along)', () => {
    const h = [...step('s:1', 900, '7', '7', OLD), op('invoke', 'read', 's:1', 2500), op('ok', 'read', 's:1', 2501, { value: null, node: NEW })];
    const c = appReadsCheck(client, h, FAULT);
    expect(c.valid).toBe(true);
    expect(c.figures).toMatchObject({ ryw_violations: 1, ryw_violations_across_fault: 1, ryw_violations_missing: 1 });
  });

  it('counts stale replica reads without failing on them', () => {
    const h = [...step('s:2', 100, '1', '1', OLD, '1'), ...step('s:2', 300, '2', '2', OLD, '1'), ...step('s:2', 600, '3', '3', OLD, null)];
    const c = appReadsCheck({ ...client, name: 'redis-py-sentinel' }, h, FAULT);
    expect(c.valid).toBe(true);
    expect(c.figures).toMatchObject({ replica_reads: 3, stale_replica_reads: 2, stale_replica_reads_missing: 1 });
    expect(c.observed).toContain('replicas: 2 stale of 3 (counted)');
  });

  it('is unknown when no read could be judged (none followed an acknowledged write of its session)', () => {
    expect(appReadsCheck(client, [op('invoke', 'setex', 's:3', 100, { value: '1' }), op('info', 'setex', 's:3', 1200)], FAULT).valid).toBe('unknown');
  });
});

describe('djangoSessionReadOps and the django reads check', () => {
  const created = (key: string, atMs: number): DriverOp[] => [op('invoke', 'write', key, atMs), op('ok', 'write', key, atMs + 3, { node: NEW })];
  it('turns a created session into a write of "1", a found read into "1" and "session not found" into a read of nothing', () => {
    const ops = djangoSessionReadOps([
      ...created('django:s1', 100),
      op('invoke', 'read', 'django:s1', 200),
      op('ok', 'read', 'django:s1', 205, { node: NEW }),
      op('invoke', 'update', 'django:s1', 206),
      op('invoke', 'read', 'django:s2', 300),
      op('fail', 'read', 'django:s2', 305, { error: 'session not found' }),
      op('invoke', 'read', 'django:s3', 400),
      op('info', 'read', 'django:s3', 1400, { error: 'no reply' }),
    ]);
    expect(ops.map((o) => [o.type, o.f, o.key, o.value])).toEqual([
      ['invoke', 'setex', 'django:s1', '1'],
      ['ok', 'setex', 'django:s1', undefined],
      ['invoke', 'read', 'django:s1', undefined],
      ['ok', 'read', 'django:s1', '1'],
      ['invoke', 'read', 'django:s2', undefined],
      ['ok', 'read', 'django:s2', null],
      ['invoke', 'read', 'django:s3', undefined],
      ['info', 'read', 'django:s3', undefined],
    ]);
    expect(ops.some((o) => 'error' in o && o.error === 'session not found')).toBe(false);
  });

  it('fails when a session created and acknowledged after the kill is not found on read back', () => {
    const h = [...created('django:s9', 2000), op('invoke', 'read', 'django:s9', 2100), op('fail', 'read', 'django:s9', 2105, { error: 'session not found' })];
    const c = appReadsCheck({ name: 'django-sessions', library: 'django-redis 5.2.0', how: 'Django sessions', mode: 'django' }, h, FAULT);
    expect(c.valid).toBe(false);
    expect(c.figures).toMatchObject({ ryw_violations: 1, ryw_violations_missing: 1, ryw_violations_across_fault: 0 });
    // The same session found passes.
    const found = [...created('django:s9', 2000), op('invoke', 'read', 'django:s9', 2100), op('ok', 'read', 'django:s9', 2105)];
    expect(appReadsCheck({ name: 'django-sessions', library: 'django-redis 5.2.0', how: 'Django sessions', mode: 'django' }, found, FAULT).valid).toBe(true);
  });
});
