// Samples every pod's readiness (the manifest's own probes) during a planned disruption, to prove the PDB held.
import { setTimeout as sleep } from 'node:timers/promises';
import type { StartedDeployment } from '../targets/target.ts';

export class ReadinessSampler {
  /** The fewest pods ready at once over all samples. */
  minReady = Number.POSITIVE_INFINITY;
  samples = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly d: StartedDeployment;
  private readonly mark: (type: string, detail: string) => void;

  constructor(d: StartedDeployment, mark: (type: string, detail: string) => void) {
    this.d = d;
    this.mark = mark;
  }

  start(periodMs = 200): void {
    const last = new Map<string, boolean>();
    this.loop = (async () => {
      while (!this.stopped) {
        const started = performance.now();
        const ready = await Promise.all(this.d.pods.map((p) => this.d.podControl.isReady(p.name)));
        this.samples++;
        this.minReady = Math.min(this.minReady, ready.filter(Boolean).length);
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
