// The docker target (down-after 1500 ms): pods as containers on loopback with a real DNS server, a pod that
// moves when recreated and sentinels that follow it, a master-kill trial, and nothing left afterwards.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { pairs, withProbe } from '../../src/redis/clients.ts';
import { runSuite, RUN_DEFAULTS } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';
import { waitForConvergence } from '../../src/targets/convergence.ts';
import { startDockerDeployment } from '../../src/targets/docker/docker-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn } from '../support/leftovers.ts';

const SUBNET = 111;
const PASSWORD = 'integration-secret-Dk42w';
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();
const containersOf = (runId: string, all = false) =>
  docker(
    'ps',
    ...(all ? ['-a'] : []),
    '--filter',
    `label=sentinel-chaos.run=${runId}`,
    '--format',
    '{{.Label "sentinel-chaos.pod"}}/{{.Label "sentinel-chaos.container"}}',
  )
    .split('\n')
    .filter(Boolean)
    .sort();
const podIp = (d: StartedDeployment, pod: string) =>
  d
    .describe()
    .pod_addresses!.split(' ')
    .find((x) => x.startsWith(`${pod}=`))!
    .split('=')[1]!;

let tmp: string;
let manifests: string;

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-docker-'));
  process.env.SENTINEL_CHAOS_STATE_DIR = path.join(tmp, 'state');
  manifests = path.join(tmp, 'manifests');
  cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
  const secret = path.join(manifests, '01-secret.yaml');
  writeFileSync(secret, readFileSync(secret, 'utf8').replace('REPLACE_WITH_OPENSSL_RAND_BASE64_32', PASSWORD));
});

afterAll(() => {
  delete process.env.SENTINEL_CHAOS_STATE_DIR;
  rmSync(tmp, { recursive: true, force: true });
});

describe('docker target: up, DNS, mounts, limits, a pod that moves', () => {
  let d: StartedDeployment;
  const runId = `it-docker-${process.pid}`;

  beforeAll(async () => {
    const model = await loadDeployment(manifests);
    d = await startDockerDeployment({ model, runId, subnet: SUBNET, overrides: { sentinel: { 'down-after-milliseconds': '1500' } } });
  }, 90_000);

  afterAll(async () => {
    await d?.down();
    expect(containersOf(runId, true)).toEqual([]);
    expect(docker('volume', 'ls', '-q', '--filter', `label=sentinel-chaos.run=${runId}`)).toBe('');
    expect(docker('ps', '-aq', '--filter', `label=sentinel-chaos.run=${runId}`)).toBe('');
    expect(execFileSync('sh', ['-c', `pgrep -a -x dnsmasq | grep -c ${runId} || true`], { encoding: 'utf8' }).trim()).toBe('0');
    expect(entriesIn(path.join(tmp, 'state'))).toEqual([]);
  }, 60_000);

  it('runs every pod container as a docker container with the run label', () => {
    expect(containersOf(runId)).toEqual([
      'redis-0/redis',
      'redis-0/role-labeller',
      'redis-0/sentinel',
      'redis-1/redis',
      'redis-1/role-labeller',
      'redis-1/sentinel',
      'redis-2/redis',
      'redis-2/role-labeller',
      'redis-2/sentinel',
    ]);
    expect(d.target).toBe('docker');
    expect(d.pods.map((p) => p.redis.host)).toEqual([0, 1, 2].map((i) => `redis-${i}.redis-headless.matrix.svc.cluster.local`));
  });

  it('resolves pod names inside a container through the run DNS server, mounts config read-only and sets the memory limit', () => {
    const id = docker(
      'ps',
      '-q',
      '--filter',
      `label=sentinel-chaos.run=${runId}`,
      '--filter',
      'label=sentinel-chaos.pod=redis-0',
      '--filter',
      'label=sentinel-chaos.container=redis',
    );
    expect(docker('exec', id, 'getent', 'hosts', 'redis-1.redis-headless.matrix.svc.cluster.local').split(/\s+/)[0]).toBe(`127.0.${SUBNET}.2`);
    expect(docker('exec', id, 'cat', '/etc/resolv.conf')).toContain(`nameserver 127.0.${SUBNET}.53`);
    const inspect = JSON.parse(docker('inspect', id))[0] as {
      HostConfig: { Memory: number; NetworkMode: string };
      Mounts: Array<{ Destination: string; RW: boolean }>;
    };
    expect(inspect.HostConfig.NetworkMode).toBe('host');
    expect(inspect.HostConfig.Memory).toBe(2560 * 2 ** 20);
    expect(inspect.Mounts.find((m) => m.Destination === '/etc/redis')?.RW).toBe(false);
    expect(inspect.Mounts.find((m) => m.Destination === '/data')?.RW).toBe(true);
    expect(() => execFileSync('docker', ['exec', id, 'touch', '/etc/redis/x'], { stdio: 'pipe' })).toThrow();
    // The password never reaches a command line or the labels.
    expect(JSON.stringify(inspect.Mounts) + docker('inspect', '--format', '{{json .Config.Cmd}}{{json .Config.Labels}}', id)).not.toContain(PASSWORD);
  });

  it('moves a killed pod to a new address, its record first, and the sentinels forget the old one', async () => {
    const old = podIp(d, 'redis-2');
    const t0 = performance.now();
    await d.podControl.kill('redis-2');
    const t1 = performance.now();
    await d.podControl.start('redis-2');
    const started = performance.now();
    const moved = podIp(d, 'redis-2');
    expect(moved).not.toBe(old);
    expect(moved).toBe(`127.0.${SUBNET}.13`);
    const id = docker(
      'ps',
      '-q',
      '--filter',
      `label=sentinel-chaos.run=${runId}`,
      '--filter',
      'label=sentinel-chaos.pod=redis-0',
      '--filter',
      'label=sentinel-chaos.container=sentinel',
    );
    expect(docker('exec', id, 'getent', 'hosts', 'redis-2.redis-headless.matrix.svc.cluster.local').split(/\s+/)[0]).toBe(moved);
    // Bounded: Sentinel's INFO period (10 s) decides when the restarted sentinel sees its replicas.
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 40_000 });
    const converged = performance.now();
    // Bounded: a sentinel reconnects to a moved peer on its own schedule (seen "disconnected" right after convergence).
    const deadline = performance.now() + 20_000;
    let stale: string[];
    do {
      stale = [];
      for (const p of d.pods) {
        const seen = await withProbe(p.sentinel, { connectTimeoutMs: 500 }, async (s) => [
          ...((await s.call('SENTINEL', 'replicas', d.model.masterName)) as unknown[]).map(pairs),
          ...((await s.call('SENTINEL', 'sentinels', d.model.masterName)) as unknown[]).map(pairs),
        ]);
        for (const e of seen) if (e.ip === old || /s_down|disconnected/.test(e.flags ?? '')) stale.push(`${p.name} sees ${e.ip} ${e.flags}`);
      }
      if (stale.length) await new Promise((r) => setTimeout(r, 250));
    } while (stale.length && performance.now() < deadline);
    expect(stale).toEqual([]);
    const ms = (a: number, b: number) => Math.round(b - a);
    console.log(
      `redis-2 moved ${old} -> ${moved}: kill ${ms(t0, t1)} ms, start (record proven, containers answering) ${ms(t1, started)} ms, ` +
        `converged ${ms(started, converged)} ms after, no old address or stale entry in any sentinel's REPLICAS/SENTINELS ${ms(started, performance.now())} ms after`,
    );
    // Nobody still talks to (or tries to reach) the old address: TIME-WAIT remnants of the kill only.
    const live = execFileSync('sh', ['-c', `ss -Htn state all dst ${old}; ss -Htn state all src ${old}`], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('TIME-WAIT'));
    expect(live).toEqual([]);
  }, 60_000);
});

