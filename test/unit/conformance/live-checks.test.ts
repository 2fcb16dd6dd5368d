// Live checks judged from hand-built snapshots: a healthy deployment passes every check; each fault fails exactly its checks.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { liveChecksFromSnapshot, liveExpectations, type LiveSnapshot, type RedisSnapshot, type SentinelSnapshot } from '../../../src/conformance/live.ts';

const BUNDLED = path.resolve(import.meta.dirname, '../../../manifests');
const pods = [0, 1, 2].map((i) => ({ name: `redis-${i}`, redis: `127.0.9.${i + 1}:6379`, host: `127.0.9.${i + 1}` }));
const ok = <T>(value: T) => ({ ok: true as const, value });

function healthy(): LiveSnapshot {
  const redis: RedisSnapshot[] = pods.map((p, i) => ({
    pod: p.name,
    address: p.redis,
    replication: ok<Record<string, string>>(
      i === 0
        ? {
            role: 'master',
            connected_slaves: '2',
            slave0: 'ip=127.0.9.2,port=6379,state=online,offset=10,lag=0',
            slave1: 'ip=127.0.9.3,port=6379,state=online,offset=10,lag=0',
          }
        : { role: 'slave', master_host: '127.0.9.1', master_port: '6379', master_link_status: 'up' },
    ),
    config: ok({ appendonly: 'yes', appendfsync: 'everysec', save: '', maxmemory: '2147483648', 'maxmemory-policy': 'allkeys-lru' }),
    requirepass: ok('equal' as const),
    masterauth: ok('equal' as const),
    unauthenticatedPing: 'NOAUTH Authentication required.',
    wrongPasswordAuth: 'WRONGPASS invalid username-password pair or user is disabled.',
  }));
  const sentinels: SentinelSnapshot[] = pods.map((p) => ({
    pod: p.name,
    address: p.redis.replace('6379', '26379'),
    getMasterAddr: ok('127.0.9.1:6379'),
    masters: ok([
      {
        name: 'mymaster',
        ip: '127.0.9.1',
        port: '6379',
        flags: 'master',
        'config-epoch': '0',
        quorum: '2',
        'down-after-milliseconds': '1500',
        'failover-timeout': '10000',
        'parallel-syncs': '1',
      },
    ]),
    sentinels: ok(pods.filter((x) => x !== p).map((x) => ({ ip: x.host, port: '26379', flags: 'sentinel' }))),
    replicas: ok(pods.slice(1).map((x) => ({ ip: x.host, port: '6379', flags: 'slave', 'master-link-status': 'ok' }))),
    ckquorum: 'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
    tilt: ok('0'),
  }));
  return { masterName: 'mymaster', pods, redis, sentinels };
}

const failing = (s: LiveSnapshot, exp: ReturnType<typeof liveExpectations>) =>
  liveChecksFromSnapshot(s, exp)
    .filter((c) => c.valid !== true)
    .map((c) => c.name)
    .sort();

