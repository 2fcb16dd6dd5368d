// The pod scripts' decisions (redis-scripts ConfigMap), run in sh against a stub redis-cli answering from fixtures.
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, REDIS_PORT, SENTINEL_PORT, scriptSandbox, type Sandbox, type ScriptResult } from '../../support/script-sandbox.ts';

let sb: Sandbox;
const open: Sandbox[] = [];
async function sandbox(pod?: string): Promise<Sandbox> {
  sb = await scriptSandbox(pod);
  open.push(sb);
  return sb;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s[Symbol.asyncDispose]();
});

/** Every result: the password never shows in what a script prints. */
function ok(r: ScriptResult): ScriptResult {
  expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  return r;
}
const failoverCalls = async () => (await sb.calls()).filter((c) => / SENTINEL failover /.test(c));

describe('find_master', () => {
  it('the sentinel with the highest config epoch wins, whichever answers first', async () => {
    for (const [first, second] of [[1, 5], [5, 1]] as const) {
      await sandbox();
      await sb.sentinel('redis-1', { ip: 'redis-1', epoch: first });
      await sb.sentinel('redis-2', { ip: 'redis-2', epoch: second });
      const r = ok(await sb.call('find_master'));
      expect(r.status).toBe(0);
      // The lagging sentinel still advertises its old master: the two disagree, so this is in flux.
      expect(r.stdout.trim()).toBe(`${first > second ? 'redis-1' : 'redis-2'} master,failover_in_progress`);
    }
  });

  it('sentinels that agree: the master and its flags, no failover', async () => {
    await sandbox();
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 3 });
    await sb.sentinel('redis-2', { ip: 'redis-2', epoch: 3 });
    expect(ok(await sb.call('find_master')).stdout).toBe('redis-2 master\n');
  });

  it('never asks this pod\'s own sentinel', async () => {
    await sandbox('redis-1');
    await sb.sentinel('redis-1', { ip: 'redis-1', epoch: 9 });
    await sb.sentinel('redis-0', { ip: 'redis-0', epoch: 2 });
    expect(ok(await sb.call('find_master')).stdout).toBe('redis-0 master\n');
    expect((await sb.calls()).filter((c) => c.includes(` redis-1 ${SENTINEL_PORT} `))).toEqual([]);
  });

  it('a failover leader advertising the promoted replica: failover_in_progress, whatever the epochs say', async () => {
    await sandbox();
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 4, flags: 'master,s_down,o_down' });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 4, flags: 'master,s_down,o_down', advertises: 'redis-1' });
    expect(ok(await sb.call('find_master')).stdout).toBe('redis-0 master,s_down,o_down,failover_in_progress\n');
  });

  it('skips a sentinel that fails, one with no numeric epoch and one without an ip', async () => {
    await sandbox();
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL master mymaster', { fail: 'ERR No such master with that name' });
    await sb.sentinel('redis-2', { ip: 'redis-2', epoch: 'n/a' });
    expect((await sb.call('find_master')).status).toBe(1);
    await sb.sentinel('redis-2', { ip: '', epoch: 7 });
    expect((await sb.call('find_master')).status).toBe(1);
    await sb.sentinel('redis-2', { ip: 'redis-2', epoch: 7 });
    expect(ok(await sb.call('find_master')).stdout).toBe('redis-2 master\n');
  });

  it('no sentinel answers: fails with no output', async () => {
    await sandbox();
    const r = ok(await sb.call('find_master'));
    expect(r).toMatchObject({ status: 1, stdout: '' });
  });

  it('a sentinel that hangs is cut off after 2 s and the other one answers', async () => {
    await sandbox();
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL master mymaster', 'hang');
    await sb.sentinel('redis-2', { ip: 'redis-2', epoch: 1 });
    const t0 = performance.now();
    expect(ok(await sb.call('find_master')).stdout).toBe('redis-2 master\n');
    expect(performance.now() - t0).toBeLessThan(4_000);
  });
});

describe('last_known_master', () => {
  it('the master in this pod\'s sentinel.conf on the volume', async () => {
    await sandbox();
    await writeFile(path.join(sb.dataDir, 'sentinel.conf'), 'port 26379\nsentinel myid abc\nsentinel monitor mymaster redis-2 6379 2\nsentinel known-replica mymaster redis-0 6379\n');
    expect(ok(await sb.call('last_known_master'))).toMatchObject({ status: 0, stdout: 'redis-2\n' });
  });

  it('no sentinel.conf (first boot), or none for this master name: fails', async () => {
    await sandbox();
    expect(await sb.call('last_known_master')).toMatchObject({ status: 1, stdout: '' });
    await writeFile(path.join(sb.dataDir, 'sentinel.conf'), 'sentinel monitor othermaster redis-2 6379 2\n');
    expect(await sb.call('last_known_master')).toMatchObject({ status: 1, stdout: '' });
  });
});

describe('has_data', () => {
  const cases: Array<[string, Record<string, string>, number]> = [
    ['an empty data dir', {}, 1],
    ['an empty appendonlydir', { 'appendonlydir/': '' }, 1],
    ['a multi-part AOF dir', { 'appendonlydir/appendonly.aof.1.base.rdb': 'REDIS0011' }, 0],
    ['a legacy appendonly.aof', { 'appendonly.aof': '*2\r\n$6\r\nSELECT\r\n' }, 0],
    ['an empty appendonly.aof', { 'appendonly.aof': '' }, 1],
    ['a dump.rdb', { 'dump.rdb': 'REDIS0011' }, 0],
    ['an empty dump.rdb', { 'dump.rdb': '' }, 1],
    ['only the configs the scripts write', { 'redis.conf': 'port 6379\n', 'sentinel.conf': 'port 26379\n' }, 1],
  ];
  it.each(cases)('%s', async (_what, files, status) => {
    await sandbox();
    for (const [name, content] of Object.entries(files)) {
      const p = path.join(sb.dataDir, name);
      if (name.endsWith('/')) await mkdir(p);
      else {
        await mkdir(path.dirname(p), { recursive: true });
        await writeFile(p, content);
      }
    }
    expect((await sb.call('has_data')).status).toBe(status);
  });
});

/** A flat --raw SENTINEL replicas reply listing `ips`. */
const replicas = (...ips: string[]) => ips.flatMap((ip) => ['name', `${ip}:${REDIS_PORT}`, 'ip', ip, 'port', String(REDIS_PORT), 'flags', 'slave']).join('\n');

