// Static conformance: the manifests against the seed design (issue #4, part 1), with no cluster.
import path from 'node:path';
import type { DesignParameters } from '../config/design.ts';
import type { DeploymentModel, ManifestObject } from '../config/manifests.ts';
import { lastDirective } from '../config/redis-conf.ts';
import { fieldPath } from '../model/field-path.ts';
import { validateSchema } from './k8s-schema.ts';
import { asLabels, labelSelectorMatches, serviceSelectorMatches, type Labels } from '../model/label-selector.ts';
import { formatBytes, parseQuantity, parseRedisMemory } from '../model/quantity.ts';

/** One static check: a parameter of the seed design against what the manifests declare. */
export interface StaticCheck {
  group: 'static';
  /** Stable identifier, e.g. "sentinel.quorum"; per-object checks (schema, namespace.membership) repeat it. */
  name: string;
  valid: boolean;
  expected: string;
  observed: string;
  /** Manifest file holding the object (the manifests directory when the object is missing). */
  file: string;
  /** Kind/name, e.g. "StatefulSet/redis". */
  object: string;
  /** Where in the object, e.g. spec.replicas or data["sentinel.conf"]: sentinel down-after-milliseconds. */
  field: string;
  explanation: string;
}

/**
 * The parameters the static checks hold the manifests to (src/config/design.ts). SEED_DESIGN holds the seed's
 * (../shared/seed/redis-sentinel-ha.md), the same values as designs/seed.yaml (a unit test keeps them equal);
 * `--design FILE` supplies another design's.
 */
export type SeedDesign = DesignParameters;

export const SEED_DESIGN: Readonly<SeedDesign> = Object.freeze({
  namespace: 'matrix',
  statefulSet: 'redis',
  replicas: 3,
  redisContainer: 'redis',
  sentinelContainer: 'sentinel',
  redisPort: 6379,
  sentinelPort: 26379,
  masterName: 'mymaster',
  quorum: 2,
  downAfterMs: 5000,
  failoverTimeoutMs: 10000,
  parallelSyncs: 1,
  appendonly: 'yes',
  appendfsync: 'everysec',
  save: '',
  maxmemory: '2gb',
  maxmemoryPolicy: 'allkeys-lru',
  memoryHeadroom: 0.1,
  storage: '10Gi',
  accessModes: Object.freeze(['ReadWriteOnce']),
  storageClassName: 'standard',
  dataDir: '/data',
  antiAffinityTopologyKey: 'kubernetes.io/hostname',
  headlessService: 'redis-headless',
  clientService: 'redis',
  pdbMinAvailable: 2,
  passwordEnv: 'REDIS_PASSWORD',
  roleLabel: 'redis.io/role',
  masterRole: 'master',
  replicaRole: 'replica',
  labellerContainer: 'role-labeller',
  sentinelService: 'redis-sentinel',
});

/** Every static check of the deployment model's objects against the seed design. Pure; never throws. */
export function staticChecks(model: DeploymentModel, seed: Readonly<SeedDesign> = SEED_DESIGN): StaticCheck[] {
  return staticChecksOfObjects(model.objects, seed, model.manifestsDir);
}

/**
 * The same checks over raw manifest objects (readManifestObjects), for manifests loadDeployment refuses,
 * e.g. a password given as a literal env value instead of a secretKeyRef.
 */
export function staticChecksOfObjects(
  objects: readonly ManifestObject[],
  seed: Readonly<SeedDesign> = SEED_DESIGN,
  manifestsDir: string = objects[0] ? path.dirname(objects[0].__file) : '.',
): StaticCheck[] {
  return new StaticSuite(objects, seed, manifestsDir).run();
}

/** True when every check passed. */
export function allValid(checks: readonly StaticCheck[]): boolean {
  return checks.every((c) => c.valid);
}

/** One line a human can act on: the verdict, where (file, object, field), expected vs observed, and why. */
export function formatStaticCheck(c: StaticCheck): string {
  return `${c.valid ? 'ok  ' : 'FAIL'} ${c.group}/${c.name}: ${c.file} ${c.object} ${c.field}: expected ${c.expected}, observed ${c.observed}. ${c.explanation}`;
}

// ---------------------------------------------------------------------------------------------------------------

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function rec(v: unknown): Rec {
  return isRec(v) ? v : {};
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
/** An integer field as Kubernetes would take it, or null (absent is `dflt`). */
function intOf(v: unknown, dflt: number | null = null): number | null {
  if (v === undefined) return dflt;
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}
/** Redis config arguments as written in a config file: quoted when empty or containing spaces. */
function confArgs(args: readonly string[]): string {
  return args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
}
/** When the design checked differs from the seed here: a sentence saying whose value is expected. */
function designNote(expected: string | number, seedValue: string | number): string {
  return String(expected) === String(seedValue) ? '' : ` Held to the design's ${expected} (deviates from the seed's ${seedValue}).`;
}
function ref(o: { kind: string; metadata: { name: string } }): string {
  return `${o.kind}/${o.metadata.name}`;
}

const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'StorageClass', 'ClusterRole', 'ClusterRoleBinding', 'PriorityClass',
  'CustomResourceDefinition', 'APIService', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
  'IngressClass', 'RuntimeClass', 'CSIDriver', 'CSINode', 'VolumeAttachment',
]);

interface Container {
  /** The seed's name for it (redis | sentinel). */
  name: string;
  /** Index in spec.template.spec.containers, -1 when missing. */
  index: number;
  spec: Rec;
}

interface ConfKey {
  /** The ConfigMap, or undefined when no ConfigMap holds the file. */
  cm: ManifestObject | undefined;
  key: string;
  text: string;
}

/** A missing object, reported at the manifests directory under the name the seed gives it. */
function absent(kind: string, name: string, dir: string, namespace: string): ManifestObject {
  return { apiVersion: '', kind, metadata: { name, namespace }, __file: dir };
}

class StaticSuite {
  readonly objects: readonly ManifestObject[];
  readonly seed: Readonly<SeedDesign>;
  readonly dir: string;
  readonly out: StaticCheck[] = [];

  readonly sts: ManifestObject;
  readonly stsFound: boolean;
  readonly namespace: string;
  readonly podSpec: Rec;
  readonly podLabels: Labels;
  readonly redis: Container;
  readonly sentinel: Container;
  /** spec.replicas (Kubernetes default 1), null when not an integer. */
  readonly replicas: number | null;
  readonly redisConf: ConfKey;
  readonly sentinelConf: ConfKey;

  constructor(objects: readonly ManifestObject[], seed: Readonly<SeedDesign>, dir: string) {
    this.objects = objects;
    this.seed = seed;
    this.dir = dir;
    const all = objects.filter((o) => o.kind === 'StatefulSet');
    const sts = all.find((o) => o.metadata.name === seed.statefulSet) ?? all[0];
    this.stsFound = sts !== undefined;
    this.sts = sts ?? absent('StatefulSet', seed.statefulSet, dir, seed.namespace);
    this.namespace = this.sts.metadata.namespace ?? 'default';
    const template = rec(rec(this.sts.spec).template);
    this.podSpec = rec(template.spec);
    this.podLabels = asLabels(rec(template.metadata).labels);
    const containers = arr(this.podSpec.containers).map(rec);
    const container = (name: string): Container => {
      const index = containers.findIndex((c) => c.name === name);
      return { name, index, spec: containers[index] ?? {} };
    };
    this.redis = container(seed.redisContainer);
    this.sentinel = container(seed.sentinelContainer);
    this.replicas = intOf(rec(this.sts.spec).replicas, 1);
    this.redisConf = this.findConf(this.redis, 'redis.conf', (t) => !/^\s*sentinel\s/m.test(t));
    this.sentinelConf = this.findConf(this.sentinel, 'sentinel.conf', (t) => /^\s*sentinel\s+monitor\s/m.test(t));
  }

