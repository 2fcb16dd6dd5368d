// The `security` conformance group: the secure profile's settings in the manifests (static.*), and the running
// deployment holding to them (live.*): no plaintext, no foreign certificate, certificates naming the pods and
// Services, application users confined, the default user off.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadProfiledDeployment } from '../config/profiles.ts';
import { ADMIN_USER, APP_USERS, EXPORTER_USER } from '../config/secure.ts';
import type { ConformanceCheck } from '../model/conformance.ts';
import type { Endpoint } from '../model/endpoint.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import type { StartedDeployment } from '../targets/target.ts';
import { makeCa, makeCert, podDnsNames, serviceDnsNames } from '../targets/tls-certs.ts';
import {
  appUserProbe,
  defaultUserProbe,
  exporterUserProbe,
  foreignCertProbe,
  plaintextProbe,
  readPem,
  servedNames,
  type PemFiles,
  type Probe,
} from './security/live-checks.ts';
import { securityStaticChecks } from './security/static-checks.ts';
import type { ConformanceContext } from './types.ts';

function live(name: string, valid: boolean, expected: string, observed: string, explanation: string): ConformanceCheck {
  return { name: `live.${name}`, group: 'security', valid, expected, observed, explanation };
}

const skipped = (reason: string): ConformanceCheck => ({
  name: 'live',
  group: 'security',
  valid: 'skipped',
  reason,
  expected: 'a deployment under the secure profile',
  observed: reason,
  explanation: 'The live security checks need TLS and ACL users to test.',
});

async function masterOf(d: StartedDeployment): Promise<Endpoint | null> {
  for (const p of d.pods) {
    const role = await withProbe(p.redis, { password: d.password, connectTimeoutMs: 500 }, async (r) => parseInfo(await r.info('replication')).role).catch(
      () => null,
    );
    if (role === 'master') return p.redis;
  }
  return null;
}

/** Plaintext and a certificate of another CA, on every pod's redis and sentinel port. */
async function refusalChecks(d: StartedDeployment, pem: PemFiles): Promise<ConformanceCheck[]> {
  const out: ConformanceCheck[] = [];
  const foreignDir = await mkdtemp(path.join(tmpdir(), 'sc-foreign-ca-'));
  try {
    const ca = await makeCa(foreignDir, 'foreign-ca', 'another CA');
    const foreign = await readPem({ ca: ca.cert, ...(await makeCert(foreignDir, ca, { name: 'intruder' })) });
    for (const p of d.pods) {
      for (const [which, e] of [
        ['redis', p.redis],
        ['sentinel', p.sentinel],
      ] as const) {
        const plain: Probe = await plaintextProbe(e);
        out.push(
          live(
            `plaintext-refused.${p.name}.${which}`,
            plain.refused,
            'no RESP reply to a plaintext PING',
            plain.observed,
            `${which} on ${p.name} speaks TLS only.`,
          ),
        );
        const other = await foreignCertProbe(e, pem.ca, foreign);
        out.push(
          live(
            `foreign-ca-refused.${p.name}.${which}`,
            other.refused,
            'the TLS handshake refused',
            other.observed,
            `A client certificate of another CA does not get into ${which} on ${p.name}.`,
          ),
        );
      }
    }
  } finally {
    await rm(foreignDir, { recursive: true, force: true });
  }
  return out;
}

/** The names each pod's certificate must carry: its DNS names, its address, the Services. */
export function expectedCertNames(d: StartedDeployment, pod: { name: string; redis: Endpoint }): string[] {
  const m = d.model;
  const services = m.objects.filter((o) => o.kind === 'Service').map((o) => serviceDnsNames(o.metadata.name, m.namespace)[0]!);
  const dns = podDnsNames(pod.name, m.headlessService, m.namespace);
  return [dns[0]!, dns[3]!, pod.redis.host, ...services];
}

async function certNameChecks(d: StartedDeployment, pem: PemFiles): Promise<ConformanceCheck[]> {
  const out: ConformanceCheck[] = [];
  for (const p of d.pods) {
    const want = expectedCertNames(d, p);
    const got = await servedNames(p.redis, pem).catch((e: Error) => e);
    const missing = got instanceof Error ? want : want.filter((n) => !got.includes(n));
    out.push(
      live(
        `cert-names.${p.name}`,
        missing.length === 0,
        want.join(', '),
        got instanceof Error ? `no certificate: ${got.message}` : missing.length ? `missing ${missing.join(', ')}` : 'all present',
        "A client verifying the server's name (Node, Python, Go) connects by pod name, address or Service.",
      ),
    );
  }
  return out;
}

