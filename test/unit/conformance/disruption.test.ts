// Conformance's disruptive steps: the heal stack (once, newest first, also on SIGINT) and the conformance --dry-run.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { conformanceDryRunText } from '../../../src/cli/kube-options.ts';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { conformanceFaultContext, HealStack, injectStep } from '../../../src/conformance/disruption.ts';
import { CONFORMANCE_GROUPS } from '../../../src/conformance/groups.ts';
import { runInterruptCleanups } from '../../../src/process/interrupt.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';

const model = await loadDeployment(path.resolve(import.meta.dirname, '../../../manifests'));
const pods: Pod[] = [0, 1, 2].map((i) => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `n${i}`,
  redis: { host: `127.0.239.${i + 1}`, port: 6379 },
  sentinel: { host: `127.0.239.${i + 1}`, port: 26379 },
}));

/** A deployment whose pod control records what is done to it. */
function recordingDeployment(log: string[]): StartedDeployment {
  const running = new Set(pods.map((p) => p.name));
  return {
    target: 'fake',
    model,
    pods,
    downAfterMs: 1000,
    password: 'x',
    passwords: ['x'],
    podControl: {
      kill: async (p: string) => void (running.delete(p), log.push(`kill ${p}`)),
      start: async (p: string) => void (running.add(p), log.push(`start ${p}`)),
      isRunning: (p: string) => running.has(p),
    },
  } as unknown as StartedDeployment;
}

describe('HealStack', () => {
  it('heals newest first, each once, and reports a failed heal without stopping the others', async () => {
    const ctx = conformanceFaultContext(recordingDeployment([]), { master: pods[0]!, replicas: pods.slice(1) });
    const heals = new HealStack(ctx);
    const done: string[] = [];
    heals.push('a', async () => void done.push('a'));
    const b = heals.push('b', async () => {
      done.push('b');
      throw new Error('boom');
    });
    heals.push('c', async () => void done.push('c'));
    await b().catch(() => {});
    expect(await heals.unwind()).toEqual([]);
    expect(done).toEqual(['b', 'c', 'a']);
    expect(await heals.unwind()).toEqual([]);
    expect(ctx.marks.map((m) => `${m.type} ${m.detail}`)).toEqual(['heal b', 'heal c', 'healed c: done', 'heal a', 'healed a: done']);
  });

  it("a kill-pod step goes through the scenarios' fault and its heal runs on SIGINT, once", async () => {
    const log: string[] = [];
    const d = recordingDeployment(log);
    const ctx = conformanceFaultContext(d, { master: pods[1]!, replicas: [pods[0]!, pods[2]!] });
    const heals = new HealStack(ctx);
    const f = await injectStep(ctx, heals, { kind: 'kill-pod', target: 'master', holdMs: 0 }, { restart: true });
    expect(f.victim.name).toBe('redis-1');
    await runInterruptCleanups(1000);
    expect(log).toEqual(['kill redis-1', 'start redis-1']);
    await heals.unwind();
    await f.heal();
    expect(log).toEqual(['kill redis-1', 'start redis-1']);
  });

  it('forget leaves the fault in place and unregisters its heal from SIGINT', async () => {
    const log: string[] = [];
    const ctx = conformanceFaultContext(recordingDeployment(log), { master: pods[0]!, replicas: pods.slice(1) });
    const heals = new HealStack(ctx);
    await injectStep(ctx, heals, { kind: 'kill-pod', target: 'master', holdMs: 0 }, { restart: false });
    heals.forget();
    await runInterruptCleanups(1000);
    expect(log).toEqual(['kill redis-0']);
  });
});

describe('conformance --dry-run', () => {
  const flags = { allowContext: [], kindConfig: 'kind-config.yaml' };
  it("lists every group with what it needs and each disruptive step with its heal, in the target's own terms on kind", () => {
    const text = conformanceDryRunText('kind', flags, CONFORMANCE_GROUPS);
    expect(text).toContain('target: kind');
    expect(text).toMatch(/app-paths, needs: services/);
    expect(text).toContain('delete pod, grace period 0');
    expect(text).toMatch(/peer\n {2}06-ckquorum\.tcl: /);
    expect(text).toContain('between groups: wait until every sentinel sees every peer and replica usable');
    expect(text.trimEnd().endsWith('dry run: nothing was applied, injected or deleted.')).toBe(true);
  });

  it('says whether the context guard would refuse a kube context', () => {
    expect(conformanceDryRunText('kube', { ...flags, context: 'prod' }, CONFORMANCE_GROUPS)).toMatch(/context guard: would refuse/);
  });
});
