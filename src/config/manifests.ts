// Load manifests/ into a typed deployment model: the single source of truth for every parameter.
import path from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { HarnessError } from '../errors.ts';
import { lastDirective } from './redis-conf.ts';
import { readManifestFiles, type ManifestFile } from './scale.ts';

/** A Kubernetes object as parsed from YAML, with where it came from. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
  /** Not part of the object: the file it was read from. */
  __file: string;
}

export interface ContainerEnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string } };
}

export interface ContainerModel {
  name: string;
  command: string[];
  env: ContainerEnvVar[];
  /** Script file (a key of the scripts ConfigMap) the command runs, e.g. "start-redis.sh". */
  script: string;
  /** The preStop hook's exec command, if any (run before the container is stopped gracefully). */
  preStop: string[] | null;
  /** The readiness probe's exec command, if any. */
  readiness: string[] | null;
  /** The liveness and startup probes (exec) with their timing, if any: what a kubelet would restart the container for. */
  liveness?: ExecProbe | null;
  startup?: ExecProbe | null;
}

/** An exec probe and the fields that decide when the kubelet acts on it (Kubernetes defaults where absent). */
export interface ExecProbe {
  command: string[];
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

function execProbe(p: unknown): ExecProbe | null {
  const r = asRecord(p);
  const cmd = asRecord(r.exec).command;
  if (!Array.isArray(cmd)) return null;
  const n = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  return {
    command: cmd.map(String),
    initialDelaySeconds: n(r.initialDelaySeconds, 0),
    periodSeconds: n(r.periodSeconds, 10),
    timeoutSeconds: n(r.timeoutSeconds, 1),
    failureThreshold: n(r.failureThreshold, 3),
  };
}

/** A config file held in a ConfigMap key, with the manifest file it came from. */
export interface ConfText {
  configMap: string;
  key: string;
  text: string;
  file: string;
}

export interface DeploymentModel {
  manifestsDir: string;
  objects: ManifestObject[];
  namespace: string;
  statefulSet: string;
  headlessService: string;
  replicas: number;
  podNames: string[];
  masterName: string;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  parallelSyncs: number;
  redisPort: number;
  sentinelPort: number;
  terminationGracePeriodSeconds: number;
  /** ConfigMap name → key → content. */
  configMaps: Record<string, Record<string, string>>;
  /** The keys holding redis.conf, sentinel.conf and the scripts, located by content. */
  redisConf: ConfText;
  sentinelConf: ConfText;
  scripts: { configMap: string; files: Record<string, string> };
  redis: ContainerModel;
  sentinel: ContainerModel;
  /** The pod's other containers that run a script of the scripts ConfigMap (e.g. the role-labeller). */
  sidecars: ContainerModel[];
  password: { secret: string; key: string; value: string | null };
  /** Secret volumes mounted into the containers: mount path → Secret name. */
  secretMounts: Array<{ mountPath: string; secret: string }>;
  pdb: { name: string; minAvailable: number | null; maxUnavailable: number | null; file: string } | null;
  /** Every Secret's keys: the value, or null for a placeholder (the harness generates it per run). */
  secretData: Record<string, Record<string, string | null>>;
  /**
   * TLS and ACLs (the secure profile), from the containers' TLS_DIR / ACL_DIR / REDIS_USER and the Secrets
   * mounted there; null for a plaintext deployment with the one password.
   */
  security: { tls: { secret: string; mountPath: string } | null; acl: { secret: string; mountPath: string; podUser: string | null } | null } | null;
}

/** An empty or placeholder Secret value: generated per run. */
export const PASSWORD_PLACEHOLDER = /^(|REPLACE_WITH_.*|CHANGE_?ME.*)$/i;

function invalid(file: string, message: string): HarnessError {
  return new HarnessError('MANIFEST_INVALID', `${file}: ${message} (fix the manifest or pass --manifests DIR)`);
}

/** Read every *.yaml / *.yml document under `dir`, reporting YAML errors with file and line. */
export async function readManifestObjects(dir: string): Promise<ManifestObject[]> {
  return manifestObjectsOf(await readManifestFiles(dir), dir);
}

/** The objects of manifest files (read, or rendered in memory) located under `dir`. */
export function manifestObjectsOf(files: readonly ManifestFile[], dir: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const { name, text } of files) {
    const file = path.join(dir, name);
    const lineCounter = new LineCounter();
    // YAML 1.1, as Kubernetes reads manifests: `defaultMode: 0400` is octal (256), not four hundred.
    for (const doc of parseAllDocuments(text, { lineCounter, version: '1.1' })) {
      const err = doc.errors[0];
      if (err) {
        const pos = lineCounter.linePos(err.pos[0]);
        throw new HarnessError('MANIFEST_INVALID', `${file}:${pos.line}:${pos.col}: ${err.message.split('\n')[0]}`);
      }
      const obj = doc.toJS({ maxAliasCount: 100 }) as unknown;
      if (obj === null || obj === undefined) continue;
      if (typeof obj !== 'object' || !('kind' in obj) || !('metadata' in obj)) {
        throw invalid(file, 'a document is not a Kubernetes object (no kind or metadata)');
      }
      objects.push({ ...(obj as Omit<ManifestObject, '__file'>), __file: file } as ManifestObject);
    }
  }
  return objects;
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function one(objects: ManifestObject[], kind: string, dir: string): ManifestObject {
  const found = objects.filter((o) => o.kind === kind);
  if (found.length !== 1) {
    throw new HarnessError('MANIFEST_INVALID', `${dir}: expected exactly one ${kind}, found ${found.length} (fix the manifests or pass --manifests DIR)`);
  }
  return found[0]!;
}

function intDirective(conf: ConfText, prefix: string[]): number {
  const value = lastDirective(conf.text, prefix)?.[0];
  const n = value === undefined ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw invalid(conf.file, `ConfigMap ${conf.configMap} key ${conf.key}: "${prefix.join(' ')}" is missing or not a number`);
  }
  return n;
}