/** The exporter sidecars' user on the master: what redis_exporter sends allowed, data, CONFIG and the rest refused. */
async function exporterUserCheck(d: StartedDeployment, master: Endpoint, pem: PemFiles): Promise<ConformanceCheck> {
  const name = EXPORTER_USER;
  const password = d.credentials?.acl[name];
  const why = 'The exporter sidecar reads the server state it exports and nothing else: no data, no passwords (CONFIG GET * returns masterauth).';
  if (!password) return live(`exporter-user`, false, `a password for ${name} in the ACL Secret`, '(none)', why);
  const r = await exporterUserProbe(master, pem, { name, password }, { username: ADMIN_USER, password: d.password });
  const problems = [...(r.loginError ? [`login: ${r.loginError}`] : []), ...r.deniedNeeds.map((x) => `refused ${x}`), ...r.granted.map((x) => `allowed ${x}`)];
  return live(
    'exporter-user',
    problems.length === 0,
    'CLIENT SETNAME, INFO, LATENCY LATEST / HISTOGRAM, SLOWLOG LEN / GET allowed; GET, SET, KEYS, FLUSHALL, CONFIG GET / SET, CLIENT KILL, SUBSCRIBE refused',
    problems.length ? problems.join('; ') : 'as expected',
    why,
  );
}

async function userChecks(d: StartedDeployment, pem: PemFiles): Promise<ConformanceCheck[]> {
  const out: ConformanceCheck[] = [];
  const master = await masterOf(d);
  if (!master)
    return [
      live('app-users', false, 'a master to test the application users on', 'no pod reports role:master', 'The application users are tested on the master.'),
    ];
  for (const [name, spec] of Object.entries(APP_USERS)) {
    const password = d.credentials?.acl[name];
    if (!password) {
      out.push(live(`app-user.${name}`, false, `a password for ${name} in the ACL Secret`, '(none)', `${name} logs in as its own user.`));
      continue;
    }
    const r = await appUserProbe(master, pem, { name, password, spec }, { username: ADMIN_USER, password: d.password });
    const problems = [
      ...(r.loginError ? [`login: ${r.loginError}`] : []),
      ...r.deniedNeeds.map((x) => `refused ${x}`),
      ...r.granted.map((x) => `allowed ${x}`),
    ];
    out.push(
      live(
        `app-user.${name}`,
        problems.length === 0,
        `db ${spec.db} and ${spec.keys} allowed; another db, another key, CONFIG, FLUSHALL, FLUSHDB, DEBUG, SHUTDOWN, KEYS refused`,
        problems.length ? problems.join('; ') : 'as expected',
        `${name} can do its work and nothing that harms the others or the server.`,
      ),
    );
  }
  out.push(await exporterUserCheck(d, master, pem));
  for (const p of d.pods) {
    const r = await defaultUserProbe(p.redis, pem, d.password).catch((e: Error): Probe => ({ refused: false, observed: `could not test: ${e.message}` }));
    out.push(
      live(
        `default-user.${p.name}`,
        r.refused,
        'NOAUTH, then WRONGPASS for AUTH <password> and AUTH default <password>',
        r.observed,
        'The default user is off: nobody gets in without a user of their own.',
      ),
    );
  }
  return out;
}

export async function securityChecks(ctx: ConformanceContext): Promise<ConformanceCheck[]> {
  // Under another profile, the secure rendering of the same manifests is still held to its settings.
  const model = ctx.model.security ? ctx.model : await loadProfiledDeployment(ctx.model.manifestsDir, 'secure');
  const statics = securityStaticChecks(model).map((c) => ({ ...c, name: `static.${c.name}` }));
  const d = ctx.deployment;
  if (!d || !ctx.model.security) return [...statics, skipped('the deployment runs without the secure profile (--profile secure)')];
  const tlsFiles = d.credentials?.tls;
  const harness = tlsFiles?.clients.harness;
  if (!tlsFiles || !harness) return [...statics, skipped(`the ${d.target} target gave no TLS credentials`)];
  const pem = await readPem({ ca: tlsFiles.ca, cert: harness.cert, key: harness.key });
  return [...statics, ...(await refusalChecks(d, pem)), ...(await certNameChecks(d, pem)), ...(await userChecks(d, pem))];
}
