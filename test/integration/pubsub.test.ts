// Pub/sub continuity across a master kill: a publisher and subscribers on the Service and Sentinel paths; every subscriber receives again, and one left unsubscribed is flagged dead.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPubSub, subscriberStats, type SubscriberStats } from '../../src/checkers/pubsub.ts';
import { createClock } from '../../src/clock.ts';
import { loadDeployment } from '../../src/config/manifests.ts';
import type { PubSubHistory } from '../../src/model/pubsub.ts';
import { withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import { addr, hasServices, type Pod, type StartedDeployment } from '../../src/targets/target.ts';
import { startPubSub, type RunningPubSub } from '../../src/workload/pubsub.ts';
import { processesUnder } from '../support/leftovers.ts';

const RESUME_TIMEOUT_MS = 30_000;
const DEAD_AFTER_MS = 5000;

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

describe('pub/sub continuity across a master kill', () => {
  let tmp = '';
  let stateDir = '';
  let d: StartedDeployment | undefined;
  let ps: RunningPubSub | undefined;
  let h: PubSubHistory;
  let faultNs = 0;
  let oldMaster = '';
  let stats: SubscriberStats[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-ps-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    const manifests = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
    d = await startLocalDeployment({
      model: await loadDeployment(manifests),
      runId: 'ps',
      subnet: 120,
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
    });
    if (!hasServices(d)) throw new Error('the local target has no Services');
    const clock = createClock();
    ps = await startPubSub({
      name: 'pubsub',
      sentinels: d.pods.map((p) => p.sentinel),
      masterName: d.model.masterName,
      service: d.services.endpoint('redis', d.model.redisPort),
      password: d.password,
      clock,
      channel: 'ps-itest',
      keyPrefix: 'ps',
      rateHz: 50,
      timeoutMs: 1000,
      durationMs: 90_000,
      subscribers: ['service', 'ioredis-sentinel', 'redis-py-sentinel'],
      staleSubscriber: true,
    });
    await sleep(1500);
    const old = await sentinelMaster(d);
    if (!old) throw new Error('no sentinel named a master before the fault');
    oldMaster = addr(old.redis);
    await d.podControl.kill(old.name);
    faultNs = clock.nowNs();
    const live = ['service', 'ioredis-sentinel', 'redis-py-sentinel'];
    const received = (): boolean => live.every((s) => ps!.history().ops.some((o) => o.process === s && o.f === 'receive' && o.ns > faultNs));
    const until = Date.now() + RESUME_TIMEOUT_MS;
    while (Date.now() < until && !received()) await sleep(200);
    // Long enough after the resumption for a silent subscriber to cross the dead limit.
    await sleep(DEAD_AFTER_MS + 2000);
    await d.podControl.start(old.name);
    await sleep(1000);
    await ps.stop();
    h = ps.history();
    stats = subscriberStats(h, { faultNs, oldMaster }, { deadAfterMs: DEAD_AFTER_MS });
  }, 180_000);

  afterAll(async () => {
    await ps?.stop().catch(() => {});
    await d?.down();
    if (stateDir) expect(processesUnder(stateDir)).toEqual([]);
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('prints each subscriber: published, delivered, gap, resubscribe time', () => {
    const pub = h.ops.filter((o) => o.f === 'publish');
    console.log(
      `publisher: ${pub.filter((o) => o.type === 'ok').length} ok, ${pub.filter((o) => o.type === 'fail').length} fail, ${pub.filter((o) => o.type === 'info').length} info`,
    );
    console.log(
      '| subscriber | path | library | published | delivered | lost | gap (msgs) | gap (ms) | resubscribe (ms) | first receive (ms) | silent (ms) | dead |',
    );
    for (const s of stats)
      console.log(
        `| ${s.name} | ${s.path} | ${s.library} | ${s.published} | ${s.delivered} | ${s.lost} | ${s.gapMessages} | ${s.gapMs ?? '-'} | ${s.resubscribeMs ?? '-'} | ${s.firstReceiveMs ?? '-'} | ${s.silentMs} | ${s.dead} |`,
      );
    expect(stats.map((s) => s.name).sort()).toEqual(['ioredis-sentinel', 'redis-py-sentinel', 'service', 'stale']);
  });

  it('every subscriber that resubscribes receives again on the new master, and is not dead', () => {
    for (const s of stats.filter((x) => x.name !== 'stale')) {
      expect(s.firstReceiveMs, s.name).not.toBeNull();
      expect(s.resubscribeMs, s.name).not.toBeNull();
      expect(s.dead, s.name).toBe(false);
      expect(s.delivered, s.name).toBeGreaterThan(s.published / 2);
    }
  });

  it('flags the subscriber left unsubscribed after the failover as dead, and the check fails for it alone', () => {
    const stale = stats.find((s) => s.name === 'stale')!;
    expect(stale.dead).toBe(true);
    expect(stale.resubscribeMs).toBeNull();
    const c = checkPubSub(h, { faultNs, oldMaster }, { deadAfterMs: DEAD_AFTER_MS });
    expect(c.valid).toBe(false);
    expect(c.figures.dead_subscribers).toBe(1);
    expect(c.explanation).toMatch(/stale is a dead subscriber/);
    const clean: PubSubHistory = { ...h, subscribers: h.subscribers.filter((s) => s.name !== 'stale') };
    expect(checkPubSub(clean, { faultNs, oldMaster }, { deadAfterMs: DEAD_AFTER_MS }).valid).toBe(true);
  });
});
