// A trial's steady-state probes: sampled once (before, after) or polled (during, continuous), each sample on the
// timeline, each probe's tolerance counted; a probe named in haltOn halts the trial the moment it breaks.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../model/check.ts';
import type { ProbeMode, ProbeSpec, SampleProbe } from '../probes/index.ts';
import type { Timeline } from './trial-record.ts';

interface ProbeState {
  spec: ProbeSpec;
  samples: number;
  failures: number;
  consecutive: number;
  /** Why it broke (the failing sample that exhausted its tolerance), or null. */
  broken: string | null;
  last: string;
}

export interface TrialProbesOptions {
  specs: readonly ProbeSpec[];
  /** Names of the probes whose break halts the run. */
  haltOn: ReadonlySet<string>;
  timeline: Timeline;
  password: () => string | undefined;
  sample: SampleProbe;
  /** Called once, with the first haltOn probe that broke. */
  onHalt: (by: string, reason: string) => void;
}

/** Figure names are snake case: probe "api-up" counts its failures in probe_api_up_failures. */
const figureName = (probe: string, what: string) => `probe_${probe.replaceAll('-', '_')}_${what}`;

export class TrialProbes {
  private readonly states: ProbeState[];
  private readonly opts: TrialProbesOptions;
  private readonly pollers = new Set<() => Promise<void>>();

  constructor(opts: TrialProbesOptions) {
    this.opts = opts;
    this.states = opts.specs.map((spec) => ({ spec, samples: 0, failures: 0, consecutive: 0, broken: null, last: '' }));
  }

  has(mode: ProbeMode): boolean {
    return this.states.some((s) => s.spec.mode === mode);
  }

  /** Sample every probe of `mode` once, together; the ones that broke. */
  async once(mode: ProbeMode, signal: AbortSignal): Promise<ProbeSpec[]> {
    const of = this.states.filter((s) => s.spec.mode === mode);
    await Promise.all(of.map((s) => this.take(s, signal)));
    return of.filter((s) => s.broken !== null).map((s) => s.spec);
  }

  /** Poll every probe of `mode` (each on its own interval, one sample at a time) until the returned stop is called. */
  poll(mode: ProbeMode): () => Promise<void> {
    const of = this.states.filter((s) => s.spec.mode === mode);
    if (of.length === 0) return async () => {};
    const ac = new AbortController();
    const loops = of.map(async (s) => {
      while (!ac.signal.aborted) {
        await this.take(s, ac.signal);
        await sleep(s.spec.intervalMs, undefined, { signal: ac.signal }).catch(() => {});
      }
    });
    let stopping: Promise<void> | null = null;
    const stop = () => {
      this.pollers.delete(stop);
      ac.abort();
      return (stopping ??= Promise.all(loops).then(() => {}));
    };
    this.pollers.add(stop);
    return stop;
  }

  /** Stop every poller still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.pollers].map((stop) => stop()));
  }

  private async take(s: ProbeState, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const sample = await this.opts.sample(s.spec, { signal, password: this.opts.password() });
    // A sample the trial abandoned (it stopped polling mid-sample) says nothing about the steady state.
    if (signal.aborted) return;
    const { spec } = s;
    s.samples++;
    s.last = sample.detail;
    this.opts.timeline.probe(spec.name, sample.ok ? 'ok' : 'fail', sample.detail);
    if (sample.ok) {
      s.consecutive = 0;
      return;
    }
    s.failures++;
    s.consecutive++;
    const counted = spec.count === 'consecutive' ? s.consecutive : s.failures;
    if (s.broken !== null || counted <= spec.maxFailures) return;
    s.broken = `${counted} ${spec.count === 'consecutive' ? 'consecutive ' : ''}failed sample(s) (tolerated ${spec.maxFailures}); last: ${sample.detail}`;
    this.opts.timeline.probe(spec.name, 'broken', s.broken);
    if (this.opts.haltOn.has(spec.name)) this.opts.onHalt(`probe/${spec.name}`, s.broken);
  }

  /**
   * One check per probe, `probe/<name>`: false once it broke, true when sampled and never broken. A probe
   * never sampled is unknown when the trial ran to its end (its window was shorter than its interval), and
   * left out when the trial stopped before its mode came.
   */
  checks(completed: boolean): CheckResult[] {
    return this.states.flatMap((s): CheckResult[] => {
      const { name, mode } = s.spec;
      const figures = { [figureName(name, 'samples')]: s.samples, [figureName(name, 'failures')]: s.failures };
      if (s.samples === 0)
        return completed ? [{ name: `probe/${name}`, valid: 'unknown', figures, explanation: `${s.spec.kind} probe (${mode}) was never sampled` }] : [];
      if (s.broken !== null) return [{ name: `probe/${name}`, valid: false, figures, explanation: `${s.spec.kind} probe (${mode}) broke: ${s.broken}` }];
      const tail = s.failures ? `, ${s.failures} failed within tolerance` : '';
      return [
        {
          name: `probe/${name}`,
          valid: true,
          figures,
          explanation: `${s.spec.kind} probe (${mode}) held over ${s.samples} sample(s)${tail}; last: ${s.last}`,
        },
      ];
    });
  }
}
