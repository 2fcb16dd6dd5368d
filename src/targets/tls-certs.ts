// Certificates for the secure profile, made per run with Debian's openssl: a CA, a certificate per pod
// (server and client use) whose SANs are the pod's DNS names, its addresses and the Services, and client
// certificates for the harness and the applications. Keys are written mode 0600 and never printed: openssl's
// output is kept only to name a failure, and holds no key material (keys go to files, not stdout).
import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
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

/** `YYYYMMDDHHMMSSZ` (UTC), as `openssl ca -enddate` takes it. */
export function opensslTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * The arguments that sign `csr` with `ca`: `x509 -req` for a validity in days; `ca -enddate` for an exact end
 * (OpenSSL 3.0, Debian 12's, has no `x509 -not_after`; `openssl ca` needs a config and a database, in `dbDir`).
 */
export function signArgs(o: { csr: string; ca: CertFiles; ext: string; out: string; serial: string; notAfter?: Date; dbDir: string }): string[] {
  if (!o.notAfter)
    return ['x509', '-req', '-in', o.csr, '-CA', o.ca.cert, '-CAkey', o.ca.key, '-set_serial', o.serial, '-days', DAYS, '-extfile', o.ext, '-out', o.out];
  return [
    'ca',
    '-batch',
    '-notext',
    '-config',
    path.join(o.dbDir, 'ca.cnf'),
    '-cert',
    o.ca.cert,
    '-keyfile',
    o.ca.key,
    '-in',
    o.csr,
    '-out',
    o.out,
    '-enddate',
    opensslTime(o.notAfter),
    '-extfile',
    o.ext,
  ];
}

/** The minimal `openssl ca` configuration and database (index, serial) in `dbDir`. */
async function caDatabase(dbDir: string): Promise<void> {
  await mkdir(dbDir, { recursive: true, mode: 0o700 });
  await writeFile(path.join(dbDir, 'index.txt'), '');
  await writeFile(path.join(dbDir, 'serial'), `${randomBytes(8).toString('hex')}\n`);
  const conf = [
    '[ca]',
    'default_ca = run',
    '[run]',
    `database = ${path.join(dbDir, 'index.txt')}`,
    `new_certs_dir = ${dbDir}`,
    `serial = ${path.join(dbDir, 'serial')}`,
    'default_md = sha256',
    'policy = any',
    'unique_subject = no',
    '[any]',
    'commonName = supplied',
    '',
  ];
  await writeFile(path.join(dbDir, 'ca.cnf'), conf.join('\n'));
}

/**
 * A certificate for `s` signed by `ca`, usable as server and as client, written to `dir`/<name>.crt / .key;
 * valid 7 days, or until `notAfter` (to the second).
 */
export async function makeCert(dir: string, ca: CertFiles, s: CertSubject, opts: { notAfter?: Date } = {}): Promise<CertFiles> {
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
  const dbDir = path.join(dir, `${s.name}.ca-db`);
  if (opts.notAfter) await caDatabase(dbDir);
  const serial = `0x${randomBytes(8).toString('hex')}`;
  await openssl(signArgs({ csr, ca, ext, out: cert, serial, dbDir, ...(opts.notAfter ? { notAfter: opts.notAfter } : {}) }), `the certificate of ${s.name}`);
  await rm(csr, { force: true });
  await rm(ext, { force: true });
  await rm(dbDir, { recursive: true, force: true });
  return { cert, key };
}

/** What a certificate says about itself (from its PEM; never a key). */
export interface CertInfo {
  fingerprint256: string;
  issuer: string;
  subject: string;
  validTo: Date;
  /** The subjectAltName as Node prints it ("DNS:a, IP Address:1.2.3.4"). */
  subjectAltName: string;
}

/** The first certificate of a PEM text. */
export function certInfo(pem: string): CertInfo {
  const c = new X509Certificate(pem);
  return { fingerprint256: c.fingerprint256, issuer: c.issuer, subject: c.subject, validTo: new Date(c.validTo), subjectAltName: c.subjectAltName ?? '' };
}

/** A certificate's names back as a subject (to re-issue it with the same SANs): "DNS:a, IP Address:1.2.3.4" → dns [a], ips [1.2.3.4]. */
export function subjectFromSan(name: string, san: string): CertSubject {
  const parts = san
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return {
    name,
    dns: parts.filter((p) => p.startsWith('DNS:')).map((p) => p.slice(4)),
    ips: parts.filter((p) => /^IP( Address)?:/.test(p)).map((p) => p.replace(/^IP( Address)?:/, '')),
  };
}

/** The PEM certificates of a bundle, each ending in a newline. */
export function pemCerts(bundle: string): string[] {
  return [...bundle.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
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
