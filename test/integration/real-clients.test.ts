// The applications' real client libraries (redis-py, Django sessions, node-redis, ioredis, redis-rb) as driver processes across a master kill; an exec workload that lies is caught.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAvailability } from '../../src/checkers/availability.ts';
import { checkFailoverTime } from '../../src/checkers/failover-time.ts';
import type { TrialInput } from '../../src/model/check.ts';
import { checkWriteLoss } from '../../src/checkers/write-loss.ts';
import { createClock, nsToMs } from '../../src/clock.ts';
import { loadDeployment } from '../../src/config/manifests.ts';
import { withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import { addr, type Pod, type StartedDeployment } from '../../src/targets/target.ts';
import { startDriver, type DriverConfig, type ExecDriver, type StartedDriver } from '../../src/workload/drivers/driver.ts';
import { DRIVER_KINDS, driverUnavailable, SYSTEM_PYTHON, type DriverKind } from '../../src/workload/drivers/registry.ts';
import { processesUnder } from '../support/leftovers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const example = (file: string): ExecDriver => ({
  kind: file.replace(/\.py$/, ''),
  command: [SYSTEM_PYTHON, path.join(ROOT, 'examples/exec-workload', file)],
});
/** Each driver and the db it writes (the seed: Django sessions in db 2). */
const DRIVERS: { d: DriverKind | ExecDriver; db: number }[] = [
  { d: DRIVER_KINDS['redis-py']!, db: 3 },
  { d: DRIVER_KINDS['django-service']!, db: 2 },
  { d: DRIVER_KINDS['django-sentinel']!, db: 4 },
  { d: DRIVER_KINDS['node-redis']!, db: 5 },
  { d: DRIVER_KINDS.ioredis!, db: 6 },
  { d: DRIVER_KINDS['ruby-redis']!, db: 7 },
  { d: example('writer.py'), db: 8 },
  { d: example('writer-broken.py'), db: 9 },
];
const RATE_HZ = 50;
const RESUME_TIMEOUT_MS = 30_000;

interface Result {
  name: string;
  version: string;
  driver: StartedDriver;
  db: number;
  input: TrialInput;
  /** Fault → first acknowledged write invoked after the fault (ms), null if none. */
  failoverMs: number | null;
}

async function sentinelMaster(d: StartedDeployment): Promise<Pod | undefined> {
  for (const p of d.pods) {
    try {
      const r = (await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (c) => c.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName))) as
        [string, string] | null;
      const m = r && d.pods.find((q) => q.redis.host === r[0] && q.redis.port === Number(r[1]));
      if (m) return m;
    } catch {
      // next sentinel
    }
  }
  return undefined;
}

function firstAckAfter(driver: StartedDriver, faultNs: number): number | null {
  const invokedAfter = new Set(
    driver
      .ops()
      .filter((o) => o.type === 'invoke' && o.ns > faultNs)
      .map((o) => o.key),
  );
  const acks = driver
    .ops()
    .filter((o) => o.type === 'ok' && invokedAfter.has(o.key))
    .map((o) => o.ns);
  return acks.length ? Math.min(...acks) : null;
}

