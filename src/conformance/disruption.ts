// What a conformance group's disruptive steps go through: the scenarios' faults (injectFault + FaultSpec) and a heal stack whose heals run once, on every path, SIGINT included.
import { createClock, type Clock } from '../clock.ts';
import { injectFault } from '../faults/index.ts';
import { healOnce, type FaultContext, type InjectedFault } from '../faults/fault.ts';
import type { FaultSpec } from '../faults/index.ts';
import { durationMs } from '../model/duration.ts';
import { onInterrupt } from '../process/interrupt.ts';
import type { Topology } from '../targets/convergence.ts';
import type { StartedDeployment } from '../targets/target.ts';

/** A fault mark, as a trial's timeline records them ("inject", "landed", "heal", "healed"). */
export interface Mark {
  ns: number;
  type: string;
  detail: string;
}

/** Undo actions, run last-in first-out; each runs once (healOnce) and is also registered to run on SIGINT / SIGTERM until it has run. */
export class HealStack {
  readonly #heals: { what: string; heal: () => Promise<void>; unregister: () => void }[] = [];
  readonly #ctx: FaultContext;
  constructor(ctx: FaultContext) {
    this.#ctx = ctx;
  }
  /** Push `fn` as the heal of `what`; returns the once-only heal (call it early to heal at once). */
  push(what: string, fn: () => Promise<unknown>): () => Promise<void> {
    let unregister = () => {};
    const once = healOnce(this.#ctx, what, `${what}: done`, async () => {
      unregister();
      await fn();
    });
    unregister = onInterrupt(once);
    this.#heals.push({ what, heal: once, unregister: () => unregister() });
    return once;
  }
  /** Leave what is not healed yet as it is (the caller owns the deployment and removes it); nothing runs on SIGINT either. */
  forget(): void {
    for (const h of this.#heals.splice(0)) h.unregister();
  }
  /** Heal everything not healed yet, newest first; returns what failed (each failure is reported, none is fatal). */
  async unwind(): Promise<string[]> {
    const errors: string[] = [];
    for (const h of this.#heals.splice(0).reverse()) {
      try {
        await h.heal();
      } catch (e) {
        errors.push(`${h.what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return errors;
  }
}

/** A FaultContext for a conformance group: no workload of the trial's, marks kept for the group. */
export function conformanceFaultContext(d: StartedDeployment, topology: Topology, clock: Clock = createClock()): FaultContext & { marks: Mark[] } {
  const marks: Mark[] = [];
  return {
    deployment: d,
    topology,
    clock,
    ms: (x) => durationMs(x, d.downAfterMs),
    mark: (type, detail) => marks.push({ ns: clock.nowNs(), type, detail }),
    podEvent: (type, detail) => marks.push({ ns: clock.nowNs(), type, detail }),
    events: () => [],
    history: () => [],
    setClientPassword: () => {},
    marks,
  };
}

/** Inject a scenario fault for a conformance step; its heal goes on `heals` (so SIGINT heals it too). */
export async function injectStep(ctx: FaultContext, heals: HealStack, spec: FaultSpec, opts: { restart: boolean }): Promise<InjectedFault> {
  const f = await injectFault(ctx, spec, opts);
  return { ...f, heal: heals.push(`heal ${spec.kind} of ${f.victim.name}`, () => f.heal()) };
}
