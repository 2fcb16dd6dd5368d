// Scenario files: the schema, and loading with errors that name the file, line and field.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { parseYamlWith, type YamlSource } from '../config/yaml-file.ts';
import { ScenarioFaultSchema, type ComposedSpec } from './composed-schema.ts';
import { durationField as duration, msField as ms } from '../model/duration.ts';
import { parseHaltCondition, type HaltCondition } from '../probes/halt.ts';
import { ProbeSchema } from '../probes/index.ts';
import { LATENCY_PHASES, LATENCY_STATS } from '../checkers/latency.ts';
import { WorkloadSpecSchema } from '../workload/registry.ts';

export { durationMs, type Duration } from '../model/duration.ts';
export { FaultSchema, type FaultSpec } from '../faults/index.ts';
export type { ComposedSpec } from './composed-schema.ts';

/** Fields of `expect` a profile may replace (no defaults: what is absent keeps the scenario's value). */
const ExpectOverride = z.strictObject({
  maxLostWrites: z.number().int().min(0).optional(),
  acceptLossFromOldMaster: z.boolean().optional(),
  maxLostFromOldMaster: z.number().int().min(0).optional(),
  maxSplitBrainMs: duration(3_600_000).optional(),
  maxFailedWrites: z.number().int().min(0).optional(),
  maxOutageMs: duration(3_600_000).optional(),
  failoverMs: ms(3_600_000).optional(),
});

const latencyBound = z.number().positive().max(3_600_000).optional();

/**
 * Optional bounds on acknowledged writes' latency (ms, completion − invoke) per phase: `<stat><Phase>Ms`
 * with stat p50 | p99 | max and phase Before | During | After, e.g. `{ p99AfterMs: 5 }` (src/checkers/latency.ts).
 */
const LatencySchema = z.strictObject(
  Object.fromEntries(LATENCY_PHASES.flatMap((p) => LATENCY_STATS.map((st) => [`${st}${p[0]!.toUpperCase()}${p.slice(1)}Ms`, latencyBound]))) as Record<
    `${(typeof LATENCY_STATS)[number]}${Capitalize<(typeof LATENCY_PHASES)[number]>}Ms`,
    typeof latencyBound
  >,
);

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string().min(1),
  /**
   * default: part of the suite a bare `npm run chaos` runs; extended: long or specialised families (minutes each,
   * or meant for `--dataset` / the docker target), run by name, with `--scenario extended` or `--scenario all`.
   */
  suite: z.enum(['default', 'extended']).default('default'),
  /** One registered fault kind, or `kind: composed` with steps over them (src/runner/composed-schema.ts). */
  fault: ScenarioFaultSchema,
  workload: z
    .strictObject({
      /** Writes per second (open loop): at 200 one write every 5 ms. */
      rateHz: z.number().positive().max(100_000).default(200),
      /** Writing time before the fault, ms. */
      warmupMs: ms(600_000).default(500),
    })
    .prefault({}),
  /**
   * Workloads beside the harness's own client (src/workload/registry.ts), each checked like it (write loss,
   * failover time, availability), figures prefixed by its name: `{ kind: exec, command: [...] }` runs a
   * command speaking the driver protocol; `{ kind: sentinel }` another tracked writer through Sentinel.
   */
  workloads: z.array(WorkloadSpecSchema).max(16).optional(),
  /** kill-pod: restart the killed pod as the StatefulSet would, and require it to rejoin as a replica. */
  restart: z.boolean().default(true),
  expect: z
    .strictObject({
      /** Whether the fault must cause a failover (false: it must not; any: composed faults and soaks, neither is checked). */
      failover: z.union([z.boolean(), z.literal('any')]).default(true),
      /** SLO: each trial's failover (client- and Sentinel-observed) at most this long, ms. */
      failoverMs: ms(3_600_000).default(10_000),
      /** The band the deployment is designed for; outside it is reported, above it fails via failoverMs. */
      failoverBandMs: z.tuple([ms(3_600_000), ms(3_600_000)]).default([5000, 10_000]),
      /** Acknowledged writes that may be lost before the trial fails. */
      maxLostWrites: z.number().int().min(0).default(0),
      /**
       * Accept (as a warning, with its count) the loss of writes the old master acknowledged after the
       * fault: with the seed's settings (no min-replicas-to-write) an isolated or returning master keeps
       * acknowledging writes that the failover throws away. Any other lost write still fails.
       */
      acceptLossFromOldMaster: z.boolean().default(false),
      /** With acceptLossFromOldMaster: accept at most this many (the hardened profile bounds that loss). */
      maxLostFromOldMaster: z.number().int().min(0).optional(),
      /** Longest time more than one node may claim master. */
      maxSplitBrainMs: duration(3_600_000).default(0),
      /** Writes the client may see refused (fail), e.g. 0 for faults that must be invisible. */
      maxFailedWrites: z.number().int().min(0).optional(),
      /** Longest interval without an acknowledged write. */
      maxOutageMs: duration(3_600_000).optional(),
    })
    .prefault({}),
  /** Bounds on the workload's per-operation latency before, during and after the fault; a breach fails the trial. */
  latency: LatencySchema.optional(),
  /**
   * Expectations that differ per deployment profile (`--profile`, src/config/profiles.ts): each replaces
   * the named fields of `expect` when the scenario runs under that profile.
   */
  profiles: z
    .strictObject({
      seed: z.strictObject({ expect: ExpectOverride }).optional(),
      hardened: z.strictObject({ expect: ExpectOverride }).optional(),
      secure: z.strictObject({ expect: ExpectOverride }).optional(),
    })
    .optional(),
  timeouts: z
    .strictObject({
      /** Give up waiting for the failover after this long, ms. */
      failoverMs: ms(3_600_000).default(60_000),
      /** Give up waiting for a restarted pod to rejoin after this long, ms. */
      rejoinMs: ms(3_600_000).default(30_000),
      /** Give up waiting for the deployment to converge after the heal after this long, ms. */
      convergeMs: ms(3_600_000).default(30_000),
    })
    .prefault({}),
  /** Steady-state probes sampled before, during, throughout or after the fault (src/probes/); each is a check `probe/<name>`. */
  probes: z.array(ProbeSchema).optional(),
  /**
   * Safeguards: a probe's name (the run halts when it breaks) or a figure bound such as "writes_lost > 0"
   * (checked on each trial's figures). A halt heals at once, stops the remaining trials and scenarios and
   * ends the run with exit 3.
   */
  haltOn: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
});