function containerModel(c: Record<string, unknown>, scripts: Record<string, string>, file: string): ContainerModel {
  const name = String(c.name);
  const command = Array.isArray(c.command) ? c.command.map(String) : [];
  const script = command.map((a) => path.posix.basename(a)).find((a) => a in scripts);
  if (!script) throw invalid(file, `container ${name}: command ${JSON.stringify(command)} runs no script of the scripts ConfigMap`);
  const preStopCmd = asRecord(asRecord(asRecord(c.lifecycle).preStop).exec).command;
  const readinessCmd = asRecord(asRecord(c.readinessProbe).exec).command;
  return {
    name,
    command,
    env: (Array.isArray(c.env) ? c.env : []) as ContainerEnvVar[],
    script,
    preStop: Array.isArray(preStopCmd) ? preStopCmd.map(String) : null,
    readiness: Array.isArray(readinessCmd) ? readinessCmd.map(String) : null,
    liveness: execProbe(c.livenessProbe),
    startup: execProbe(c.startupProbe),
  };
}

/** Load and validate the deployment model from a manifests directory. */
export async function loadDeployment(dir: string): Promise<DeploymentModel> {
  return deploymentOf(await readManifestObjects(dir), dir);
}

/** Validate the deployment model of already parsed objects (e.g. a profile rendered in memory). */
export function deploymentOf(objects: ManifestObject[], dir: string): DeploymentModel {
  const sts = one(objects, 'StatefulSet', dir);
  const stsSpec = asRecord(sts.spec);
  const podSpec = asRecord(asRecord(stsSpec.template).spec);
  const containers = (Array.isArray(podSpec.containers) ? podSpec.containers : []).map(asRecord);

  const configMaps: Record<string, Record<string, string>> = {};
  const configMapFiles: Record<string, string> = {};
  for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
    configMaps[cm.metadata.name] = Object.fromEntries(Object.entries(asRecord(cm.data)).map(([k, v]) => [k, String(v)]));
    configMapFiles[cm.metadata.name] = cm.__file;
  }
  const findKey = (pred: (key: string, text: string) => boolean, what: string) => {
    for (const [configMap, data] of Object.entries(configMaps)) {
      for (const [key, text] of Object.entries(data)) if (pred(key, text)) return { configMap, key, text, file: configMapFiles[configMap]! };
    }
    throw invalid(sts.__file, `no ConfigMap holds ${what}`);
  };
  const sentinelConf = findKey((_k, t) => /^\s*sentinel\s+monitor\s/m.test(t), 'a sentinel.conf (a "sentinel monitor" line)');
  const redisConf = findKey((k, t) => k.endsWith('.conf') && !/^\s*sentinel\s/m.test(t) && /^\s*appendonly\s/m.test(t), 'a redis.conf (an "appendonly" line)');
  const scriptsCm = findKey((k) => k.endsWith('.sh'), 'start-up scripts (*.sh keys)').configMap;
  const scripts = Object.fromEntries(Object.entries(configMaps[scriptsCm] ?? {}).filter(([k]) => k.endsWith('.sh')));

  const monitor = lastDirective(sentinelConf.text, ['sentinel', 'monitor']);
  if (!monitor || monitor.length < 4)
    throw invalid(sentinelConf.file, `ConfigMap ${sentinelConf.configMap}: "sentinel monitor <name> <host> <port> <quorum>" is incomplete`);
  const masterName = monitor[0]!;
  const quorum = Number(monitor[3]);
  if (!Number.isInteger(quorum) || quorum < 1) {
    throw invalid(sentinelConf.file, `ConfigMap ${sentinelConf.configMap}: "sentinel monitor" quorum "${monitor[3]}" is not a positive integer`);
  }

  const containerWithPort = (port: string) => containers.find((c) => (Array.isArray(c.ports) ? c.ports : []).some((p) => asRecord(p).name === port));
  const redisC = containerWithPort('redis');
  const sentinelC = containerWithPort('sentinel');
  if (!redisC || !sentinelC) throw invalid(sts.__file, 'StatefulSet needs a container with a port named "redis" and one with a port named "sentinel"');
  const portOf = (c: Record<string, unknown>, name: string) => Number(asRecord((c.ports as unknown[]).find((p) => asRecord(p).name === name)).containerPort);

  const redis = containerModel(redisC, scripts, sts.__file);
  const sentinel = containerModel(sentinelC, scripts, sts.__file);
  const sidecars = containers
    .filter((c) => c !== redisC && c !== sentinelC)
    .filter((c) => (Array.isArray(c.command) ? c.command.map(String) : []).some((a) => path.posix.basename(a) in scripts))
    .map((c) => containerModel(c, scripts, sts.__file));
  const pwRef = redis.env.find((e) => e.valueFrom?.secretKeyRef)?.valueFrom?.secretKeyRef;
  if (!pwRef) throw invalid(sts.__file, 'the redis container has no env var from a Secret (secretKeyRef) for the password');
  const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === pwRef.name);
  let passwordValue: string | null = null;
  if (secret) {
    const stringData = asRecord(secret.stringData)[pwRef.key];
    const data = asRecord(secret.data)[pwRef.key];
    const raw = stringData !== undefined ? String(stringData) : data !== undefined ? Buffer.from(String(data), 'base64').toString('utf8') : '';
    passwordValue = PASSWORD_PLACEHOLDER.test(raw) ? null : raw;
  }

  const volumes = (Array.isArray(podSpec.volumes) ? podSpec.volumes : []).map(asRecord);
  const secretMounts = containers
    .flatMap((c) => (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).map(asRecord))
    .map((m) => ({ mountPath: String(m.mountPath), volume: volumes.find((v) => v.name === m.name) }))
    .filter((m) => m.volume && asRecord(m.volume.secret).secretName)
    .map((m) => ({ mountPath: m.mountPath, secret: String(asRecord(m.volume!.secret).secretName) }))
    .filter((m, i, all) => all.findIndex((x) => x.mountPath === m.mountPath) === i);
  const secretData = Object.fromEntries(
    objects
      .filter((o) => o.kind === 'Secret')
      .map((o) => {
        const keys: Record<string, string | null> = {};
        for (const [k, v] of Object.entries(asRecord(o.data))) keys[k] = Buffer.from(String(v), 'base64').toString('utf8');
        for (const [k, v] of Object.entries(asRecord(o.stringData))) keys[k] = String(v);
        for (const k of Object.keys(keys)) if (PASSWORD_PLACEHOLDER.test(keys[k]!)) keys[k] = null;
        return [o.metadata.name, keys];
      }),
  );
  const envValue = (n: string) => redis.env.find((e) => e.name === n)?.value;
  const mountedAt = (dir: string | undefined) => (dir ? secretMounts.find((m) => m.mountPath === dir) : undefined);
  const tlsMount = mountedAt(envValue('TLS_DIR'));
  const aclMount = mountedAt(envValue('ACL_DIR'));
  if (envValue('TLS_DIR') && !tlsMount) throw invalid(sts.__file, `TLS_DIR ${envValue('TLS_DIR')} is not where a Secret volume is mounted`);
  if (envValue('ACL_DIR') && !aclMount) throw invalid(sts.__file, `ACL_DIR ${envValue('ACL_DIR')} is not where a Secret volume is mounted`);
  const security =
    tlsMount || aclMount
      ? {
          tls: tlsMount ? { secret: tlsMount.secret, mountPath: tlsMount.mountPath } : null,
          acl: aclMount ? { secret: aclMount.secret, mountPath: aclMount.mountPath, podUser: envValue('REDIS_USER') ?? null } : null,
        }
      : null;
  const replicas = Number(stsSpec.replicas ?? 1);
  if (!Number.isInteger(replicas) || replicas < 1) throw invalid(sts.__file, `StatefulSet ${sts.metadata.name}: replicas must be a positive integer`);
  const pdbObj = objects.find((o) => o.kind === 'PodDisruptionBudget');
  const pdbSpec = asRecord(pdbObj?.spec);
  const pdb = pdbObj ? pdbModel(pdbObj, pdbSpec, replicas) : null;
  return {
    manifestsDir: dir,
    objects,
    namespace: sts.metadata.namespace ?? 'default',
    statefulSet: sts.metadata.name,
    headlessService: String(stsSpec.serviceName ?? ''),
    replicas,
    podNames: Array.from({ length: replicas }, (_, i) => `${sts.metadata.name}-${i}`),
    masterName,
    quorum,
    downAfterMs: intDirective(sentinelConf, ['sentinel', 'down-after-milliseconds', masterName]),
    failoverTimeoutMs: intDirective(sentinelConf, ['sentinel', 'failover-timeout', masterName]),
    parallelSyncs: intDirective(sentinelConf, ['sentinel', 'parallel-syncs', masterName]),
    redisPort: portOf(redisC, 'redis'),
    sentinelPort: portOf(sentinelC, 'sentinel'),
    terminationGracePeriodSeconds: Number(podSpec.terminationGracePeriodSeconds ?? 30),
    configMaps,
    redisConf,
    sentinelConf,
    scripts: { configMap: scriptsCm, files: scripts },
    redis,
    sentinel,
    sidecars,
    password: { secret: pwRef.name, key: pwRef.key, value: passwordValue },
    secretMounts,
    pdb,
    secretData,
    security,
  };
}

