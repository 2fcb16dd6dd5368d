// Fuzz of the harness's readers of Sentinel and INFO replies (src/redis/clients.ts, src/targets/convergence.ts): a
// seeded set of malformed SENTINEL GET-MASTER-ADDR-BY-NAME / MASTER / REPLICAS / SENTINELS / CKQUORUM and INFO
// replies each ends in a clear error naming the command (or a clear not-converged reason), never a TypeError, a
// crash or a hang; well-formed replies still read as converged.
import { describe, expect, it } from 'vitest';
import { HarnessError } from '../../../src/errors.ts';
import { masterAddrReply, parseInfo, sentinelEntries, sentinelEntry } from '../../../src/redis/clients.ts';
import { judgeReplication, judgeSentinels, readSentinelAnswer, staleMasterPing, type RawSentinelReplies } from '../../../src/targets/convergence.ts';
import type { Pod } from '../../../src/targets/target.ts';
import { prng as rng } from '../../../src/model/prng.ts';

const pods: Pod[] = [0, 1, 2].map((i) => ({
  name: `redis-${i}`,
  ordinal: i,
  node: 'n',
  redis: { host: `127.0.149.${i + 1}`, port: 6379 },
  sentinel: { host: `127.0.149.${i + 1}`, port: 26379 },
}));

const flat = (o: Record<string, string | number>) => Object.entries(o).flatMap(([k, v]) => [k, String(v)]);
/** What a healthy sentinel of this deployment answers. */
const healthy = (): RawSentinelReplies => ({
  addr: ['127.0.149.1', '6379'],
  master: flat({
    name: 'mymaster',
    ip: '127.0.149.1',
    port: 6379,
    flags: 'master',
    'config-epoch': 3,
    'num-slaves': 2,
    'num-other-sentinels': 2,
    'down-after-milliseconds': 1500,
  }),
  replicas: [2, 3].map((i) => flat({ ip: `127.0.149.${i}`, port: 6379, flags: 'slave', 'master-link-status': 'ok' })),
  sentinels: [2, 3].map((i) => flat({ ip: `127.0.149.${i}`, port: 26379, flags: 'sentinel' })),
  ckquorum: 'OK 3 usable Sentinels. Quorum and failover authorization can be reached',
  info: '# Sentinel\r\nsentinel_masters:1\r\nsentinel_tilt:0\r\n',
});

/** A malformed value of any kind a broken or hostile server could send. */
function junk(r: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const text = (n: number) => String.fromCharCode(...Array.from({ length: n }, () => Math.floor(r() * 0x2500)));
  switch (Math.floor(r() * 10)) {
    case 0:
      return null;
    case 1:
      return pick([0, -1, 1e308, NaN, 65536, 3.5]);
    case 2:
      return text(Math.floor(r() * 50));
    case 3:
      return 'x'.repeat(10_000);
    case 4:
      return Buffer.from(text(20));
    case 5:
      return depth > 3 ? [] : Array.from({ length: Math.floor(r() * 7) }, () => junk(r, depth + 1));
    case 6:
      return Array.from({ length: 1 + 2 * Math.floor(r() * 4) }, () => text(3)); // odd length
    case 7:
      return new Error(text(10)); // what ioredis hands back for an error reply inside an array
    case 8: {
      let v: unknown = [];
      for (let i = 0; i < 5000; i++) v = [v];
      return v;
    }
    default:
      return pick(['', '\r\n', ':', 'sentinel_tilt', 'OK', '-ERR', '127.0.0.1 6379', ['127.0.0.1'], ['', '6379'], ['h', '0'], ['h', 'port'], ['a b', '1']]);
  }
}

/** `healthy()` with one reply, or one field or entry inside one, replaced by junk. */
function mutate(r: () => number): RawSentinelReplies {
  const raw = healthy() as unknown as Record<string, unknown>;
  const keys = Object.keys(raw);
  const key = keys[Math.floor(r() * keys.length)]!;
  const v = raw[key];
  if (Array.isArray(v) && v.length && r() < 0.5) {
    const copy = [...v];
    const i = Math.floor(r() * copy.length);
    if (Array.isArray(copy[i]) && r() < 0.5) {
      const inner = [...(copy[i] as unknown[])];
      inner[Math.floor(r() * inner.length)] = junk(r);
      copy[i] = inner;
    } else copy[i] = junk(r);
    raw[key] = copy;
  } else raw[key] = junk(r);
  return raw as unknown as RawSentinelReplies;
}

