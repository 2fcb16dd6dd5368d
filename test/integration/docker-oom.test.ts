// The docker target's restartPolicy (down-after 1500 ms): a replica's redis container OOM-killed by its cgroup
// limit is reported OOMKilled with its restart, comes back on the same pod address, and the deployment converges.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { waitForConvergence } from '../../src/targets/convergence.ts';
import { startDockerDeployment } from '../../src/targets/docker/docker-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn } from '../support/leftovers.ts';

const SUBNET = 171;
/** The redis container's limit in this copy of the manifests (the bundled one is 2560Mi). */
const LIMIT = '128Mi';
const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

describe('docker target: an OOM-killed container is restarted and reported as the kubelet does', () => {
  let tmp = '';
  let d: StartedDeployment | undefined;
  const runId = `it-oom-${process.pid}`;
  const events: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-oom-'));
    process.env.SENTINEL_CHAOS_STATE_DIR = path.join(tmp, 'state');
    const manifests = path.join(tmp, 'manifests');
    cpSync(RUN_DEFAULTS.manifestsDir, manifests, { recursive: true });
    const sts = path.join(manifests, '05-statefulset.yaml');
    const text = readFileSync(sts, 'utf8');
    expect(text).toContain('memory: 2560Mi');
    writeFileSync(sts, text.replace('memory: 256Mi', 'memory: 64Mi').replace('memory: 2560Mi', `memory: ${LIMIT}`));
    d = await startDockerDeployment({
      model: await loadDeployment(manifests),
      runId,
      subnet: SUBNET,
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
    });
    d.podEvents!.subscribe((e) => events.push(`${e.type} ${e.detail}`));
  }, 120_000);

  afterAll(async () => {
    await d?.down();
    expect(docker('ps', '-aq', '--filter', `label=sentinel-chaos.run=${runId}`)).toBe('');
    expect(docker('volume', 'ls', '-q', '--filter', `label=sentinel-chaos.run=${runId}`)).toBe('');
    expect(execFileSync('sh', ['-c', `pgrep -a -x dnsmasq | grep -c ${runId} || true`], { encoding: 'utf8' }).trim()).toBe('0');
    expect(entriesIn(path.join(tmp, 'state'))).toEqual([]);
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('a replica whose memory outgrows the limit: OOMKilled (SIGKILL, exit status 137), restarted (restart count 1), answering and converged again', async () => {
    const dep = d!;
    const master = (await withProbe(dep.pods[0]!.sentinel, {}, (c) => c.call('SENTINEL', 'get-master-addr-by-name', dep.model.masterName))) as string[];
    const replica = dep.pods.find((p) => p.redis.host !== master[0])!;
    const container = () =>
      docker(
        'ps',
        '-q',
        '--filter',
        `label=sentinel-chaos.run=${runId}`,
        '--filter',
        `label=sentinel-chaos.pod=${replica.name}`,
        '--filter',
        'label=sentinel-chaos.container=redis',
      );
    const before = container();
    expect(docker('inspect', '--format', '{{.HostConfig.Memory}}', before)).toBe(String(128 * 2 ** 20));
    const t0 = performance.now();
    // A read-only script that holds ~256 MB of Lua strings: nothing written, nothing replicated, only this process grows.
    const grow = withProbe(replica.redis, { password: dep.password, commandTimeoutMs: 30_000 }, (c) =>
      c.call('EVAL_RO', "local t = {} for i = 1, 256 do t[i] = string.rep('x', 1048576) .. i end return #t", '0'),
    ).then(
      (r) => `answered ${String(r)}`,
      (e: Error) => e.message,
    );
    const until = Date.now() + 30_000;
    while (Date.now() < until && !events.some((e) => e.startsWith(`restarted ${replica.name}: redis`))) await sleep(50);
    const restartedMs = performance.now() - t0;
    expect(await grow).not.toMatch(/^answered/);
    expect(events.find((e) => e.startsWith(`terminated ${replica.name}: redis`))).toMatch(
      new RegExp(`^terminated ${replica.name}: redis terminated: OOMKilled \\((exit code 137|signal SIGKILL)\\), restart in 0 ms$`),
    );
    expect(events).toContain(`restarted ${replica.name}: redis restarted (restart count 1)`);
    const after = container();
    expect(after).not.toBe(before);
    expect(docker('inspect', '--format', '{{.State.OOMKilled}}', before).trim()).toBe('true');
    // Same pod, same address (a container restart, not a new pod); it answers, and every sentinel agrees again.
    let answered = false;
    const answerBy = Date.now() + 30_000;
    while (!answered && Date.now() < answerBy) {
      answered = await withProbe(replica.redis, { password: dep.password, connectTimeoutMs: 300 }, (c) => c.ping()).then(
        () => true,
        () => false,
      );
      if (!answered) await sleep(100);
    }
    expect(answered).toBe(true);
    const answeredMs = performance.now() - t0;
    const c0 = performance.now();
    await waitForConvergence({ pods: dep.pods, password: dep.password, masterName: dep.model.masterName }, { timeoutMs: 45_000 });
    console.log(
      `OOM kill of ${replica.name}/redis (limit ${LIMIT}): restarted ${Math.round(restartedMs)} ms after the script began, answering at ${Math.round(answeredMs)} ms, converged ${Math.round(performance.now() - c0)} ms later; events: ${events.join(' | ')}`,
    );
  }, 120_000);
});
