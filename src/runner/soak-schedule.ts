// A soak's schedule drawn from a seed: fault kinds by weight (src/faults/registry.ts, each definition's `soak`),
// victims at random, start intervals and holds from ranges, overlap bounded. Same seed and options, same steps.
import { stringify } from 'yaml';
import { HarnessError } from '../errors.ts';
import { FAULTS } from '../faults/index.ts';
import type { SoakVictim } from '../faults/define.ts';
import type { ScheduleStep } from '../model/schedule.ts';
import type { Scenario } from './scenario.ts';
import { prng } from '../model/prng.ts';

export interface SoakMixEntry {
  kind: string;
  weight: number;
}

export interface SoakOptions {
  seed: number;
  /** Steps start within [0, durationMs). */
  durationMs: number;
  mix: SoakMixEntry[];
  /** Gap between consecutive step starts, ms, drawn uniformly. */
  intervalMs: [number, number];
  /** How long each step holds after landing, ms, drawn uniformly. */
  holdMs: [number, number];
  /** At most this many steps' planned windows overlap. */
  maxConcurrent: number;
  /** Room planned after a step's hold for its heal (a killed master waits for its failover), ms. */
  settleMs: number;
  /** Replicas a "replica" victim is drawn from. */
  replicas: number;
}

export const SOAK_DEFAULTS = {
  intervalMs: [5000, 20_000] as [number, number],
  holdMs: [2000, 10_000] as [number, number],
  maxConcurrent: 2,
  settleMs: 15_000,
  replicas: 2,
};

/** The registered kinds a soak can draw, with their default weights. */
export function defaultMix(): SoakMixEntry[] {
  return FAULTS.definitions.flatMap((d) => (d.soak ? [{ kind: d.kind, weight: d.soak.weight }] : []));
}

/** "kill-pod=3,pause=1" (or "kill-pod,pause": weight 1 each) against the registry; a bad entry is a usage error naming it. */
export function parseMix(text: string): SoakMixEntry[] {
  const known = defaultMix().map((m) => m.kind);
  const mix = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^([a-z][a-z0-9-]*)(?:=(\d+(?:\.\d+)?))?$/.exec(entry);
      if (!m) throw new HarnessError('USAGE', `--mix: "${entry}" is not kind or kind=weight (e.g. kill-pod=3,pause=1)`);
      if (!known.includes(m[1]!)) throw new HarnessError('USAGE', `--mix: "${m[1]}" is not a fault kind a soak can draw (known: ${known.join(', ')})`);
      return { kind: m[1]!, weight: m[2] === undefined ? 1 : Number(m[2]) };
    });
  if (!mix.some((m) => m.weight > 0)) throw new HarnessError('USAGE', '--mix: give at least one kind a weight above 0');
  return mix;
}

/** The schedule for `o`: pure, deterministic in the seed and the options. */
export function generateSchedule(o: SoakOptions): ScheduleStep[] {
  const rnd = prng(o.seed);
  const between = ([lo, hi]: [number, number]) => Math.round(lo + rnd() * (hi - lo));
  const mix = o.mix.filter((m) => m.weight > 0);
  const total = mix.reduce((n, m) => n + m.weight, 0);
  const pickKind = () => {
    let x = rnd() * total;
    for (const m of mix) if ((x -= m.weight) < 0) return m.kind;
    return mix[mix.length - 1]!.kind;
  };
  const steps: ScheduleStep[] = [];
  const planned: number[] = [];
  let t = between(o.intervalMs);
  while (t < o.durationMs && steps.length < 10_000) {
    const open = planned.filter((end) => end > t);
    if (open.length >= o.maxConcurrent) {
      t = Math.min(...open);
      continue;
    }
    const def = FAULTS.get(pickKind())!;
    const draw = def.soak!;
    const victim: SoakVictim = draw.victims[Math.floor(rnd() * draw.victims.length)]!;
    const hold = between(o.holdMs);
    const replica = victim === 'replica' || victim === 'sentinel' ? Math.floor(rnd() * Math.max(1, o.replicas)) : 0;
    steps.push({ fault: draw.spec(victim, hold) as ScheduleStep['fault'], at: t, durationMs: hold, replica });
    planned.push(t + hold + o.settleMs);
    t += between(o.intervalMs);
  }
  return steps;
}

export interface SoakScenarioOptions {
  name?: string;
  seed?: number;
  rateHz: number;
  convergeMs: number;
  haltOnViolation: boolean;
  /** parallel (a drawn soak) unless a replayed journal's composition was serial. */
  mode?: 'serial' | 'parallel';
}

/** The soak as a scenario: its steps as a parallel composition with invariants, the workload writing throughout. */
export function soakScenario(steps: readonly ScheduleStep[], o: SoakScenarioOptions): Omit<Scenario, 'file'> {
  return {
    name: o.name ?? 'soak',
    suite: 'extended',
    description: `${steps.length} step(s)${o.seed !== undefined ? ` drawn from seed ${o.seed}` : ''}, run ${o.mode ?? 'parallel'}; invariants checked at every quiescent point`,
    fault: {
      kind: 'composed',
      mode: o.mode ?? 'parallel',
      steps: steps.map((s) => ({ ...s, fault: s.fault as never })),
      afterTimeoutMs: 60_000,
      skipUnable: true,
      invariants: { convergeMs: o.convergeMs },
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
    },
    workload: { rateHz: o.rateHz, warmupMs: 500 },
    restart: true,
    expect: {
      failover: 'any',
      failoverMs: 10_000,
      failoverBandMs: [5000, 10_000],
      maxLostWrites: 0,
      acceptLossFromOldMaster: false,
      maxSplitBrainMs: 0,
    },
    timeouts: { failoverMs: 60_000, rejoinMs: 30_000, convergeMs: o.convergeMs },
    ...(o.haltOnViolation ? { haltOn: 'invariants' } : {}),
  };
}

/** A scenario as a file `npm run chaos -- run --scenario FILE` accepts (defaults left out where the schema fills them). */
export function scenarioYaml(s: Omit<Scenario, 'file'>, header: readonly string[]): string {
  return `${header.map((h) => `# ${h}`).join('\n')}\n${stringify(s, { lineWidth: 160 })}`;
}