describe('liveChecksFromSnapshot', async () => {
  const model = await loadDeployment(BUNDLED);
  const exp = liveExpectations(model, { sentinel: { 'down-after-milliseconds': '1500' } });

  it('passes every check on a healthy deployment, and holds down-after to the explicit override', () => {
    const checks = liveChecksFromSnapshot(healthy(), exp);
    expect(checks.filter((c) => c.valid !== true).map((c) => `${c.name}: ${c.observed}`)).toEqual([]);
    expect(checks.length).toBe(24);
    expect(checks.find((c) => c.name === 'config.sentinel.down-after-milliseconds')?.expected).toBe('1500 (explicit override; the seed design says 5000)');
  });

  it("under ACL users (secure profile): requirepass must be empty and masterauth the replication user's", () => {
    const acl = { ...healthy(), aclUsers: true };
    acl.redis = acl.redis.map((r) => ({ ...r, requirepass: ok('empty' as const) }));
    expect(failing(acl, exp)).toEqual([]);
    expect(liveChecksFromSnapshot(acl, exp).find((c) => c.name === 'config.redis.masterauth')?.expected).toMatch(/replication user's password/);
    // The seed's requirepass left set under ACLs, and a replica whose masterauth is not the replication user's: both caught.
    const leftover = { ...healthy(), aclUsers: true };
    leftover.redis = leftover.redis.map((r, i) => ({ ...r, masterauth: ok(i === 1 ? ('different' as const) : ('equal' as const)) }));
    expect(failing(leftover, exp)).toEqual(['config.redis.masterauth', 'config.redis.requirepass']);
  });

  it('without the override, the running 1500 ms departs from the manifests and the seed', () => {
    const c = liveChecksFromSnapshot(healthy(), liveExpectations(model)).find((x) => x.name === 'config.sentinel.down-after-milliseconds')!;
    expect(c.valid).toBe(false);
    expect(c.explanation).toContain('do not run what the manifests declare (5000)');
  });

  it('a replica that left and a sentinel that disagrees fail their checks and nothing else', () => {
    const s = healthy();
    const master = s.redis[0]!.replication;
    if (master.ok) {
      master.value.connected_slaves = '1';
      delete master.value.slave1;
    }
    s.redis[2]!.replication = ok({ role: 'master' });
    s.sentinels[2]!.getMasterAddr = ok('127.0.9.3:6379');
    expect(failing(s, exp)).toEqual(
      [
        'replication.connected-replicas',
        'replication.replicas-follow-master',
        'replication.replicas-online',
        'replication.master-role',
        'sentinel.agree-master',
        'sentinel.masters',
      ].sort(),
    );
  });

  it('TILT, NOQUORUM, a wrong parameter and a missing masterauth fail exactly their checks', () => {
    const s = healthy();
    s.sentinels[1]!.tilt = ok('1');
    s.sentinels[0]!.ckquorum = 'NOQUORUM 1 usable Sentinels.';
    s.redis[1]!.config = ok({ ...(s.redis[1]!.config as { value: Record<string, string> }).value, appendonly: 'no' });
    s.redis[2]!.masterauth = ok('empty' as const);
    s.redis[0]!.unauthenticatedPing = 'PONG';
    const checks = liveChecksFromSnapshot(s, exp);
    expect(
      checks
        .filter((c) => c.valid !== true)
        .map((c) => c.name)
        .sort(),
    ).toEqual(['auth.unauthenticated-refused', 'config.redis.appendonly', 'config.redis.masterauth', 'sentinel.ckquorum', 'sentinel.no-tilt']);
    expect(checks.find((c) => c.name === 'config.redis.appendonly')?.observed).toBe('redis-0: yes; redis-1: no; redis-2: yes');
    expect(checks.find((c) => c.name === 'config.redis.masterauth')?.observed).toBe(
      'redis-0: set, equal to the Secret; redis-1: set, equal to the Secret; redis-2: empty',
    );
  });

  it('a manifest that departs from the seed fails even when the processes run it faithfully', () => {
    const s = healthy();
    for (const r of s.redis) if (r.config.ok) r.config.value.maxmemory = String(1024 ** 3);
    const departed = { ...exp, redis: { ...exp.redis, maxmemory: { seed: '2gb', manifest: '1gb' } } };
    const c = liveChecksFromSnapshot(s, departed).find((x) => x.name === 'config.redis.maxmemory')!;
    expect(c.valid).toBe(false);
    expect(c.expected).toBe('2gb (seed design; the manifests declare 1gb)');
    expect(c.explanation).toContain('The manifests declare 1gb where the seed design says 2gb.');
  });

  it('an unreachable sentinel fails the checks that need it, with its error', () => {
    const s = healthy();
    s.sentinels[2] = {
      ...s.sentinels[2]!,
      getMasterAddr: { ok: false, error: 'connect ECONNREFUSED' },
      masters: { ok: false, error: 'connect ECONNREFUSED' },
      sentinels: { ok: false, error: 'x' },
      replicas: { ok: false, error: 'x' },
      ckquorum: 'connect ECONNREFUSED',
      tilt: { ok: false, error: 'x' },
    };
    const checks = liveChecksFromSnapshot(s, exp);
    expect(checks.find((c) => c.name === 'sentinel.agree-master')?.observed).toContain('redis-2: (error: connect ECONNREFUSED)');
    expect(checks.find((c) => c.name === 'config.sentinel.quorum')?.valid).toBe(false);
  });
});
