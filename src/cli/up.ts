// The `up` command: start the deployment through the target factory and leave it up; print how to reach it (never the password).
import path from 'node:path';
import { assertRunnable, type DeploymentModel } from '../config/manifests.ts';
import { loadProfiledDeployment, type ProfileName } from '../config/profiles.ts';
import { newRunId } from '../report/run-id.ts';
import { startTarget, type KubeFlags, type TargetName, type TargetOptions } from '../targets/start.ts';
import { addr, type StartedDeployment } from '../targets/target.ts';
import type { TargetDeps } from '../targets/kube/start-kube.ts';

export interface UpOptions extends Omit<TargetOptions, 'model' | 'runId' | 'detached' | 'logsDir'> {
  manifestsDir: string;
  json: boolean;
  profile?: ProfileName;
  /** kind / kube: the factory's machine access (tests pass a recording fake); default the real one. */
  targetDeps?: TargetDeps;
}

/** What `up --dry-run` would do, without contacting anything. */
export function upPlan(target: TargetName, kube: Partial<KubeFlags>): string {
  if (target === 'local')
    return 'up: start the pods as local processes and leave them running (remove with: npm run chaos -- down)\ndry run: nothing was started.';
  if (target === 'docker')
    return 'up: start the pods as docker containers (host networking on loopback, a DNS server for the pod names) and leave them running (remove with: npm run chaos -- down)\ndry run: nothing was started.';
  return [
    `up: apply the manifests on the ${target} target${target === 'kind' ? ` (cluster ${kube.reuse ? 'reused if it exists' : 'created'} from ${kube.kindConfig ?? 'kind-config.yaml'})` : ` (context ${kube.context ?? '(none: pass --context NAME)'})`}, wait until rolled out and converged, and keep everything (--keep implied)`,
    'dry run: nothing was applied.',
  ].join('\n');
}

function localText(
  d: StartedDeployment,
  model: DeploymentModel,
  info: { pods: { name: string; redis: string; sentinel: string }[]; passwordFile?: string },
): string {
  const x = d.describe();
  if (x.tls_ca) {
    // The secure profile: TLS only, the default user off. Where the files are, never what the keys hold.
    const dir = String(x.tls_client_keys_dir);
    const tls = `--tls --cacert ${String(x.tls_ca)} --cert ${dir}/harness.crt --key ${dir}/harness.key`;
    return [
      `deployment up (redis ${d.redisVersion}, profile secure: TLS only, ACL users), master name ${model.masterName}`,
      ...info.pods.map((p) => `  ${p.name}: redis ${p.redis}, sentinel ${p.sentinel}`),
      `CA certificate: ${String(x.tls_ca)}`,
      `client certificates (key beside each, mode 0600): ${String(x.tls_client_certs)}`,
      `ACL users: ${String(x.acl_users ?? '')} (admin: password file ${info.passwordFile}; the others: files in ${String(x.acl_passwords_dir ?? '')})`,
      `try: redis-cli ${tls} -h ${info.pods[0]!.redis.split(':')[0]} -p ${model.sentinelPort} SENTINEL get-master-addr-by-name ${model.masterName}`,
      `     REDISCLI_AUTH="$(cat ${info.passwordFile})" redis-cli ${tls} --user admin -h <master address> -p ${model.redisPort} ROLE`,
      'not started by up: the redis Service and its role-labeller sidecars (the harness plays their API server, and up exits)',
      'remove it with: npm run chaos -- down',
      '',
    ].join('\n');
  }
  return [
    `deployment up (redis ${d.redisVersion}), master name ${model.masterName}`,
    ...info.pods.map((p) => `  ${p.name}: redis ${p.redis}, sentinel ${p.sentinel}`),
    `password file: ${info.passwordFile}`,
    `try: redis-cli -h ${info.pods[0]!.redis.split(':')[0]} -p ${model.sentinelPort} SENTINEL get-master-addr-by-name ${model.masterName}`,
    `     REDISCLI_AUTH="$(cat ${info.passwordFile})" redis-cli -h <master address> -p ${model.redisPort} ROLE`,
    'not started by up: the redis Service and its role-labeller sidecars (the harness plays their API server, and up exits)',
    'remove it with: npm run chaos -- down',
    '',
  ].join('\n');
}

function kubeText(d: StartedDeployment, model: DeploymentModel): string {
  const x = d.describe();
  const pod = d.pods[0]!.name;
  // The secure profile: inside the pod with its own certificate (the Secret's files); the run's CA and client certificates, paths only.
  const tlsDir = model.security?.tls?.mountPath;
  const tls = x.tls_ca && tlsDir ? `--tls --cacert ${tlsDir}/ca.crt --cert ${tlsDir}/${pod}.crt --key ${tlsDir}/${pod}.key ` : '';
  return [
    `deployment up on ${d.target} (redis ${d.redisVersion}${tls ? ', profile secure: TLS only, ACL users' : ''}), namespace ${model.namespace}, master name ${model.masterName}`,
    ...d.pods.map((p) => `  ${p.name} on ${p.node}`),
    ...(x.tls_ca
      ? [
          `TLS Secret: ${String(x.tls_secret)}; CA certificate: ${String(x.tls_ca)}`,
          `client certificates (key beside each, mode 0600): ${String(x.tls_client_certs)}`,
          `ACL Secret: ${String(x.acl_secret ?? '')}, users ${String(x.acl_users ?? '')} (admin: the ${model.password.secret} Secret)`,
        ]
      : []),
    `try: kubectl -n ${model.namespace} exec ${pod} -c sentinel -- redis-cli ${tls}-p ${model.sentinelPort} SENTINEL get-master-addr-by-name ${model.masterName}`,
    `kept: the objects stay until you delete them (kubectl delete namespace ${model.namespace})${d.target === 'kind' ? ', and the kind cluster with them (kind delete cluster)' : ''}`,
    '',
  ].join('\n');
}

/** Start, describe, and leave it up: a local deployment detached from this process; on kind / kube the objects kept. */
export async function up(o: UpOptions): Promise<string> {
  const model = await loadProfiledDeployment(path.resolve(o.manifestsDir), o.profile);
  assertRunnable(model);
  // docker deployments are detached like local ones: containers and the DNS server stay, `down` removes them.
  const local = o.target === 'local' || o.target === 'docker';
  const { targetDeps, ...flags } = o;
  const d = await startTarget(
    { ...flags, model, runId: `up-${newRunId()}`, ...(local ? { detached: true } : { kube: { ...o.kube, keep: true } }) },
    targetDeps,
  );
  const pods = d.pods.map((p) => ({ name: p.name, redis: addr(p.redis), sentinel: addr(p.sentinel) }));
  const info = {
    target: d.target,
    redisVersion: d.redisVersion,
    masterName: model.masterName,
    ...(local
      ? { sentinels: d.pods.map((p) => addr(p.sentinel)), pods, passwordFile: d.describe().password_file, runDir: d.describe().run_dir }
      : { namespace: model.namespace, pods: d.pods.map((p) => ({ name: p.name, node: p.node })), details: d.describe() }),
  };
  // A local deployment is detached (left running); on Kubernetes, down() with keep closes the port-forwards and keeps the objects.
  const text = o.json ? `${JSON.stringify(info)}\n` : local ? localText(d, model, { pods, passwordFile: d.describe().password_file }) : kubeText(d, model);
  if (!local) await d.down();
  return text;
}