export type Scenario = z.infer<typeof ScenarioSchema> & { file: string };

/** The scenario's `haltOn:` conditions, parsed (parseScenario has validated them). */
export function haltConditionsOf(s: Pick<Scenario, 'haltOn' | 'probes'>): HaltCondition[] {
  const names = (s.probes ?? []).map((p) => p.name);
  const halts = typeof s.haltOn === 'string' ? [s.haltOn] : (s.haltOn ?? []);
  return halts.map((h) => parseHaltCondition(h, names)).filter((c): c is HaltCondition => !('error' in c));
}

/** The built-in scenarios shipped with the harness. */
export const BUILTIN_SCENARIO_DIR = path.resolve(import.meta.dirname, '../../scenarios');

/** Parse and validate one scenario file's text. */
export function parseScenario(text: string, file: string): Scenario {
  const { data: s, source } = parseYamlWith(text, file, ScenarioSchema, 'SCENARIO_INVALID');
  if (s.expect.failoverBandMs[0] > s.expect.failoverBandMs[1]) {
    throw new HarnessError(
      'SCENARIO_INVALID',
      `${file}${source.position(['expect', 'failoverBandMs'])}: field expect.failoverBandMs: lower bound above upper bound`,
    );
  }
  const names = (s.probes ?? []).map((p) => p.name);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup >= 0)
    throw new HarnessError(
      'SCENARIO_INVALID',
      `${file}${source.position(['probes', dup, 'name'])}: field probes.${dup}.name: "${names[dup]}" names two probes`,
    );
  const halts = typeof s.haltOn === 'string' ? [s.haltOn] : (s.haltOn ?? []);
  halts.forEach((h, i) => {
    const c = parseHaltCondition(h, names);
    const where = typeof s.haltOn === 'string' ? ['haltOn'] : ['haltOn', i];
    if ('error' in c) throw new HarnessError('SCENARIO_INVALID', `${file}${source.position(where)}: field ${where.join('.')}: ${c.error}`);
    if (c.kind === 'invariants' && !(s.fault.kind === 'composed' && s.fault.invariants))
      throw new HarnessError(
        'SCENARIO_INVALID',
        `${file}${source.position(where)}: field ${where.join('.')}: "invariants" halts on a composed fault's invariants: add fault.invariants (kind: composed), or drop it`,
      );
  });
  if (s.fault.kind === 'composed') checkComposed(s.fault, file, source);
  return { ...s, file };
}

/** What the schema cannot say about a composition: the first serial step has no previous step to overlap. */
function checkComposed(f: ComposedSpec, file: string, source: YamlSource): void {
  if (f.mode === 'serial' && f.steps.length > 0 && f.steps.every((st) => st.after === undefined && st.durationMs === 0 && st.at === 0) && f.steps.length > 1) {
    const at = ['fault', 'steps'];
    throw new HarnessError(
      'SCENARIO_INVALID',
      `${file}${source.position(at)}: field ${at.join('.')}: serial steps with neither at, after nor durationMs all run back to back with no hold: give a step a durationMs`,
    );
  }
}

export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new HarnessError('SCENARIO_UNKNOWN', `scenario file ${file} cannot be read`);
  }
  return parseScenario(text, file);
}

/** Every scenario in `dir`, sorted by name. */
export async function listScenarios(dir = BUILTIN_SCENARIO_DIR): Promise<Scenario[]> {
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const all = await Promise.all(files.map((f) => loadScenarioFile(path.join(dir, f))));
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Resolve `--scenario` values: names of built-in scenarios, or paths to scenario files.
 * No value means the built-in default suite; `all` every built-in scenario, `extended` the extended ones.
 */
export async function resolveScenarios(wanted: readonly string[], dir = BUILTIN_SCENARIO_DIR): Promise<Scenario[]> {
  const builtin = await listScenarios(dir);
  if (wanted.length === 0) return builtin.filter((s) => s.suite === 'default');
  const out: Scenario[] = [];
  for (const w of wanted) {
    if (w === 'all' || w === 'extended') {
      out.push(...builtin.filter((s) => w === 'all' || s.suite === 'extended'));
      continue;
    }
    if (/\.ya?ml$/.test(w) || w.includes('/')) {
      out.push(await loadScenarioFile(w));
      continue;
    }
    const s = builtin.find((b) => b.name === w);
    if (!s)
      throw new HarnessError(
        'SCENARIO_UNKNOWN',
        `unknown scenario "${w}" (known: ${builtin.map((b) => b.name).join(', ')}; or pass a path to a scenario file)`,
      );
    out.push(s);
  }
  return out;
}
