// Offline validation of what the kind target and the nightly workflow are built from.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import { prepareObjects } from '../../../../src/targets/kube/kube-target.ts';
import { kindClusterName } from '../../../../src/targets/kube/kind.ts';

const root = path.resolve(import.meta.dirname, '../../../..');

describe('kind-config.yaml', () => {
  it('one control plane and three workers, every node image pinned by digest', async () => {
    const cfg = parse(await readFile(path.join(root, 'kind-config.yaml'), 'utf8')) as {
      kind: string;
      apiVersion: string;
      nodes: Array<{ role: string; image: string }>;
    };
    expect(cfg.kind).toBe('Cluster');
    expect(cfg.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(cfg.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker']);
    for (const n of cfg.nodes) expect(n.image).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(new Set(cfg.nodes.map((n) => n.image)).size).toBe(1);
    expect(await kindClusterName(path.join(root, 'kind-config.yaml'))).toBe('sentinel-chaos');
  });
});

describe('.github/workflows/chaos-nightly.yml', () => {
  it('nightly and on demand; pinned actions; the kind run with 3 trials; JUnit and the reports published even when the gate fails', async () => {
    const wf = parse(await readFile(path.join(root, '.github/workflows/chaos-nightly.yml'), 'utf8')) as {
      on: { schedule: Array<{ cron: string }>; workflow_dispatch: unknown };
      jobs: Record<string, { steps: Array<{ uses?: string; run?: string; if?: string; with?: Record<string, unknown> }> }>;
    };
    expect(wf.on.schedule[0]!.cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect('workflow_dispatch' in wf.on).toBe(true);
    const steps = Object.values(wf.jobs)[0]!.steps;
    for (const s of steps.filter((x) => x.uses)) expect(s.uses).toMatch(/@v\d+(\.\d+)*$/);
    const uses = (prefix: string) => steps.find((s) => s.uses?.startsWith(prefix));
    expect(uses('helm/kind-action')!.with).toMatchObject({ install_only: true, version: 'v0.25.0' });
    expect(uses('actions/setup-node')!.with!['node-version']).toBe(24);
    const runs = steps.map((s) => s.run ?? '');
    expect(runs.indexOf('npm ci')).toBeLessThan(runs.findIndex((r) => r.startsWith('npm run chaos -- --target kind --trials 3')));
    expect(uses('mikepenz/action-junit-report')!.if).toBe('always()');
    expect(uses('actions/upload-artifact')!.if).toBe('always()');
    // The chaos step itself is not allowed to fail silently: the job fails with its exit status.
    expect(steps.find((s) => s.run?.startsWith('npm run chaos'))!).not.toHaveProperty('continue-on-error');
  });
});

describe('manifests for the Kubernetes targets', () => {
  it("every namespaced object is in the manifests' namespace; one in another namespace is refused", async () => {
    const model = await loadDeployment(path.join(root, 'manifests'));
    expect(() => prepareObjects(model, undefined, 'x')).not.toThrow();
    const stray = {
      ...model,
      objects: [...model.objects, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default' }, __file: 'extra.yaml' }],
    };
    expect(() => prepareObjects(stray, undefined, 'x')).toThrow(/extra.yaml: ConfigMap\/x is in namespace default, not matrix/);
  });
});
