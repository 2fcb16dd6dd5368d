// The secure profile on the local target: what a cluster's operator would put in the TLS and ACL Secrets,
// made per run (certificates with openssl, one random password per ACL user), and the harness's own login.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentModel } from '../../config/manifests.ts';
import { HarnessError } from '../../errors.ts';
import { ADMIN_USER, APP_USERS } from '../../config/secure.ts';
import { registerSecret } from '../../process/redact.ts';
import { setClientSecurity, updateClientTls } from '../../redis/security.ts';
import { generateCertificates, makeCert, podDnsNames, serviceDnsNames, type CertSubject, type GeneratedCerts } from '../tls-certs.ts';
import type { DeploymentCredentials, TlsControl } from '../target.ts';
import type { HostVolumes } from './mounts.ts';
import { podIp, type LocalPod } from './pods.ts';
import { writeFileAtomic, writePrivateFile } from './private-file.ts';

/** The client certificates made per run: the harness's and one per application. */
export const CLIENT_CERTS = ['harness', ...Object.keys(APP_USERS)] as const;

export interface LocalSecurity {
  /** ACL user → password (generated for a placeholder), every one registered for redaction. */
  aclPasswords: Record<string, string>;
  certs: GeneratedCerts | null;
  /** Where the CA and client certificates are (paths only), for `up` and the report. */
  describe(): Record<string, string>;
  /** Write the ACL Secret's files (the TLS Secret's are written where they are made). */
  writeSecrets(): Promise<void>;
  /** Undo the harness's login settings. */
  close(): void;
  /**
   * A pod the StatefulSet adds (scale-out): its certificate, signed by the run's CA and naming what the first
   * pods' name for it, written to the TLS Secret's directory before its containers start. No-op without TLS.
   */
  addPod(p: LocalPod): Promise<void>;
  credentials: DeploymentCredentials;
  /** The TLS Secret and the clients' certificates, for rotation and expiry faults (null without TLS). */
  tls: TlsControl | null;
}

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const modeOf = (name: string) => (name.endsWith('.key') ? 0o600 : 0o644);

export function tlsControl(
  secretDir: string,
  runDir: string,
  clientFiles: Record<string, { cert: string; key: string }>,
  ca: { cert: string; key: string },
): TlsControl {
  const checked = (name: string) => {
    if (!FILE_NAME.test(name)) throw new HarnessError('INTERNAL', `not a file name of the TLS Secret: ${name}`);
    return path.join(secretDir, name);
  };
  return {
    workDir: path.join(runDir, 'ca'),
    clients: CLIENT_CERTS,
    signingCa: ca,
    async writeSecretFiles(files) {
      for (const [name, content] of Object.entries(files)) await writeFileAtomic(checked(name), content, modeOf(name));
    },
    readSecretFile: (name) => readFile(checked(name), 'utf8'),
    async setClientMaterial(m) {
      for (const [c, pem] of Object.entries(m.clients ?? {})) {
        const files = clientFiles[c];
        if (!files) throw new HarnessError('INTERNAL', `no client certificate named ${c}`);
        await writeFileAtomic(files.key, pem.key, 0o600);
        await writeFileAtomic(files.cert, pem.cert, 0o644);
      }
      const harness = m.clients?.harness;
      updateClientTls({ ...(m.ca ? { ca: m.ca } : {}), ...(harness ? { cert: harness.cert, key: harness.key } : {}) });
    },
  };
}

/** Names of the Services with a cluster IP (their DNS names go into every pod's certificate: a Service routes to any pod). */
function serviceNames(model: DeploymentModel): string[] {
  return model.objects.filter((o) => o.kind === 'Service').map((o) => o.metadata.name);
}

/** A pod's certificate subject: its DNS names, every Service's (a Service routes to any pod) and localhost; its address and the Services'. */
export function podCertSubject(model: DeploymentModel, p: LocalPod, serviceAddresses: readonly string[]): CertSubject {
  const svcDns = serviceNames(model).flatMap((s) => serviceDnsNames(s, model.namespace));
  return { name: p.name, dns: [...podDnsNames(p.name, model.headlessService, model.namespace), ...svcDns, 'localhost'], ips: [podIp(p), ...serviceAddresses] };
}

