// The secure profile on kind / kube: the TLS and ACL Secrets' material, made per run when the cluster has no such
// Secret (certificates with Debian's openssl as on the local target, one random password per ACL user) and put
// into the applied objects' stringData only; read from the Secret when it is already there (the operator's: used
// as it is, never changed, and then no rotation). The harness's clients log in over TLS as admin. A rotation
// writes the Secret (a merge patch of its data) and waits until the kubelet has refreshed the mounted files in
// every pod: it reads their SHA-256 through exec, never their content.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentModel, ManifestObject } from '../../config/manifests.ts';
import { ADMIN_USER } from '../../config/secure.ts';
import { abilityMissing, HarnessError } from '../../errors.ts';
import { onInterrupt } from '../../process/interrupt.ts';
import { registerSecret } from '../../process/redact.ts';
import { setClientSecurity, updateClientTls } from '../../redis/security.ts';
import { writeFileAtomic, writePrivateFile } from '../local/private-file.ts';
import { CLIENT_CERTS } from '../local/security.ts';
import { generateCertificates, makeCert, podDnsNames, serviceDnsNames, type CertFiles, type CertSubject } from '../tls-certs.ts';
import type { DeploymentCredentials, TlsControl } from '../target.ts';
import type { KubeApi } from './api.ts';

export const KUBE_SECURE_DEFAULTS = {
  /**
   * The longest a Secret change may take to reach the files mounted in every pod: the kubelet refreshes a mounted
   * Secret at its pod's next sync (syncFrequency, 1 min by default, plus its cache's TTL or watch delay).
   */
  refreshTimeoutMs: 180_000,
  pollMs: 1000,
} as const;

/** Where a Secret's material came from: made by this run (it may change it), or found in the cluster (read only). */
export type SecretOrigin = 'generated' | 'existing';

export interface KubeSecurity {
  readonly tlsOrigin: SecretOrigin | null;
  readonly aclOrigin: SecretOrigin | null;
  /** The objects to apply: a secure Secret the run makes gets its material in stringData; one the cluster has is left out (never applied). */
  fill(objects: readonly ManifestObject[]): ManifestObject[];
  /** Make the harness's connections log in (TLS with its client certificate, as admin); returns nothing, undone by close(). */
  login(): void;
  credentials: DeploymentCredentials;
  /** Only for a TLS Secret the run made: cert-rotation and cert-expiry write it. */
  tls: TlsControl | null;
  /** Pods a scale-out adds: their certificates go into the Secret before the StatefulSet creates them. */
  preparePods(names: readonly string[]): Promise<void>;
  /** Paths of the CA and client certificates (never their content), for `up` and the report. */
  describe(): Record<string, string>;
  /**
   * Undo the login and remove the run's private directory (the CA's key with it); `keepFiles` (objects kept: `up`,
   * --keep) leaves it for the operator's clients and says where.
   */
  close(keepFiles: boolean): Promise<void>;
}

export interface KubeSecurityDeps {
  api: KubeApi;
  model: DeploymentModel;
  /** The pods whose mounted files a Secret change must reach (the deployment's, scaled ones included). */
  pods: () => readonly string[];
  log: (line: string) => void;
  refreshTimeoutMs?: number;
  pollMs?: number;
  /** The run's private directory (mode 0700); a new one under the system's temp directory when absent. */
  runDir?: string;
  /** The run keeps what it made (--keep, up): an interrupt leaves the directory too. */
  keepFiles?: boolean;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A pod's certificate subject on a cluster: its DNS names, every Service's, localhost and 127.0.0.1 (pod and Service IPs are not known before the pods exist, and change). */
export function kubePodSubject(model: DeploymentModel, pod: string): CertSubject {
  const services = model.objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name);
  return {
    name: pod,
    dns: [...podDnsNames(pod, model.headlessService, model.namespace), ...services.flatMap((s) => serviceDnsNames(s, model.namespace)), 'localhost'],
    ips: ['127.0.0.1'],
  };
}

/**
 * Wait until every pod's copy of `files` (mounted from a Secret at `mountPath`) has the content written: `sha256sum`
 * through exec in the redis container, every `pollMs`. Returns how long it took; TIMEOUT names the pods still stale.
 */