describe('docker target: master-kill through the runner, with --monitoring', () => {
  it('passes with nothing lost, the alerts of the killed master fire and clear as its pod moves, and leaves no container behind', async () => {
    const r = await runSuite({
      scenarios: await resolveScenarios(['master-kill']),
      trials: 1,
      target: 'docker',
      manifestsDir: manifests,
      reportDir: path.join(tmp, 'reports'),
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
      subnet: SUBNET,
      conformance: [],
      monitoring: true,
    });
    const t = r.journal.scenarios[0]!.trials[0]!;
    expect(t.verdict, JSON.stringify(t.figures)).toBe('pass');
    expect(t.figures.writes_lost).toBe(0);
    expect(t.figures.writes_acked).toBeGreaterThan(50);
    expect(r.journal.target.name).toBe('docker');
    // The exporter sidecars (Debian's redis_exporter in the image) scraped on each pod's address by the run's Prometheus.
    expect(r.journal.deployment.alerts).toMatch(/^watched by the run's Prometheus \(6 of 6 exporters scraped after \d+ ms\)$/);
    const alerts = t.alerts ?? [];
    process.stderr.write(`docker master-kill alerts: ${alerts.map((a) => `${a.name} ${a.firedMs} -> ${a.clearedMs} [${a.instances.join(' ')}]`).join('; ')}\n`);
    for (const name of ['RedisDown', 'SentinelDown', 'RedisNoMaster', 'RedisReplicaLinkDown'])
      expect(
        alerts.map((a) => a.name),
        name,
      ).toContain(name);
    expect(alerts.filter((a) => a.clearedMs === null).map((a) => a.name)).toEqual([]);
    // The killed master's exporters were scraped at its old address while it was down; the alert cleared because the
    // target list followed its pod to the address it moved to (a static list would keep scraping the old one, down).
    const down = alerts.find((a) => a.name === 'RedisDown')!;
    expect(down.instances.every((i) => i.startsWith(`127.0.${SUBNET}.`) && i.endsWith(':9121'))).toBe(true);
    const now = String(r.journal.target.details?.pod_addresses ?? '')
      .split(' ')
      .map((x) => `${x.split('=')[1]}:9121`);
    expect(now).toHaveLength(3);
    expect(down.instances.filter((i) => !now.includes(i)).length, `${down.instances.join(' ')} vs now ${now.join(' ')}`).toBeGreaterThan(0);
    expect(down.clearedMs).not.toBeNull();
    // This run's containers only: other runs may share the engine.
    expect(docker('ps', '-aq', '--filter', `label=sentinel-chaos.run=${r.journal.run.id}`)).toBe('');
  }, 120_000);
});
