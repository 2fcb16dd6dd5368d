// Scenario files: the schema, and loading with errors that name the file, line and field.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { parseYamlWith } from '../config/yaml-file.ts';

const ms = (max: number) => z.number().int().min(0).max(max);

/**
 * A duration in ms, or a multiple of the deployment's down-after-milliseconds written "<n>x", optionally
 * plus a fixed part in ms ("3x+12000"), so one scenario keeps its meaning when down-after changes
 * (integration tests use 1000 ms) while fixed Sentinel periods stay fixed.
 */
const DURATION_RE = /^(\d+(?:\.\d+)?)x(?:\+(\d+))?$/;
const duration = (maxMs: number) =>
  z.union([
    ms(maxMs),
    z
      .string()
      .regex(DURATION_RE, 'a number of ms, or a multiple of down-after such as "3x" or "3x+12000"')
      .refine((v) => Number(DURATION_RE.exec(v)?.[1]) <= 100 && Number(DURATION_RE.exec(v)?.[2] ?? 0) <= maxMs, `at most 100x down-after plus ${maxMs} ms`),
  ]);

export type Duration = number | string;

/** Resolve a {@link Duration} against the deployment's effective down-after. */
export function durationMs(d: Duration, downAfterMs: number): number {
  if (typeof d === 'number') return d;
  const m = DURATION_RE.exec(d);
  if (!m) throw new RangeError(`not a duration: ${d}`);
  return Math.round(Number(m[1]) * downAfterMs) + Number(m[2] ?? 0);
}

const target = z.enum(['master', 'replica']);

/** The faults a scenario can inject; each is packaged with its heal in src/faults/. */
export const FaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    /** SIGKILL both containers of a pod (a node crash); healed by restarting the pod. */
    kind: z.literal('kill-pod'),
    target: target.default('master'),
    /** How long the pod stays dead before it is restarted (beyond waiting for the failover). */
    holdMs: duration(600_000).default(0),
  }),
  z.strictObject({
    /** SIGSTOP the pod's redis (a GC pause, a frozen VM) for durationMs, then SIGCONT. */
    kind: z.literal('pause'),
    target: target.default('master'),
    durationMs: duration(600_000),
  }),
  z.strictObject({
    /** Cut the pod off with nftables for durationMs, then heal. */
    kind: z.literal('partition'),
    target: target.default('master'),
    /** all: redis and sentinel traffic both ways; sentinels: only the other sentinels' traffic to the pod. */
    cut: z.enum(['all', 'sentinels']).default('all'),
    durationMs: duration(600_000),
    /** Keep a client writing straight to the isolated pod, as an application on its side would. */
    isolatedClient: z.boolean().default(true),
  }),
  z.strictObject({
    /** Kill the sentinels of the two replica pods, then the master's redis; after holdMs restore the sentinels. */
    kind: z.literal('sentinel-quorum-loss'),
    holdMs: duration(600_000),
  }),
  z.strictObject({
    /** SENTINEL FAILOVER (the seed's "Test Failover"); a second call while it runs must answer INPROG. */
    kind: z.literal('manual-failover'),
    /**
     * Hand over as the manifest's redis preStop hook does (pause writes, let a replica catch up, fail
     * over, step down at once) instead of the bare SENTINEL FAILOVER the seed documents.
     */
    coordinated: z.boolean().default(false),
  }),
  z.strictObject({
    /** kubectl drain of the master's node: cordon, evict through the PDB, graceful termination, reschedule. */
    kind: z.literal('node-drain'),
    /** Give up waiting for the evicted pod to be ready again after this long. */
    readyTimeoutMs: ms(600_000).default(60_000),
  }),
  z.strictObject({
    /** Restart every pod in the StatefulSet's order (highest ordinal first), each gracefully, each in sync before the next. */
    kind: z.literal('rolling-upgrade'),
    /** redis-server binary to upgrade to (the image); null: the same binary. `--upgrade-to PATH` overrides it. */
    binary: z.string().min(1).nullable().default(null),
    /** Run the pods' preStop hooks (false: the seed's plain termination, for comparison). */
    preStop: z.boolean().default(true),
    /** Give up on a pod that is not ready and in sync after this long. */
    podTimeoutMs: ms(600_000).default(60_000),
  }),
  z.strictObject({
    /** Rotate the password while writes continue (ACL, masterauth, sentinels, clients, retire the old one); then kill the master. */
    kind: z.literal('password-rotation'),
    /** What proves the new password afterwards: kill the master pod and measure the failover. */
    then: z.enum(['kill-master']).default('kill-master'),
  }),
  // Day-2 operations from the deployment guide (src/faults/day2.ts); each writes a known dataset first.
  z.strictObject({
    /** Back up the master's AOF, scale to 0, restore the backup into every pod's data dir, scale back up. */
    kind: z.literal('backup-restore'),
    /** Run the preStop hooks when scaling to 0, as the kubelet does. */
    preStop: z.boolean().default(true),
    settleTimeoutMs: ms(600_000).default(60_000),
  }),
  z.strictObject({
    /** SIGKILL every pod at once, then start them: together, or highest ordinal first with gapMs between. */
    kind: z.literal('full-restart'),
    order: z.enum(['together', 'reverse']).default('together'),
    gapMs: duration(600_000).default(0),
    settleTimeoutMs: ms(600_000).default(60_000),
  }),
  z.strictObject({
    /** Kill the master's pod, empty its data dir, start it at once (before down-after). */
    kind: z.literal('empty-volume'),
    settleTimeoutMs: ms(600_000).default(60_000),
  }),
  z.strictObject({
    /** Kill a replica's pod, cut bytes off the tail of its AOF, start it again. */
    kind: z.literal('aof-damage'),
    bytes: z.number().int().min(1).max(1_000_000).default(7),
  }),
  z.strictObject({
    /** Scale the StatefulSet up, raise the quorum on every sentinel, then kill the master; the heal scales back. */
    kind: z.literal('scale-out'),
    replicas: z.number().int().min(2).max(9).default(5),
    quorum: z.number().int().min(1).max(9).default(3),
    /** Give up waiting for every sentinel to know every other sentinel and replica after this long. */
    discoverTimeoutMs: ms(600_000).default(60_000),
  }),
]);

