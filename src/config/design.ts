// Design files (designs/*.yaml): the promises a deployment makes (parameters, SLO, accepted losses) in
// one file, the schema, loading with errors that name file:line:col and field, and the deviations from the seed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import { parseYamlWith } from './yaml-file.ts';

const name = z.string().min(1);
const port = z.number().int().min(1).max(65_535);
const count = z.number().int().min(0);
const ms = z.number().int().min(0).max(3_600_000);

export const DesignSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
  description: z.string().min(1).optional(),
  kubernetes: z.strictObject({
    namespace: name,
    'stateful-set': name,
    replicas: z.number().int().min(1).max(99),
    containers: z.strictObject({ redis: name, sentinel: name, 'role-labeller': name }),
    ports: z.strictObject({ redis: port, sentinel: port }),
    storage: name,
    'access-modes': z.array(name).min(1),
    'storage-class-name': name,
    'data-dir': name,
    'anti-affinity-topology-key': name,
    services: z.strictObject({ headless: name, client: name, sentinel: name }),
    'pdb-min-available': z.number().int().min(0),
    'password-env': name,
    'role-label': z.strictObject({ name, master: name, replica: name }),
  }),
  sentinel: z.strictObject({
    'master-name': name,
    quorum: z.number().int().min(1),
    'down-after-milliseconds': z.number().int().min(1),
    'failover-timeout': z.number().int().min(1),
    'parallel-syncs': z.number().int().min(1),
  }),
  redis: z.strictObject({
    appendonly: z.enum(['yes', 'no']),
    appendfsync: z.enum(['always', 'everysec', 'no']),
    save: z.string(),
    maxmemory: z.string().regex(/^\d+(?:[kmg]b?)?$/i, 'bytes, or a number with k, kb, m, mb, g or gb'),
    'maxmemory-policy': z.enum([
      'noeviction',
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
    ]),
    'memory-headroom': z.number().min(0).max(10),
  }),
  slo: z.strictObject({
    'failover-ms': ms,
    'failover-band-ms': z.tuple([ms, ms]),
  }),
  'accepted-losses': z.strictObject({
    seed: z.strictObject({ 'writes-lost-max': count, 'old-master-max': count.nullable() }),
    hardened: z.strictObject({ 'writes-lost-max': count, 'old-master-max': count.nullable() }),
  }),
  /** Paths of the values that intentionally differ from the seed, e.g. sentinel.down-after-milliseconds. */
  deviations: z.array(z.string()).default([]),
});

export type DesignFile = z.infer<typeof DesignSchema>;

/** The parameters the static and live conformance checks hold a deployment to (the shape of SEED_DESIGN). */
export interface DesignParameters {
  namespace: string;
  statefulSet: string;
  replicas: number;
  redisContainer: string;
  sentinelContainer: string;
  redisPort: number;
  sentinelPort: number;
  masterName: string;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  appendonly: string;
  appendfsync: string;
  save: string;
  maxmemory: string;
  maxmemoryPolicy: string;
  memoryHeadroom: number;
  storage: string;
  accessModes: readonly string[];
  storageClassName: string;
  dataDir: string;
  antiAffinityTopologyKey: string;
  headlessService: string;
  clientService: string;
  pdbMinAvailable: number;
  passwordEnv: string;
  roleLabel: string;
  masterRole: string;
  replicaRole: string;
  labellerContainer: string;
  sentinelService: string;
}

/** One value where a design differs from the seed. */
export interface DesignDeviation {
  /** Path in the design file, e.g. sentinel.down-after-milliseconds. */
  field: string;
  seed: unknown;
  value: unknown;
  /** Listed under `deviations`. */
  intended: boolean;
}

/** A loaded design: the file's values, the parameters the checks use, and how it differs from the seed. */
export interface Design {
  name: string;
  file: string;
  data: DesignFile;
  params: DesignParameters;
  slo: { failoverMs: number; failoverBandMs: [number, number] };
  acceptedLosses: Record<'seed' | 'hardened', { writesLostMax: number; oldMasterMax: number | null }>;
  /** Empty for the seed itself. */
  deviations: DesignDeviation[];
}

/** The bundled seed design. */
export const SEED_DESIGN_FILE = path.resolve(import.meta.dirname, '../../designs/seed.yaml');