describe('readers of Sentinel and INFO replies under malformed input (seeded fuzz)', () => {
  it('well-formed replies of three sentinels read as converged on the first pod', () => {
    const answers = pods.map(() => readSentinelAnswer(healthy()));
    expect(judgeSentinels(pods, answers, true)).toEqual({ ok: true, master: pods[0] });
  });

  it('a sentinel that has not heard the master for longer than its ping period and a margin is not converged yet (right after a partition heals)', () => {
    const withPing = (ms: number): RawSentinelReplies => {
      const raw = healthy();
      return { ...raw, master: [...(raw.master as string[]), 'last-ok-ping-reply', String(ms)] };
    };
    const fresh = pods.map(() => readSentinelAnswer(withPing(900)));
    expect(judgeSentinels(pods, fresh, false)).toEqual({ ok: true, master: pods[0] });
    // 4.9 s without an answer, flags still "master": the partition just healed and its s_down is moments away.
    const justHealed = [withPing(900), withPing(4900), withPing(700)].map(readSentinelAnswer);
    for (const strict of [true, false])
      expect(judgeSentinels(pods, justHealed, strict)).toEqual({
        ok: false,
        reason: 'redis-1/sentinel last heard the master 4900 ms ago (it pings every 1000 ms): it may still flag it down',
      });
    expect(staleMasterPing({ 'last-ok-ping-reply': '2000', 'down-after-milliseconds': '5000' })).toBeNull();
    expect(staleMasterPing({ 'last-ok-ping-reply': '2001', 'down-after-milliseconds': '5000' })).toMatch(/2001 ms ago/);
    expect(staleMasterPing({ 'last-ok-ping-reply': '1200', 'down-after-milliseconds': '100' })).toMatch(/pings every 100 ms/);
    expect(staleMasterPing({})).toBeNull();
  });

  it('each of 3000 malformed replies: a clear error naming the command, or a not-converged reason; never a crash, in bounded time', () => {
    const r = rng(1907);
    const started = performance.now();
    let errors = 0;
    let reasons = 0;
    for (let n = 0; n < 3000; n++) {
      const raw = pods.map((_, i) => (i === n % 3 ? mutate(r) : healthy()));
      let answers;
      try {
        answers = raw.map(readSentinelAnswer);
      } catch (e) {
        expect(e, `case ${n}: ${String(e)}`).toBeInstanceOf(HarnessError);
        expect((e as Error).message).toMatch(
          /^malformed reply to (SENTINEL (GET-MASTER-ADDR-BY-NAME|MASTER|REPLICAS|SENTINELS|CKQUORUM)( \(entry \d+\))?|INFO): expected .+, got .+/,
        );
        expect((e as Error).message.length, 'the message quotes at most a short start of the reply').toBeLessThan(200);
        errors++;
        continue;
      }
      const judged = judgeSentinels(pods, answers, true);
      if (!judged.ok) {
        expect(typeof judged.reason).toBe('string');
        expect(judged.reason.length).toBeGreaterThan(10);
        reasons++;
      }
    }
    // Both ends are reached: shapes refused outright, and well-shaped nonsense judged not converged.
    expect(errors).toBeGreaterThan(500);
    expect(reasons).toBeGreaterThan(300);
    expect(performance.now() - started, 'within 10 s').toBeLessThan(10_000);
  });

  it('INFO replication text of any content: a record, and a not-converged reason or null, never a throw', () => {
    const r = rng(42);
    const ok =
      '# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=a,port=1,state=online,offset=100,lag=0\r\nslave1:ip=b,port=1,state=online,offset=90,lag=0\r\nmaster_repl_offset:100\r\n';
    expect(judgeReplication(pods[0]!, 2, parseInfo(ok), 1000)).toBeNull();
    for (let n = 0; n < 2000; n++) {
      const lines = ok.split('\r\n');
      const j = junk(r);
      // INFO is text: the junk's text (a list stands for garbage between the fields).
      lines[Math.floor(r() * lines.length)] =
        typeof j === 'string' ? j : Buffer.isBuffer(j) ? j.toString('latin1') : Array.isArray(j) ? `:${j.length}:,=` : String(j);
      const info = parseInfo(lines.join(r() < 0.5 ? '\r\n' : '\n'));
      const verdict = judgeReplication(pods[0]!, 2, info, 1000);
      expect(verdict === null || typeof verdict === 'string').toBe(true);
    }
    for (const v of [null, 7, [], {}, ['x']]) expect(() => parseInfo(v)).toThrow(/^malformed reply to INFO: expected text, got /);
  });

  it('the strict readers name what they expected', () => {
    expect(() => sentinelEntry(['flags'], 'SENTINEL MASTER')).toThrow(
      'malformed reply to SENTINEL MASTER: expected a list of field / value pairs, got a list of 1',
    );
    expect(() => sentinelEntry(['flags', ['x']], 'SENTINEL MASTER')).toThrow(
      'malformed reply to SENTINEL MASTER: expected scalar fields and values, got a list of 1',
    );
    expect(() => sentinelEntries('ERR unknown', 'SENTINEL REPLICAS')).toThrow(
      'malformed reply to SENTINEL REPLICAS: expected a list of entries, got string "ERR unknown"',
    );
    expect(() => sentinelEntries([['a']], 'SENTINEL SENTINELS')).toThrow(/^malformed reply to SENTINEL SENTINELS \(entry 1\)/);
    expect(masterAddrReply(null)).toBeNull();
    expect(masterAddrReply(['10.0.0.1', '6379'])).toEqual({ host: '10.0.0.1', port: 6379 });
    expect(() => masterAddrReply(['10.0.0.1', '0'])).toThrow(/expected a port in 1-65535, got string "0"/);
    expect(() => masterAddrReply(['', '6379'])).toThrow(/expected a host name or address/);
    // Field names cannot reach the object's prototype.
    expect(Object.getPrototypeOf(sentinelEntry(['__proto__', 'x'], 'SENTINEL MASTER'))).toBeNull();
  });
});