describe('replica_with_data', () => {
  it('the first replica the sentinels know that holds keys, asked with the password', async () => {
    await sandbox();
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL replicas mymaster', replicas('redis-1', 'redis-2'));
    await sb.answer('redis-1', REDIS_PORT, 'DBSIZE', '0');
    await sb.answer('redis-2', REDIS_PORT, 'DBSIZE', '42');
    expect(ok(await sb.call('replica_with_data'))).toMatchObject({ status: 0, stdout: 'redis-2\n' });
    expect((await sb.calls()).filter((c) => c.includes('DBSIZE')).every((c) => c.startsWith('auth '))).toBe(true);
  });

  it('replicas that are empty, refuse, or answer an error: none', async () => {
    await sandbox();
    await sb.answer('redis-2', SENTINEL_PORT, 'SENTINEL replicas mymaster', replicas('redis-1', 'redis-2', 'redis-3'));
    await sb.answer('redis-1', REDIS_PORT, 'DBSIZE', '0');
    await sb.answer('redis-3', REDIS_PORT, 'DBSIZE', 'NOAUTH Authentication required.');
    expect(await sb.call('replica_with_data')).toMatchObject({ status: 1, stdout: '' });
  });

  it('no sentinel answers: none', async () => {
    await sandbox();
    expect(await sb.call('replica_with_data')).toMatchObject({ status: 1, stdout: '' });
  });
});

describe('request_failover (the empty-volume guard)', () => {
  it('asks only a sentinel that still names this pod master', async () => {
    await sandbox();
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 5 });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 4 });
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL failover mymaster', 'OK');
    await sb.answer('redis-2', SENTINEL_PORT, 'SENTINEL failover mymaster', 'OK');
    expect(ok(await sb.call('request_failover')).status).toBe(0);
    expect(await failoverCalls()).toEqual([`noauth redis-2 ${SENTINEL_PORT} SENTINEL failover mymaster`]);
  });

  it('INPROG counts as an answer', async () => {
    await sandbox();
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 4 });
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL failover mymaster', 'INPROG Failover already in progress');
    expect(ok(await sb.call('request_failover')).status).toBe(0);
    expect(await failoverCalls()).toHaveLength(1);
  });

  it('every sentinel has switched away already: asks none, fails', async () => {
    await sandbox();
    await sb.sentinel('redis-1', { ip: 'redis-1', epoch: 5 });
    await sb.sentinel('redis-2', { ip: 'redis-1', epoch: 5 });
    expect((await sb.call('request_failover')).status).toBe(1);
    expect(await failoverCalls()).toEqual([]);
  });

  it('a refused failover (no good replica) tries the next sentinel, then fails', async () => {
    await sandbox();
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 4 });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 4 });
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL failover mymaster', '(error) NOGOODSLAVE No suitable replica to promote');
    expect((await sb.call('request_failover')).status).toBe(1);
    expect((await failoverCalls()).map((c) => c.split(' ')[1])).toEqual(['redis-1', 'redis-2']);
  });
});

const replicaof = (conf: string | null) => conf?.match(/^replicaof .*$/m)?.[0] ?? null;
/** The redis at `host` answers ROLE as `role` (a flat --raw reply: the role first). */
const role = (host: string, r: 'master' | 'slave') => sb.answer(host, REDIS_PORT, 'ROLE', r === 'master' ? 'master\n0' : `slave\nredis-1\n${REDIS_PORT}\nconnected\n0`);
const roleCalls = async () => (await sb.calls()).filter((c) => / ROLE$/.test(c));

/** A sentinel holding redis-0 (this pod) down: SENTINEL master with s-down-time, and its replicas as given. */
async function heldDown(host: string, o: { sdownMs: number; downAfterMs?: number; replicas: Array<Record<string, string | number>> | { fail: string } }) {
  const master = ['name', 'mymaster', 'ip', 'redis-0', 'port', REDIS_PORT, 'flags', 'master,s_down,o_down', 'config-epoch', 3];
  master.push('s-down-time', o.sdownMs, 'down-after-milliseconds', o.downAfterMs ?? 5000);
  await sb.answer(host, SENTINEL_PORT, 'SENTINEL master mymaster', master.join('\n'));
  await sb.answer(host, SENTINEL_PORT, 'SENTINEL get-master-addr-by-name mymaster', `redis-0\n${REDIS_PORT}`);
  const reply =
    'fail' in o.replicas
      ? o.replicas
      : (o.replicas as Array<Record<string, string | number>>).flatMap((r) => Object.entries(r).flatMap(([k, v]) => [k, String(v)])).join('\n');
  await sb.answer(host, SENTINEL_PORT, 'SENTINEL replicas mymaster', reply);
}

/** A replica entry as SENTINEL REPLICAS lists it: up, seen recently, link down for `downMs`. */
const replica = (ip: string, downMs: number, extra: Record<string, string | number> = {}) => ({
  name: `${ip}:${REDIS_PORT}`,
  ip,
  port: REDIS_PORT,
  flags: 'slave',
  'last-ok-ping-reply': 300,
  'info-refresh': 800,
  'master-link-down-time': downMs,
  'slave-priority': 100,
  ...extra,
});

describe('failover_possible (Sentinel\'s replica eligibility, read from the sentinels)', () => {
  // down-after 5000: a replica qualifies while its link has been down at most s-down-time + 50 000 ms.
  const cases: Array<[string, Array<Record<string, string | number>>, number]> = [
    ['a replica whose link went down with the master', [replica('redis-1', 7_000)], 0],
    ['link down exactly at the limit', [replica('redis-1', 52_000)], 0],
    ['link down longer than 10 x down-after before +sdown (a long sentinel outage)', [replica('redis-1', 60_001), replica('redis-2', 61_000)], 1],
    ['no replica known (a SENTINEL RESET just before the master died)', [], 1],
    ['the only fresh replica is subjectively down', [replica('redis-1', 100, { flags: 'slave,s_down' })], 1],
    ['the only fresh replica is disconnected', [replica('redis-1', 100, { flags: 'slave,disconnected' })], 1],
    ['the only fresh replica has priority 0', [replica('redis-1', 100, { 'slave-priority': 0 })], 1],
    ['the only fresh replica has not answered a ping for 6 s', [replica('redis-1', 100, { 'last-ok-ping-reply': 6000 })], 1],
    ['one stale and one fresh replica', [replica('redis-1', 90_000), replica('redis-2', 100)], 0],
  ];
  it.each(cases)('%s', async (_what, reps, status) => {
    await sandbox('redis-0');
    await heldDown('redis-1', { sdownMs: 2000, replicas: reps });
    expect((await sb.call('failover_possible')).status).toBe(status);
  });

  it('any sentinel that can promote is enough; one whose replicas cannot be read counts as able (keep waiting)', async () => {
    await sandbox('redis-0');
    await heldDown('redis-1', { sdownMs: 2000, replicas: [] });
    await heldDown('redis-2', { sdownMs: 2000, replicas: [replica('redis-1', 1000)] });
    expect((await sb.call('failover_possible')).status).toBe(0);
    await heldDown('redis-2', { sdownMs: 2000, replicas: { fail: 'ERR timeout' } });
    expect((await sb.call('failover_possible')).status).toBe(0);
  });

  it('no sentinel answers, or none holds the master down (no s-down-time): counts as able', async () => {
    await sandbox('redis-0');
    expect((await sb.call('failover_possible')).status).toBe(0);
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 3 });
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL replicas mymaster', '');
    expect((await sb.call('failover_possible')).status).toBe(0);
  });
});