export async function waitMounted(
  d: Pick<KubeSecurityDeps, 'api' | 'model' | 'pods'> & { timeoutMs: number; pollMs: number },
  secret: string,
  mountPath: string,
  files: Readonly<Record<string, string>>,
): Promise<number> {
  const started = performance.now();
  const want = new Map(Object.entries(files).map(([k, v]) => [path.posix.join(mountPath, k), sha256(v)]));
  const stale = new Set(d.pods());
  for (;;) {
    for (const pod of [...stale]) {
      const r = await d.api.exec(d.model.namespace, pod, d.model.redis.name, ['sha256sum', '--', ...want.keys()]).catch(() => null);
      if (!r || r.code !== 0) continue;
      const seen = new Map(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => /^([0-9a-f]{64})\s+\*?(.+)$/.exec(l.trim()))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[2]!, m[1]!]),
      );
      if ([...want].every(([f, h]) => seen.get(f) === h)) stale.delete(pod);
    }
    const ms = Math.round(performance.now() - started);
    if (stale.size === 0) return ms;
    if (ms > d.timeoutMs)
      throw new HarnessError(
        'TIMEOUT',
        `Secret ${d.model.namespace}/${secret} (${Object.keys(files).join(', ')}) not refreshed in the mounted files of ${[...stale].join(', ')} within ${d.timeoutMs} ms: the kubelet refreshes mounted Secrets at its sync (kubectl -n ${d.model.namespace} exec POD -c ${d.model.redis.name} -- ls -l ${mountPath})`,
      );
    await sleep(d.pollMs);
  }
}

interface Material {
  /** The TLS Secret's data as the run makes it (ca.crt, <pod>.crt, <pod>.key), or null when read from the cluster. */
  tlsData: Record<string, string> | null;
  acl: Record<string, string>;
  ca: CertFiles | null;
  clients: Record<string, CertFiles>;
  caPem: string | null;
}

/** A Secret object of the model, by name. */
const secretObject = (model: DeploymentModel, name: string) => model.objects.find((o) => o.kind === 'Secret' && o.metadata.name === name) ?? null;

async function mustRead(api: KubeApi, model: DeploymentModel, secret: string, key: string, why: string): Promise<string> {
  const v = await api.readSecretKey(model.namespace, secret, key);
  if (v === null)
    throw new HarnessError(
      'TARGET_UNAVAILABLE',
      `Secret ${model.namespace}/${secret} exists in the cluster but has no key ${key} (${why}): add it (kubectl -n ${model.namespace} edit secret ${secret}) or delete the Secret so that the run makes it`,
    );
  return v;
}

/** The ACL passwords: from the existing Secret (every user the manifest names), else the manifest's values with placeholders generated. */
async function aclMaterial(api: KubeApi, model: DeploymentModel, secret: string, existing: boolean): Promise<Record<string, string>> {
  const acl: Record<string, string> = {};
  for (const [user, value] of Object.entries(model.secretData[secret] ?? {})) {
    acl[user] = existing ? await mustRead(api, model, secret, user, `the password of the ACL user ${user}`) : (value ?? randomBytes(24).toString('base64url'));
    registerSecret(acl[user]);
  }
  return acl;
}

/** The client certificate an existing TLS Secret offers for `client`: <client>.crt / .key, else harness.crt / .key, else the first pod's (pods' certificates are for client use too). */
async function existingClient(api: KubeApi, model: DeploymentModel, secret: string, client: string): Promise<{ cert: string; key: string; from: string }> {
  for (const name of [client, 'harness', model.podNames[0]!]) {
    const cert = await api.readSecretKey(model.namespace, secret, `${name}.crt`);
    const key = cert === null ? null : await api.readSecretKey(model.namespace, secret, `${name}.key`);
    if (cert !== null && key !== null) {
      registerSecret(key);
      return { cert, key, from: name };
    }
  }
  throw new HarnessError(
    'TARGET_UNAVAILABLE',
    `Secret ${model.namespace}/${secret} exists in the cluster but holds no client certificate the harness can use (${client}.crt / .key, harness.crt / .key or ${model.podNames[0]}.crt / .key): add one signed by its ca.crt`,
  );
}

