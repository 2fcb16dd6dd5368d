// The optional monitoring variant (--monitoring; off in manifests/): two redis_exporter sidecars per pod, one
// for its redis (:9121), one for its sentinel (:9355), each running the scripts ConfigMap's redis-exporter.sh.
import { isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';
import { HarnessError } from '../errors.ts';
import type { ContainerEnvVar, ContainerModel, DeploymentModel } from './manifests.ts';
import type { ManifestFile } from './scale.ts';
import { EXPORTER_USER } from './secure.ts';

export const EXPORTER_SCRIPT = 'redis-exporter.sh';

/** The sidecars the variant adds: container name, what it exports, and its port. */
export const EXPORTERS = [
  { name: 'redis-exporter', of: 'redis', port: 9121 },
  { name: 'sentinel-exporter', of: 'sentinel', port: 9355 },
] as const;
export type ExporterOf = (typeof EXPORTERS)[number]['of'];

/**
 * The image the sidecars run on a cluster: it needs a shell for the script (oliver006/redis_exporter is built
 * FROM scratch; Bitnami's image has one). The local and docker targets run Debian's prometheus-redis-exporter instead
 * (the docker target's images carry the package).
 */
export const EXPORTER_IMAGE = 'bitnami/redis-exporter:1.45.0';
export const EXPORTER_BINARY_IN_IMAGE = '/opt/bitnami/redis-exporter/bin/redis_exporter';

/** Whether the model's pods run the exporter sidecars. */
export const hasMonitoring = (model: DeploymentModel): boolean => EXPORTERS.every((e) => model.sidecars.some((c) => c.name === e.name));

function assertScript(model: DeploymentModel): void {
  if (!(EXPORTER_SCRIPT in model.scripts.files)) {
    throw new HarnessError(
      'MANIFEST_INVALID',
      `--monitoring: the scripts ConfigMap ${model.scripts.configMap} has no ${EXPORTER_SCRIPT} (the exporter sidecars run it)`,
    );
  }
}

/**
 * An exporter's environment: the redis container's, but under ACLs (`aclSecret`, the secure profile) the redis exporter
 * logs in as the exporter user with that user's password from the ACL Secret (its file there is what the script
 * follows; the env var is the start-time fallback), and the sentinel exporter, which logs in as nobody, gets no password.
 * Without ACLs the seed's environment as it is.
 */
export function exporterEnv(redisEnv: readonly ContainerEnvVar[], of: ExporterOf, aclSecret: string | null): ContainerEnvVar[] {
  const binary = { name: 'REDIS_EXPORTER', value: EXPORTER_BINARY_IN_IMAGE };
  if (!aclSecret) return [...redisEnv, binary];
  // The admin password's env var and file path go; common.sh points REDIS_PASSWORD_FILE at ACL_DIR/REDIS_USER.
  const rest = redisEnv.filter((e) => !['REDIS_USER', 'REDIS_PASSWORD', 'REDIS_PASSWORD_FILE'].includes(e.name));
  if (of === 'sentinel') return [...rest.filter((e) => e.name !== 'ACL_DIR'), binary];
  const password = { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: aclSecret, key: EXPORTER_USER } } };
  return [...rest, { name: 'REDIS_USER', value: EXPORTER_USER }, password, binary];
}

/** The model with the exporter sidecars (they share the redis container's environment: the Secret, POD_HOST; under ACLs their own user). */
export function applyMonitoring(model: DeploymentModel, on: boolean | undefined): DeploymentModel {
  if (!on || hasMonitoring(model)) return model;
  assertScript(model);
  const aclSecret = model.security?.acl?.secret ?? null;
  const sidecars: ContainerModel[] = EXPORTERS.map((e) => ({
    name: e.name,
    command: ['sh', `/scripts/${EXPORTER_SCRIPT}`, e.of],
    env: exporterEnv(model.redis.env, e.of, aclSecret),
    script: EXPORTER_SCRIPT,
    preStop: null,
    readiness: null,
  }));
  return { ...model, sidecars: [...model.sidecars, ...sidecars] };
}

/** The secure profile's Secret volumes of the redis container, found where its TLS_DIR / ACL_DIR point (null without them). */
interface SecureMounts {
  tls: { volume: string; mountPath: string } | null;
  acl: { secret: string; mountPath: string } | null;
}

