// A fault and its heal, packaged together; every fault proves it landed before the scenario clock starts.
import type { Clock } from '../clock.ts';
import type { Topology } from '../targets/convergence.ts';
import type { Pod, StartedDeployment } from '../targets/target.ts';

export interface FaultContext {
  deployment: StartedDeployment;
  topology: Topology;
  clock: Clock;
  /** Record a fault mark ("inject", "landed", "heal", "healed") on the trial's timeline. */
  mark(type: string, detail: string): void;
}

export interface InjectedFault {
  /** The pod the fault hit. */
  victim: Pod;
  /** When the fault was proven in effect: the scenario clock starts here. */
  landedNs: number;
  /** Undo the fault; idempotent. */
  heal(): Promise<void>;
}
