// The node-drain fault itself (src/faults/node-drain.ts, unchanged) run against the kube controls and the recording fake.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../../src/clock.ts';
import { loadDeployment } from '../../../../src/config/manifests.ts';
import type { FaultContext } from '../../../../src/faults/fault.ts';
import { drainMasterNode } from '../../../../src/faults/node-drain.ts';
import { killPod } from '../../../../src/faults/kill-pod.ts';
import { createControls, PodCache } from '../../../../src/targets/kube/controls.ts';
import type { Pod, StartedDeployment } from '../../../../src/targets/target.ts';
import { FakeKube, FakeNodeShell } from '../../../support/kube-fake.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../../manifests'));

function harness(readyAfterGets: number) {
  const shell = new FakeNodeShell();
  const api = new FakeKube({ pods: model.podNames, readyAfterGets, onDelete: (p) => shell.killPod(p) });
  const cache = new PodCache();
  const c = createControls({ api, namespace: model.namespace, model, nodeShell: shell, pollMs: 1, readyTimeoutMs: 5000 }, cache);
  const pods: Pod[] = model.podNames.map((name, ordinal) => ({
    name,
    ordinal,
    node: `worker-${ordinal + 1}`,
    redis: { host: name, port: 6379 },
    sentinel: { host: name, port: 26379 },
  }));
  const d = { target: 'kube', model, pods, podControl: c.podControl, nodes: c.nodes, downAfterMs: 5000 } as unknown as StartedDeployment;
  const timeline: string[] = [];
  const clock = createClock();
  const ctx: FaultContext = {
    deployment: d,
    topology: { master: pods[0]!, replicas: pods.slice(1) },
    clock,
    ms: (x) => (typeof x === 'number' ? x : 0),
    mark: (t, detail) => timeline.push(`mark ${t}: ${detail}`),
    podEvent: (t, detail) => timeline.push(`pod ${t}: ${detail}`),
    events: () => [],
    history: () => [],
    setClientPassword: () => {},
  };
  return { api, ctx, timeline, cache };
}

describe('node-drain on the kube target', () => {
  it("cordons, evicts the master, records the PDB's 429 on a second eviction as proof that the budget held, and uncordons on heal", async () => {
    const { api, ctx, timeline, cache } = harness(8);
    // nodeOf answers from what the API reported.
    for (const n of model.podNames) cache.set(n, await api.getPod('matrix', n));
    const fault = await drainMasterNode(ctx, { readyTimeoutMs: 5000 });
    const pdb = fault.checks.find((c) => c.name === 'pdb-refuses-second-eviction')!;
    expect(pdb.valid).toBe(true);
    expect(pdb.explanation).toContain('HTTP 429 (DisruptionBudget)');
    expect(timeline).toContain('pod cordoned: worker-1');
    expect(timeline.find((t) => t.startsWith('pod eviction-refused'))).toMatch(/^pod eviction-refused: redis-1: HTTP 429 \(DisruptionBudget\)/);
    expect(fault.checks.find((c) => c.name === 'pdb-min-available')!.valid).toBe(true);
    await fault.heal();
    const k8s = api.calls.filter((c) => !c.startsWith('exec'));
    expect(k8s).toEqual(['cordon worker-1', 'evict redis-0 -> 201', 'evict redis-1 -> 429', 'uncordon worker-1']);
  });

  it('kill-pod: the StatefulSet has already recreated the pod when the heal runs, so the heal only waits (no second delete)', async () => {
    const { api, ctx, timeline } = harness(3);
    const fault = await killPod(ctx, { target: 'master', holdMs: 0 }, true);
    expect(api.calls).toEqual(['delete pod redis-0 grace=0']);
    for (let i = 0; i < 5; i++) await ctx.deployment.podControl.isReady('redis-0');
    await fault.heal();
    expect(api.calls).toEqual(['delete pod redis-0 grace=0']);
    expect(timeline.at(-1)).toBe('mark healed: redis-0 processes running');
    expect(fault.mustRejoin?.name).toBe('redis-0');
  });
});
