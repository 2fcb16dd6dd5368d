// rolling-upgrade with an image: the restart order, the version check, and on kube the StatefulSet patch carrying the image.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyUpgradeImage } from '../../../src/cli/upgrade-image.ts';
import { createClock } from '../../../src/clock.ts';
import { loadDeployment } from '../../../src/config/manifests.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import {
  expectedIdentity,
  identityOf,
  rollingUpgrade,
  upgradeOrder,
  versionCheck,
  type ServerIdentity,
  type UpgradeProbes,
} from '../../../src/faults/rolling-upgrade.ts';
import { resolveScenarios } from '../../../src/runner/scenario.ts';
import { createControls, PodCache } from '../../../src/targets/kube/controls.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';
import { FakeKube } from '../../support/kube-fake.ts';

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `node-${i}`,
  redis: { host: `10.0.0.${i}`, port: 6379 },
  sentinel: { host: `10.0.0.${i}`, port: 26379 },
});
const pods = [pod(0), pod(1), pod(2)];
const redis = (version: string): ServerIdentity => ({ server: 'redis', version, redisVersion: version, executable: '/usr/bin/redis-server' });

describe('rolling-upgrade order and version check', () => {
  it('master-last restarts the replicas highest ordinal first, then the master; ordinal keeps the StatefulSet order', () => {
    expect(upgradeOrder(pods, pods[1]!, 'master-last').map((p) => p.name)).toEqual(['redis-2', 'redis-0', 'redis-1']);
    expect(upgradeOrder(pods, pods[1]!, 'ordinal').map((p) => p.name)).toEqual(['redis-2', 'redis-1', 'redis-0']);
  });

  it('reads Valkey from server_name/valkey_version and Redis from redis_version', () => {
    expect(identityOf({ server_name: 'valkey', valkey_version: '8.1.1', redis_version: '7.2.4' })).toMatchObject({
      server: 'valkey',
      version: '8.1.1',
      redisVersion: '7.2.4',
    });
    expect(identityOf({ redis_version: '8.0.2' })).toMatchObject({ server: 'redis', version: '8.0.2' });
    expect(expectedIdentity('sentinel-chaos/valkey:8.1.1')).toEqual({ server: 'valkey', version: '8.1.1' });
    expect(expectedIdentity('redis:7.2.5-alpine')).toEqual({ server: 'redis', version: '7.2.5' });
    expect(expectedIdentity('redis:latest')).toBeNull();
  });

  it('fails when one pod still runs the old version, or runs Redis where Valkey was asked for', () => {
    const before = pods.map((p) => ({ pod: p.name, id: redis('7.0.15') }));
    const ok = versionCheck(
      { binary: null, image: 'redis:8.0.2' },
      before,
      pods.map((p) => ({ pod: p.name, id: redis('8.0.2') })),
    );
    expect(ok.valid).toBe(true);
    expect(ok.explanation).toContain('before: redis 7.0.15');
    const stale = versionCheck(
      { binary: null, image: 'redis:8.0.2' },
      before,
      pods.map((p, i) => ({ pod: p.name, id: redis(i === 0 ? '7.0.15' : '8.0.2') })),
    );
    expect(stale.valid).toBe(false);
    expect(stale.explanation).toContain('redis-0 runs redis 7.0.15');
    // Valkey 8.1.1 reports redis_version 7.2.4; a redis 8.1.1 would not pass as Valkey either.
    expect(
      versionCheck(
        { binary: null, image: 'valkey:8.1.1' },
        before,
        pods.map((p) => ({ pod: p.name, id: identityOf({ server_name: 'valkey', valkey_version: '8.1.1', redis_version: '7.2.4' }) })),
      ).valid,
    ).toBe(true);
    expect(
      versionCheck(
        { binary: null, image: 'valkey:8.1.1' },
        before,
        pods.map((p) => ({ pod: p.name, id: redis('8.1.1') })),
      ).valid,
    ).toBe(false);
  });
});

