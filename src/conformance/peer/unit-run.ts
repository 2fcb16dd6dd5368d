// The peer unit machinery: a unit's spec (upstream file, checks, body) and UnitRun, which records its checks and injects its faults.
import { HarnessError } from '../../errors.ts';
import type { FaultContext, InjectedFault } from '../../faults/fault.ts';
import type { FaultSpec } from '../../faults/index.ts';
import type { Topology } from '../../targets/convergence.ts';
import type { StartedDeployment } from '../../targets/target.ts';
import { conformanceFaultContext, HealStack, injectStep } from '../disruption.ts';
import type { ConformanceCheck, ConformanceContext, ConformanceFigures } from '../types.ts';
import type { Peers } from './peers.ts';
import { errText } from './until.ts';

export const UPSTREAM_DIR = 'tests/sentinel/tests';

export interface Outcome {
  valid: boolean | 'skipped';
  reason?: string;
  expected: string;
  observed: string;
  explanation: string;
  figures?: ConformanceFigures;
}

export interface UnitSpec {
  id: string;
  /** Upstream file name, e.g. 00-base.tcl. */
  file: string;
  /** Check name → upstream test title (or [file, title] when from another file), in the order the unit records them. */
  checks: Record<string, string | readonly [string, string]>;
  body(u: UnitRun): Promise<void>;
}

export function upstreamOf(spec: UnitSpec, name: string): string {
  const t = spec.checks[name] ?? '?';
  const [file, title] = typeof t === 'string' ? [spec.file, t] : t;
  return `${UPSTREAM_DIR}/${file}: "${title}"`;
}

export class UnitRun {
  readonly spec: UnitSpec;
  readonly out: ConformanceCheck[];
  readonly p: Peers;
  readonly d: StartedDeployment;
  readonly topology: Topology;
  readonly ctx: ConformanceContext;
  /** The scenarios' fault context, for the steps that are scenario faults (the master kill, the pause). */
  readonly faultCtx: FaultContext;
  /** Undo actions, run last-in first-out whatever happens, each once, also on SIGINT (each one's failure is reported, not fatal). */
  readonly heals: HealStack;
  constructor(spec: UnitSpec, out: ConformanceCheck[], p: Peers, topology: Topology, ctx: ConformanceContext) {
    this.spec = spec;
    this.out = out;
    this.p = p;
    this.d = p.d;
    this.topology = topology;
    this.ctx = ctx;
    this.faultCtx = conformanceFaultContext(this.d, topology);
    this.heals = new HealStack(this.faultCtx);
  }
  /**
   * Bound for waiting on a failover: detection, election, promotion, and room for a second election,
   * which Sentinel starts 2 × failover-timeout after a split vote (sentinels that reach ODOWN together).
   */
  get failoverWaitMs(): number {
    return this.d.downAfterMs * 4 + this.d.model.failoverTimeoutMs * 2 + 10_000;
  }
  /** Push the undo of `what` on the heal stack; returns it (once-only) for a step that heals early. */
  onRestore(what: string, fn: () => Promise<unknown>): () => Promise<void> {
    return this.heals.push(what, fn);
  }
  /** Inject a scenario fault (FaultSpec) as a step; its heal goes on the heal stack. */
  inject(spec: FaultSpec, opts: { restart: boolean }): Promise<InjectedFault> {
    return injectStep(this.faultCtx, this.heals, spec, opts);
  }
  upstream(name: string): string {
    return upstreamOf(this.spec, name);
  }
  /** Record one check; a failed check ends the unit unless `keepGoing`. */
  async check(name: string, fn: () => Promise<Outcome>, opts: { keepGoing?: boolean } = {}): Promise<Outcome> {
    if (!(name in this.spec.checks)) throw new HarnessError('INTERNAL', `peer check ${name} is not declared by unit ${this.spec.id}`);
    const started = performance.now();
    let o: Outcome;
    try {
      o = await fn();
    } catch (e) {
      o = { valid: false, expected: 'the step to complete', observed: `error: ${errText(e)}`, explanation: 'The step could not be carried out.' };
    }
    this.out.push({
      name,
      group: 'peer',
      valid: o.valid,
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      expected: o.expected,
      observed: o.observed,
      explanation: o.explanation,
      upstream: this.upstream(name),
      ...(o.figures ? { figures: o.figures } : {}),
      durationMs: Math.round(performance.now() - started),
    });
    if (o.valid === false && !opts.keepGoing) throw new HarnessError('STEP_FAILED', name);
    return o;
  }
}