function secureMountsOf(redis: Record<string, unknown>, volumes: readonly Record<string, unknown>[]): SecureMounts {
  const env = (Array.isArray(redis.env) ? redis.env : []) as ContainerEnvVar[];
  const mounts = (Array.isArray(redis.volumeMounts) ? redis.volumeMounts : []) as Array<{ name?: string; mountPath?: string }>;
  const at = (envName: string) => {
    const dir = env.find((e) => e.name === envName)?.value;
    const m = dir ? mounts.find((x) => x.mountPath === dir) : undefined;
    const v = m ? volumes.find((x) => x.name === m.name) : undefined;
    const secret = (v?.secret as { secretName?: string } | undefined)?.secretName;
    return m?.name && secret ? { volume: m.name, mountPath: dir!, secret } : null;
  };
  const tls = at('TLS_DIR');
  const acl = at('ACL_DIR');
  return { tls: tls && { volume: tls.volume, mountPath: tls.mountPath }, acl: acl && { secret: acl.secret, mountPath: acl.mountPath } };
}

/** The volume that gives the redis exporter its own password only (not the other ACL users'). */
export const EXPORTER_ACL_VOLUME = 'acl-exporter';

/**
 * The StatefulSet's container entries the variant adds. Without the secure profile: the seed's password Secret mounted.
 * Under it: the TLS Secret (both connect over TLS with the pod's certificate), and for the redis exporter its own
 * password only (EXPORTER_ACL_VOLUME, where ACL_DIR points); neither gets the admin password.
 */
function containerYaml(e: (typeof EXPORTERS)[number], secure: SecureMounts): Record<string, unknown> {
  const mounts: Array<Record<string, unknown>> = [{ name: 'scripts', mountPath: '/scripts' }];
  if (!secure.acl) mounts.push({ name: 'password', mountPath: '/etc/redis-secret', readOnly: true });
  if (secure.tls) mounts.push({ name: secure.tls.volume, mountPath: secure.tls.mountPath, readOnly: true });
  if (secure.acl && e.of === 'redis') mounts.push({ name: EXPORTER_ACL_VOLUME, mountPath: secure.acl.mountPath, readOnly: true });
  return {
    name: e.name,
    image: EXPORTER_IMAGE,
    command: ['sh', `/scripts/${EXPORTER_SCRIPT}`, e.of],
    ports: [{ name: e.of === 'redis' ? 'metrics' : 'sentinel-metrics', containerPort: e.port }],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    volumeMounts: mounts,
  };
}

/** `render --monitoring`: the StatefulSet with the exporter sidecars (under the secure profile, as their own ACL user); every other file verbatim. */
export function monitoringManifestFiles(files: readonly ManifestFile[]): ManifestFile[] {
  let done = false;
  const out = files.map((f) => {
    // YAML 1.1, as the manifests are written: a Secret volume's defaultMode 0400 stays octal.
    const docs = parseAllDocuments(f.text, { version: '1.1' });
    if (!Array.isArray(docs)) return f;
    const sts = docs.find((d) => d.get('kind') === 'StatefulSet');
    if (!sts) return f;
    const containers = sts.getIn(['spec', 'template', 'spec', 'containers'], true);
    if (!isSeq(containers)) throw new HarnessError('MANIFEST_INVALID', `${f.name}: the StatefulSet has no containers list`);
    const redis = containers.items.find((c) => isMap(c) && c.get('name') === 'redis');
    const volumes = sts.getIn(['spec', 'template', 'spec', 'volumes'], true);
    const secure = isMap(redis)
      ? secureMountsOf(redis.toJSON() as Record<string, unknown>, isSeq(volumes) ? (volumes.toJSON() as Array<Record<string, unknown>>) : [])
      : { tls: null, acl: null };
    const env = isMap(redis) ? redis.get('env', true) : undefined;
    const redisEnv = isSeq(env) ? (env.toJSON() as ContainerEnvVar[]) : [];
    let added = false;
    for (const e of EXPORTERS) {
      if (containers.items.some((c) => isMap(c) && c.get('name') === e.name)) continue;
      containers.items.push(sts.createNode({ ...containerYaml(e, secure), env: exporterEnv(redisEnv, e.of, secure.acl?.secret ?? null) }));
      added = true;
    }
    if (added && secure.acl && isSeq(volumes)) {
      const v = sts.createNode({
        name: EXPORTER_ACL_VOLUME,
        secret: { secretName: secure.acl.secret, defaultMode: 0o400, items: [{ key: EXPORTER_USER, path: EXPORTER_USER }] },
      });
      const secret = v.get('secret', true);
      const mode = isMap(secret) ? secret.get('defaultMode', true) : undefined;
      if (isScalar(mode)) mode.format = 'OCT';
      volumes.items.push(v);
    }
    done = true;
    return { name: f.name, text: docs.map((d) => d.toString({ lineWidth: 0 })).join('') };
  });
  if (!done) throw new HarnessError('MANIFEST_INVALID', 'render --monitoring: no StatefulSet in the manifests');
  return out;
}