  run(): StaticCheck[] {
    const sections: [string, () => void][] = [
      ['namespace', () => this.namespaceChecks()],
      ['schema', () => this.schemaChecks()],
      ['sentinel', () => this.sentinelChecks()],
      ['redis', () => this.redisChecks()],
      ['password', () => this.passwordChecks()],
      ['statefulset', () => this.statefulSetChecks()],
      ['storage', () => this.storageChecks()],
      ['service', () => this.serviceChecks()],
      ['routing', () => this.routingChecks()],
      ['pdb', () => this.pdbChecks()],
      ['startup', () => this.startupChecks()],
    ];
    for (const [name, section] of sections) {
      try {
        section();
      } catch (err) {
        // A bug in a check must not hide the others, nor pass silently.
        this.add({
          name: `${name}.evaluation`, valid: false, expected: 'the checks to run', observed: `threw: ${err instanceof Error ? err.message : String(err)}`,
          file: this.dir, object: '(suite)', field: '(none)', explanation: `The ${name} checks could not be evaluated on these manifests.`,
        });
      }
    }
    return this.out;
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  add(c: Omit<StaticCheck, 'group'>): void {
    this.out.push({ group: 'static', ...c });
  }

  /** Field path inside the StatefulSet for a container (by index, or by name when missing). */
  cField(c: Container, ...rest: (string | number)[]): string {
    const base = `spec.template.spec.containers${c.index >= 0 ? `[${c.index}]` : `[name=${c.name}]`}`;
    const tail = fieldPath(rest);
    return tail === '' ? base : tail.startsWith('[') ? base + tail : `${base}.${tail}`;
  }

  get stsRef(): string {
    return ref(this.sts);
  }

  find(kind: string, name: string): ManifestObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? 'default') === this.namespace);
  }

  /** ConfigMap names mounted into a container (volumeMounts → pod volumes → configMap). */
  mountedConfigMaps(c: Container): { cm: string; mount: Rec }[] {
    const volumes = new Map(arr(this.podSpec.volumes).map(rec).map((v) => [v.name, rec(v.configMap).name]));
    return arr(c.spec.volumeMounts)
      .map(rec)
      .flatMap((m) => {
        const cm = volumes.get(m.name);
        return typeof cm === 'string' ? [{ cm, mount: m }] : [];
      });
  }

  /** The config file a container reads: a key of a ConfigMap it mounts, else of any ConfigMap. */
  findConf(c: Container, key: string, looksRight: (text: string) => boolean): ConfKey {
    const cms = this.objects.filter((o) => o.kind === 'ConfigMap');
    const mounted = new Set(this.mountedConfigMaps(c).map((m) => m.cm));
    const candidates = [...cms.filter((o) => mounted.has(o.metadata.name)), ...cms.filter((o) => !mounted.has(o.metadata.name))];
    for (const exact of [true, false]) {
      for (const cm of candidates) {
        for (const [k, v] of Object.entries(rec(cm.data))) {
          if (typeof v !== 'string' || !k.endsWith('.conf') || (exact && k !== key) || !looksRight(v)) continue;
          return { cm, key: k, text: v };
        }
      }
    }
    return { cm: undefined, key, text: '' };
  }

  confWhere(conf: ConfKey, what: string): Pick<StaticCheck, 'file' | 'object' | 'field'> {
    return {
      file: conf.cm?.__file ?? this.dir,
      object: conf.cm ? ref(conf.cm) : `ConfigMap/(none holds ${conf.key})`,
      field: `${fieldPath(['data', conf.key])}: ${what}`,
    };
  }

  /** The script a container's command runs (a *.sh key of a ConfigMap) and every script it sources. */
  scriptOf(c: Container): { cm: ManifestObject; key: string; text: string; withSourced: string; sourced: string[] } | undefined {
    const words = [...arr(c.spec.command), ...arr(c.spec.args)].map(String);
    for (const cm of this.objects.filter((o) => o.kind === 'ConfigMap')) {
      const data = rec(cm.data);
      const key = words.map((w) => path.posix.basename(w)).find((w) => w.endsWith('.sh') && typeof data[w] === 'string');
      if (!key) continue;
      const seen = [key];
      for (let i = 0; i < seen.length; i++) {
        for (const m of String(data[seen[i]!]).matchAll(/^\s*(?:\.|source)\s+[^\n#;]*?([\w.-]+\.sh)\b/gm)) {
          if (typeof data[m[1]!] === 'string' && !seen.includes(m[1]!)) seen.push(m[1]!);
        }
      }
      return { cm, key, text: String(data[key]), withSourced: seen.map((k) => String(data[k])).join('\n'), sourced: seen.slice(1) };
    }
    return undefined;
  }

  env(c: Container, name: string): { index: number; v: Rec } | undefined {
    const list = arr(c.spec.env).map(rec);
    const index = list.findIndex((e) => e.name === name);
    return index >= 0 ? { index, v: list[index]! } : undefined;
  }

  /** The default a script gives a variable (`${VAR:=x}` or `${VAR:-x}`), unless the container sets it. */
  setting(c: Container, name: string, fallback: string): string {
    const v = this.env(c, name)?.v.value;
    if (typeof v === 'string') return v;
    const m = new RegExp(`\\$\\{${name}:?[=-]([^}]*)\\}`).exec(this.scriptOf(c)?.withSourced ?? '');
    return m ? m[1]! : fallback;
  }

  /** The DNS name of pod `ordinal` (or of the pod named `name`) through the governing headless Service. */
  podHost(ordinal: number, name = `${this.sts.metadata.name}-${ordinal}`): string {
    const headless = String(rec(this.sts.spec).serviceName ?? this.seed.headlessService);
    return `${name}.${headless}.${this.namespace}.svc.cluster.local`;
  }

  get majority(): number | null {
    return this.replicas === null ? null : Math.floor(this.replicas / 2) + 1;
  }

  get quorum(): number | null {
    const q = Number(lastDirective(this.sentinelConf.text, ['sentinel', 'monitor'])?.[3]);
    return Number.isInteger(q) ? q : null;
  }

  get masterName(): string {
    return lastDirective(this.sentinelConf.text, ['sentinel', 'monitor'])?.[0] ?? this.seed.masterName;
  }

  // --- namespace -------------------------------------------------------------------------------------------

  namespaceChecks(): void {
    const ns = this.objects.find((o) => o.kind === 'Namespace' && o.metadata.name === this.seed.namespace);
    this.add({
      name: 'namespace.exists', valid: ns !== undefined, expected: `Namespace ${this.seed.namespace}`,
      observed: ns ? 'present' : `absent (namespaces: ${this.objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name).join(', ') || 'none'})`,
      file: ns?.__file ?? this.dir, object: `Namespace/${this.seed.namespace}`, field: 'metadata.name',
      explanation: 'The seed deploys everything into namespace matrix; without the Namespace object the apply fails on a fresh cluster.',
    });
    for (const o of this.objects) {
      if (CLUSTER_SCOPED.has(o.kind)) continue;
      const observed = o.metadata?.namespace;
      this.add({
        name: 'namespace.membership', valid: observed === this.seed.namespace, expected: this.seed.namespace,
        observed: observed === undefined ? '(absent: whatever namespace kubectl defaults to)' : show(observed),
        file: o.__file, object: ref(o), field: 'metadata.namespace',
        explanation: `Every namespaced object of the deployment belongs in ${this.seed.namespace}: Services select, PDBs protect and secretKeyRefs resolve only within one namespace.`,
      });
    }
  }

  // --- schema ----------------------------------------------------------------------------------------------

  schemaChecks(): void {
    for (const o of this.objects) {
      const { __file, ...plain } = o;
      const r = validateSchema(plain);
      const what = `${String(o.apiVersion)} ${String(o.kind)}`;
      this.add({
        name: 'schema', valid: r.status === 'valid', expected: `valid ${what} (Kubernetes OpenAPI schema)`,
        observed:
          r.status === 'valid' ? 'valid'
          : r.status === 'no-schema' ? `no offline schema for ${what}`
          : `${r.violation.message}${r.violation.others > 0 ? ` (and violations at ${r.violation.others} other field${r.violation.others === 1 ? '' : 's'})` : ''}`,
        file: __file, object: ref(o), field: r.status === 'invalid' ? r.violation.field : r.status === 'no-schema' ? 'apiVersion, kind' : '(object)',
        explanation:
          r.status === 'no-schema'
            ? `The API server would reject an unknown apiVersion/kind; if it is real, add its kubernetes-models class to src/conformance/k8s-schema.ts.`
            : 'The object must be accepted by the Kubernetes API (types, required fields, formats such as quantities); the first violation is shown.',
      });
    }
  }

  // --- sentinel.conf ---------------------------------------------------------------------------------------

  sentinelChecks(): void {
    const s = this.seed;
    const conf = this.sentinelConf;
    const monitor = lastDirective(conf.text, ['sentinel', 'monitor']);
    const name = this.masterName;
    this.add({
      name: 'sentinel.master-name', valid: monitor?.[0] === s.masterName, expected: s.masterName, observed: show(monitor?.[0]),
      ...this.confWhere(conf, 'sentinel monitor <name>'),
      explanation: `Clients ask the sentinels for the master by name (${s.masterName} in the seed's connection strings); another name leaves them without a master.`,
    });
    const quorum = this.quorum;
    this.add({
      name: 'sentinel.quorum', valid: quorum === s.quorum, expected: String(s.quorum), observed: show(monitor?.[3]),
      ...this.confWhere(conf, 'sentinel monitor <quorum>'),
      explanation: 'The seed: quorum 2, two of the three sentinels must agree the master is down before a failover starts.' + designNote(s.quorum, SEED_DESIGN.quorum),
    });
    const majority = this.majority;
    this.add({
      name: 'sentinel.quorum-majority', valid: quorum !== null && quorum === majority,
      expected: majority === null ? '(needs an integer spec.replicas)' : `${majority} = floor(${this.replicas} sentinels / 2) + 1`,
      observed: show(monitor?.[3]), ...this.confWhere(conf, 'sentinel monitor <quorum>'),
      explanation:
        `One sentinel sidecar per pod makes ${show(this.replicas)} sentinels (${this.stsRef} spec.replicas); the seed sets the quorum to ` +
        '(N/2)+1: lower lets a minority declare the master down, higher needs more sentinels than can be reached with a pod down.',
    });
    const needed = quorum === null || majority === null ? null : Math.max(quorum, majority);
    const survivors = this.replicas === null ? null : this.replicas - 1;
    this.add({
      name: 'sentinel.failover-with-one-pod-down',
      valid: needed !== null && survivors !== null && survivors >= needed,
      expected: needed === null ? '(needs an integer quorum and spec.replicas)' : `≥ ${needed} sentinels left with one pod down (max of quorum ${quorum} and majority ${majority})`,
      observed: survivors === null ? show(rec(this.sts.spec).replicas) : `${survivors} (spec.replicas ${this.replicas} − 1)`,
      ...this.confWhere(conf, 'sentinel monitor <quorum>'),
      explanation:
        "Losing the master's pod also loses its sentinel: the others must still reach the quorum to mark it down and a majority of all " +
        `sentinels to elect the leader that fails over, or no failover ever happens (see also ${this.stsRef} spec.replicas).`,
    });
    const param = (key: string, expected: number, seedValue: number, why: string): void => {
      const v = lastDirective(conf.text, ['sentinel', key, name]);
      this.add({
        name: `sentinel.${key}`, valid: v !== undefined && v.length === 1 && Number(v[0]) === expected, expected: String(expected),
        observed: v === undefined ? '(absent: Sentinel default)' : confArgs(v), ...this.confWhere(conf, `sentinel ${key}`), explanation: why + designNote(expected, seedValue),
      });
    };
    param('down-after-milliseconds', s.downAfterMs, SEED_DESIGN.downAfterMs, 'The seed: a master unreachable for 5000 ms is subjectively down; this sets the floor of the 5–10 s failover the seed promises.');
    param('failover-timeout', s.failoverTimeoutMs, SEED_DESIGN.failoverTimeoutMs, 'The seed: 10000 ms; it bounds a stuck failover and spaces retries (a lost election costs 2 × failover-timeout).');
    param('parallel-syncs', s.parallelSyncs, SEED_DESIGN.parallelSyncs, 'The seed: one replica resyncs with the new master at a time, so the other keeps serving reads.');
    const [host, port] = [monitor?.[1], monitor?.[2]];
    const initial = this.podHost(0);
    this.add({
      name: 'sentinel.monitor-address', valid: host === initial && Number(port) === s.redisPort, expected: `${initial} ${s.redisPort}`,
      observed: monitor ? `${show(host)} ${show(port)}` : '(no sentinel monitor line)', ...this.confWhere(conf, 'sentinel monitor <host> <port>'),
      explanation: `The seed's initial master is ${this.sts.metadata.name}-0 through the headless Service; start-sentinel.sh replaces it with the master the running sentinels agree on.`,
    });
    const isIp = host !== undefined && (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':'));
    const resolve = lastDirective(conf.text, ['sentinel', 'resolve-hostnames'])?.[0]?.toLowerCase();
    this.add({
      name: 'sentinel.resolve-hostnames', valid: isIp || resolve === 'yes', expected: isIp ? '(not needed: the monitor address is an IP)' : 'yes',
      observed: show(resolve), ...this.confWhere(conf, 'sentinel resolve-hostnames'),
      explanation: 'Pods are addressed by DNS name (their IPs change on restart); Sentinel refuses a hostname in "sentinel monitor" unless resolve-hostnames is yes.',
    });
    this.add({
      name: 'sentinel.no-password-in-config', valid: lastDirective(conf.text, ['sentinel', 'auth-pass']) === undefined,
      expected: 'no sentinel auth-pass (it comes from the Secret at start-up)',
      observed: lastDirective(conf.text, ['sentinel', 'auth-pass']) === undefined ? 'none' : 'sentinel auth-pass present (value not shown)',
      ...this.confWhere(conf, 'sentinel auth-pass'),
      explanation: 'A password in a ConfigMap is readable by anyone who can read ConfigMaps and survives a rotation of the Secret.',
    });
    const owned = ['monitor', 'quorum', 'down-after-milliseconds', 'failover-timeout', 'parallel-syncs'].map((d) => `sentinel ${d}`);
    this.scriptKeeps(this.sentinel, owned, 'sentinel.script-keeps-parameters', 'sentinel.conf');
  }

  /** The start script must not override seed parameters it does not own (appended lines or server flags). */
  scriptKeeps(c: Container, directives: string[], name: string, confName: string): void {
    const script = this.scriptOf(c);
    const found: string[] = [];
    for (const m of (script?.text ?? '').matchAll(/^\s*echo\s+["']?([^"'\n]*)/gm)) {
      const line = m[1]!.trim().toLowerCase().replace(/\s+/g, ' ');
      for (const d of directives) if (line === d || line.startsWith(`${d} `)) found.push(m[1]!.trim());
    }
    for (const m of (script?.text ?? '').matchAll(/--([a-z-]+)/g)) {
      const flag = m[1]!.toLowerCase();
      if (directives.some((d) => d === flag)) found.push(`--${flag}`);
    }
    this.add({
      name, valid: script !== undefined && found.length === 0, expected: `no override of ${directives.join(', ')}`,
      observed: script === undefined ? `(the ${c.name} container runs no script of a ConfigMap)` : found.length === 0 ? 'none' : found.join('; '),
      file: script?.cm.__file ?? this.sts.__file, object: script ? ref(script.cm) : this.stsRef,
      field: script ? fieldPath(['data', script.key]) : this.cField(c, 'command'),
      explanation: `The ${confName} parameters checked here are what runs only if ${script?.key ?? 'the start script'} does not replace them when it writes the final config.`,
    });
  }

  // --- redis.conf ------------------------------------------------------------------------------------------

  redisChecks(): void {
    const s = this.seed;
    const conf = this.redisConf;
    const directive = (key: string, expected: string, seedValue: string, why: string): void => {
      const v = lastDirective(conf.text, [key]);
      this.add({
        name: `redis.${key}`, valid: v !== undefined && v.length === 1 && v[0]!.toLowerCase() === expected, expected,
        observed: v === undefined ? '(absent: Redis default)' : confArgs(v), ...this.confWhere(conf, key), explanation: why + designNote(expected, seedValue),
      });
    };
    directive('appendonly', s.appendonly, SEED_DESIGN.appendonly, 'The seed persists with AOF: every write is logged and replayed on start-up; without it a restarted pod comes back empty.');
    directive('appendfsync', s.appendfsync, SEED_DESIGN.appendfsync, 'The seed: fsync once a second (at most one second of writes lost on a crash) without the throughput cost of always.');
    const save = lastDirective(conf.text, ['save']);
    this.add({
      name: 'redis.save', valid: save !== undefined && save.length === 1 && save[0] === s.save, expected: `save ${confArgs([s.save])} (RDB off)`,
      observed: save === undefined ? '(absent: Redis default snapshots 3600 1 300 100 60 10000)' : `save ${confArgs(save)}`,
      ...this.confWhere(conf, 'save'),
      explanation: 'The seed disables RDB ("AOF is safer"): snapshots fork the process and can double memory under load.',
    });
    const maxmemory = lastDirective(conf.text, ['maxmemory']);
    const expectedBytes = parseRedisMemory(s.maxmemory);
    const bytes = maxmemory?.length === 1 ? parseRedisMemory(maxmemory[0]!) : null;
    this.add({
      name: 'redis.maxmemory', valid: bytes !== null && bytes === expectedBytes,
      expected: `${s.maxmemory}${expectedBytes === null ? '' : ` (${formatBytes(expectedBytes)})`}`,
      observed: maxmemory === undefined ? '(absent: no limit)' : `${confArgs(maxmemory)}${bytes === null ? '' : ` (${formatBytes(bytes)})`}`,
      ...this.confWhere(conf, 'maxmemory'),
      explanation: 'The seed: 2 GB per instance, evicting beyond it; a different value changes what the memory limit must hold.',
    });
    directive('maxmemory-policy', s.maxmemoryPolicy, SEED_DESIGN.maxmemoryPolicy, 'The seed evicts least-recently-used keys of any kind at maxmemory; another policy rejects writes or evicts differently.');
    const pw = ['requirepass', 'masterauth'].filter((d) => lastDirective(conf.text, [d]) !== undefined);
    this.add({
      name: 'redis.no-password-in-config', valid: pw.length === 0, expected: 'no requirepass or masterauth (they come from the Secret at start-up)',
      observed: pw.length === 0 ? 'none' : `${pw.join(', ')} present (value not shown)`, ...this.confWhere(conf, 'requirepass, masterauth'),
      explanation: 'A password in a ConfigMap is readable by anyone who can read ConfigMaps and survives a rotation of the Secret.',
    });
    this.scriptKeeps(this.redis, ['appendonly', 'appendfsync', 'save', 'maxmemory', 'maxmemory-policy'], 'redis.script-keeps-parameters', 'redis.conf');
  }

  // --- password: env secretKeyRef → Secret key → script directives ----------------------------------------

  passwordChecks(): void {
    const envName = this.seed.passwordEnv;
    const fromSecret = (c: Container) => {
      const e = this.env(c, envName);
      const r = rec(rec(e?.v.valueFrom).secretKeyRef);
      const ok = typeof r.name === 'string' && typeof r.key === 'string';
      return {
        e, ok, name: ok ? (r.name as string) : undefined, key: ok ? (r.key as string) : undefined,
        field: e ? this.cField(c, 'env', e.index, ...(ok || e.v.value === undefined ? ['valueFrom', 'secretKeyRef'] : ['value'])) : this.cField(c, 'env'),
        observed: !e ? `(no ${envName} env var)`
          : ok ? `secretKeyRef ${String(r.name)}/${String(r.key)}`
          : e.v.value !== undefined ? `literal value (${String(e.v.value).length} characters, not shown)`
          : `valueFrom ${Object.keys(rec(e.v.valueFrom)).join(', ') || '(empty)'}`,
      };
    };
    const redis = fromSecret(this.redis);
    this.add({
      name: 'password.redis-env-from-secret', valid: redis.ok, expected: `${envName} from valueFrom.secretKeyRef`, observed: redis.observed,
      file: this.sts.__file, object: this.stsRef, field: redis.field,
      explanation: 'The seed keeps the password in a Secret; a literal value puts it in the StatefulSet (readable with the pod spec) and detaches it from rotation of the Secret.',
    });
    const secret = redis.name ? this.find('Secret', redis.name) : undefined;
    const inStringData = secret && redis.key ? Object.hasOwn(rec(secret.stringData), redis.key) : false;
    const inData = secret && redis.key ? Object.hasOwn(rec(secret.data), redis.key) : false;
    this.add({
      name: 'password.secret-key-exists', valid: inStringData || inData,
      expected: redis.name ? `Secret ${redis.name} in ${this.namespace} with key ${redis.key}` : 'the Secret the redis container references',
      observed: !redis.name ? '(no secretKeyRef to follow)' : !secret ? `no Secret ${redis.name} in namespace ${this.namespace}`
        : inStringData || inData ? `key present in ${inStringData ? 'stringData' : 'data'} (value not shown)` : `Secret has no key ${redis.key}`,
      file: secret?.__file ?? this.dir, object: `Secret/${redis.name ?? '(none)'}`,
      field: fieldPath([inData && !inStringData ? 'data' : 'stringData', redis.key ?? 'password']),
      explanation: 'A secretKeyRef to a missing Secret or key keeps the pods in CreateContainerConfigError.',
    });
    const sentinel = fromSecret(this.sentinel);
    const same = sentinel.ok && sentinel.name === redis.name && sentinel.key === redis.key;
    this.add({
      name: 'password.sentinel-env-from-secret', valid: sentinel.ok && same,
      expected: redis.ok ? `${envName} from secretKeyRef ${redis.name}/${redis.key} (the redis container's)` : `${envName} from valueFrom.secretKeyRef`,
      observed: sentinel.observed, file: this.sts.__file, object: this.stsRef, field: sentinel.field,
      explanation: "The sentinels authenticate to redis with the same password redis requires (sentinel auth-pass); a different source breaks monitoring after a rotation.",
    });
    const writes = (c: Container, directive: string, name: string, why: string) => {
      const script = this.scriptOf(c);
      const re = new RegExp(`^[^#\\n]*\\b${directive.replace(/ /g, '\\s+')}\\b[^\\n]*\\$\\{?${envName}\\b`, 'm');
      const plain = new RegExp(`^[^#\\n]*\\b${directive.replace(/ /g, '\\s+')}\\b`, 'm');
      const ok = script !== undefined && re.test(script.text);
      this.add({
        name, valid: ok, expected: `${script?.key ?? 'the start script'} writes "${directive}" from $${envName}`,
        observed: script === undefined ? `(the ${c.name} container runs no script of a ConfigMap)`
          : ok ? 'written from the env var' : plain.test(script.text) ? `"${directive}" written, but not from $${envName}` : `no "${directive}" written`,
        file: script?.cm.__file ?? this.sts.__file, object: script ? ref(script.cm) : this.stsRef,
        field: script ? `${fieldPath(['data', script.key])}: ${directive}` : this.cField(c, 'command'), explanation: why,
      });
    };
    writes(this.redis, 'requirepass', 'password.requirepass-from-env',
      'Without requirepass from the Secret, redis accepts every client without a password (the seed enables authentication).');
    writes(this.redis, 'masterauth', 'password.masterauth-from-env',
      'Replicas authenticate to the master with masterauth; without it from the same Secret, replication fails once the master requires the password.');
    writes(this.sentinel, 'sentinel auth-pass', 'password.sentinel-auth-pass-from-env',
      'Sentinels need auth-pass to monitor a password-protected redis; without it they see the master as down and failover breaks.');
  }

  // --- StatefulSet ------------------------------------------------------------------------------------------

  statefulSetChecks(): void {
    const s = this.seed;
    const spec = rec(this.sts.spec);
    const all = this.objects.filter((o) => o.kind === 'StatefulSet');
    this.add({
      name: 'statefulset.exists', valid: this.stsFound && this.sts.metadata.name === s.statefulSet, expected: `StatefulSet ${s.statefulSet}`,
      observed: all.length === 0 ? 'absent' : all.map(ref).join(', '), file: this.sts.__file, object: this.stsRef, field: 'metadata.name',
      explanation: `The seed runs redis as StatefulSet ${s.statefulSet} (pods ${s.statefulSet}-0…2 with stable DNS names).`,
    });
    this.add({
      name: 'statefulset.replicas', valid: this.replicas === s.replicas, expected: String(s.replicas), observed: show(spec.replicas),
      file: this.sts.__file, object: this.stsRef, field: 'spec.replicas',
      explanation: 'The seed: 3 pods, one master and two replicas, each with a sentinel; the quorum, the PDB and SENTINEL_HOSTS are sized for it.',
    });
    this.add({
      name: 'statefulset.selector', valid: labelSelectorMatches(spec.selector, this.podLabels),
      expected: `selects the pod template labels ${JSON.stringify(this.podLabels)}`, observed: show(spec.selector),
      file: this.sts.__file, object: this.stsRef, field: 'spec.selector',
      explanation: "The API server rejects a StatefulSet whose selector does not match its own pod template's labels.",
    });
    const containers = arr(this.podSpec.containers).map((c) => String(rec(c).name));
    const wanted = [s.redisContainer, s.sentinelContainer];
    const extra = containers.filter((c) => !wanted.includes(c));
    this.add({
      name: 'statefulset.containers',
      valid: wanted.every((w) => containers.filter((c) => c === w).length === 1) && extra.every((c) => c === s.labellerContainer),
      expected: `${wanted.join(', ')} (and the ${s.labellerContainer} sidecar)`, observed: containers.join(', ') || '(none)', file: this.sts.__file, object: this.stsRef,
      field: 'spec.template.spec.containers',
      explanation:
        'The seed pairs each redis with a sentinel sidecar in the same pod: one sentinel per pod is what makes the quorum arithmetic hold. ' +
        `The only other container is the ${s.labellerContainer}, which keeps the pod's ${s.roleLabel} label current for the client Service.`,
    });
    for (const [c, port] of [[this.redis, s.redisPort], [this.sentinel, s.sentinelPort]] as const) {
      const ports = arr(c.spec.ports).map(rec);
      this.add({
        name: `statefulset.${c.name}.port`, valid: ports.some((p) => p.containerPort === port), expected: `containerPort ${port}`,
        observed: c.index < 0 ? `(no container ${c.name})` : ports.map((p) => show(p.containerPort)).join(', ') || '(none)',
        file: this.sts.__file, object: this.stsRef, field: this.cField(c, 'ports'),
        explanation: `The seed: ${c.name} on port ${port}; the Services target it and clients and sentinels connect to it.`,
      });
    }
    this.antiAffinityCheck();
    for (const c of [this.redis, this.sentinel]) {
      for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
        const probe = rec(c.spec[kind]);
        const handler = ['exec', 'httpGet', 'tcpSocket', 'grpc'].find((h) => h in probe);
        this.add({
          name: `statefulset.${c.name}.${kind === 'readinessProbe' ? 'readiness' : 'liveness'}-probe`, valid: handler !== undefined,
          expected: `a ${kind} with a handler`, observed: c.spec[kind] === undefined ? '(absent)' : handler ?? '(no handler)',
          file: this.sts.__file, object: this.stsRef, field: this.cField(c, kind),
          explanation: kind === 'readinessProbe'
            ? `Without readiness the ${c.name} container counts as ready as soon as it starts: a rolling update or drain moves on before it serves, and the PDB counts pods that cannot help.`
            : `Without liveness a hung ${c.name} is never restarted.`,
        });
      }
      const res = rec(c.spec.resources);
      const requests = rec(res.requests);
      const missing = ['cpu', 'memory'].filter((r) => parseQuantity(requests[r]) === null);
      this.add({
        name: `statefulset.${c.name}.resource-requests`, valid: missing.length === 0, expected: 'requests.cpu and requests.memory',
        observed: Object.keys(requests).length === 0 ? '(none)' : Object.entries(requests).map(([k, v]) => `${k} ${show(v)}`).join(', '),
        file: this.sts.__file, object: this.stsRef, field: this.cField(c, 'resources', 'requests'),
        explanation: 'Without requests the scheduler may pack the pod onto a node that cannot hold it, and it is the first to be evicted under pressure.',
      });
      const limit = rec(res.limits).memory;
      this.add({
        name: `statefulset.${c.name}.memory-limit`, valid: parseQuantity(limit) !== null, expected: 'limits.memory', observed: show(limit),
        file: this.sts.__file, object: this.stsRef, field: this.cField(c, 'resources', 'limits', 'memory'),
        explanation: 'A memory limit bounds what the container can take from its neighbours on the node.',
      });
    }
    const limit = parseQuantity(rec(rec(this.redis.spec.resources).limits).memory);
    const mm = lastDirective(this.redisConf.text, ['maxmemory']);
    const maxmemory = mm?.length === 1 ? parseRedisMemory(mm[0]!) : null;
    const floor = maxmemory === null ? null : maxmemory * (1 + s.memoryHeadroom);
    this.add({
      name: `statefulset.${this.redis.name}.memory-headroom`, valid: limit !== null && floor !== null && limit >= floor,
      expected: maxmemory === null ? '(needs a maxmemory in redis.conf)' : `≥ maxmemory ${confArgs(mm!)} + ${Math.round(s.memoryHeadroom * 100)}% = ${(floor! / 2 ** 20).toFixed(0)}Mi`,
      observed: limit === null ? show(rec(rec(this.redis.spec.resources).limits).memory)
        : `${formatBytes(limit)}${maxmemory ? ` (maxmemory ${limit >= maxmemory ? '+' : ''}${Math.round((limit / maxmemory - 1) * 100)}%)` : ''}`,
      file: this.sts.__file, object: this.stsRef, field: this.cField(this.redis, 'resources', 'limits', 'memory'),
      explanation:
        'Redis uses more than maxmemory (fragmentation, client and replication buffers, the AOF-rewrite fork): a limit at or below ' +
        'maxmemory gets the container OOM-killed before eviction starts, which is a failover.',
    });
    for (const c of [this.redis, this.sentinel]) {
      const script = this.scriptOf(c);
      const conf = c === this.redis ? this.redisConf : this.sentinelConf;
      const wantedCms = [conf.cm?.metadata.name, script?.cm.metadata.name].filter((n): n is string => n !== undefined);
      const mounted = this.mountedConfigMaps(c).map((m) => m.cm);
      const missingCm = wantedCms.filter((n) => !mounted.includes(n));
      this.add({
        name: `statefulset.${c.name}.config-mounted`, valid: conf.cm !== undefined && script !== undefined && missingCm.length === 0,
        expected: `ConfigMaps ${[...new Set(wantedCms)].join(', ') || '(its config and scripts)'} mounted`,
        observed: (mounted.length === 0 ? '(no ConfigMap mounted)' : `mounted: ${mounted.join(', ')}`)
          + (script ? '' : '; runs no script of a ConfigMap') + (conf.cm ? '' : `; no ConfigMap holds ${conf.key}`),
        file: this.sts.__file, object: this.stsRef, field: this.cField(c, 'volumeMounts'),
        explanation: `The ${c.name} container's configuration and start-up script come from ConfigMaps; what it does not mount, it does not run.`,
      });
    }
  }

  antiAffinityCheck(): void {
    const anti = rec(rec(this.podSpec.affinity).podAntiAffinity);
    const key = this.seed.antiAffinityTopologyKey;
    const preferred = arr(anti.preferredDuringSchedulingIgnoredDuringExecution).map((t) => rec(rec(t).podAffinityTerm));
    const required = arr(anti.requiredDuringSchedulingIgnoredDuringExecution).map(rec);
    const matches = (t: Rec) => t.topologyKey === key && labelSelectorMatches(t.labelSelector, this.podLabels);
    const ok = preferred.some(matches);
    this.add({
      name: 'statefulset.anti-affinity', valid: ok,
      expected: `preferred podAntiAffinity on ${key} selecting the pod labels ${JSON.stringify(this.podLabels)}`,
      observed: ok ? 'present'
        : required.some(matches) ? 'required (not preferred) anti-affinity'
        : preferred.length + required.length === 0 ? '(no podAntiAffinity)'
        : `terms on ${[...preferred, ...required].map((t) => show(t.topologyKey)).join(', ')} not selecting the pods`,
      file: this.sts.__file, object: this.stsRef, field: 'spec.template.spec.affinity.podAntiAffinity',
      explanation:
        'The seed prefers one pod per node so that losing a node loses one redis and one sentinel, not the quorum; ' +
        'preferred (not required) so the pods still schedule on fewer than 3 nodes.',
    });
  }

  // --- storage ----------------------------------------------------------------------------------------------

  storageChecks(): void {
    const s = this.seed;
    const templates = arr(rec(this.sts.spec).volumeClaimTemplates).map(rec);
    const dataDir = this.setting(this.redis, 'DATA_DIR', s.dataDir);
    const mountAt = (c: Container, dir: string) => arr(c.spec.volumeMounts).map(rec).find((m) => m.mountPath === dir);
    const claimNames = templates.map((t) => rec(t.metadata).name);
    const redisMount = mountAt(this.redis, dataDir);
    let index = templates.findIndex((t) => rec(t.metadata).name === redisMount?.name);
    if (index < 0) index = templates.length > 0 ? 0 : -1;
    const tmpl = rec(templates[index]);
    const tspec = rec(tmpl.spec);
    const where = (...rest: (string | number)[]) => ({
      file: this.sts.__file, object: this.stsRef,
      field: index < 0 ? 'spec.volumeClaimTemplates' : fieldPath(['spec', 'volumeClaimTemplates', index, 'spec', ...rest]),
    });
    const none = '(no volumeClaimTemplates: the data dies with the pod)';
    const size = rec(rec(tspec.resources).requests).storage;
    this.add({
      name: 'storage.size', valid: parseQuantity(size) !== null && parseQuantity(size) === parseQuantity(s.storage), expected: s.storage,
      observed: index < 0 ? none : show(size), ...where('resources', 'requests', 'storage'),
      explanation: 'The seed: a 10Gi volume per instance, room for the AOF of a 2 GB dataset and its rewrite.',
    });
    const modes = arr(tspec.accessModes);
    this.add({
      name: 'storage.access-modes', valid: modes.length === s.accessModes.length && s.accessModes.every((m) => modes.includes(m)),
      expected: JSON.stringify(s.accessModes), observed: index < 0 ? none : show(tspec.accessModes), ...where('accessModes'),
      explanation: 'Each pod owns its volume; ReadWriteOnce is what the standard storage class provides.',
    });
    this.add({
      name: 'storage.class', valid: tspec.storageClassName === s.storageClassName, expected: s.storageClassName,
      observed: index < 0 ? none : tspec.storageClassName === undefined ? '(absent: the cluster default class)' : show(tspec.storageClassName),
      ...where('storageClassName'),
      explanation: 'The seed requires a StorageClass named standard; another class may not exist, leaving the claims (and pods) Pending.',
    });
    for (const c of [this.redis, this.sentinel]) {
      const dir = this.setting(c, 'DATA_DIR', s.dataDir);
      const m = mountAt(c, dir);
      const ok = m !== undefined && claimNames.includes(m.name);
      this.add({
        name: `storage.${c.name}.mounted`, valid: ok, expected: `volumeClaimTemplate ${show(claimNames[0] ?? 'data')} mounted at ${dir}`,
        observed: ok ? `${show(m!.name)} at ${dir}` : m ? `${dir} holds volume ${show(m.name)}, not a volumeClaimTemplate` : `nothing mounted at ${dir}`,
        file: this.sts.__file, object: this.stsRef, field: this.cField(c, 'volumeMounts'),
        explanation: c === this.redis
          ? `Redis writes its AOF to ${dir} (DATA_DIR); unless the claim is mounted there, persistence ends with the container.`
          : `The sentinel keeps its config (myid, epochs, known peers) in ${dir}; on an ephemeral directory a restarted sentinel is a stranger to its peers.`,
      });
    }
  }

  // --- Services ---------------------------------------------------------------------------------------------

  serviceChecks(): void {
    const s = this.seed;
    const headless = this.find('Service', s.headlessService) ?? absent('Service', s.headlessService, this.dir, this.namespace);
    const client = this.find('Service', s.clientService) ?? absent('Service', s.clientService, this.dir, this.namespace);
    const hs = rec(headless.spec);
    const cs = rec(client.spec);
    const at = (o: ManifestObject, field: string) => ({ file: o.__file, object: ref(o), field });
    const isAbsent = (o: ManifestObject) => o.apiVersion === '';
    this.add({
      name: 'statefulset.service-name', valid: rec(this.sts.spec).serviceName === s.headlessService, expected: s.headlessService,
      observed: show(rec(this.sts.spec).serviceName), file: this.sts.__file, object: this.stsRef, field: 'spec.serviceName',
      explanation: 'The pods get their stable DNS names (redis-0.redis-headless…) from the governing headless Service; the scripts and sentinels address each other by them.',
    });
    this.add({
      name: 'service.headless.cluster-ip', valid: !isAbsent(headless) && hs.clusterIP === 'None', expected: 'None',
      observed: isAbsent(headless) ? `(no Service ${s.headlessService} in ${this.namespace})` : show(hs.clusterIP), ...at(headless, 'spec.clusterIP'),
      explanation: 'Only a headless Service gives each pod its own DNS record.',
    });
    this.add({
      name: 'service.headless.publish-not-ready-addresses', valid: hs.publishNotReadyAddresses === true, expected: 'true',
      observed: isAbsent(headless) ? '(no Service)' : show(hs.publishNotReadyAddresses), ...at(headless, 'spec.publishNotReadyAddresses'),
      explanation:
        "A starting pod asks its peers' sentinels for the master before it is ready (and a replica waiting for its link is not ready); " +
        `without publishNotReadyAddresses their names do not resolve and a restarted pod falls back to assuming ${this.sts.metadata.name}-0.`,
    });
    const hsel = hs.selector;
    this.add({
      name: 'service.headless.selector', valid: serviceSelectorMatches(hsel, this.podLabels),
      expected: `selects the pod labels ${JSON.stringify(this.podLabels)} of ${this.stsRef}`,
      observed: isAbsent(headless) ? '(no Service)' : show(hsel), ...at(headless, 'spec.selector'),
      explanation: 'A Service whose selector does not match the pods has no endpoints.',
    });
    const csel = cs.selector;
    const master = { ...this.podLabels, [s.roleLabel]: s.masterRole };
    const replica = { ...this.podLabels, [s.roleLabel]: s.replicaRole };
    const selectsMaster = serviceSelectorMatches(csel, master);
    const selectsReplica = serviceSelectorMatches(csel, replica);
    this.add({
      name: 'service.client.selector', valid: selectsMaster && !selectsReplica,
      expected: `selects the master pod only: ${JSON.stringify(master)}, not ${s.roleLabel}: ${s.replicaRole}`,
      observed: isAbsent(client) ? '(no Service)'
        : `${show(csel)}${!selectsMaster ? ' (selects no master pod)' : selectsReplica ? ' (selects the replicas too)' : ''}`,
      ...at(client, 'spec.selector'),
      explanation:
        `Applications write through ${s.clientService}:${s.redisPort}. A selector matching every pod sends two new connections in three to a replica, ` +
        `whose writes fail with READONLY; the ${s.labellerContainer} sidecar keeps ${s.roleLabel} on the current master.`,
    });
    const type = cs.type ?? 'ClusterIP';
    this.add({
      name: 'service.client.type', valid: !isAbsent(client) && type === 'ClusterIP' && cs.clusterIP !== 'None', expected: 'ClusterIP with a cluster IP',
      observed: isAbsent(client) ? `(no Service ${s.clientService} in ${this.namespace})` : `${show(type)}${cs.clusterIP === 'None' ? ', clusterIP None' : ''}`,
      ...at(client, 'spec.type'),
      explanation: 'The seed exposes redis inside the cluster only (no LoadBalancer or NodePort), at redis.matrix.svc.cluster.local:6379.',
    });
    const redisPorts = arr(this.redis.spec.ports).map(rec);
    const ports = arr(cs.ports).map(rec);
    const pi = ports.findIndex((p) => p.port === s.redisPort);
    const target = ports[pi]?.targetPort ?? s.redisPort;
    const resolves = typeof target === 'number'
      ? redisPorts.some((p) => p.containerPort === target && target === s.redisPort)
      : redisPorts.some((p) => p.name === target && p.containerPort === s.redisPort);
    this.add({
      name: 'service.client.port', valid: pi >= 0 && resolves, expected: `port ${s.redisPort} → the redis container's ${s.redisPort}`,
      observed: pi < 0
        ? `ports ${ports.map((p) => show(p.port)).join(', ') || '(none)'}`
        : `port ${s.redisPort} → targetPort ${show(target)}${resolves ? '' : ' (no such redis container port)'}`,
      ...at(client, pi < 0 ? 'spec.ports' : fieldPath(['spec', 'ports', pi, 'targetPort'])),
      explanation: 'Applications connect to the Service on 6379 (the seed\'s connection strings).',
    });
  }

  // --- Service routing to the master -------------------------------------------------------------------------

  routingChecks(): void {
    const s = this.seed;
    const containers = arr(this.podSpec.containers).map(rec);
    const li = containers.findIndex((c) => c.name === s.labellerContainer);
    const labeller: Container = { name: s.labellerContainer, index: li, spec: containers[li] ?? {} };
    const script = li >= 0 ? this.scriptOf(labeller) : undefined;
    const text = script?.withSourced ?? '';
    const missing = [
      [text.includes(s.roleLabel) || this.setting(labeller, 'ROLE_LABEL', '') === s.roleLabel, `the label ${s.roleLabel}`],
      [/^[^#\n]*\bROLE\b/m.test(text), 'ROLE (the replication role it reports)'],
      [/^[^#\n]*PATCH\b/m.test(text) && /\/api\/v1\/namespaces\//.test(text), 'a PATCH of its pod through /api/v1/namespaces/<ns>/pods/<name>'],
      [/serviceaccount|\bSA_DIR\b/.test(text) && /token/.test(text), "the ServiceAccount's token"],
    ].filter(([ok]) => !ok).map(([, what]) => what as string);
    this.add({
      name: 'routing.labeller', valid: li >= 0 && script !== undefined && missing.length === 0,
      expected: `a ${s.labellerContainer} container running a script of a ConfigMap that asks its redis for ROLE and patches its pod's ${s.roleLabel}`,
      observed: li < 0 ? `(no container ${s.labellerContainer})` : script === undefined ? '(it runs no script of a ConfigMap)'
        : missing.length === 0 ? `${[script.key, ...script.sourced].join(' + ')} does` : `${script.key} lacks ${missing.join(', ')}`,
      file: script?.cm.__file ?? this.sts.__file, object: script ? ref(script.cm) : this.stsRef,
      field: script ? fieldPath(['data', script.key]) : li >= 0 ? this.cField(labeller, 'command') : 'spec.template.spec.containers',
      explanation: `The client Service selects ${s.roleLabel}: ${s.masterRole}; without a process that moves the label on failover the Service keeps sending writes to the old master. Text check of the script.`,
    });

    const saName = typeof this.podSpec.serviceAccountName === 'string' ? this.podSpec.serviceAccountName : 'default';
    const sa = this.find('ServiceAccount', saName);
    const automount = this.podSpec.automountServiceAccountToken ?? rec(sa).automountServiceAccountToken;
    this.add({
      name: 'routing.service-account', valid: sa !== undefined && automount !== false,
      expected: 'spec.template.spec.serviceAccountName naming a ServiceAccount of the manifests, its token mounted',
      observed: sa === undefined ? `ServiceAccount ${saName} is not in the manifests` : automount === false ? `${saName}, automountServiceAccountToken false` : saName,
      file: this.sts.__file, object: this.stsRef, field: 'spec.template.spec.serviceAccountName',
      explanation: `The ${s.labellerContainer} authenticates to the API with the pod's ServiceAccount token; the namespace's default account must not be granted pod patches.`,
    });

    const roles = this.objects.filter((o) => o.kind === 'Role' && (o.metadata.namespace ?? 'default') === this.namespace);
    const grants = (role: ManifestObject) => arr(role.rules).map(rec).some((r) => {
      const has = (k: string, v: string) => arr(r[k]).map(String).some((x) => x === v || x === '*');
      return has('apiGroups', '') && has('resources', 'pods') && has('verbs', 'get') && has('verbs', 'patch');
    });
    const bindings = this.objects.filter((o) => o.kind === 'RoleBinding' && (o.metadata.namespace ?? 'default') === this.namespace);
    const bound = bindings.find((b) => {
      const rr = rec(b.roleRef);
      const role = roles.find((r) => rr.kind === 'Role' && r.metadata.name === rr.name);
      const subject = arr(b.subjects).map(rec).some((x) => x.kind === 'ServiceAccount' && x.name === saName && (x.namespace ?? this.namespace) === this.namespace);
      return role !== undefined && grants(role) && subject;
    });
    const granting = roles.filter(grants).map(ref);
    this.add({
      name: 'routing.rbac', valid: bound !== undefined,
      expected: `a RoleBinding of ServiceAccount ${saName} to a Role allowing get and patch on pods in ${this.namespace}`,
      observed: bound ? `${ref(bound)} → ${String(rec(bound.roleRef).name)}`
        : granting.length === 0 ? `no Role in ${this.namespace} allows get and patch on pods` : `${granting.join(', ')} not bound to ServiceAccount ${saName}`,
      file: bound?.__file ?? roles[0]?.__file ?? this.dir, object: bound ? ref(bound) : 'RoleBinding/(none)', field: 'roleRef, subjects',
      explanation: 'Without the grant the API answers 403 to every label patch: the label never moves and the Service routes to a stale master or to none.',
    });

    const sentinelServices = this.objects.filter((o) => o.kind === 'Service' && (o.metadata.namespace ?? 'default') === this.namespace
      && rec(o.spec).clusterIP !== 'None' && arr(rec(o.spec).ports).map(rec).some((p) => p.port === s.sentinelPort));
    const restricted = sentinelServices.filter((o) => !serviceSelectorMatches(rec(o.spec).selector, this.podLabels));
    const named = sentinelServices.find((o) => o.metadata.name === s.sentinelService);
    this.add({
      name: 'service.sentinel.selector', valid: named !== undefined && restricted.length === 0,
      expected: `Service ${s.sentinelService} on ${s.sentinelPort} selecting every pod ${JSON.stringify(this.podLabels)}, and no Service exposing ${s.sentinelPort} on fewer pods`,
      observed: sentinelServices.length === 0 ? `no Service exposes ${s.sentinelPort}`
        : sentinelServices.map((o) => `${ref(o)} ${show(rec(o.spec).selector)}${restricted.includes(o) ? ' (not every pod)' : ''}`).join('; '),
      file: (restricted[0] ?? named)?.__file ?? this.dir, object: (restricted[0] ?? named) ? ref((restricted[0] ?? named)!) : `Service/${s.sentinelService}`, field: 'spec.selector',
      explanation: "Sentinel-aware clients need the sentinels of every pod; behind the master-only Service they would reach one sentinel, the one that dies with the master's pod.",
    });
  }

  // --- PodDisruptionBudget ----------------------------------------------------------------------------------

  pdbChecks(): void {
    const s = this.seed;
    const pdbs = this.objects.filter((o) => o.kind === 'PodDisruptionBudget');
    const pdb = pdbs.find((p) => labelSelectorMatches(rec(p.spec).selector, this.podLabels, true)) ?? pdbs[0]
      ?? absent('PodDisruptionBudget', s.statefulSet, this.dir, this.namespace);
    const spec = rec(pdb.spec);
    const at = (field: string) => ({ file: pdb.__file, object: ref(pdb), field });
    const missing = pdb.apiVersion === '';
    const scaled = (v: unknown): number | null => {
      if (this.replicas === null) return null;
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      const m = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
      return m ? Math.ceil((Number(m[1]) * this.replicas) / 100) : null;
    };
    const minAvailable = spec.minAvailable !== undefined ? scaled(spec.minAvailable)
      : spec.maxUnavailable !== undefined && scaled(spec.maxUnavailable) !== null ? this.replicas! - scaled(spec.maxUnavailable)! : null;
    const field = spec.minAvailable === undefined && spec.maxUnavailable !== undefined ? 'spec.maxUnavailable' : 'spec.minAvailable';
    const observedMin = missing ? '(no PodDisruptionBudget)'
      : spec.minAvailable !== undefined ? `minAvailable ${show(spec.minAvailable)}`
      : spec.maxUnavailable !== undefined ? `maxUnavailable ${show(spec.maxUnavailable)} (= minAvailable ${show(minAvailable)})`
      : '(neither minAvailable nor maxUnavailable)';
    this.add({
      name: 'pdb.min-available', valid: spec.minAvailable === s.pdbMinAvailable, expected: `minAvailable ${s.pdbMinAvailable}`,
      observed: observedMin, ...at('spec.minAvailable'),
      explanation: 'The seed: at least 2 pods stay available during voluntary disruptions (drains, upgrades).',
    });
    this.add({
      name: 'pdb.allows-drain', valid: minAvailable !== null && this.replicas !== null && minAvailable < this.replicas,
      expected: `< ${show(this.replicas)} (spec.replicas of ${this.stsRef})`, observed: observedMin, ...at(field),
      explanation: 'With minAvailable ≥ replicas no pod may ever be evicted: every node drain and cluster upgrade blocks on this budget.',
    });
    const needed = this.quorum === null || this.majority === null ? null : Math.max(this.quorum, this.majority);
    this.add({
      name: 'pdb.keeps-quorum', valid: minAvailable !== null && needed !== null && minAvailable >= needed,
      expected: needed === null ? '(needs an integer quorum and spec.replicas)' : `≥ ${needed} (max of quorum ${this.quorum} and the sentinel majority ${this.majority})`,
      observed: observedMin, ...at(field),
      explanation: 'Each evicted pod takes a sentinel with it: a budget below the quorum lets a drain leave too few sentinels to fail over.',
    });
    this.add({
      name: 'pdb.selector', valid: !missing && labelSelectorMatches(spec.selector, this.podLabels, true),
      expected: `selects the pod labels ${JSON.stringify(this.podLabels)} of ${this.stsRef}`, observed: missing ? '(no PodDisruptionBudget)' : show(spec.selector),
      ...at('spec.selector'), explanation: 'A budget whose selector misses the pods protects nothing.',
    });
  }

  // --- start-up logic ---------------------------------------------------------------------------------------

  startupChecks(): void {
    for (const c of [this.redis, this.sentinel]) {
      const script = this.scriptOf(c);
      const asks = script !== undefined && /^[^#\n]*\bSENTINEL\s+(get-master-addr-by-name|master)\b/im.test(script.withSourced);
      this.add({
        name: `startup.${c.name}.master-discovery`, valid: asks,
        expected: 'asks the sentinels for the master (SENTINEL master / get-master-addr-by-name) before choosing one',
        observed: script === undefined ? `(the ${c.name} container runs no script of a ConfigMap)`
          : asks ? `asked in ${[script.key, ...script.sourced].join(' + ')}` : `no SENTINEL master or get-master-addr-by-name in ${[script.key, ...script.sourced].join(' + ')}`,
        file: script?.cm.__file ?? this.sts.__file, object: script ? ref(script.cm) : this.stsRef,
        field: script ? fieldPath(['data', script.key]) : this.cField(c, 'command'),
        explanation:
          `After a failover the master is no longer ${this.sts.metadata.name}-0: a pod that assumes it by ordinal restarts as a second ` +
          "master (split brain, the seed's troubleshooting section). Text check: the call must appear in the script or a script it sources.",
      });
      const hosts = this.env(c, 'SENTINEL_HOSTS');
      const listed = typeof hosts?.v.value === 'string' ? hosts.v.value.split(/\s+/).filter(Boolean) : [];
      const expected = this.replicas === null ? [] : Array.from({ length: this.replicas }, (_, i) => this.podHost(i));
      this.add({
        name: `startup.${c.name}.sentinel-hosts`,
        valid: this.replicas !== null && listed.length === expected.length && expected.every((h) => listed.includes(h)),
        expected: this.replicas === null ? '(needs an integer spec.replicas)' : `${expected.length} hosts: ${expected.join(' ')}`,
        observed: hosts === undefined ? '(no SENTINEL_HOSTS env var)' : `${listed.length} hosts: ${listed.join(' ')}`,
        file: this.sts.__file, object: this.stsRef, field: hosts ? this.cField(c, 'env', hosts.index, 'value') : this.cField(c, 'env'),
        explanation:
          `The start scripts ask these sentinels for the master; they must be the ${show(this.replicas)} pods of spec.replicas: ` +
          'a host that does not exist costs every start-up a timeout, a pod left out is never asked.',
      });
      const podHost = this.env(c, 'POD_HOST');
      const podName = this.env(c, 'POD_NAME');
      const viaFieldRef = podName !== undefined && podHost !== undefined && podName.index < podHost.index
        && rec(rec(podName.v.valueFrom).fieldRef).fieldPath === 'metadata.name';
      const wantedHost = this.podHost(-1, '$(POD_NAME)');
      this.add({
        name: `startup.${c.name}.pod-host`, valid: viaFieldRef && podHost?.v.value === wantedHost,
        expected: `${wantedHost} with POD_NAME from fieldRef metadata.name (declared before)`,
        observed: podHost === undefined ? '(no POD_HOST env var)' : `${show(podHost.v.value)}${viaFieldRef ? '' : ' (POD_NAME not a preceding fieldRef to metadata.name)'}`,
        file: this.sts.__file, object: this.stsRef, field: podHost ? this.cField(c, 'env', podHost.index, 'value') : this.cField(c, 'env'),
        explanation:
          'Each pod announces itself under its headless-Service name and skips itself in SENTINEL_HOSTS by comparing with POD_HOST; ' +
          'a wrong name makes it ask itself or announce an unreachable address.',
      });
      const initial = this.env(c, 'INITIAL_MASTER_HOST');
      this.add({
        name: `startup.${c.name}.initial-master`, valid: initial?.v.value === this.podHost(0), expected: this.podHost(0),
        observed: initial === undefined ? '(no INITIAL_MASTER_HOST env var)' : show(initial.v.value),
        file: this.sts.__file, object: this.stsRef, field: initial ? this.cField(c, 'env', initial.index, 'value') : this.cField(c, 'env'),
        explanation: `On first boot, when no sentinel knows a master, every pod must pick the same one: the seed's initial master ${this.sts.metadata.name}-0.`,
      });
    }
  }
}