describe('start-redis.sh: the role it starts as', () => {
  it('first boot, no sentinel: the initial master starts as master, the others replicate it', async () => {
    await sandbox('redis-0');
    expect(ok(await sb.start('start-redis.sh').done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBeNull();
    await sandbox('redis-1');
    expect(ok(await sb.start('start-redis.sh').done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-0 ${REDIS_PORT}`);
    // No sentinel answered, so no failover can be under way: the initial master is followed without asking it ROLE.
    expect(await roleCalls()).toEqual([]);
  });

  it('follows the master the sentinels report, not the initial master, once it answers ROLE master (asked with the password)', async () => {
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 3 });
    await sb.sentinel('redis-2', { ip: 'redis-2', epoch: 3 });
    await role('redis-2', 'master');
    await sb.start('start-redis.sh').done;
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-2 ${REDIS_PORT}`);
    expect(await roleCalls()).toEqual([`auth redis-2 ${REDIS_PORT} ROLE`]);
  });

  it('another pod reported master that does not answer ROLE master (restarting too, then a replica): waits, then follows the one that does', async () => {
    // master-kill-pair: redis-2, the old master, restarts; a sentinel that has not flagged the killed new master
    // redis-0 still names it (master,disconnected), and redis-0, restarting too, would follow redis-2.
    await sandbox('redis-2');
    await sb.sentinel('redis-0', { ip: 'redis-0', epoch: 4, flags: 'master,disconnected' });
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 4, flags: 'master,disconnected' });
    const run = sb.start('start-redis.sh');
    await run.stderrContains('sentinels report master redis-0 (master,disconnected)');
    await sleep(1000);
    expect(await sb.startedWith('redis-server')).toBeNull();
    await role('redis-0', 'slave');
    await sleep(1000);
    expect(await sb.startedWith('redis-server')).toBeNull();
    // Sentinel fails the down redis-0 over to redis-1.
    await sb.sentinel('redis-0', { ip: 'redis-1', epoch: 5 });
    await sb.sentinel('redis-1', { ip: 'redis-1', epoch: 5 });
    await role('redis-1', 'master');
    expect(ok(await run.done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-1 ${REDIS_PORT}`);
    expect((await roleCalls()).filter((c) => c.includes('redis-0')).length).toBeGreaterThan(2);
  });

  it('another pod reported master that never answers ROLE master: follows it once START_WAIT_S has passed (not master, not exit)', async () => {
    await sandbox('redis-2');
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 4, flags: 'master,disconnected' });
    const t0 = performance.now();
    const r = ok(await sb.start('start-redis.sh', [], { START_WAIT_S: '1' }).done);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('redis-0 does not answer ROLE master after 1 s; following it');
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-0 ${REDIS_PORT}`);
    expect(performance.now() - t0).toBeGreaterThan(1_000);
  });

  it('the other bounds are START_WAIT_S too: another pod still failed over is followed, this pod still held down starts as master', async () => {
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 3, flags: 'master,s_down,o_down,failover_in_progress' });
    let r = ok(await sb.start('start-redis.sh', [], { START_WAIT_S: '1' }).done);
    expect(r.stderr).toContain('sentinels still fail redis-2 over after 1 s; following it');
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-2 ${REDIS_PORT}`);
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 3, flags: 'master,s_down,o_down,failover_in_progress' });
    r = ok(await sb.start('start-redis.sh', [], { START_WAIT_S: '1' }).done);
    expect(r.stderr).toContain('sentinels still report this pod down after 1 s; starting as master');
    expect(replicaof(await sb.startedWith('redis-server'))).toBeNull();
  });

  it('another pod reported master, down, whose replicas look stale to the sentinels: still waits for one that answers ROLE master', async () => {
    await sandbox('redis-1');
    // redis-2's sentinel holds redis-0 down; its last INFO of redis-2, the replica it is about to promote, is 8 s old.
    await heldDown('redis-2', { sdownMs: 2000, replicas: [replica('redis-2', 7000, { 'info-refresh': 8000 })] });
    const run = sb.start('start-redis.sh');
    await run.stderrContains('sentinels report master redis-0 (master,s_down,o_down)');
    await sleep(1500);
    expect(await sb.startedWith('redis-server')).toBeNull();
    await sb.sentinel('redis-2', { ip: 'redis-2', epoch: 4 });
    await role('redis-2', 'master');
    expect(ok(await run.done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-2 ${REDIS_PORT}`);
  });

  it('this pod reported master: asks no ROLE (its own redis is not running) and starts as master', async () => {
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 4, flags: 'master,disconnected' });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 4, flags: 'master,disconnected' });
    await writeFile(path.join(sb.dataDir, 'dump.rdb'), 'REDIS0011');
    expect(ok(await sb.start('start-redis.sh').done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBeNull();
    expect(await roleCalls()).toEqual([]);
  });

  it('no sentinel answers after a full restart: follows the master its own sentinel knew last', async () => {
    await sandbox('redis-0');
    await writeFile(path.join(sb.dataDir, 'sentinel.conf'), 'sentinel monitor mymaster redis-1 6379 2\n');
    await sb.start('start-redis.sh').done;
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-1 ${REDIS_PORT}`);
    expect(await roleCalls()).toEqual([]);
  });

  it('reported master but subjectively down: waits for the sentinels, then follows the promoted replica', async () => {
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 3, flags: 'master,s_down' });
    const run = sb.start('start-redis.sh');
    await run.stderrContains('sentinels report master redis-0 (master,s_down)');
    expect(await sb.startedWith('redis-server')).toBeNull();
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 4 });
    await role('redis-2', 'master');
    expect(ok(await run.done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-2 ${REDIS_PORT}`);
  });

  it('another pod reported master but down and being failed over: waits, then follows the promoted replica (this pod, killed after its promotion: master)', async () => {
    await sandbox('redis-0');
    // The failover leader still names the old master redis-2 (down) while it promotes redis-0, this pod.
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 3, flags: 'master,s_down,o_down,failover_in_progress', advertises: 'redis-0' });
    const run = sb.start('start-redis.sh');
    await run.stderrContains('sentinels report master redis-2 (master,s_down,o_down,failover_in_progress');
    await sleep(1000);
    expect(await sb.startedWith('redis-server')).toBeNull();
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 4 });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 4 });
    expect(ok(await run.done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBeNull();
  });

  it('another pod reported master and down without a failover under way, or failed over while up: follows it at once when it answers ROLE master', async () => {
    for (const flags of ['master,s_down', 'master,failover_in_progress']) {
      await sandbox('redis-0');
      await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 3, flags });
      await role('redis-2', 'master');
      expect(ok(await sb.start('start-redis.sh').done).status).toBe(0);
      expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-2 ${REDIS_PORT}`);
    }
  });

  it('reported master and held down by sentinels that can promote no replica: starts as master at once (no 60 s wait)', async () => {
    await sandbox('redis-0');
    await writeFile(path.join(sb.dataDir, 'dump.rdb'), 'REDIS0011');
    await heldDown('redis-1', { sdownMs: 90_000, replicas: [replica('redis-1', 160_000), replica('redis-2', 160_000)] });
    await heldDown('redis-2', { sdownMs: 90_000, replicas: [] });
    const t0 = performance.now();
    const r = ok(await sb.start('start-redis.sh').done);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('sentinels hold this pod down but can promote no replica; starting as master');
    expect(replicaof(await sb.startedWith('redis-server'))).toBeNull();
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('reported master and held down by sentinels with a replica to promote: keeps waiting for the failover', async () => {
    await sandbox('redis-0');
    await heldDown('redis-1', { sdownMs: 2000, replicas: [replica('redis-1', 7000)] });
    const run = sb.start('start-redis.sh');
    await run.stderrContains('sentinels report master redis-0 (master,s_down,o_down)');
    await sleep(1500);
    expect(await sb.startedWith('redis-server')).toBeNull();
    await sb.sentinel('redis-1', { ip: 'redis-1', epoch: 4 });
    await role('redis-1', 'master');
    expect(ok(await run.done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-1 ${REDIS_PORT}`);
  });

  it('reported master with an empty volume while a replica holds data: has a sentinel fail it over, then replicates', async () => {
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 3 });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 3 });
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL replicas mymaster', replicas('redis-1', 'redis-2'));
    await sb.answer('redis-1', REDIS_PORT, 'DBSIZE', '1000');
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL failover mymaster', 'OK');
    const run = sb.start('start-redis.sh');
    await run.stderrContains('SENTINEL FAILOVER via redis-1: OK');
    expect(await sb.startedWith('redis-server')).toBeNull();
    await sb.sentinel('redis-1', { ip: 'redis-1', epoch: 4 });
    await sb.sentinel('redis-2', { ip: 'redis-1', epoch: 4 });
    expect(ok(await run.done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-1 ${REDIS_PORT}`);
  });

  it('reported master with its data intact: starts as master, asks for no failover', async () => {
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-0', epoch: 3 });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 3 });
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL replicas mymaster', replicas('redis-1'));
    await sb.answer('redis-1', REDIS_PORT, 'DBSIZE', '1000');
    await writeFile(path.join(sb.dataDir, 'dump.rdb'), 'REDIS0011');
    expect(ok(await sb.start('start-redis.sh').done).status).toBe(0);
    expect(await sb.startedWith('redis-server')).toMatch(/^requirepass /m);
    expect(replicaof(await sb.startedWith('redis-server'))).toBeNull();
    expect(await failoverCalls()).toEqual([]);
  });
});

describe('start-sentinel.sh', () => {
  it('monitors the reported master and keeps what it learnt, less the master as a replica of itself', async () => {
    await sandbox('redis-0');
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 3 });
    await sb.answer('redis-0', REDIS_PORT, 'INFO replication', '# Replication\r\nrole:slave\r\nmaster_link_status:up\r\n');
    await writeFile(
      path.join(sb.dataDir, 'sentinel.conf'),
      ['sentinel myid 0123abcd', 'sentinel monitor mymaster redis-0 6379 2', 'sentinel current-epoch 3', `sentinel known-replica mymaster redis-2 ${REDIS_PORT}`, `sentinel known-replica mymaster redis-1 ${REDIS_PORT}`, 'sentinel known-sentinel mymaster redis-1 26379 feedbeef', ''].join('\n'),
    );
    expect(ok(await sb.start('start-sentinel.sh').done).status).toBe(0);
    const conf = (await sb.startedWith('redis-sentinel')) ?? '';
    expect(conf).toMatch(new RegExp(`^sentinel monitor mymaster redis-2 ${REDIS_PORT} 2$`, 'm'));
    expect(conf).toMatch(/^sentinel myid 0123abcd$/m);
    expect(conf).toMatch(/^sentinel current-epoch 3$/m);
    expect(conf).toMatch(/^sentinel known-sentinel mymaster redis-1 26379 feedbeef$/m);
    expect(conf).toMatch(new RegExp(`^sentinel known-replica mymaster redis-1 ${REDIS_PORT}$`, 'm'));
    expect(conf).not.toMatch(/^sentinel known-replica mymaster redis-2 /m);
    expect(conf).toMatch(/^sentinel announce-ip redis-0$/m);
  });
});

describe('probe.sh', () => {
  const info = (...lines: string[]) => ['# Replication', ...lines].join('\r\n');
  const cases: Array<[string, string, { ping?: string; info?: string; sentinelPing?: string }, number]> = [
    ['readiness: a master answering PING', 'readiness', { ping: 'PONG', info: info('role:master', 'connected_slaves:2') }, 0],
    ['readiness: a replica with its link up', 'readiness', { ping: 'PONG', info: info('role:slave', 'master_link_status:up') }, 0],
    ['readiness: a replica with its link down', 'readiness', { ping: 'PONG', info: info('role:slave', 'master_link_status:down') }, 1],
    ['readiness: LOADING instead of PONG', 'readiness', { ping: 'LOADING Redis is loading the dataset in memory', info: info('role:master') }, 1],
    ['liveness: PONG, whatever the link', 'liveness', { ping: 'PONG', info: info('role:slave', 'master_link_status:down') }, 0],
    ['liveness: no answer', 'liveness', {}, 1],
    // A loading redis is alive: failing it would restart the load from the start (the seed's probe did).
    ['liveness: LOADING (AOF or full-sync load under way)', 'liveness', { ping: 'LOADING Redis is loading the dataset in memory' }, 0],
    ['liveness: any other error', 'liveness', { ping: 'MISCONF Errors writing to the AOF file' }, 1],
    ['sentinel: PONG', 'sentinel', { sentinelPing: 'PONG' }, 0],
    ['sentinel: no answer', 'sentinel', {}, 1],
  ];
  it.each(cases)('%s', async (_what, mode, answers, status) => {
    await sandbox('redis-1');
    if (answers.ping) await sb.answer('redis-1', REDIS_PORT, 'PING', answers.ping);
    if (answers.info) await sb.answer('redis-1', REDIS_PORT, 'INFO replication', answers.info);
    if (answers.sentinelPing) await sb.answer('redis-1', SENTINEL_PORT, 'PING', answers.sentinelPing);
    expect(ok(await sb.start('probe.sh', [mode]).done).status).toBe(status);
  });

  it('reads the current password from REDIS_PASSWORD_FILE (after a rotation)', async () => {
    await sandbox('redis-1');
    await sb.answer('redis-1', REDIS_PORT, 'PING', 'PONG');
    const file = path.join(sb.dataDir, 'password');
    await writeFile(file, 'rotated');
    expect((await sb.start('probe.sh', ['liveness'], { REDIS_PASSWORD_FILE: file, REDIS_PASSWORD: '' }).done).status).toBe(0);
    expect((await sb.calls()).every((c) => c.startsWith('auth '))).toBe(true);
  });
});

describe('info_phase_wait (when to ask for a hand-over, from the leader\'s last INFO of each replica)', () => {
  // Window 350-650 ms of age at the request, 80 ms allowed for the pause and the request itself.
  const cases: Array<[string, string[], string]> = [
    ['fresh replies: wait until both are ~450 ms old at the request', ['20', '60'], '350'],
    ['already in the window', ['480', '560'], '0'],
    ['the oldest past the window: wait for the next INFO round', ['600', '640'], 'next'],
    ['a reply 9 s old (the 10 s round not due yet)', ['9000', '9050'], 'next'],
    ['replies too far apart to be in the window together', ['10', '300'], 'no'],
    ['no replica listed', [], 'no'],
  ];
  it.each(cases)('%s', async (_what, ages, out) => {
    await sandbox('redis-0');
    const r = await sb.call(`info_phase_wait ${ages.join(' ')}`);
    expect([r.status, r.stdout.trim()]).toEqual([0, out]);
  });
});

describe('prestop-redis.sh', () => {
  it('a replica: exits at once, pauses nothing', async () => {
    await sandbox('redis-1');
    await sb.answer('redis-1', REDIS_PORT, 'INFO replication', 'role:slave\r\nmaster_link_status:up');
    expect(ok(await sb.start('prestop-redis.sh').done).status).toBe(0);
    expect((await sb.calls()).filter((c) => /CLIENT PAUSE|failover/.test(c))).toEqual([]);
  });

  it('a master without an online replica: does not pause or fail over', async () => {
    await sandbox('redis-0');
    await sb.answer('redis-0', REDIS_PORT, 'INFO replication', 'role:master\r\nconnected_slaves:0');
    expect(ok(await sb.start('prestop-redis.sh').done).status).toBe(0);
    expect((await sb.calls()).filter((c) => /CLIENT PAUSE|failover/.test(c))).toEqual([]);
  });

  /**
   * The old master's connections (redis 7.0's CLIENT LIST): an application's (7) and its subscriber (8), a sentinel's
   * command and pub/sub links (3, 4: named by Sentinel), a replica's link (5).
   */
  const CLIENT_LIST = [
    'id=3 addr=127.0.3.2:40001 laddr=127.0.3.1:6379 fd=8 name=sentinel-1a2b3c4d-cmd age=90 idle=0 flags=N db=0 sub=0 psub=0 cmd=ping user=default',
    'id=4 addr=127.0.3.2:40002 laddr=127.0.3.1:6379 fd=9 name=sentinel-1a2b3c4d-pubsub age=90 idle=0 flags=P db=0 sub=1 psub=0 cmd=subscribe user=default',
    'id=5 addr=127.0.3.3:40003 laddr=127.0.3.1:6379 fd=10 name= age=90 idle=0 flags=S db=0 sub=0 psub=0 cmd=replconf user=default',
    'id=7 addr=127.0.3.9:40007 laddr=127.0.3.1:6379 fd=11 name= age=5 idle=0 flags=N db=0 sub=0 psub=0 cmd=set user=default',
    'id=8 addr=127.0.3.9:40008 laddr=127.0.3.1:6379 fd=12 name=synapse age=5 idle=0 flags=P db=0 sub=1 psub=0 cmd=subscribe user=default',
  ].join('\r\n');
  /** The applications' connections closed in one redis-cli, the sentinels' links and the replica's left. */
  const KILLS = ['CLIENT LIST', 'CLIENT KILL ID 7', 'CLIENT KILL ID 8'].map((c) => `redis-0 ${REDIS_PORT} ${c}`);

  /** redis-0 master of redis-1 and redis-2; the failover request answered by redis-1's sentinel. */
  async function handOver(): Promise<void> {
    await sandbox('redis-0');
    await sb.answer(
      'redis-0',
      REDIS_PORT,
      'INFO replication',
      `role:master\r\nslave0:ip=redis-1,port=${REDIS_PORT},state=online,offset=10,lag=0\r\nslave1:ip=redis-2,port=${REDIS_PORT},state=online,offset=10,lag=0\r\nmaster_repl_offset:10`,
    );
    // Each replica's own offset: both have every write the paused master took.
    for (const r of ['redis-1', 'redis-2']) await sb.answer(r, REDIS_PORT, 'INFO replication', 'role:slave\r\nslave_repl_offset:10');
    for (const c of ['CLIENT PAUSE 20000 WRITE', 'REPLICAOF redis-1 6379', 'CLIENT UNPAUSE']) await sb.answer('redis-0', REDIS_PORT, c, 'OK');
    await sb.answer('redis-0', REDIS_PORT, 'CLIENT LIST', CLIENT_LIST);
    for (const h of ['redis-0', 'redis-1', 'redis-2']) await sb.answer(h, SENTINEL_PORT, 'SENTINEL failover mymaster', 'OK');
  }
  const handOverCalls = async () => (await sb.calls()).filter((c) => /CLIENT|REPLICAOF|failover/.test(c)).map((c) => c.split(' ').slice(1).join(' '));
  const STEP_DOWN = [
    `redis-0 ${REDIS_PORT} CLIENT PAUSE 20000 WRITE`,
    // The highest other ordinal leads: the leader switches last, and clients ask the sentinels in pod order.
    `redis-2 ${SENTINEL_PORT} SENTINEL failover mymaster`,
    `redis-0 ${REDIS_PORT} REPLICAOF redis-1 ${REDIS_PORT}`,
    // The held writes answered READONLY, then the applications' connections closed (as Sentinel does to an instance it reconfigures).
    // Sentinel's own links stay: a killed one shows the old master `disconnected` for up to 1 s, and node-redis then
    // refuses the master that sentinel names and sleeps 1 s.
    `redis-0 ${REDIS_PORT} CLIENT UNPAUSE`,
    ...KILLS,
    // Again once the sentinels switched: whoever came back meanwhile (a stale sentinel, the label not yet moved) is sent on.
    ...KILLS,
    `redis-0 ${REDIS_PORT} CLIENT UNPAUSE`,
  ];

  it('a master with a replica: pauses writes, fails over through the highest other pod\'s sentinel, steps down, unpauses, closes the clients\' connections', async () => {
    await handOver();
    for (const h of ['redis-0', 'redis-1', 'redis-2']) await sb.sentinel(h, { ip: 'redis-1', epoch: 5 });
    const r = ok(await sb.start('prestop-redis.sh').done);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('sentinels switched to redis-1: yes');
    expect(await handOverCalls()).toEqual(STEP_DOWN);
  });

  it('steps down as soon as the promoted replica answers ROLE master, before any sentinel advertises it', async () => {
    await handOver();
    // The sentinels still advertise redis-0 (they notice the promotion at their next INFO); redis-1 already is master.
    for (const h of ['redis-0', 'redis-1', 'redis-2']) await sb.sentinel(h, { ip: 'redis-1', epoch: 5, advertises: 'redis-0' });
    await sb.answer('redis-1', REDIS_PORT, 'ROLE', 'master\n10');
    await sb.answer('redis-2', REDIS_PORT, 'ROLE', 'slave\nredis-0');
    const r = ok(await sb.start('prestop-redis.sh').done);
    expect(r.stderr).toContain('stepped down: replica of redis-1');
    expect(await handOverCalls()).toEqual(STEP_DOWN);
    expect((await sb.calls()).some((c) => c.includes(`SENTINEL get-master-addr-by-name`))).toBe(false);
  });

  it('while the other sentinels have not switched, sends the clients on again every ~0.1 s', async () => {
    await handOver();
    await sb.sentinel('redis-1', { ip: 'redis-1', epoch: 5 });
    await sb.sentinel('redis-2', { ip: 'redis-0', epoch: 4 });
    await sb.answer('redis-1', REDIS_PORT, 'ROLE', 'master\n10');
    const run = sb.start('prestop-redis.sh');
    const killsSoFar = async () => (await handOverCalls()).filter((c) => c.endsWith('CLIENT KILL ID 7')).length;
    // Not a fixed sleep: on a loaded machine each round under the stub is slower; wait (bounded) for the rounds themselves.
    const deadline = performance.now() + 15_000;
    while ((await killsSoFar()) < 3 && performance.now() < deadline) await sleep(100);
    await sb.sentinel('redis-2', { ip: 'redis-1', epoch: 5 });
    const r = ok(await run.done);
    expect(r.stderr).toContain('sentinels switched to redis-1: yes');
    // Once at the step-down, at least twice while waiting, once after the switch.
    expect(await killsSoFar()).toBeGreaterThanOrEqual(4);
  });

  it('reads the leading sentinel\'s INFO ages first and waits until they are in the window before pausing', async () => {
    await handOver();
    for (const h of ['redis-0', 'redis-1', 'redis-2']) await sb.sentinel(h, { ip: 'redis-1', epoch: 5 });
    const ages = [replica('redis-1', 0, { 'info-refresh': 10 }), replica('redis-2', 0, { 'info-refresh': 20 })];
    await sb.answer('redis-2', SENTINEL_PORT, 'SENTINEL replicas mymaster', ages.flatMap((r) => Object.entries(r).flatMap(([k, v]) => [k, String(v)])).join('\n'));
    const t0 = performance.now();
    const r = ok(await sb.start('prestop-redis.sh').done);
    expect(r.stderr).toContain('failover requested from redis-2 (INFO phase wait, ms: 360)');
    expect(performance.now() - t0).toBeGreaterThan(360);
    const calls = (await sb.calls()).map((c) => c.split(' ').slice(1).join(' '));
    expect(calls.indexOf(`redis-2 ${SENTINEL_PORT} SENTINEL replicas mymaster`)).toBeLessThan(calls.indexOf(`redis-0 ${REDIS_PORT} CLIENT PAUSE 20000 WRITE`));
    expect(await handOverCalls()).toEqual(STEP_DOWN);
  });

  it('requests the failover only once every replica has the paused master\'s offset (WAIT from a fresh connection would not wait)', async () => {
    await handOver();
    for (const h of ['redis-0', 'redis-1', 'redis-2']) await sb.sentinel(h, { ip: 'redis-1', epoch: 5 });
    await sb.answer('redis-2', REDIS_PORT, 'INFO replication', 'role:slave\r\nslave_repl_offset:9');
    const run = sb.start('prestop-redis.sh');
    await sleep(400);
    expect((await sb.calls()).some((c) => c.includes('SENTINEL failover'))).toBe(false);
    await sb.answer('redis-2', REDIS_PORT, 'INFO replication', 'role:slave\r\nslave_repl_offset:10');
    const r = ok(await run.done);
    expect(r.stderr).toContain('replicas with every write: 2, offset 10');
    expect(await handOverCalls()).toEqual(STEP_DOWN);
  });

  it('does not hold the hand-over for an INFO round more than ~7 s away', async () => {
    await handOver();
    for (const h of ['redis-0', 'redis-1', 'redis-2']) await sb.sentinel(h, { ip: 'redis-1', epoch: 5 });
    const ages = [replica('redis-1', 0, { 'info-refresh': 700 }), replica('redis-2', 0, { 'info-refresh': 720 })];
    await sb.answer('redis-2', SENTINEL_PORT, 'SENTINEL replicas mymaster', ages.flatMap((r) => Object.entries(r).flatMap(([k, v]) => [k, String(v)])).join('\n'));
    const r = ok(await sb.start('prestop-redis.sh').done);
    expect(r.stderr).toContain('(INFO phase wait, ms: far)');
    expect(await handOverCalls()).toEqual(STEP_DOWN);
  });

  it('steps down to the replica a sentinel advertises when no replica answers ROLE', async () => {
    await handOver();
    for (const h of ['redis-0', 'redis-1', 'redis-2']) await sb.sentinel(h, { ip: 'redis-1', epoch: 5 });
    await sb.answer('redis-1', REDIS_PORT, 'ROLE', { fail: 'Could not connect' });
    const r = ok(await sb.start('prestop-redis.sh').done);
    expect(r.stderr).toContain('stepped down: replica of redis-1');
    expect(await handOverCalls()).toEqual(STEP_DOWN);
  });
});

describe('role-labeller.sh', () => {
  /** The API server the labeller patches its pod through: records each PATCH's label, answers `status` (200 unless a test sets it). */
  async function apiServer() {
    const patches: string[] = [];
    let attempts = 0;
    const api = { patches, attempts: () => attempts, status: 200, url: '' };
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        attempts++;
        if (api.status === 200) patches.push((JSON.parse(body) as { metadata: { labels: Record<string, string> } }).metadata.labels['redis.io/role']!);
        res.writeHead(api.status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.182.1', resolve));
    api.url = `http://127.0.182.1:${(server.address() as AddressInfo).port}`;
    return Object.assign(api, { [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  }
  /** Starts the labeller, its redis answering ROLE with `role` from the first query (none: refused). */
  async function labeller(env: Record<string, string>, url: string, role?: string) {
    await sandbox();
    if (role) await sb.answer('redis-0', REDIS_PORT, 'ROLE', role);
    const sa = path.join(sb.configDir, 'sa');
    await mkdir(sa, { recursive: true });
    await writeFile(path.join(sa, 'namespace'), 'matrix');
    await writeFile(path.join(sa, 'token'), 'not-a-real-token');
    return sb.start('role-labeller.sh', [], { SA_DIR: sa, KUBE_API: url, POD_NAME: 'redis-0', ...env });
  }
  /** Waits (bounded) until `f` holds; the labeller's own pace, not a fixed sleep, sets how long. */
  async function until(f: () => boolean | Promise<boolean>, what: string) {
    const deadline = performance.now() + 10_000;
    while (!(await f())) {
      if (performance.now() > deadline) throw new Error(`not within 10 s: ${what}`);
      await sleep(20);
    }
  }
  const connections = async () => (await sb.calls()).filter((c) => c.endsWith(`redis-0 ${REDIS_PORT} ROLE`)).length;
  const MASTER = '"master",7,"redis-1","6379","7"';
  const REPLICA = `"slave","redis-1",${REDIS_PORT},"connected",7`;

  it('ends with status 0 on SIGTERM, as a container\'s PID 1 must (no trap: the pod waits out its grace period), and stops its redis-cli', async () => {
    // The API server is unreachable: the labeller keeps asking ROLE, which is all this test needs.
    const run = await labeller({ LABEL_INTERVAL: '0.1' }, 'https://127.0.0.1:1', MASTER);
    await until(async () => (await sb.repeating()).length > 0, 'a redis-cli in repeat mode');
    run.signal('SIGTERM');
    const r = await run.done;
    expect(r.status, r.stderr).toBe(0);
    await until(async () => (await sb.repeating()).length === 0, 'its redis-cli gone');
  });

  it('asks ROLE on one connection (no redis-cli per query) and labels a change from it, not from a tick', async () => {
    await using api = await apiServer();
    await labeller({ LABEL_TICK: '30' }, api.url, REPLICA);
    await until(() => api.patches.length === 1, 'the first label');
    await sb.answer('redis-0', REDIS_PORT, 'ROLE', MASTER);
    await until(() => api.patches.length === 2, 'the label after REPLICAOF NO ONE');
    expect(api.patches).toEqual(['replica', 'master']);
    expect(await connections()).toBe(1);
  });

  it('replaces at once a connection closed after it answered (Sentinel\'s CLIENT KILL on promotion), with no unknown between', async () => {
    await using api = await apiServer();
    await labeller({ LABEL_TICK: '30' }, api.url, REPLICA);
    await until(() => api.patches.length === 1, 'the first label');
    await sb.answer('redis-0', REDIS_PORT, 'ROLE', MASTER);
    await sb.close('redis-0', REDIS_PORT, 'ROLE');
    await until(() => api.patches.length === 2, 'the label from the new connection');
    expect(api.patches).toEqual(['replica', 'master']);
    expect(await connections()).toBe(2);
  });

  it('labels unknown when redis stops answering for two ticks (paused), kills the hung redis-cli, and relabels once it answers', async () => {
    await using api = await apiServer();
    await labeller({ LABEL_TICK: '0.2' }, api.url, MASTER);
    await until(() => api.patches.length === 1, 'the first label');
    await sb.answer('redis-0', REDIS_PORT, 'ROLE', 'hang');
    await until(() => api.patches.length === 2, 'unknown');
    await sb.answer('redis-0', REDIS_PORT, 'ROLE', MASTER);
    await until(() => api.patches.length === 3, 'master again');
    expect(api.patches).toEqual(['master', 'unknown', 'master']);
    // The hung ones were killed: at most the current connection still runs.
    expect((await sb.repeating()).length).toBeLessThanOrEqual(1);
  });

  it('labels unknown while redis refuses connections and retries once a tick, not in a loop', async () => {
    await using api = await apiServer();
    await labeller({ LABEL_TICK: '0.2' }, api.url);
    await until(() => api.patches.length === 1, 'unknown');
    const t0 = performance.now();
    await sleep(1000);
    const tries = await connections();
    // One try a tick is ~5 in this second plus the first; a loop without the tick would make hundreds.
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(2 + Math.ceil((performance.now() - t0) / 200));
    await sb.answer('redis-0', REDIS_PORT, 'ROLE', REPLICA);
    await until(() => api.patches.length === 2, 'replica once redis answers');
    expect(api.patches).toEqual(['unknown', 'replica']);
  });

  it('labels unknown on an error reply (NOAUTH after a password rotation) and asks again on a fresh connection', async () => {
    await using api = await apiServer();
    await labeller({ LABEL_TICK: '0.2' }, api.url, 'ERROR,"NOAUTH Authentication required."');
    await until(() => api.patches.length === 1, 'unknown');
    const before = await connections();
    await sb.answer('redis-0', REDIS_PORT, 'ROLE', MASTER);
    await until(() => api.patches.length === 2, 'master on a fresh connection');
    expect(api.patches).toEqual(['unknown', 'master']);
    expect(await connections()).toBeGreaterThan(before);
  });

  it('after a failed patch waits for the next tick instead of patching on every reply', async () => {
    await using api = await apiServer();
    api.status = 500;
    await labeller({ LABEL_TICK: '0.5', LABEL_INTERVAL: '0.02' }, api.url, MASTER);
    await until(() => api.attempts() >= 1, 'a first attempt');
    const t0 = performance.now();
    await sleep(1000);
    // Replies come every 20 ms here; one retry a tick is 2 in this second, patching on every reply would be ~50.
    expect(api.attempts()).toBeLessThanOrEqual(2 + Math.ceil((performance.now() - t0) / 500));
    api.status = 200;
    await until(() => api.patches.length === 1, 'the label once the API server answers');
    expect(api.patches).toEqual(['master']);
  });
});

describe('under the secure profile (TLS_DIR, ACL_DIR, REDIS_USER set)', () => {
  const sha256 = async (s: string) => (await import('node:crypto')).createHash('sha256').update(s).digest('hex');
  /** The ACL Secret's files (one password per user) and the TLS Secret's directory; the env the profile gives. */
  async function secureEnv(passwords: Record<string, string>): Promise<Record<string, string>> {
    const acl = await sb.dir('acl');
    for (const [u, pw] of Object.entries(passwords)) await writeFile(path.join(acl, u), pw);
    return { TLS_DIR: await sb.dir('tls'), ACL_DIR: acl, REDIS_USER: 'pod', POD_NAME: 'redis-0' };
  }
  const PASSWORDS = { pod: 'pw-pod-1', replication: 'pw-repl-2', sentinel: 'pw-sen-3', synapse: 'pw-syn-4' };
  const ACL_CONF = 'user default off\nuser admin on ~* +@all\nuser pod on -@all +ping\nuser replication on -@all +psync\nuser synapse on ~synapse:* -@all +get\n';

  it('every redis-cli call presents this pod\'s certificate over TLS; redis calls log in as REDIS_USER, sentinel calls as nobody', async () => {
    await sandbox();
    const env = await secureEnv(PASSWORDS);
    await sb.answer('redis-0', REDIS_PORT, 'INFO replication', 'role:master\nconnected_slaves:1\nslave0:ip=redis-1,port=6379,state=online\nmaster_repl_offset:7');
    await sb.answer('redis-1', REDIS_PORT, 'INFO replication', 'role:slave\nslave_repl_offset:7');
    await sb.answer('redis-0', REDIS_PORT, 'CLIENT PAUSE 20000 WRITE', 'OK');
    await sb.answer('redis-1', SENTINEL_PORT, 'SENTINEL failover mymaster', 'OK');
    await sb.sentinel('redis-1', { ip: 'redis-1', epoch: 2 });
    await sb.sentinel('redis-2', { ip: 'redis-1', epoch: 2 });
    await sb.answer('redis-0', REDIS_PORT, `REPLICAOF redis-1 ${REDIS_PORT}`, 'OK');
    await sb.answer('redis-0', REDIS_PORT, 'CLIENT UNPAUSE', 'OK');
    // The hand-over drops the clients it stepped down under, as Sentinel does when it reconfigures a node.
    await sb.answer('redis-0', REDIS_PORT, 'CLIENT LIST', 'id=7 addr=127.0.3.9:40007 laddr=127.0.3.1:6379 fd=11 name= age=5 idle=0 flags=N db=0 cmd=set user=synapse');
    const r = ok(await sb.start('prestop-redis.sh', [], env).done);
    expect(r.stderr).toContain('stepped down: replica of redis-1');
    expect(r.status).toBe(0);
    const logins = await sb.logins();
    expect(logins.length).toBeGreaterThan(4);
    const files = `--cacert=${env.TLS_DIR}/ca.crt --cert=${env.TLS_DIR}/redis-0.crt --key=${env.TLS_DIR}/redis-0.key`;
    for (const l of logins) {
      const port = Number(l.split(' ').at(-1));
      expect(l.replace(/\s+/g, ' ')).toBe(`tls user=${port === REDIS_PORT ? 'pod' : ''} ${files} ${l.split(' ').at(-2)} ${port}`);
    }
    // The hooks' password is the pod user's, from the ACL Secret (the stub records that one was given).
    expect((await sb.calls()).filter((c) => c.includes(` ${REDIS_PORT} `)).every((c) => c.startsWith('auth '))).toBe(true);
  });

  it('start-redis.sh: TLS only (port 0), each ACL user with its password as a SHA-256 hash, the default user without one, masterauth the replication user\'s', async () => {
    await sandbox();
    await writeFile(path.join(sb.configDir, 'redis.conf'), `appendonly yes\n${ACL_CONF}masteruser replication\n`);
    const env = await secureEnv(PASSWORDS);
    expect(ok(await sb.start('start-redis.sh', [], env).done).status).toBe(0);
    const conf = (await sb.startedWith('redis-server'))!;
    expect(conf).toContain(`user synapse on ~synapse:* -@all +get #${await sha256(PASSWORDS.synapse)}\n`);
    expect(conf).toContain(`user pod on -@all +ping #${await sha256(PASSWORDS.pod)}\n`);
    expect(conf).toContain(`user admin on ~* +@all #${await sha256(PASSWORD)}\n`);
    expect(conf).toContain('user default off\n');
    expect(conf).not.toMatch(/requirepass/);
    expect(conf).toContain(`masterauth "${PASSWORDS.replication}"`);
    // No password of a user in clear: only the replication one (masterauth needs it) is.
    for (const u of ['pod', 'synapse', 'sentinel'] as const) expect(conf).not.toContain(PASSWORDS[u]);
    expect(conf).toMatch(/^port 0\ntls-port 6379\ntls-cert-file \S+\/tls\/redis-0\.crt\ntls-key-file \S+\/tls\/redis-0\.key\ntls-ca-cert-file \S+\/tls\/ca\.crt$/m);
  });

  it('start-redis.sh asks the reported master ROLE over TLS with this pod\'s certificate, as REDIS_USER with a password', async () => {
    await sandbox();
    await writeFile(path.join(sb.configDir, 'redis.conf'), `appendonly yes\n${ACL_CONF}masteruser replication\n`);
    const env = await secureEnv(PASSWORDS);
    await sb.sentinel('redis-1', { ip: 'redis-2', epoch: 3 });
    await role('redis-2', 'master');
    expect(ok(await sb.start('start-redis.sh', [], env).done).status).toBe(0);
    expect(replicaof(await sb.startedWith('redis-server'))).toBe(`replicaof redis-2 ${REDIS_PORT}`);
    const files = `--cacert=${env.TLS_DIR}/ca.crt --cert=${env.TLS_DIR}/redis-0.crt --key=${env.TLS_DIR}/redis-0.key`;
    const redisLogins = (await sb.logins()).filter((l) => l.endsWith(` ${REDIS_PORT}`)).map((l) => l.replace(/\s+/g, ' '));
    expect(redisLogins).toEqual([`tls user=pod ${files} redis-2 ${REDIS_PORT}`]);
    expect(await roleCalls()).toEqual([`auth redis-2 ${REDIS_PORT} ROLE`]);
  });

  it('start-redis.sh refuses to start when a user has no password in the ACL Secret, naming the user', async () => {
    await sandbox();
    await writeFile(path.join(sb.configDir, 'redis.conf'), `appendonly yes\n${ACL_CONF}`);
    const { synapse: _dropped, ...rest } = PASSWORDS;
    const r = ok(await sb.start('start-redis.sh', [], await secureEnv(rest)).done);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ACL user synapse has no password in \S+\/acl\/synapse/);
    expect(await sb.startedWith('redis-server')).toBeNull();
  });

  it('start-sentinel.sh: TLS only, auth-pass the sentinel user\'s password', async () => {
    await sandbox();
    const env = await secureEnv(PASSWORDS);
    expect(ok(await sb.start('start-sentinel.sh', [], env).done).status).toBe(0);
    const conf = (await sb.startedWith('redis-sentinel'))!;
    expect(conf).toContain(`sentinel auth-pass mymaster "${PASSWORDS.sentinel}"`);
    expect(conf).not.toContain(PASSWORD);
    expect(conf).toMatch(/^port 0\ntls-port 26379\ntls-cert-file /m);
  });

  it('without the profile\'s env nothing changes: plaintext, no --user', async () => {
    await sandbox();
    expect(ok(await sb.start('start-redis.sh').done).status).toBe(0);
    const conf = (await sb.startedWith('redis-server'))!;
    expect(conf).toMatch(/^port 6379$/m);
    expect(conf).not.toMatch(/tls-/);
    expect((await sb.logins()).every((l) => l.startsWith('plain user= '))).toBe(true);
  });
});