describe('real client libraries across a master kill', () => {
  let tmp = '';
  let d: StartedDeployment | undefined;
  const drivers: StartedDriver[] = [];
  const results: Result[] = [];
  let stateDir = '';

  beforeAll(async () => {
    for (const { d: k } of DRIVERS) {
      if ('probe' in k) {
        const why = await driverUnavailable(k);
        if (why) throw new Error(`${k.kind}: ${why} (scripts/setup.sh installs it)`);
      }
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-rc-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    const manifests = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
    d = await startLocalDeployment({
      model: await loadDeployment(manifests),
      runId: 'rc',
      subnet: 103,
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
    });
    const clock = createClock();
    const base: Omit<DriverConfig, 'db' | 'keyPrefix'> = {
      sentinels: d.pods.map((p) => p.sentinel),
      masterName: d.model.masterName,
      service: d.services?.endpoint('redis', d.model.redisPort),
      password: d.password,
      rateHz: RATE_HZ,
      durationMs: 90_000,
      timeoutMs: 1000,
    };
    const started = new Map<StartedDriver, number>();
    for (const { d: k, db } of DRIVERS) {
      const s = await startDriver(k, { ...base, db, keyPrefix: `rc-${k.kind}` }, clock);
      drivers.push(s);
      started.set(s, db);
    }
    await sleep(1500);
    const old = await sentinelMaster(d);
    if (!old) throw new Error('no sentinel named a master before the fault');
    await d.podControl.kill(old.name);
    const faultNs = clock.nowNs();
    // Every driver must write again after the fault; bounded.
    const until = Date.now() + RESUME_TIMEOUT_MS;
    while (Date.now() < until && drivers.some((s) => firstAckAfter(s, faultNs) === null)) await sleep(200);
    await d.podControl.start(old.name);
    await sleep(1500);
    await Promise.allSettled(drivers.map((s) => s.stop()));
    const master = await sentinelMaster(d);
    if (!master) throw new Error('no sentinel named a master after the failover');
    for (const s of drivers) {
      const db = started.get(s)!;
      const keys = [
        ...new Set(
          s
            .ops()
            .filter((o) => o.type === 'invoke')
            .map((o) => o.key),
        ),
      ];
      const present = await withProbe(master.redis, { password: d.password, connectTimeoutMs: 1000 }, async (c) => {
        await c.select(db);
        const found = new Set<string>();
        for (let i = 0; i < keys.length; i += 500) {
          const chunk = keys.slice(i, i + 500);
          const r = await c.pipeline(chunk.map((k) => ['exists', k])).exec();
          chunk.forEach((k, j) => r?.[j]?.[1] === 1 && found.add(k));
        }
        return found;
      });
      const input: TrialInput = {
        history: s.ops(),
        events: [],
        readBack: { ns: clock.nowNs(), present, node: addr(master.redis) },
        faultNs,
        oldMaster: addr(old.redis),
        masterName: d.model.masterName,
      };
      const ack = firstAckAfter(s, faultNs);
      results.push({
        name: s.name,
        version: s.info.version,
        driver: s,
        db,
        input,
        failoverMs: ack === null ? null : nsToMs(ack - faultNs),
      });
    }
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(drivers.map((s) => s.stop()));
    for (const s of drivers)
      if (s.pid)
        try {
          process.kill(s.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    expect(
      drivers.filter(
        (s) => s.pid !== undefined && existsSync(`/proc/${s.pid}/cmdline`) && readFileSync(`/proc/${s.pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z',
      ),
    ).toEqual([]);
    await d?.down();
    if (stateDir) expect(processesUnder(stateDir)).toEqual([]);
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('prints each driver: failover time, fail / info counts, lost writes', () => {
    const rows = results.map((r) => {
      const a = checkAvailability(r.input, {}).figures;
      const w = checkWriteLoss(r.input, { maxLost: 0 }).figures;
      const f = checkFailoverTime(r.input, { sloMs: 30_000 }).figures;
      const reads = r.driver.allOps().filter((o) => o.f !== 'write' && o.type === 'ok').length;
      return `${r.name.padEnd(17)} ${r.version.padEnd(7)} failover ${String(r.failoverMs).padStart(8)} ms  new-master-ack ${String(f.failover_ms).padStart(8)} ms  acked ${a.writes_acked}/${a.writes_invoked}  fail ${a.writes_failed}  info ${a.writes_indeterminate}  late ${a.writes_late}  outage ${a.outage_ms} ms  lost ${w.writes_lost}  recovered ${w.writes_recovered}  other-ops-ok ${reads}  skipped ${r.driver.bye()?.skipped ?? '?'}`;
    });
    console.log(`real clients, master kill, down-after 1500, ${RATE_HZ}/s each:\n${rows.join('\n')}`);
    expect(results).toHaveLength(DRIVERS.length);
  });

  it('every real client writes again after the failover and loses no acknowledged write', () => {
    for (const r of results.filter((x) => x.name !== 'writer-broken')) {
      expect(r.failoverMs, `${r.name} never wrote after the fault`).not.toBeNull();
      expect(r.failoverMs!, r.name).toBeGreaterThan(1500);
      const w = checkWriteLoss(r.input, { maxLost: 0 });
      expect(w.valid, `${r.name}: ${w.explanation}`).toBe(true);
      // The bundled drivers end with a bye line; the 20-line example does not bother.
      if (r.name in DRIVER_KINDS) expect(r.driver.bye(), `${r.name} sent no bye`).not.toBeNull();
    }
    for (const kind of ['redis-py', 'django-service', 'django-sentinel', 'node-redis', 'ioredis', 'ruby-redis']) {
      const r = results.find((x) => x.name === kind)!;
      expect(r.version, kind).not.toBe('unknown');
    }
  });

  it('catches the exec workload that acknowledges writes it never sent as lost writes', () => {
    const r = results.find((x) => x.name === 'writer-broken')!;
    const w = checkWriteLoss(r.input, { maxLost: 0 });
    expect(w.valid).toBe(false);
    expect(w.figures.writes_lost!).toBeGreaterThan(5);
    const lost = r.driver
      .ops()
      .filter((o) => o.type === 'ok' && !r.input.readBack!.present.has(o.key))
      .map((o) => Number(o.key.split(':').pop()));
    // writer-broken.py skips every 10th write (keys …:9, …:19, …): exactly those, and nothing else, are missing.
    expect(lost.every((n) => n % 10 === 9)).toBe(true);
  });
});
