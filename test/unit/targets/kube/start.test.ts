// The target factory's bad input and cluster lifetime, with a fake provider and API (and one real
// client-node connection attempt to a closed local port).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { isHarnessError } from '../../../../src/errors.ts';
import type { KubeOptions } from '../../../../src/targets/kube/kube-target.ts';
import type { ClusterProvider } from '../../../../src/targets/kube/kind.ts';
import { startTarget } from '../../../../src/targets/start.ts';
import { machineDeps, type TargetDeps } from '../../../../src/targets/kube/start-kube.ts';
import type { StartedDeployment } from '../../../../src/targets/target.ts';
import { FakeKube, FakeNodeShell } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));
const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-kube-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const kubeconfig = (server: string, contexts: string[]) => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: '${server}', insecure-skip-tls-verify: true}
contexts:
${contexts.map((c) => `- name: ${c}\n  context: {cluster: c, user: u}`).join('\n')}
users:
- name: u
  user: {token: t}
current-context: ${contexts[0]}
`;

function fakes(o: { unavailable?: string; exists?: boolean; namespaces?: string[]; startFails?: boolean } = {}) {
  const log: string[] = [];
  const api = new FakeKube({ pods: model.podNames, namespaces: o.namespaces ?? ['matrix'] });
  const provider: ClusterProvider = {
    unavailableReason: async () => o.unavailable ?? null,
    exists: async (n) => (log.push(`exists ${n}`), o.exists === true),
    create: async (n, f) => void log.push(`create ${n} ${path.basename(f)}`),
    delete: async (n) => void log.push(`delete ${n}`),
    kubeconfig: async () => kubeconfig('https://127.0.0.1:6443', ['kind-sentinel-chaos']),
  };
  let started: KubeOptions | null = null;
  const deps: TargetDeps = {
    provider,
    nodeShell: new FakeNodeShell(),
    api: (kc) => (log.push(`api ${kc.getCurrentContext()}`), api),
    start: async (opts) => {
      started = opts;
      if (o.startFails) throw new Error('rollout failed');
      return {
        down: async () => {
          if (!opts.keep) log.push('delete created objects');
          await opts.afterDown?.();
        },
      } as unknown as StartedDeployment;
    },
  };
  return { log, api, deps, started: () => started };
}

const code = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (isHarnessError(e)) return { code: e.code, exit: e.exitCode, message: e.message };
    throw e;
  }
  throw new Error('expected a HarnessError');
};

describe('--target kind', () => {
  it("no docker / kind: exit 2 with the provider's fix, nothing created", async () => {
    const f = fakes({ unavailable: 'no kind binary on PATH: install kind (go install sigs.k8s.io/kind@v0.25.0)' });
    expect(await code(startTarget({ target: 'kind', model, runId: 'r' }, f.deps))).toMatchObject({
      code: 'TARGET_UNAVAILABLE',
      exit: 2,
      message: expect.stringContaining('go install sigs.k8s.io/kind'),
    });
    expect(f.log).toEqual([]);
  });

  it('an existing cluster without --reuse is refused; with --reuse it is used and not deleted', async () => {
    const f = fakes({ exists: true });
    expect(await code(startTarget({ target: 'kind', model, runId: 'r' }, f.deps))).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('pass --reuse'),
    });
    expect(f.log).toEqual(['exists sentinel-chaos']);
    const d = await startTarget({ target: 'kind', model, runId: 'r', kube: { reuse: true } }, f.deps);
    await d.down();
    expect(f.log).not.toContain('delete sentinel-chaos');
    expect(f.log).toContain('delete created objects');
    expect(f.started()!.applyExisting).toBe(true);
  });

  it('creates the cluster from kind-config.yaml and deletes it after the run, unless --keep', async () => {
    const f = fakes();
    const d = await startTarget({ target: 'kind', model, runId: 'r' }, f.deps);
    expect(f.log.slice(0, 3)).toEqual(['exists sentinel-chaos', 'create sentinel-chaos kind-config.yaml', 'api kind-sentinel-chaos']);
    // The API server was asked for its version, then (--fault-backend auto) whether Chaos Mesh's CRDs are installed.
    expect(f.api.calls).toEqual(['version', 'get crd networkchaos.chaos-mesh.org', 'get crd podchaos.chaos-mesh.org']);
    await d.down();
    expect(f.log.at(-1)).toBe('delete sentinel-chaos');
    const k = fakes();
    await (await startTarget({ target: 'kind', model, runId: 'r', kube: { keep: true } }, k.deps)).down();
    expect(k.log).not.toContain('delete sentinel-chaos');
  });

  it('a set-up that fails leaves no half-created cluster behind, even with --keep', async () => {
    const f = fakes({ startFails: true });
    await expect(startTarget({ target: 'kind', model, runId: 'r', kube: { keep: true } }, f.deps)).rejects.toThrow('rollout failed');
    expect(f.log.at(-1)).toBe('delete sentinel-chaos');
  });
});

describe('--target kube', () => {
  it('no kubeconfig, no --context, an unknown context: exit 2 naming the flag', async () => {
    const f = fakes();
    expect(await code(startTarget({ target: 'kube', model, runId: 'r', kube: { kubeconfig: path.join(dir, 'absent'), context: 'x' } }, f.deps))).toMatchObject({
      code: 'TARGET_UNAVAILABLE',
      message: expect.stringContaining('set KUBECONFIG=FILE or pass --kubeconfig FILE'),
    });
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig('https://127.0.0.1:6443', ['kind-a', 'staging']));
    expect(await code(startTarget({ target: 'kube', model, runId: 'r', kube: { kubeconfig: file } }, f.deps))).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('needs --context NAME (contexts in'),
    });
    expect(await code(startTarget({ target: 'kube', model, runId: 'r', kube: { kubeconfig: file, context: 'prod' } }, f.deps))).toMatchObject({
      message: expect.stringContaining('context prod is not in'),
    });
    expect(f.log).toEqual([]);
  });

  it('a context outside the allow-list is refused before any API call; --allow-context lets it through', async () => {
    const f = fakes();
    const file = path.join(dir, 'config-guard');
    await writeFile(file, kubeconfig('https://127.0.0.1:6443', ['staging']));
    expect(await code(startTarget({ target: 'kube', model, runId: 'r', kube: { kubeconfig: file, context: 'staging' } }, f.deps))).toMatchObject({
      code: 'CONTEXT_FORBIDDEN',
      exit: 2,
      message: expect.stringContaining('--allow-context staging'),
    });
    expect(f.log).toEqual([]);
    expect(f.api.calls).toEqual([]);
    await startTarget({ target: 'kube', model, runId: 'r', kube: { kubeconfig: file, context: 'staging', allowContexts: ['staging'] } }, f.deps);
    expect(f.log).toEqual(['api staging']);
    // Not a kind context: no node shell, and existing objects are not re-applied.
    expect(f.started()).toMatchObject({ target: 'kube', nodeShell: null, applyExisting: false });
  });

  it("the manifests' namespace missing: exit 2 with the kubectl command that creates it", async () => {
    const f = fakes({ namespaces: [] });
    const file = path.join(dir, 'config-ns');
    await writeFile(file, kubeconfig('https://127.0.0.1:6443', ['kind-x']));
    expect(await code(startTarget({ target: 'kube', model, runId: 'r', kube: { kubeconfig: file, context: 'kind-x' } }, f.deps))).toMatchObject({
      code: 'TARGET_UNAVAILABLE',
      message: expect.stringContaining('kubectl --context kind-x create namespace matrix'),
    });
    expect(f.started()).toBeNull();
  });

  it('an unreachable API server (real client-node, a closed local port): exit 2 naming the server and the check', async () => {
    const file = path.join(dir, 'config-dead');
    await writeFile(file, kubeconfig('https://127.0.0.1:59998', ['kind-dead']));
    const r = await code(startTarget({ target: 'kube', model, runId: 'r', kube: { kubeconfig: file, context: 'kind-dead' } }, machineDeps));
    expect(r).toMatchObject({ code: 'TARGET_UNAVAILABLE', exit: 2 });
    expect(r.message).toContain('cannot reach the API server of context kind-dead at https://127.0.0.1:59998');
    expect(r.message).toContain('kubectl --context kind-dead cluster-info');
  });
});
