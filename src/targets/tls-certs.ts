// Certificates for the secure profile, made per run with Debian's openssl: a CA, a certificate per pod
// (server and client use) whose SANs are the pod's DNS names, its addresses and the Services, and client
// certificates for the harness and the applications. Keys are written mode 0600 and never printed: openssl's
// output is kept only to name a failure, and holds no key material (keys go to files, not stdout).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from '../errors.ts';

const run = promisify(execFile);

export interface CertSubject {
  /** The certificate's file stem and CN: a pod name (redis-0) or a client (harness, synapse). */
  name: string;
  dns?: readonly string[];
  ips?: readonly string[];
}

export interface CertFiles {
  cert: string;
  key: string;
}

export interface GeneratedCerts {
  /** The CA certificate every party trusts. */
  ca: string;
  /** The CA's key, outside every mounted directory (needed only to sign). */
  caKey: string;
  /** By subject name. */
  certs: Record<string, CertFiles>;
}

const DAYS = '7';
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[], what: string): Promise<void> {
  try {
    await run('openssl', args, { timeout: 15_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      throw new HarnessError('BINARY_MISSING', 'openssl is not installed: the secure profile makes its certificates with it (apt-get install openssl)');
    throw new HarnessError(
      'PROCESS_FAILED',
      `openssl could not make ${what}: ${
        String(err.stderr ?? err.message)
          .trim()
          .split('\n')[0]
      }`,
    );
  }
}

/** The subjectAltName value for a subject: DNS:… and IP:… entries. */
export function subjectAltName(s: CertSubject): string {
  return [...(s.dns ?? []).map((d) => `DNS:${d}`), ...(s.ips ?? []).map((i) => `IP:${i}`)].join(',');
}

/** A new CA (`name`.crt / .key in `dir`). */
export async function makeCa(dir: string, name = 'ca', cn = 'sentinel-chaos run CA'): Promise<CertFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  await openssl(['req', '-x509', ...KEY_ARGS, '-keyout', key, '-out', cert, '-days', DAYS, '-subj', `/CN=${cn}`], `the CA ${name}`);
  await chmod(key, 0o600);
  return { cert, key };
}

/** A certificate for `s` signed by `ca`, usable as server and as client, written to `dir`/<name>.crt / .key. */
export async function makeCert(dir: string, ca: CertFiles, s: CertSubject): Promise<CertFiles> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const cert = path.join(dir, `${s.name}.crt`);
  const key = path.join(dir, `${s.name}.key`);
  const csr = path.join(dir, `${s.name}.csr`);
  const ext = path.join(dir, `${s.name}.ext`);
  const san = subjectAltName(s);
  await writeFile(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      ...(san ? [`subjectAltName=${san}`] : []),
      '',
    ].join('\n'),
  );
  await openssl(['req', ...KEY_ARGS, '-keyout', key, '-out', csr, '-subj', `/CN=${s.name}`], `the key of ${s.name}`);
  await chmod(key, 0o600);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      DAYS,
      '-extfile',
      ext,
      '-out',
      cert,
    ],
    `the certificate of ${s.name}`,
  );
  await rm(csr, { force: true });
  await rm(ext, { force: true });
  return { cert, key };
}

/**
 * The run's certificates: the CA in `caDir`, the pods' certificates and the CA certificate in `podDir`
 * (the TLS Secret's files: ca.crt, <pod>.crt, <pod>.key), the clients' in `clientDir`.
 */
export async function generateCertificates(opts: {
  caDir: string;
  podDir: string;
  clientDir: string;
  pods: readonly CertSubject[];
  clients: readonly string[];
}): Promise<GeneratedCerts> {
  const ca = await makeCa(opts.caDir);
  await mkdir(opts.podDir, { recursive: true, mode: 0o700 });
  await copyFile(ca.cert, path.join(opts.podDir, 'ca.crt'));
  const certs: Record<string, CertFiles> = {};
  for (const p of opts.pods) certs[p.name] = await makeCert(opts.podDir, ca, p);
  for (const c of opts.clients) certs[c] = await makeCert(opts.clientDir, ca, { name: c });
  return { ca: path.join(opts.podDir, 'ca.crt'), caKey: ca.key, certs };
}

/** A pod's names as the StatefulSet gives them: <pod>.<headless>.<ns>.svc.cluster.local and the short forms. */
export function podDnsNames(pod: string, headless: string, namespace: string): string[] {
  return [`${pod}.${headless}.${namespace}.svc.cluster.local`, `${pod}.${headless}.${namespace}.svc`, `${pod}.${headless}.${namespace}`, `${pod}.${headless}`];
}

/** A Service's names: <svc>.<ns>.svc.cluster.local and the short forms. */
export function serviceDnsNames(service: string, namespace: string): string[] {
  return [`${service}.${namespace}.svc.cluster.local`, `${service}.${namespace}.svc`, `${service}.${namespace}`, service];
}