export type FaultSpec = z.infer<typeof FaultSchema>;

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

export const ScenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string().min(1),
  fault: FaultSchema,
  workload: z
    .strictObject({
      /** Writes per second (open loop): at 200 one write every 5 ms. */
      rateHz: z.number().positive().max(100_000).default(200),
      /** Writing time before the fault, ms. */
      warmupMs: ms(600_000).default(500),
    })
    .prefault({}),
  /** kill-pod: restart the killed pod as the StatefulSet would, and require it to rejoin as a replica. */
  restart: z.boolean().default(true),
  expect: z
    .strictObject({
      /** Whether the fault must cause a failover (false: it must not). */
      failover: z.boolean().default(true),
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
  /**
   * Expectations that differ per deployment profile (`--profile`, src/config/profiles.ts): each replaces
   * the named fields of `expect` when the scenario runs under that profile.
   */
  profiles: z
    .strictObject({
      seed: z.strictObject({ expect: ExpectOverride }).optional(),
      hardened: z.strictObject({ expect: ExpectOverride }).optional(),
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
});

export type Scenario = z.infer<typeof ScenarioSchema> & { file: string };

/** The built-in scenarios shipped with the harness. */
export const BUILTIN_SCENARIO_DIR = path.resolve(import.meta.dirname, '../../scenarios');

/** Parse and validate one scenario file's text. */
export function parseScenario(text: string, file: string): Scenario {
  const { data: s, source } = parseYamlWith(text, file, ScenarioSchema, 'SCENARIO_INVALID');
  if (s.expect.failoverBandMs[0] > s.expect.failoverBandMs[1]) {
    throw new HarnessError('SCENARIO_INVALID', `${file}${source.position(['expect', 'failoverBandMs'])}: field expect.failoverBandMs: lower bound above upper bound`);
  }
  return { ...s, file };
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
 * No value means the whole built-in suite.
 */
export async function resolveScenarios(wanted: readonly string[], dir = BUILTIN_SCENARIO_DIR): Promise<Scenario[]> {
  const builtin = await listScenarios(dir);
  if (wanted.length === 0) return builtin;
  const out: Scenario[] = [];
  for (const w of wanted) {
    if (/\.ya?ml$/.test(w) || w.includes('/')) {
      out.push(await loadScenarioFile(w));
      continue;
    }
    const s = builtin.find((b) => b.name === w);
    if (!s) throw new HarnessError('SCENARIO_UNKNOWN', `unknown scenario "${w}" (known: ${builtin.map((b) => b.name).join(', ')}; or pass a path to a scenario file)`);
    out.push(s);
  }
  return out;
}
