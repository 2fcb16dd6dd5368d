// The stale-entry invariant of strict convergence on the docker target (down-after 1500 ms): a replica pod
// that moves to a new address leaves nothing behind with the bundled manifests (announce the pod's name),
// while a copy whose redis announces its IP leaves a down entry for the old address that the invariant names.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { inspectTopology, staleBoundMs, waitForConvergence } from '../../src/targets/convergence.ts';
import { startDockerDeployment } from '../../src/targets/docker/docker-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';

const SUBNET = 122;
const DOWN_AFTER_MS = 1500;
const PASSWORD = 'integration-secret-Stale7q';
const podIp = (d: StartedDeployment, pod: string) =>
  d
    .describe()
    .pod_addresses!.split(' ')
    .find((x) => x.startsWith(`${pod}=`))!
    .split('=')[1]!;

let tmp: string;

function manifestsCopy(name: string, edit?: (scripts: string) => string): string {
  const dir = path.join(tmp, name);
  cpSync(RUN_DEFAULTS.manifestsDir, dir, { recursive: true });
  const secret = path.join(dir, '01-secret.yaml');
  writeFileSync(secret, readFileSync(secret, 'utf8').replace('REPLACE_WITH_OPENSSL_RAND_BASE64_32', PASSWORD));
  if (edit) {
    const scripts = path.join(dir, '04-configmap-scripts.yaml');
    const before = readFileSync(scripts, 'utf8');
    const after = edit(before);
    expect(after).not.toBe(before);
    writeFileSync(scripts, after);
  }
  return dir;
}

/** Up, converged, a replica pod killed and started again (it moves); returns the deployment, the pod and its old address. */
async function moveReplica(
  manifests: string,
  runId: string,
): Promise<{ d: StartedDeployment; pod: string; oldIp: string; input: Parameters<typeof inspectTopology>[0] }> {
  const model = await loadDeployment(manifests);
  const d = await startDockerDeployment({ model, runId, subnet: SUBNET, overrides: { sentinel: { 'down-after-milliseconds': String(DOWN_AFTER_MS) } } });
  const input = { pods: d.pods, password: d.password, masterName: model.masterName };
  const topo = await waitForConvergence(input, { timeoutMs: 30_000 });
  const pod = topo.replicas[topo.replicas.length - 1]!.name;
  const oldIp = podIp(d, pod);
  await d.podControl.kill(pod);
  await d.podControl.start(pod);
  expect(podIp(d, pod)).not.toBe(oldIp);
  return { d, pod, oldIp, input };
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-stale-'));
  process.env.SENTINEL_CHAOS_STATE_DIR = path.join(tmp, 'state');
});

afterAll(() => {
  // Nothing outlives the test: no container of either run, no dnsmasq of this subnet.
  expect(
    execFileSync(
      'docker',
      ['ps', '-aq', '--filter', `label=sentinel-chaos.run=it-stale-ok-${process.pid}`, '--filter', `label=sentinel-chaos.run=it-stale-bad-${process.pid}`],
      { encoding: 'utf8' },
    ).trim(),
  ).toBe('');
  expect(execFileSync('sh', ['-c', `pgrep -a -x dnsmasq | grep -c 127.0.${SUBNET}.53 || true`], { encoding: 'utf8' }).trim()).toBe('0');
  delete process.env.SENTINEL_CHAOS_STATE_DIR;
  rmSync(tmp, { recursive: true, force: true });
});

describe('strict convergence: no stale replica or sentinel entry after a pod moves (docker)', () => {
  const bound = staleBoundMs(DOWN_AFTER_MS);

  it('passes with the bundled manifests: the moved pod is the same entry by name', async () => {
    const { d, input } = await moveReplica(manifestsCopy('bundled'), `it-stale-ok-${process.pid}`);
    try {
      const t0 = performance.now();
      await waitForConvergence(input, { timeoutMs: bound });
      const ms = Math.round(performance.now() - t0);
      console.log(`bundled manifests: strictly converged ${ms} ms after the moved pod started (bound ${bound} ms)`);
      // Still clean a full INFO period later: nothing turns stale afterwards.
      await sleep(10_500);
      const again = await inspectTopology(input);
      expect(again.ok ? 'converged' : again.reason).toBe('converged');
    } finally {
      await d.down();
    }
  }, 90_000);

  it('fails with a copy whose redis announces its IP: the old address stays as a down replica entry', async () => {
    const broken = manifestsCopy('announce-ip', (s) => s.replace('echo "replica-announce-ip $POD_HOST"', 'echo "replica-announce-ip $BIND_ADDR"'));
    const { d, oldIp, input } = await moveReplica(broken, `it-stale-bad-${process.pid}`);
    try {
      const deadline = performance.now() + bound + 20_000;
      let reason = '';
      while (performance.now() < deadline) {
        const r = await inspectTopology(input);
        reason = r.ok ? 'converged' : r.reason;
        if (reason.includes('stale')) break;
        await sleep(500);
      }
      console.log(`announce-ip copy: ${reason}`);
      expect(reason).toMatch(
        new RegExp(`keeps replica entry ${oldIp.replaceAll('.', '\\.')}:\\d+ \\([^)]*s_down[^)]*\\) down for \\d+ ms: stale, beyond the ${bound} ms bound`),
      );
    } finally {
      await d.down();
    }
  }, 110_000);
});
