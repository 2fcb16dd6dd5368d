// The optional monitoring variant (--monitoring; off in manifests/): two redis_exporter sidecars per pod, one
// for its redis (:9121), one for its sentinel (:9355), each running the scripts ConfigMap's redis-exporter.sh.
import { isMap, isSeq, parseAllDocuments } from 'yaml';
import { HarnessError } from '../errors.ts';
import type { ContainerModel, DeploymentModel } from './manifests.ts';
import type { ManifestFile } from './scale.ts';

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

/** The model with the exporter sidecars (they share the redis container's environment: the Secret, POD_HOST). */
export function applyMonitoring(model: DeploymentModel, on: boolean | undefined): DeploymentModel {
  if (!on || hasMonitoring(model)) return model;
  assertScript(model);
  const sidecars: ContainerModel[] = EXPORTERS.map((e) => ({
    name: e.name,
    command: ['sh', `/scripts/${EXPORTER_SCRIPT}`, e.of],
    env: [...model.redis.env, { name: 'REDIS_EXPORTER', value: EXPORTER_BINARY_IN_IMAGE }],
    script: EXPORTER_SCRIPT,
    preStop: null,
    readiness: null,
  }));
  return { ...model, sidecars: [...model.sidecars, ...sidecars] };
}

/** The StatefulSet's container entries the variant adds (the env is the redis container's, through its anchor when it has one). */
function containerYaml(e: (typeof EXPORTERS)[number]): Record<string, unknown> {
  return {
    name: e.name,
    image: EXPORTER_IMAGE,
    command: ['sh', `/scripts/${EXPORTER_SCRIPT}`, e.of],
    ports: [{ name: e.of === 'redis' ? 'metrics' : 'sentinel-metrics', containerPort: e.port }],
    resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
    volumeMounts: [
      { name: 'scripts', mountPath: '/scripts' },
      { name: 'password', mountPath: '/etc/redis-secret', readOnly: true },
    ],
  };
}

/** `render --monitoring`: the StatefulSet with the exporter sidecars; every other file verbatim. */
export function monitoringManifestFiles(files: readonly ManifestFile[]): ManifestFile[] {
  let done = false;
  const out = files.map((f) => {
    const docs = parseAllDocuments(f.text);
    if (!Array.isArray(docs)) return f;
    const sts = docs.find((d) => d.get('kind') === 'StatefulSet');
    if (!sts) return f;
    const containers = sts.getIn(['spec', 'template', 'spec', 'containers'], true);
    if (!isSeq(containers)) throw new HarnessError('MANIFEST_INVALID', `${f.name}: the StatefulSet has no containers list`);
    const redis = containers.items.find((c) => isMap(c) && c.get('name') === 'redis');
    const env = isMap(redis) ? redis.get('env', true) : undefined;
    for (const e of EXPORTERS) {
      if (containers.items.some((c) => isMap(c) && c.get('name') === e.name)) continue;
      // The redis container's env (the Secret, POD_HOST) plus the binary's path in the image.
      const redisEnv = isSeq(env) ? (env.toJSON() as unknown[]) : [];
      const node = sts.createNode({ ...containerYaml(e), env: [...redisEnv, { name: 'REDIS_EXPORTER', value: EXPORTER_BINARY_IN_IMAGE }] });
      containers.items.push(node);
    }
    done = true;
    return { name: f.name, text: docs.map((d) => d.toString()).join('') };
  });
  if (!done) throw new HarnessError('MANIFEST_INVALID', 'render --monitoring: no StatefulSet in the manifests');
  return out;
}
