import { describe, expect, it } from 'vitest';
import type { ExecProbe } from '../../../src/config/manifests.ts';
import { LivenessWatch } from '../../../src/faults/bulk-load.ts';
import type { StartedDeployment } from '../../../src/targets/target.ts';

const SEED: ExecProbe = {
  command: ['sh', '/scripts/probe.sh', 'liveness'],
  initialDelaySeconds: 30,
  periodSeconds: 10,
  timeoutSeconds: 3,
  failureThreshold: 5,
};

/** A deployment whose liveness probe answers from a list, one answer per call. */
function deployment(answers: boolean[] | null): StartedDeployment {
  const podControl = answers === null ? {} : { runProbe: async () => answers.shift() ?? true };
  return { podControl } as unknown as StartedDeployment;
}

describe('LivenessWatch: what the kubelet would do to a loading redis', () => {
  it('a probe that fails while loading restarts redis once loading outlasts initialDelay + (threshold - 1) x period', async () => {
    const w = new LivenessWatch(deployment([false, false, false]), 'redis-0', () => true);
    w.start();
    await new Promise((r) => setTimeout(r, 600));
    await w.stop();
    expect(w.failures).toBeGreaterThan(0);
    expect(w.figures(SEED, 71_000)).toMatchObject({ liveness_restart_after_ms: 70_000, liveness_would_restart: 1 });
    expect(w.figures(SEED, 69_000)).toMatchObject({ liveness_would_restart: 0 });
  });

  it('a probe that passes while loading never restarts it, however long the load', async () => {
    const w = new LivenessWatch(deployment([true, true, true]), 'redis-0', () => true);
    w.start();
    await new Promise((r) => setTimeout(r, 600));
    await w.stop();
    expect(w.samples).toBeGreaterThan(0);
    expect(w.figures(SEED, 10 * 60_000)).toMatchObject({ liveness_failures_loading: 0, liveness_would_restart: 0 });
  });

  it('says nothing (null) where the target cannot run the probe, and samples only while loading', async () => {
    const none = new LivenessWatch(deployment(null), 'redis-0', () => true);
    none.start();
    await none.stop();
    expect(none.figures(SEED, 80_000)).toEqual({
      liveness_samples: null,
      liveness_failures_loading: null,
      liveness_restart_after_ms: 70_000,
      liveness_would_restart: null,
    });
    const idle = new LivenessWatch(deployment([false]), 'redis-0', () => false);
    idle.start();
    await new Promise((r) => setTimeout(r, 300));
    await idle.stop();
    expect(idle.samples).toBe(0);
  });
});