export function designParameters(d: DesignFile): DesignParameters {
  const k = d.kubernetes;
  return {
    namespace: k.namespace,
    statefulSet: k['stateful-set'],
    replicas: k.replicas,
    redisContainer: k.containers.redis,
    sentinelContainer: k.containers.sentinel,
    redisPort: k.ports.redis,
    sentinelPort: k.ports.sentinel,
    masterName: d.sentinel['master-name'],
    quorum: d.sentinel.quorum,
    downAfterMs: d.sentinel['down-after-milliseconds'],
    failoverTimeoutMs: d.sentinel['failover-timeout'],
    parallelSyncs: d.sentinel['parallel-syncs'],
    appendonly: d.redis.appendonly,
    appendfsync: d.redis.appendfsync,
    save: d.redis.save,
    maxmemory: d.redis.maxmemory,
    maxmemoryPolicy: d.redis['maxmemory-policy'],
    memoryHeadroom: d.redis['memory-headroom'],
    storage: k.storage,
    accessModes: k['access-modes'],
    storageClassName: k['storage-class-name'],
    dataDir: k['data-dir'],
    antiAffinityTopologyKey: k['anti-affinity-topology-key'],
    headlessService: k.services.headless,
    clientService: k.services.client,
    pdbMinAvailable: k['pdb-min-available'],
    passwordEnv: k['password-env'],
    roleLabel: k['role-label'].name,
    masterRole: k['role-label'].master,
    replicaRole: k['role-label'].replica,
    labellerContainer: k.containers['role-labeller'],
    sentinelService: k.services.sentinel,
  };
}

const PROMISES = ['kubernetes', 'sentinel', 'redis', 'slo', 'accepted-losses'] as const;

/** Every promised value by its dotted path (arrays and tuples are one value). */
export function flattenDesign(d: DesignFile): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (v: unknown, at: string): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, at ? `${at}.${k}` : k);
    } else out.set(at, v);
  };
  for (const k of PROMISES) walk(d[k], k);
  return out;
}

/** The full path a `deviations` entry names: itself, or the one path ending in ".<entry>"; undefined when none or several. */
function resolveDeviation(entry: string, paths: readonly string[]): string | undefined {
  if (paths.includes(entry)) return entry;
  const matches = paths.filter((p) => p.endsWith(`.${entry}`));
  return matches.length === 1 ? matches[0] : undefined;
}

/** Every value of `d` that differs from `seed`, each marked intended when `deviations` lists it. */
export function designDeviations(d: DesignFile, seed: DesignFile, intended: ReadonlySet<string>): DesignDeviation[] {
  const mine = flattenDesign(d);
  const out: DesignDeviation[] = [];
  for (const [field, s] of flattenDesign(seed)) {
    const v = mine.get(field);
    if (JSON.stringify(v) !== JSON.stringify(s)) out.push({ field, seed: s, value: v, intended: intended.has(field) });
  }
  return out;
}

/** Parse and validate a design file's text; `seed` is the design deviations are measured from (none: this is the seed). */
export function parseDesign(text: string, file: string, seed?: DesignFile): Design {
  const { data, source } = parseYamlWith(text, file, DesignSchema, 'DESIGN_INVALID');
  const bad = (at: (string | number)[], message: string) =>
    new HarnessError('DESIGN_INVALID', `${file}${source.position(at)}: field ${at.join('.')}: ${message}`);
  const band = data.slo['failover-band-ms'];
  if (band[0] > band[1]) throw bad(['slo', 'failover-band-ms'], 'lower bound above upper bound');
  if (data.sentinel.quorum > data.kubernetes.replicas)
    throw bad(['sentinel', 'quorum'], `quorum ${data.sentinel.quorum} above the ${data.kubernetes.replicas} sentinels of kubernetes.replicas`);
  const paths = [...flattenDesign(data).keys()];
  const intended = new Set<string>();
  data.deviations.forEach((entry, i) => {
    const full = resolveDeviation(entry, paths);
    if (full === undefined) throw bad(['deviations', i], `"${entry}" names no value of the design (e.g. sentinel.down-after-milliseconds)`);
    intended.add(full);
  });
  const losses = (p: 'seed' | 'hardened') => ({
    writesLostMax: data['accepted-losses'][p]['writes-lost-max'],
    oldMasterMax: data['accepted-losses'][p]['old-master-max'],
  });
  return {
    name: data.name,
    file,
    data,
    params: designParameters(data),
    slo: { failoverMs: data.slo['failover-ms'], failoverBandMs: [band[0], band[1]] },
    acceptedLosses: { seed: losses('seed'), hardened: losses('hardened') },
    deviations: seed ? designDeviations(data, seed, intended) : [],
  };
}

async function readDesignText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new HarnessError('USAGE', `--design ${file}: the design file cannot be read`);
  }
}

/** The bundled seed design (designs/seed.yaml). */
export async function loadSeedDesign(): Promise<Design> {
  return parseDesign(await readDesignText(SEED_DESIGN_FILE), SEED_DESIGN_FILE);
}

/** A design file, with its deviations from the bundled seed. Bad input: HarnessError DESIGN_INVALID (exit 2) naming file:line:col and field. */
export async function loadDesign(file: string): Promise<Design> {
  const seed = await loadSeedDesign();
  return parseDesign(await readDesignText(file), file, seed.data);
}

/** "2000 (seed 5000)" for one deviation. */
export function showDeviation(d: DesignDeviation): string {
  const show = (v: unknown) => (typeof v === 'string' ? (v === '' ? '""' : v) : JSON.stringify(v));
  return `${d.field} ${show(d.value)} (seed ${show(d.seed)})`;
}