async function tlsMaterial(api: KubeApi, model: DeploymentModel, secret: string, existing: boolean, runDir: string): Promise<Material> {
  const clientDir = path.join(runDir, 'clients');
  if (existing) {
    const caPem = await mustRead(api, model, secret, 'ca.crt', 'the CA every party trusts');
    const tlsDir = path.join(runDir, 'tls');
    await mkdir(tlsDir, { recursive: true, mode: 0o700 });
    const ca = path.join(tlsDir, 'ca.crt');
    await writeFileAtomic(ca, caPem, 0o644);
    const clients: Record<string, CertFiles> = {};
    await mkdir(clientDir, { recursive: true, mode: 0o700 });
    for (const c of CLIENT_CERTS) {
      const m = await existingClient(api, model, secret, c);
      clients[c] = { cert: path.join(clientDir, `${c}.crt`), key: path.join(clientDir, `${c}.key`) };
      await writeFileAtomic(clients[c].cert, m.cert, 0o644);
      await writePrivateFile(clients[c].key, m.key);
    }
    return { tlsData: null, acl: {}, ca: null, clients, caPem };
  }
  const podDir = path.join(runDir, 'tls-secret');
  const made = await generateCertificates({
    caDir: path.join(runDir, 'ca'),
    podDir,
    clientDir,
    pods: model.podNames.map((p) => kubePodSubject(model, p)),
    clients: CLIENT_CERTS,
  });
  const tlsData: Record<string, string> = { 'ca.crt': await readFile(made.ca, 'utf8') };
  for (const p of model.podNames) {
    tlsData[`${p}.crt`] = await readFile(made.certs[p]!.cert, 'utf8');
    tlsData[`${p}.key`] = await readFile(made.certs[p]!.key, 'utf8');
    registerSecret(tlsData[`${p}.key`]!);
  }
  const clients = Object.fromEntries(CLIENT_CERTS.map((c) => [c, made.certs[c]!]));
  for (const c of CLIENT_CERTS) registerSecret(await readFile(clients[c]!.key, 'utf8'));
  return { tlsData, acl: {}, ca: { cert: path.join(runDir, 'ca', 'ca.crt'), key: made.caKey }, clients, caPem: tlsData['ca.crt']! };
}

/** The TLS Secret of a run that made it: what cert-rotation and cert-expiry write, each write waited for in every pod's mounted files. */
function kubeTlsControl(
  d: KubeSecurityDeps & { timeoutMs: number; pollMs: number },
  secret: string,
  mountPath: string,
  runDir: string,
  ca: CertFiles,
  clientFiles: Record<string, CertFiles>,
): TlsControl {
  const checked = (name: string) => {
    if (!FILE_NAME.test(name)) throw new HarnessError('INTERNAL', `not a key of the TLS Secret: ${name}`);
    return name;
  };
  return {
    workDir: path.join(runDir, 'ca'),
    clients: CLIENT_CERTS,
    signingCa: ca,
    deliveryMs: d.timeoutMs,
    async writeSecretFiles(files) {
      for (const k of Object.keys(files)) checked(k);
      for (const [k, v] of Object.entries(files)) if (k.endsWith('.key')) registerSecret(v);
      await d.api.patchSecretData(d.model.namespace, secret, files);
      const ms = await waitMounted(d, secret, mountPath, files);
      d.log(`Secret ${secret} (${Object.keys(files).join(', ')}) patched; the kubelet refreshed it in ${d.pods().length} pods after ${ms} ms`);
    },
    async readSecretFile(name) {
      if (checked(name).endsWith('.key')) throw new HarnessError('INTERNAL', `readSecretFile is for certificates, not keys (${name})`);
      const v = await d.api.readSecretKey(d.model.namespace, secret, name);
      if (v === null) throw new HarnessError('FAULT_FAILED', `Secret ${d.model.namespace}/${secret} has no key ${name}`);
      return v;
    },
    async setClientMaterial(m) {
      for (const [c, pem] of Object.entries(m.clients ?? {})) {
        const files = clientFiles[c];
        if (!files) throw new HarnessError('INTERNAL', `no client certificate named ${c}`);
        registerSecret(pem.key);
        await writePrivateFile(files.key, pem.key);
        await writeFileAtomic(files.cert, pem.cert, 0o644);
      }
      const harness = m.clients?.harness;
      updateClientTls({ ...(m.ca ? { ca: m.ca } : {}), ...(harness ? { cert: harness.cert, key: harness.key } : {}) });
    },
  };
}

