// The real client libraries' driver processes on the docker target (down-after 1500 ms): each resolves the
// pod names Sentinel announces through the run's dnsmasq (its own mount namespace, /etc/resolv.conf bind-mounted),
// writes, follows a master kill to the new master on its new address, and the host's resolver is untouched.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../../src/clock.ts';
import { loadDeployment } from '../../src/config/manifests.ts';
import { inNodeIdentity } from '../../src/model/history.ts';
import { withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { startDockerDeployment } from '../../src/targets/docker/docker-target.ts';
import { addr, type Pod, type StartedDeployment } from '../../src/targets/target.ts';
import { startDriver, withResolvConf, type StartedDriver } from '../../src/workload/drivers/driver.ts';
import { DRIVER_KINDS, driverUnavailable, type DriverKind } from '../../src/workload/drivers/registry.ts';
import { entriesIn } from '../support/leftovers.ts';

const SUBNET = 171;
/** The drivers that find the master through Sentinel, i.e. resolve the pod names it announces; one db each. */
const KINDS: { k: DriverKind; db: number }[] = [
  { k: DRIVER_KINDS['redis-py']!, db: 3 },
  { k: DRIVER_KINDS['django-sentinel']!, db: 4 },
  { k: DRIVER_KINDS['node-redis']!, db: 5 },
  { k: DRIVER_KINDS.ioredis!, db: 6 },
  { k: DRIVER_KINDS['ruby-redis']!, db: 7 },
];
const RESUME_TIMEOUT_MS = 30_000;
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
/** Mount lines naming resolv.conf in this (the host's) mount namespace. */
const resolvMounts = () =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes('resolv.conf'));

async function sentinelMaster(d: StartedDeployment): Promise<Pod | undefined> {
  for (const p of d.pods) {
    const r = await withProbe(p.sentinel, { connectTimeoutMs: 500 }, (c) => c.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName)).catch(
      () => null,
    );
    const m = Array.isArray(r) ? d.pods.find((q) => q.redis.host === r[0] && q.redis.port === Number(r[1])) : undefined;
    if (m) return m;
  }
  return undefined;
}

describe('driver processes resolve pod names through the run DNS (docker)', () => {
  let tmp = '';
  let d: StartedDeployment | undefined;
  const runId = `it-drvdns-${process.pid}`;
  const drivers: StartedDriver[] = [];
  const hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
  const hostMounts = resolvMounts();

  beforeAll(async () => {
    for (const { k } of KINDS) {
      const why = await driverUnavailable(k);
      if (why) throw new Error(`${k.kind}: ${why} (scripts/setup.sh installs it)`);
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-drvdns-'));
    process.env.SENTINEL_CHAOS_STATE_DIR = path.join(tmp, 'state');
    const manifests = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
    d = await startDockerDeployment({
      model: await loadDeployment(manifests),
      runId,
      subnet: SUBNET,
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(drivers.map((s) => s.stop()));
    for (const s of drivers)
      if (s.pid !== undefined && existsSync(`/proc/${s.pid}`))
        try {
          process.kill(s.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    await d?.down();
    expect(docker('ps', '-aq', '--filter', `label=sentinel-chaos.run=${runId}`)).toBe('');
    expect(execFileSync('sh', ['-c', `pgrep -a -x dnsmasq | grep -c ${runId} || true`], { encoding: 'utf8' }).trim()).toBe('0');
    expect(entriesIn(path.join(tmp, 'state'))).toEqual([]);
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolv);
    expect(resolvMounts()).toEqual(hostMounts);
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('a process in the namespace resolves a pod name through the run DNS; the host resolver does not know it', () => {
    const resolvConf = d!.dns!.resolvConf!;
    expect(readFileSync(resolvConf, 'utf8')).toContain(`nameserver 127.0.${SUBNET}.53`);
    const pod = d!.pods[1]!;
    const [cmd, ...args] = withResolvConf(['getent', 'hosts', pod.redis.host], resolvConf);
    const inside = spawnSync(cmd!, args, { encoding: 'utf8' });
    expect(inside.status, inside.stderr).toBe(0);
    expect(inside.stdout.split(/\s+/)[0]).toBe(d!.describe().pod_addresses!.match(/redis-1=(\S+)/)![1]);
    expect(spawnSync('getent', ['hosts', pod.redis.host]).status).not.toBe(0);
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolv);
  });

  it('redis-py, django-redis, node-redis, ioredis, redis-rb write through Sentinel by pod name, and follow a master kill to the moved new master', async () => {
    const dep = d!;
    const clock = createClock();
    for (const { k, db } of KINDS) {
      drivers.push(
        await startDriver(
          k,
          {
            sentinels: dep.pods.map((p) => p.sentinel),
            masterName: dep.model.masterName,
            password: dep.password,
            db,
            rateHz: 50,
            durationMs: 90_000,
            keyPrefix: `drvdns-${k.kind}`,
            timeoutMs: 1000,
            resolvConf: dep.dns!.resolvConf!,
          },
          clock,
        ),
      );
    }
    const old = await sentinelMaster(dep);
    expect(old).toBeDefined();
    // While they run, the host still resolves with its own file, and no bind mount shows in its namespace.
    expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(hostResolv);
    expect(resolvMounts()).toEqual(hostMounts);
    const acked = (s: StartedDriver, since = 0) => inNodeIdentity(s.ops(), dep.nodeIdentity).filter((o) => o.type === 'ok' && o.ns > since);
    const until1 = Date.now() + 15_000;
    while (Date.now() < until1 && drivers.some((s) => acked(s).length === 0)) await sleep(100);
    for (const s of drivers) {
      expect(acked(s).length, `${s.name}: ${s.stderrTail()}`).toBeGreaterThan(0);
      // Every acknowledging node is named as the topology names the master (the identity the checkers compare with).
      expect([...new Set(acked(s).map((o) => o.node))], s.name).toEqual([addr(old!.redis)]);
    }
    const oldIp = dep.describe().pod_addresses!.match(new RegExp(`${old!.name}=(\\S+)`))![1];
    await dep.podControl.kill(old!.name);
    const faultNs = clock.nowNs();
    const until2 = Date.now() + RESUME_TIMEOUT_MS;
    const resumed = (s: StartedDriver) => acked(s, faultNs).some((o) => o.node !== addr(old!.redis));
    while (Date.now() < until2 && !drivers.every(resumed)) await sleep(200);
    // The old master comes back on a new address (its DNS record follows) and the drivers keep writing.
    await dep.podControl.start(old!.name);
    const newIp = dep.describe().pod_addresses!.match(new RegExp(`${old!.name}=(\\S+)`))![1];
    expect(newIp).not.toBe(oldIp);
    const next = await sentinelMaster(dep);
    for (const s of drivers) expect(resumed(s), `${s.name} never wrote to the new master ${next?.name}: ${s.stderrTail()}`).toBe(true);
    await Promise.all(drivers.map((s) => s.stop()));
    for (const s of drivers)
      console.log(
        `${s.name.padEnd(16)} ${s.info.version.padEnd(8)} acked ${acked(s).length}, after the kill ${acked(s, faultNs).length}, by ${[
          ...new Set(acked(s, faultNs).map((o) => o.node!.split('.')[0])),
        ].join(' ')}`,
      );
  }, 90_000);
});