/** The PodDisruptionBudget as numbers (a percentage rounds up, as the disruption controller does). */
function pdbModel(obj: ManifestObject, spec: Record<string, unknown>, replicas: number): NonNullable<DeploymentModel['pdb']> {
  const where = `PodDisruptionBudget ${obj.metadata.name}`;
  const count = (field: 'minAvailable' | 'maxUnavailable'): number | null => {
    const v = spec[field];
    if (v === undefined) return null;
    const pct = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
    const n = pct ? Math.ceil((Number(pct[1]) * replicas) / 100) : typeof v === 'number' ? v : NaN;
    if (!Number.isInteger(n) || n < 0) throw invalid(obj.__file, `${where}: spec.${field} ${JSON.stringify(v)} is not a non-negative integer or a percentage`);
    return n;
  };
  const minAvailable = count('minAvailable');
  const maxUnavailable = count('maxUnavailable');
  return { name: obj.metadata.name, minAvailable, maxUnavailable, file: obj.__file };
}

/**
 * Refuse a deployment the harness cannot run scenarios on (the static conformance checks still report
 * it): a PodDisruptionBudget that lets no pod go makes every drain and rolling upgrade wait forever.
 */
export function assertRunnable(m: DeploymentModel): void {
  const pdb = m.pdb;
  if (!pdb) return;
  const floor = pdb.minAvailable ?? (pdb.maxUnavailable === null ? null : m.replicas - pdb.maxUnavailable);
  if (floor !== null && floor >= m.replicas) {
    throw invalid(
      pdb.file,
      `PodDisruptionBudget ${pdb.name} keeps ${floor} of ${m.replicas} pods available, so no pod can ever be evicted (a node drain or rolling upgrade would wait forever): set spec.minAvailable below the StatefulSet's spec.replicas`,
    );
  }
}

/** Deployment parameters for reports: every figure a reader needs, never the password. */
export function describeDeployment(m: DeploymentModel): Record<string, string | number | boolean> {
  const redisParam = (name: string) => lastDirective(m.redisConf.text, [name])?.join(' ') ?? '(default)';
  return {
    manifests: m.manifestsDir,
    namespace: m.namespace,
    replicas: m.replicas,
    master_name: m.masterName,
    quorum: m.quorum,
    down_after_ms: m.downAfterMs,
    failover_timeout_ms: m.failoverTimeoutMs,
    parallel_syncs: m.parallelSyncs,
    appendonly: redisParam('appendonly'),
    appendfsync: redisParam('appendfsync'),
    save: redisParam('save'),
    maxmemory: redisParam('maxmemory'),
    maxmemory_policy: redisParam('maxmemory-policy'),
    min_replicas_to_write: redisParam('min-replicas-to-write'),
    password_source: m.password.value === null ? 'generated per run' : `secret ${m.password.secret}`,
    pdb_min_available: m.pdb?.minAvailable ?? 'none',
  };
}