/** The objects to apply: a secure Secret the run makes gets its material as stringData (its data dropped); one the cluster has is left out. */
export function fillSecrets(
  objects: readonly ManifestObject[],
  model: DeploymentModel,
  origin: { tls: SecretOrigin | null; acl: SecretOrigin | null },
  tlsData: Readonly<Record<string, string>> | null,
  acl: Readonly<Record<string, string>>,
  log: (line: string) => void,
): ManifestObject[] {
  const sec = model.security;
  const out: ManifestObject[] = [];
  for (const o of objects) {
    const isTls = o.kind === 'Secret' && o.metadata.name === sec?.tls?.secret;
    const isAcl = o.kind === 'Secret' && o.metadata.name === sec?.acl?.secret;
    if (!isTls && !isAcl) {
      out.push(o);
      continue;
    }
    if ((isTls ? origin.tls : origin.acl) === 'existing') {
      log(`Secret/${o.metadata.name} exists: its ${isTls ? 'certificates' : 'passwords'} are read from it, never changed`);
      continue;
    }
    const { data: _d, stringData: _s, ...rest } = o as ManifestObject & { data?: unknown; stringData?: unknown };
    out.push({ ...rest, stringData: isTls ? { ...tlsData } : { ...acl } } as ManifestObject);
  }
  return out;
}

/**
 * Decide, per secure Secret, whether the run makes it (the cluster has none) or reads it (the cluster has one), and
 * make or read the material. Nothing is applied or changed here; `fill` gives the objects to apply.
 */