export async function prepareLocalSecurity(opts: {
  model: DeploymentModel;
  vols: HostVolumes;
  pods: readonly LocalPod[];
  /** The Services' local addresses (kube-proxy), also in every pod's certificate. */
  serviceAddresses: readonly string[];
  password: string;
}): Promise<LocalSecurity | null> {
  const { model, vols } = opts;
  const sec = model.security;
  if (!sec) return null;
  const aclPasswords: Record<string, string> = {};
  if (sec.acl) {
    for (const [user, value] of Object.entries(model.secretData[sec.acl.secret] ?? {})) {
      aclPasswords[user] = value ?? randomBytes(24).toString('base64url');
      registerSecret(aclPasswords[user]);
    }
  }
  let certs: GeneratedCerts | null = null;
  if (sec.tls) {
    certs = await generateCertificates({
      caDir: path.join(vols.runDir, 'ca'),
      podDir: vols.secretDir(sec.tls.secret),
      clientDir: path.join(vols.runDir, 'clients'),
      pods: opts.pods.map((p) => podCertSubject(model, p, opts.serviceAddresses)),
      clients: CLIENT_CERTS,
    });
  }
  const harness = certs?.certs.harness;
  const undo = setClientSecurity({
    tls:
      certs && harness ? { ca: await readFile(certs.ca, 'utf8'), cert: await readFile(harness.cert, 'utf8'), key: await readFile(harness.key, 'utf8') } : null,
    username: sec.acl ? ADMIN_USER : null,
    ...(certs && harness ? { files: { ca: certs.ca, cert: harness.cert, key: harness.key } } : {}),
  });
  const generated = certs;
  const clients = generated ? Object.fromEntries(CLIENT_CERTS.map((c) => [c, generated.certs[c]!])) : {};
  const tls =
    certs && sec.tls
      ? tlsControl(vols.secretDir(sec.tls.secret), vols.runDir, clients, { cert: path.join(path.dirname(certs.caKey), 'ca.crt'), key: certs.caKey })
      : null;
  return {
    aclPasswords,
    certs,
    // admin's password is the deployment's `password` (it follows a rotation); these are the others'.
    credentials: {
      acl: aclPasswords,
      ...(sec.acl ? { aclFiles: Object.fromEntries(Object.keys(aclPasswords).map((u) => [u, path.join(vols.secretDir(sec.acl!.secret), u)])) } : {}),
      tls: certs ? { ca: certs.ca, clients } : null,
      async setAclPassword(user, pw) {
        if (!sec.acl || !(user in aclPasswords)) throw new HarnessError('USAGE', `no ACL user "${user}" in the ${sec.acl?.secret ?? 'ACL'} Secret`);
        registerSecret(pw);
        aclPasswords[user] = pw;
        await writePrivateFile(path.join(vols.secretDir(sec.acl.secret), user), pw);
      },
    },
    tls,
    describe: () =>
      certs
        ? {
            tls_ca: certs.ca,
            tls_client_certs: CLIENT_CERTS.map((c) => `${c}=${certs!.certs[c]!.cert}`).join(' '),
            tls_client_keys_dir: path.dirname(certs.certs.harness!.key),
            ...(sec.acl ? { acl_users: Object.keys(aclPasswords).join(' '), acl_passwords_dir: vols.secretDir(sec.acl.secret) } : {}),
          }
        : {},
    async writeSecrets() {
      if (!sec.acl) return;
      const dir = vols.secretDir(sec.acl.secret);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      for (const [user, pw] of Object.entries(aclPasswords)) await writePrivateFile(path.join(dir, user), pw);
    },
    close: undo,
    async addPod(p) {
      if (!generated || !sec.tls) return;
      // The CA that signs now: a cert-rotation replaces it, and a pod added after one must carry the new CA's certificate.
      const ca = tls?.signingCa ?? { cert: generated.ca, key: generated.caKey };
      generated.certs[p.name] = await makeCert(vols.secretDir(sec.tls.secret), ca, podCertSubject(model, p, opts.serviceAddresses));
    },
  };
}
