// `conformance` and `up` on kube go through the same target factory as `run`: the context guard, the fault
// backend's auto-detection and the deployment's start (here a recording fake), its keep and its down.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { up } from '../../../../src/cli/up.ts';
import { runConformance } from '../../../../src/conformance/run.ts';
import type { KubeOptions } from '../../../../src/targets/kube/kube-target.ts';
import type { TargetDeps } from '../../../../src/targets/kube/start-kube.ts';
import type { StartedDeployment } from '../../../../src/targets/target.ts';
import { FakeKube, FakeNodeShell } from '../../../support/kube-fake.ts';

const manifestsDir = path.resolve(import.meta.dirname, '../../../../manifests');
const model = await loadDeployment(manifestsDir);
const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-kube-conf-'));
afterAll(() => rm(dir, { recursive: true, force: true }));
const CRDS = ['networkchaos.chaos-mesh.org', 'podchaos.chaos-mesh.org'];

async function kubeconfig(context: string): Promise<string> {
  const file = path.join(dir, context);
  await writeFile(
    file,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:6443'}\ncontexts:\n- name: ${context}\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\ncurrent-context: ${context}\n`,
  );
  return file;
}

/** The factory's deps with a fake API (Chaos Mesh's CRDs installed) and a start that records its options; pods point at a closed port. */
function fakes() {
  const api = new FakeKube({ pods: model.podNames, crds: CRDS });
  const log: string[] = [];
  let started: KubeOptions | null = null;
  const deps: TargetDeps = {
    provider: { unavailableReason: async () => null, exists: async () => true, create: async () => {}, delete: async () => {}, kubeconfig: async () => '' },
    nodeShell: new FakeNodeShell(),
    api: (kc) => (log.push(`api ${kc.getCurrentContext()}`), api),
    start: async (o) => {
      started = o;
      return {
        target: o.target,
        model: o.model,
        pods: o.model.podNames.map((name, i) => ({
          name,
          ordinal: i,
          node: `worker-${i + 1}`,
          redis: { host: '127.0.0.1', port: 1 },
          sentinel: { host: '127.0.0.1', port: 1 },
        })),
        password: 'p',
        passwords: ['p'],
        redisVersion: 'Redis server v=7.0.15',
        faultBackend: o.faultBackend,
        describe: () => ({ ...o.facts, fault_backend: o.faultBackend ?? '?' }),
        down: async () => void log.push(`down keep=${o.keep}`),
      } as unknown as StartedDeployment;
    },
  };
  return { api, log, deps, started: () => started };
}

describe('conformance and up on kube, through the target factory', () => {
  it('up --target kube: guard, auto-detected Chaos Mesh, the objects kept (--keep implied), the port-forwards closed', async () => {
    const f = fakes();
    const text = await up({
      target: 'kube',
      kube: { kubeconfig: await kubeconfig('kind-a'), context: 'kind-a' },
      manifestsDir,
      json: false,
      targetDeps: f.deps,
    });
    expect(f.started()).toMatchObject({ target: 'kube', keep: true, faultBackend: 'chaos-mesh', applyExisting: false });
    expect(f.log).toEqual(['api kind-a', 'down keep=true']);
    expect(text).toMatch(/^deployment up on kube \(redis Redis server v=7\.0\.15\), namespace \S+, master name /);
    expect(text).toContain('redis-0 on worker-1');
  });

  it('up --target kube --profile secure: the Secrets named, where the CA and client certificates are, the in-pod redis-cli over TLS; never a key', async () => {
    const f = fakes();
    const start = f.deps.start;
    f.deps.start = async (o) => {
      const d = await start(o);
      const facts = {
        tls_secret: 'redis-tls (made by this run)',
        tls_ca: '/tmp/sentinel-chaos-kube-x/tls-secret/ca.crt',
        tls_client_certs: 'harness=/tmp/sentinel-chaos-kube-x/clients/harness.crt',
        tls_client_keys_dir: '/tmp/sentinel-chaos-kube-x/clients',
        acl_secret: 'redis-acl (made by this run)',
        acl_users: 'pod replication sentinel synapse livekit django',
      };
      return { ...d, describe: () => ({ ...d.describe(), ...facts }) } as StartedDeployment;
    };
    const text = await up({
      target: 'kube',
      profile: 'secure',
      kube: { kubeconfig: await kubeconfig('kind-a'), context: 'kind-a' },
      manifestsDir,
      json: false,
      targetDeps: f.deps,
    });
    expect(f.started()!.model.security?.tls?.secret).toBe('redis-tls');
    expect(text).toContain('profile secure: TLS only, ACL users');
    expect(text).toContain('TLS Secret: redis-tls (made by this run); CA certificate: /tmp/sentinel-chaos-kube-x/tls-secret/ca.crt');
    expect(text).toContain(
      'ACL Secret: redis-acl (made by this run), users pod replication sentinel synapse livekit django (admin: the redis-password Secret)',
    );
    expect(text).toContain(
      'exec redis-0 -c sentinel -- redis-cli --tls --cacert /etc/redis-tls/ca.crt --cert /etc/redis-tls/redis-0.crt --key /etc/redis-tls/redis-0.key -p 26379 SENTINEL',
    );
  });

  it('up --target kube in a context outside the allow-list: refused (exit 2) before any API call', async () => {
    const f = fakes();
    await expect(
      up({ target: 'kube', kube: { kubeconfig: await kubeconfig('prod'), context: 'prod' }, manifestsDir, json: false, targetDeps: f.deps }),
    ).rejects.toMatchObject({
      code: 'CONTEXT_FORBIDDEN',
      exitCode: 2,
    });
    expect(f.log).toEqual([]);
    expect(f.started()).toBeNull();
  });

  it('conformance --target kube: the deployment started through the factory, its groups run against it, the journal names kube and its backend, down after', async () => {
    const f = fakes();
    const r = await runConformance({
      groups: ['live'],
      target: 'kube',
      kube: { kubeconfig: await kubeconfig('kind-b'), context: 'kind-b', faultBackend: 'kind-node' },
      manifestsDir,
      reportDir: path.join(dir, 'reports'),
      convergeTimeoutMs: 200,
      targetDeps: f.deps,
    });
    expect(f.started()).toMatchObject({ target: 'kube', faultBackend: 'kind-node', keep: false });
    expect(r.journal.target).toMatchObject({ name: 'kube', details: { context: 'kind-b', fault_backend: 'kind-node' } });
    expect(r.journal.conformance?.map((g) => g.group)).toEqual(['live']);
    // The fake's pods answer nowhere: the group cannot converge, so it is not passed.
    expect(r.journal.conformance?.[0]?.verdict).not.toBe('pass');
    expect(f.log.at(-1)).toBe('down keep=false');
  });
});
