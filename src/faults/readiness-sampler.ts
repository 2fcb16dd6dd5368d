// Samples every pod's readiness (the manifest's own probes) during a planned disruption, to prove the PDB held.
// Beside other faults (a soak), a pod another step took down is counted apart: a PDB limits evictions, not crashes.
// So is any other pod not ready while another step acts: a replica's readiness needs its master link, so a master
// killed by another step makes every replica not ready until the failover, and that is not the eviction's doing.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartedDeployment } from '../targets/target.ts';

export class ReadinessSampler {
  /** The fewest pods ready at once over all samples. */
  minReady = Number.POSITIVE_INFINITY;
  /** The fewest pods ready or down because of another step, at once over all samples. */
  minReadyOrElsewhere = Number.POSITIVE_INFINITY;
  /** The pods counted as down because of another step at some sample. */
  readonly elsewhere = new Set<string>();
  samples = 0;
  /** Whether another step acted at some sample: then the samples say what happened, not what the eviction did. */
  overlapped = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly d: StartedDeployment;
  private readonly mark: (type: string, detail: string) => void;
  private readonly otherSteps: () => ReadonlySet<string>;
  /** Pods not ready since another step had them: excused until seen ready again (a restarted pod is not ready at once). */
  private readonly excused = new Set<string>();

  /** The pod the disruption itself takes down (never excused), if any. */
  private readonly victim: string | undefined;

  constructor(d: StartedDeployment, mark: (type: string, detail: string) => void, otherSteps: () => ReadonlySet<string> = () => new Set(), victim?: string) {
    this.d = d;
    this.mark = mark;
    this.otherSteps = otherSteps;
    this.victim = victim;
  }

  /** One sample: `ready[i]` for `this.d.pods[i]`. */
  record(ready: readonly boolean[]): void {
    const others = this.otherSteps();
    if (others.size > 0) this.overlapped = true;
    let elsewhere = 0;
    this.d.pods.forEach((p, i) => {
      if (ready[i]) this.excused.delete(p.name);
      else if (others.has(p.name) || (others.size > 0 && p.name !== this.victim)) this.excused.add(p.name);
      if (!ready[i] && this.excused.has(p.name)) {
        elsewhere++;
        this.elsewhere.add(p.name);
      }
    });
    const n = ready.filter(Boolean).length;
    this.samples++;
    this.minReady = Math.min(this.minReady, n);
    this.minReadyOrElsewhere = Math.min(this.minReadyOrElsewhere, n + elsewhere);
  }

  start(periodMs = 200): void {
    const last = new Map<string, boolean>();
    this.loop = (async () => {
      while (!this.stopped) {
        const started = performance.now();
        const ready = await Promise.all(this.d.pods.map((p) => this.d.podControl.isReady(p.name)));
        this.record(ready);
        this.d.pods.forEach((p, i) => {
          if (last.get(p.name) !== ready[i]) this.mark(ready[i] ? 'ready' : 'not-ready', p.name);
          last.set(p.name, ready[i]!);
        });
        await sleep(Math.max(0, periodMs - (performance.now() - started)));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}
