// The CA rotation's order, held to its rule (no party ever refuses a new connection), the executor's marks and
// failure, the faults' skip without the secure profile, and the certificates the faults make with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import { certRotationPlan, handshakeBreaks, type CertStep } from '../../../src/faults/cert-plan.ts';
import { expireCertificate } from '../../../src/faults/cert-expiry.ts';
import { resolveScenarios } from '../../../src/runner/scenario.ts';
import { rotateCertificates, runCertRotation, type CertOps } from '../../../src/faults/cert-rotation.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import { FAULTS } from '../../../src/faults/index.ts';
import { kubeFaultSupport } from '../../../src/faults/kube-support.ts';
import { setClientSecurity, tlsOptions, updateClientTls } from '../../../src/redis/security.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';
import { certInfo, makeCa, makeCert, opensslTime, pemCerts, signArgs, subjectFromSan } from '../../../src/targets/tls-certs.ts';
import { tlsControl } from '../../../src/targets/local/security.ts';

const PODS = ['redis-1', 'redis-2', 'redis-0'];
const label = (s: CertStep) => `${s.op}${'pod' in s ? ` ${s.pod}` : ''}${'trust' in s ? ` ${s.trust}` : ''}`;

describe('the rotation plan', () => {
  const plan = certRotationPlan(PODS);
  const at = (l: string) => plan.map(label).indexOf(l);

  it('never breaks a handshake and ends on the new CA everywhere', () => {
    expect(handshakeBreaks(plan, PODS)).toEqual([]);
  });

  it('trust both everywhere, then certificates pod by pod in the order given, then the clients, then the new CA only', () => {
    const firstCert = at('pod-cert redis-1');
    for (const p of PODS) {
      expect(at(`redis-reload-ca ${p}`)).toBeLessThan(firstCert);
      expect(plan.findIndex((s) => label(s) === `sentinel-restart ${p}`)).toBeLessThan(firstCert);
    }
    expect(at('secret-ca both')).toBe(0);
    expect(at('pod-cert redis-1')).toBeLessThan(at('pod-cert redis-2'));
    expect(at('pod-cert redis-2')).toBeLessThan(at('pod-cert redis-0'));
    expect(at('client-certs')).toBeGreaterThan(at('redis-reload-cert redis-0'));
    expect(at('secret-ca new')).toBeGreaterThan(at('client-certs'));
    expect(plan.map((s) => s.phase)).toEqual([...Array(8).fill('bundle'), ...Array(10).fill('certificates'), ...Array(8).fill('retire')]);
    // Each sentinel restarts three times: trust both, its certificate, trust the new CA only.
    for (const p of PODS) expect(plan.filter((s) => label(s) === `sentinel-restart ${p}`)).toHaveLength(3);
  });

  it('names the step of a plan in the wrong order', () => {
    const without = (drop: (s: (typeof plan)[number]) => boolean) => plan.filter((s) => !drop(s));
    // Certificates before the bundle: redis-1's peers still trust the old CA only.
    const certsFirst = [...plan.filter((s) => s.phase === 'certificates'), ...plan.filter((s) => s.phase !== 'certificates')];
    expect(handshakeBreaks(certsFirst, PODS)[0]).toMatch(/^step 1 \(pod-cert redis-1\): .* refuses redis-1\/redis-cli's certificate of the new CA/);
    // A sentinel never restarted with the bundle refuses the first new certificate.
    const noBundleRestart = without((s) => s.phase === 'bundle' && label(s) === 'sentinel-restart redis-2');
    expect(handshakeBreaks(noBundleRestart, PODS).join('\n')).toMatch(/redis-2\/sentinel refuses redis-1\/redis-cli's certificate of the new CA/);
    // The old CA retired before the clients have new certificates.
    const retireEarly = [...plan.filter((s) => label(s) !== 'client-certs'), { op: 'client-certs' as const, phase: 'retire' as const }];
    expect(handshakeBreaks(retireEarly, PODS).join('\n')).toMatch(/refuses clients's certificate of the old CA/);
    // Stopping after the certificates leaves the old CA trusted.
    expect(
      handshakeBreaks(
        without((s) => s.phase === 'retire'),
        PODS,
      ).at(-1),
    ).toMatch(/^at the end, not on the new CA only: redis-1\/redis, /);
  });

  it('runs the steps in order, marks each phase, and stops at a failing step naming it', async () => {
    const done: string[] = [];
    const marks: string[] = [];
    const record = (fail?: string) =>
      new Proxy({} as CertOps, {
        get: () => async (s: CertStep) => {
          if (label(s) === fail) throw new Error('no answer');
          done.push(label(s));
        },
      });
    await runCertRotation(plan, record(), (m) => marks.push(m));
    expect(done).toEqual(plan.map(label));
    expect(marks.map((m) => m.split(':')[0])).toEqual(['bundle', 'certificates', 'retire']);
    expect(marks[1]).toMatch(/^certificates: 10 steps in \d+ ms \(pod-cert, redis-reload-cert, sentinel-restart, client-certs\)$/);
    done.length = 0;
    await expect(runCertRotation(plan, record('redis-reload-cert redis-2'), () => {})).rejects.toThrow(
      /^certificate rotation step 13 of 26 \(redis-reload-cert redis-2\) failed: no answer$/,
    );
    expect(done.at(-1)).toBe('pod-cert redis-2');
  });
});

describe('the certificate faults need the secure profile', () => {
  const pod = (i: number): Pod => ({
    name: `redis-${i}`,
    ordinal: i,
    node: 'n',
    redis: { host: `10.0.0.${i}`, port: 6379 },
    sentinel: { host: `10.0.0.${i}`, port: 26379 },
  });
  const ctx = (target: string): { ctx: FaultContext; marks: string[] } => {
    const marks: string[] = [];
    return {
      marks,
      ctx: {
        deployment: { target, pods: [pod(0), pod(1), pod(2)] } as unknown as StartedDeployment,
        topology: { master: pod(0), replicas: [pod(1), pod(2)] },
        clock: createClock(),
        ms: () => 1000,
        mark: (t) => marks.push(t),
        podEvent: () => {},
        events: () => [],
        history: () => [],
        setClientPassword: () => {},
      },
    };
  };

  it('skip (ABILITY_MISSING) with the reason, injecting nothing, on a target without the TLS Secret', async () => {
    const a = ctx('local');
    await expect(rotateCertificates(a.ctx, { then: 'kill-master' }, true)).rejects.toMatchObject({ code: 'ABILITY_MISSING', message: /--profile secure/ });
    const b = ctx('local');
    await expect(expireCertificate(b.ctx, { validForMs: 6000, dropLinks: true, observeMs: 1000 })).rejects.toMatchObject({ code: 'ABILITY_MISSING' });
    expect([...a.marks, ...b.marks]).toEqual([]);
    for (const kind of ['cert-rotation', 'cert-expiry']) expect(FAULTS.get(kind)?.needs).toEqual(['tls']);
  });

  it("cert-expiry-master: the master's certificate, healed only after the failover, its loss from the old master accepted", async () => {
    const [sc] = await resolveScenarios(['cert-expiry-master']);
    expect(sc!.fault).toMatchObject({ kind: 'cert-expiry', target: 'master', dropLinks: true });
    expect(sc!.expect).toMatchObject({ failover: true, acceptLossFromOldMaster: true, maxLostWrites: 0 });
    const plan = FAULTS.get('cert-expiry')!.plan(sc!.fault as never, {} as never);
    expect(plan).toMatchObject({ victim: 'the master', heal: expect.stringMatching(/^after the failover: a valid certificate/) });
    // The replica's stays the default.
    const [replica] = await resolveScenarios(['cert-expiry']);
    expect(FAULTS.get('cert-expiry')!.plan(replica!.fault as never, {} as never)).toMatchObject({ victim: 'the first replica' });
  });

  it('on kind / kube: Secret patches and sentinel restarts by container kill; skipped with the reason where containers cannot be killed', () => {
    for (const kind of ['cert-rotation', 'cert-expiry']) {
      expect(kubeFaultSupport({ kind }, 'chaos-mesh', 'kube', false).patches?.[0]).toMatch(/^Secret redis-tls: data\./);
      expect(kubeFaultSupport({ kind }, 'kind-node', 'kube', false).skip).toMatch(/by container kill/);
    }
  });
});

describe('certificates made with openssl', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sc-certs-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a certificate valid to the second (openssl ca -enddate), with the names of the one it replaces', async () => {
    const ca = await makeCa(dir, 'ca', 'unit CA');
    const first = await makeCert(dir, ca, { name: 'redis-0', dns: ['redis-0.redis-headless', 'localhost'], ips: ['127.0.0.1'] });
    const san = certInfo(readFileSync(first.cert, 'utf8')).subjectAltName;
    const subject = subjectFromSan('redis-0', san);
    expect(subject).toEqual({ name: 'redis-0', dns: ['redis-0.redis-headless', 'localhost'], ips: ['127.0.0.1'] });
    const notAfter = new Date(Math.ceil((Date.now() + 5000) / 1000) * 1000);
    const short = await makeCert(path.join(dir, 'short'), ca, subject, { notAfter });
    const info = certInfo(readFileSync(short.cert, 'utf8'));
    expect(info.validTo.getTime()).toBe(notAfter.getTime());
    expect(info.subjectAltName).toBe(san);
    expect(info.issuer).toBe('CN=unit CA');
    expect(statSync(short.key).mode & 0o777).toBe(0o600);
    // Signed by the CA: openssl verifies it (and no CA database is left beside it).
    expect(execFileSync('openssl', ['verify', '-CAfile', ca.cert, short.cert], { encoding: 'utf8' })).toMatch(/: OK/);
    expect(
      execFileSync('ls', [path.join(dir, 'short')], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .sort(),
    ).toEqual(['redis-0.crt', 'redis-0.key']);
  });

  it('signs with x509 -days, or with ca -enddate for an exact end', () => {
    const o = { csr: 'c.csr', ca: { cert: 'ca.crt', key: 'ca.key' }, ext: 'e.ext', out: 'o.crt', serial: '0x1', dbDir: '/db' };
    expect(signArgs(o).slice(0, 2)).toEqual(['x509', '-req']);
    expect(signArgs(o)).toContain('-days');
    const exact = signArgs({ ...o, notAfter: new Date('2026-12-06T22:19:56Z') });
    expect(exact.slice(0, 2)).toEqual(['ca', '-batch']);
    expect(exact[exact.indexOf('-enddate') + 1]).toBe('20261206221956Z');
    expect(opensslTime(new Date('2027-01-02T03:04:05.678Z'))).toBe('20270102030405Z');
  });

  it('splits a bundle into its certificates', async () => {
    const a = readFileSync((await makeCa(path.join(dir, 'a'), 'ca', 'A')).cert, 'utf8');
    const b = readFileSync((await makeCa(path.join(dir, 'b'), 'ca', 'B')).cert, 'utf8');
    expect(pemCerts(`${a}${b}`).map((p) => certInfo(p).subject)).toEqual(['CN=A', 'CN=B']);
  });

  it('the TLS Secret: files replaced whole, keys 0600, names checked; the harness presents new material from its next handshake', async () => {
    const secretDir = path.join(dir, 'secret');
    const clientDir = path.join(dir, 'clients');
    execFileSync('mkdir', ['-p', secretDir, clientDir]);
    const harness = { cert: path.join(clientDir, 'harness.crt'), key: path.join(clientDir, 'harness.key') };
    const undo = setClientSecurity({ tls: { ca: 'OLD CA', cert: 'OLD CERT', key: 'OLD KEY' }, username: 'admin' });
    try {
      const opts = tlsOptions()!;
      const control = tlsControl(secretDir, dir, { harness }, { cert: 'ca.crt', key: 'ca.key' });
      await control.writeSecretFiles({ 'ca.crt': 'NEW CA', 'redis-0.key': 'k' });
      expect(readFileSync(path.join(secretDir, 'ca.crt'), 'utf8')).toBe('NEW CA');
      expect(statSync(path.join(secretDir, 'redis-0.key')).mode & 0o777).toBe(0o600);
      expect(execFileSync('ls', [secretDir], { encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['ca.crt', 'redis-0.key']);
      await expect(control.writeSecretFiles({ '../escape': 'x' })).rejects.toThrow(/not a file name of the TLS Secret/);
      await control.setClientMaterial({ ca: 'BUNDLE', clients: { harness: { cert: 'NEW CERT', key: 'NEW KEY' } } });
      expect(readFileSync(harness.cert, 'utf8')).toBe('NEW CERT');
      expect(statSync(harness.key).mode & 0o777).toBe(0o600);
      // What ioredis does at each connection: copy the options; the copy made now has the new material.
      expect(Object.assign({}, opts)).toEqual({ ca: 'BUNDLE', cert: 'NEW CERT', key: 'NEW KEY' });
      updateClientTls({ ca: 'NEW ONLY' });
      expect(Object.assign({}, opts).ca).toBe('NEW ONLY');
    } finally {
      undo();
    }
  });
});
