// The container target's DNS server: a real dnsmasq on a loopback address, queried with node's resolver;
// records that change and disappear, a paused server that times out, and nothing left afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsServer, namesFor, podFqdn, serviceFqdn } from '../../src/targets/docker/dns.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const ADDR = '127.0.102.53';
/** Port 53 needs root (or CAP_NET_BIND_SERVICE); elsewhere a high port shows the same behaviour. */
const PORT = process.getuid?.() === 0 ? 53 : 10053;

let tmp: string;
let dns: DnsServer;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-dns-'));
  dns = await DnsServer.start({ address: ADDR, port: PORT, runDir: path.join(tmp, 'run') });
});

afterAll(async () => {
  const pid = dns?.pid;
  await dns?.stop();
  if (pid !== undefined) expect(() => process.kill(pid, 0)).toThrow();
  rmSync(tmp, { recursive: true, force: true });
  expect(processesUnder(tmp)).toEqual([]);
  expect(entriesIn(tmp)).toEqual([]);
});

describe('dnsmasq as the cluster DNS', () => {
  it('names the short forms a pod resolver would search', () => {
    expect(namesFor(podFqdn('redis-0', 'redis-headless', 'matrix'))).toEqual([
      'redis-0.redis-headless.matrix.svc.cluster.local',
      'redis-0.redis-headless.matrix.svc',
      'redis-0.redis-headless.matrix',
      'redis-0.redis-headless',
    ]);
    expect(namesFor(serviceFqdn('redis', 'matrix'))).toEqual(['redis.matrix.svc.cluster.local', 'redis.matrix.svc', 'redis.matrix', 'redis']);
  });

  it('serves a pod record under every form, moves it, then removes it (NXDOMAIN)', async () => {
    const pod = podFqdn('redis-0', 'redis-headless', 'matrix');
    await dns.set(pod, '127.0.102.11');
    for (const n of namesFor(pod)) expect(await dns.query(n)).toEqual(['127.0.102.11']);
    // The pod moved: the record follows, proven by set() itself and by a fresh query.
    await dns.set(pod, '127.0.102.21');
    expect(await dns.query('redis-0.redis-headless')).toEqual(['127.0.102.21']);
    await dns.remove(pod);
    for (const n of namesFor(pod)) expect(await dns.query(n)).toBe('ENOTFOUND');
    expect(await dns.query('unknown.example')).toBe('ENOTFOUND');
  });

  it('takes records set at once (pods started together) without losing one', async () => {
    const pods = [0, 1, 2, 3, 4].map((i) => podFqdn(`redis-${i}`, 'redis-headless', 'matrix'));
    await Promise.all(pods.map((p, i) => dns.set(p, `127.0.102.${31 + i}`)));
    for (const [i, p] of pods.entries()) expect(await dns.query(p)).toEqual([`127.0.102.${31 + i}`]);
    await Promise.all(pods.map((p) => dns.remove(p)));
  });

  it('serves a headless Service with one address per pod', async () => {
    const svc = serviceFqdn('redis-headless', 'matrix');
    await dns.set(svc, ['127.0.102.11', '127.0.102.12', '127.0.102.13']);
    expect(await dns.query('redis-headless')).toEqual(['127.0.102.11', '127.0.102.12', '127.0.102.13']);
    await dns.set(svc, ['127.0.102.11', '127.0.102.13']);
    expect(await dns.query(svc)).toEqual(['127.0.102.11', '127.0.102.13']);
    await dns.remove(svc);
  });

  it('pause() makes lookups time out; resume() brings the answers back', async () => {
    await dns.set('redis.matrix.svc.cluster.local', '127.0.102.11');
    await dns.pause();
    const t0 = performance.now();
    expect(await dns.query('redis', 400)).toBe('ETIMEOUT');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
    await dns.resume();
    expect(await dns.query('redis')).toEqual(['127.0.102.11']);
  });

  it('listens only on its own address', async () => {
    const { execFileSync } = await import('node:child_process');
    const lines = execFileSync('ss', ['-Hlnup', `sport = :${PORT}`], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(`pid=${dns.pid},`));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toContain(`${ADDR}:${PORT}`);
  });
});
