// The clock shim on the local target with real redis-sentinel processes: every sentinel (and no redis-server) runs with
// it preloaded; a jump of one sentinel's clock shows in its INFO server_time_usec and puts it in TILT; the heal puts the
// clock back; nothing is left behind. The scenarios' figures (TILT length, the failover delay) come from real runs, see README.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { isHarnessError } from '../../src/errors.ts';
import { parseInfo, probeClient, withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { Endpoint } from '../../src/model/endpoint.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

/** The sentinel's clock minus the harness's, in ms. */
async function skewOf(e: Endpoint): Promise<number> {
  const before = Date.now();
  const info = parseInfo(String(await withProbe(e, {}, (s) => s.call('INFO', 'server'))));
  return Number(info.server_time_usec) / 1000 - (before + Date.now()) / 2;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
const mapsShim = (pid: number) => readFileSync(`/proc/${pid}/maps`, 'utf8').includes('clock-offset.so');

describe('clock jump on the local target (subnet 192)', () => {
  let tmp: string;
  let stateDir: string;
  let d: StartedDeployment;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-clock-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    const model = await loadDeployment(RUN_DEFAULTS.manifestsDir);
    d = await startLocalDeployment({ model, runId: 'clock', subnet: 192, overrides: { sentinel: { 'down-after-milliseconds': '1500' } } });
  }, 90_000);

  afterAll(async () => {
    await d?.down();
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('preloads the shim into the three sentinels and into no redis-server', () => {
    const pids = processesUnder(stateDir).filter((p) => /redis-(server|sentinel)|:(6379|26379)/.test(cmdline(p)));
    const sentinels = pids.filter((p) => /26379|sentinel/.test(cmdline(p)));
    expect(sentinels).toHaveLength(3);
    expect(sentinels.every(mapsShim)).toBe(true);
    expect(pids.filter((p) => !sentinels.includes(p)).some(mapsShim)).toBe(false);
  });

  it('a jump back lands in that sentinel’s INFO only, puts it in TILT, and the heal puts the clock back', async () => {
    const jumped = d.pods[1]!;
    const sub = probeClient(jumped.sentinel);
    await sub.connect();
    const tilt = new Promise<string>((resolve) => sub.on('message', (channel: string) => resolve(channel)));
    await sub.subscribe('+tilt');
    try {
      const held = await d.clock!.skew(jumped.name, 'sentinel', -60_000);
      expect(held.description).toMatch(/redis-1\/sentinel's clock -60000 ms: its INFO server_time_usec is -(59[789]\d\d|60[012]\d\d) ms off/);
      expect(await Promise.race([tilt, new Promise((r) => setTimeout(() => r('no +tilt within 3 s'), 3000))])).toBe('+tilt');
      expect(Math.abs(await skewOf(d.pods[0]!.sentinel))).toBeLessThan(500);
      await held.heal();
      expect(Math.abs(await skewOf(jumped.sentinel))).toBeLessThan(500);
    } finally {
      sub.disconnect();
    }
  }, 30_000);

  it('the redis container is not shifted here (sentinels only): the skip says why', async () => {
    const e = await d.clock!.skew(d.pods[0]!.name, 'redis', 60_000).catch((x: unknown) => x);
    expect(isHarnessError(e) && e.code).toBe('ABILITY_MISSING');
    expect((e as Error).message).toMatch(/sentinels only/);
  });

  it('leaves nothing behind', async () => {
    await d.down();
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