export async function prepareKubeSecurity(d: KubeSecurityDeps): Promise<KubeSecurity | null> {
  const { api, model } = d;
  const sec = model.security;
  if (!sec) return null;
  const timeoutMs = d.refreshTimeoutMs ?? KUBE_SECURE_DEFAULTS.refreshTimeoutMs;
  const pollMs = d.pollMs ?? KUBE_SECURE_DEFAULTS.pollMs;
  const runDir = d.runDir ?? (await mkdtemp(path.join(os.tmpdir(), 'sentinel-chaos-kube-')));
  // An interrupt before close() (openssl running, the apply, the rollout) still takes the CA's key away.
  const unhook = d.runDir || d.keepFiles ? () => {} : onInterrupt(() => rm(runDir, { recursive: true, force: true }));
  const exists = async (name: string) => {
    const o = secretObject(model, name);
    return o ? api.objectExists(o) : true;
  };
  try {
    const aclOrigin: SecretOrigin | null = sec.acl ? ((await exists(sec.acl.secret)) ? 'existing' : 'generated') : null;
    const tlsOrigin: SecretOrigin | null = sec.tls ? ((await exists(sec.tls.secret)) ? 'existing' : 'generated') : null;
    const acl = sec.acl ? await aclMaterial(api, model, sec.acl.secret, aclOrigin === 'existing') : {};
    const tlsM = sec.tls ? await tlsMaterial(api, model, sec.tls.secret, tlsOrigin === 'existing', runDir) : null;
    for (const [k, v] of Object.entries(tlsM?.tlsData ?? {})) if (k.endsWith('.key')) registerSecret(v);
    const caFile = tlsM?.tlsData ? path.join(runDir, 'tls-secret', 'ca.crt') : tlsM ? path.join(runDir, 'tls', 'ca.crt') : null;
    const harness = tlsM?.clients.harness;
    const harnessPem = tlsM?.caPem && harness ? { ca: tlsM.caPem, cert: await readFile(harness.cert, 'utf8'), key: await readFile(harness.key, 'utf8') } : null;
    const full = { ...d, timeoutMs, pollMs };
    const tls = tlsM?.ca && sec.tls ? kubeTlsControl(full, sec.tls.secret, sec.tls.mountPath, runDir, tlsM.ca, tlsM.clients) : null;
    let undo: (() => void) | null = null;
    const readOnly = (s: string) =>
      `the ACL Secret ${model.namespace}/${s} was in the cluster before the run (the operator's): the harness uses it as it is and never changes it`;
    const credentials: DeploymentCredentials = {
      acl,
      tls: tlsM && caFile ? { ca: caFile, clients: tlsM.clients } : null,
      ...(sec.acl && aclOrigin === 'generated'
        ? {
            async setAclPassword(user: string, pw: string) {
              if (!(user in acl)) throw new HarnessError('USAGE', `no ACL user "${user}" in the ${sec.acl!.secret} Secret`);
              registerSecret(pw);
              await api.patchSecretData(model.namespace, sec.acl!.secret, { [user]: pw });
              // Recorded once patched: the pods started from now on get it, whatever the wait below says.
              acl[user] = pw;
              const ms = await waitMounted(full, sec.acl!.secret, sec.acl!.mountPath, { [user]: pw });
              d.log(`Secret ${sec.acl!.secret} (${user}) patched; the kubelet refreshed it in ${d.pods().length} pods after ${ms} ms`);
            },
          }
        : {}),
      ...(sec.acl && aclOrigin === 'existing' ? { aclReadOnly: readOnly(sec.acl.secret) } : {}),
    };
    return {
      tlsOrigin,
      aclOrigin,
      fill: (objects) => fillSecrets(objects, model, { tls: tlsOrigin, acl: aclOrigin }, tlsM?.tlsData ?? null, acl, d.log),
      login() {
        if (undo) return;
        undo = setClientSecurity({
          tls: harnessPem,
          username: sec.acl ? ADMIN_USER : null,
          ...(harnessPem && caFile ? { files: { ca: caFile, cert: tlsM!.clients.harness!.cert, key: tlsM!.clients.harness!.key } } : {}),
        });
      },
      credentials,
      tls,
      async preparePods(names) {
        if (!sec.tls || names.length === 0) return;
        if (!tls) {
          for (const n of names)
            if ((await api.readSecretKey(model.namespace, sec.tls.secret, `${n}.crt`)) === null)
              throw abilityMissing(
                `the TLS Secret ${model.namespace}/${sec.tls.secret} has no certificate for ${n} and was in the cluster before the run (the operator's, not changed by the harness): add ${n}.crt / ${n}.key to it before scaling`,
              );
          return;
        }
        const files: Record<string, string> = {};
        for (const n of names) {
          const made = await makeCert(path.join(runDir, 'tls-secret'), tls.signingCa, kubePodSubject(model, n));
          files[`${n}.crt`] = await readFile(made.cert, 'utf8');
          files[`${n}.key`] = await readFile(made.key, 'utf8');
          registerSecret(files[`${n}.key`]!);
        }
        // A pod mounts the Secret as it is when it is created: no refresh to wait for.
        await api.patchSecretData(model.namespace, sec.tls.secret, files);
      },
      describe: () => ({
        ...(tlsM && caFile
          ? {
              tls_secret: `${sec.tls!.secret} (${tlsOrigin === 'generated' ? 'made by this run' : 'found in the cluster, read only'})`,
              tls_ca: caFile,
              tls_client_certs: CLIENT_CERTS.map((c) => `${c}=${tlsM.clients[c]!.cert}`).join(' '),
              tls_client_keys_dir: path.dirname(tlsM.clients.harness!.key),
            }
          : {}),
        ...(sec.acl
          ? {
              acl_secret: `${sec.acl.secret} (${aclOrigin === 'generated' ? 'made by this run' : 'found in the cluster, read only'})`,
              acl_users: Object.keys(acl).join(' '),
            }
          : {}),
      }),
      async close(keepFiles) {
        unhook();
        undo?.();
        undo = null;
        if (keepFiles && tlsM) d.log(`the CA and client certificates of this deployment stay in ${runDir} (mode 0700, keys 0600): remove it once done`);
        else if (!d.runDir) await rm(runDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    unhook();
    if (!d.runDir) await rm(runDir, { recursive: true, force: true });
    throw e;
  }
}