describe('rolling-upgrade with an image on Kubernetes (recording fake)', () => {
  it('patches the StatefulSet image with OnDelete, then deletes the replicas and the master last; the check sees the new version', async () => {
    const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../manifests'));
    const api = new FakeKube({ pods: model.podNames, readyAfterGets: 1 });
    const { podControl, restoreStrategy } = createControls(
      { api, namespace: model.namespace, model, nodeShell: null, pollMs: 1, readyTimeoutMs: 2000 },
      new PodCache(),
    );
    const started = new Set<string>();
    const probes: UpgradeProbes = {
      inSync: async () => true,
      identity: async (_ctx, p) => redis(started.has(p.name) ? '8.0.2' : '7.0.15'),
    };
    const start = podControl.start.bind(podControl);
    podControl.start = async (name) => {
      await start(name);
      started.add(name);
    };
    const marks: string[] = [];
    const ctx: FaultContext = {
      deployment: { target: 'kube', pods, podControl, password: 'x' } as unknown as StartedDeployment,
      topology: { master: pods[1]!, replicas: [pods[0]!, pods[2]!] },
      clock: createClock(),
      ms: (d) => (typeof d === 'number' ? d : 1000),
      mark: (type, detail) => marks.push(`${type}: ${detail}`),
      podEvent: () => {},
      events: () => [],
      history: () => [],
      setClientPassword: () => {},
    };
    const f = await rollingUpgrade(ctx, { binary: null, image: 'redis:8.0.2', order: 'master-last', preStop: true, podTimeoutMs: 2000 }, probes);
    await restoreStrategy();
    const relevant = api.calls.filter((c) => c.startsWith('patch statefulset') || c.startsWith('delete pod'));
    expect(relevant[0]).toContain('"image":"redis:8.0.2"');
    expect(relevant[0]).toContain('"type":"OnDelete"');
    const grace = model.terminationGracePeriodSeconds;
    expect(relevant.slice(1, 4)).toEqual([`delete pod redis-2 grace=${grace}`, `delete pod redis-0 grace=${grace}`, `delete pod redis-1 grace=${grace}`]);
    expect(f.checks[0]).toMatchObject({ name: 'upgrade-versions', valid: true });
    expect(marks[0]).toContain('redis-2 → redis-0 → redis-1 (master last) to redis:8.0.2');
  });
});

describe('--upgrade-to-image', () => {
  const flags = (o: Partial<Parameters<typeof applyUpgradeImage>[1]>) => ({ target: 'docker' as const, upgradeToImage: 'redis:8.0.2', ...o });
  const noBuild = { checkBuilt: false };

  it('sets the image and master-last on the rolling-upgrade scenario; docker names it by catalogue NAME:VERSION, kube passes it as is', async () => {
    const scenarios = await resolveScenarios(['rolling-upgrade', 'master-kill']);
    const docker = await applyUpgradeImage(scenarios, flags({ upgradeToImage: 'sentinel-chaos/valkey:8.1.1' }), noBuild);
    expect(docker[0]!.fault).toMatchObject({ kind: 'rolling-upgrade', image: 'valkey:8.1.1', order: 'master-last' });
    expect(docker[1]!.fault).toEqual(scenarios[1]!.fault);
    const kube = await applyUpgradeImage(scenarios, flags({ target: 'kube', upgradeToImage: 'registry.example/redis:7.2.5-alpine' }), noBuild);
    expect(kube[0]!.fault).toMatchObject({ image: 'registry.example/redis:7.2.5-alpine' });
  });

  it.each([
    ['local target', { target: 'local' as const }, /--upgrade-to PATH/],
    ['unknown image on docker', { upgradeToImage: 'redis:6.2.0' }, /--upgrade-to-image redis:6.2.0: no local image for it: pass one of redis:7.0.15/],
    ['both flags', { upgradeTo: '/usr/bin/redis-server' }, /both name the upgrade/],
    ['empty', { upgradeToImage: ' ' }, /needs one image reference/],
  ])('%s is a usage error', async (_name, o, msg) => {
    const scenarios = await resolveScenarios(['rolling-upgrade']);
    await expect(applyUpgradeImage(scenarios, flags(o), noBuild)).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(msg) });
  });

  it('without a rolling-upgrade scenario is a usage error', async () => {
    await expect(applyUpgradeImage(await resolveScenarios(['master-kill']), flags({}), noBuild)).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('add rolling-upgrade to --scenario'),
    });
  });
});
