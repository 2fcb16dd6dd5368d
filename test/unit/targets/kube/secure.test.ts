// The secure profile on kind / kube, against the recording fake (no cluster): the Secrets the run makes with their
// generated material (real openssl), an existing Secret read and never overwritten, the rotations' Secret patches in
// order, each waited for until the kubelet's copy in every pod has it, rollbacks, the cleanup, and no secret in any
// recorded call or log line.
import { X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dryRunText } from '../../../../src/cli/kube-options.ts';
import { createClock } from '../../../../src/clock.ts';
import { deploymentOf, manifestObjectsOf, type DeploymentModel, type ManifestObject } from '../../../../src/config/manifests.ts';
import { monitoringManifestFiles } from '../../../../src/config/monitoring.ts';
import { loadProfiledDeployment, renderProfileFiles } from '../../../../src/config/profiles.ts';
import { readManifestFiles } from '../../../../src/config/scale.ts';
import { EXPORTER_USER } from '../../../../src/config/secure.ts';
import { rollBackAcl, runAclRotation, emptyAclProgress, redisAclOps, rotateAcl, type AclRotationOps } from '../../../../src/faults/acl-rotation.ts';
import { expireCertificate } from '../../../../src/faults/cert-expiry.ts';
import { certRotationOps, runCertRotation, type CertOps, type RotationState } from '../../../../src/faults/cert-rotation.ts';
import { certRotationPlan, type CertStep } from '../../../../src/faults/cert-plan.ts';
import type { FaultContext } from '../../../../src/faults/fault.ts';
import { kubeFaultSupport } from '../../../../src/faults/kube-support.ts';
import { runInterruptCleanups } from '../../../../src/process/interrupt.ts';
import { clientSecurity } from '../../../../src/redis/security.ts';
import { RUN_DEFAULTS } from '../../../../src/runner/run.ts';
import { startKubeDeployment } from '../../../../src/targets/kube/kube-target.ts';
import { kubeScale } from '../../../../src/targets/kube/scale.ts';
import { prepareKubeSecurity, waitMounted, type KubeSecurity } from '../../../../src/targets/kube/secure.ts';
import type { Pod, StartedDeployment } from '../../../../src/targets/target.ts';
import { certInfo, makeCa } from '../../../../src/targets/tls-certs.ts';
import { resolveScenarios } from '../../../../src/runner/scenario.ts';
import { FakeKube } from '../../../support/kube-fake.ts';

const model: DeploymentModel = await loadProfiledDeployment(RUN_DEFAULTS.manifestsDir, 'secure');
const TLS = model.security!.tls!;
const ACL = model.security!.acl!;
const MOUNTS = { [TLS.mountPath]: TLS.secret, [ACL.mountPath]: ACL.secret };
const USERS = Object.keys(model.secretData[ACL.secret]!);

const open: KubeSecurity[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close(false);
  vi.restoreAllMocks();
});

const fake = (o: Partial<ConstructorParameters<typeof FakeKube>[0]> = {}) => new FakeKube({ pods: model.podNames, secretMounts: MOUNTS, ...o });

async function prepared(api: FakeKube, o: { refreshTimeoutMs?: number; pods?: () => string[] } = {}) {
  const logs: string[] = [];
  const sec = (await prepareKubeSecurity({ api, model, pods: o.pods ?? (() => model.podNames), log: (l) => logs.push(l), pollMs: 1, ...o }))!;
  open.push(sec);
  return { sec, logs };
}

/** Every secret the material holds: the passwords and the keys' PEM (and their base64 body). */
function secretsOf(api: FakeKube): string[] {
  const acl = Object.values(api.secretData(ACL.secret));
  const keys = Object.entries(api.secretData(TLS.secret))
    .filter(([k]) => k.endsWith('.key'))
    .map(([, v]) => v);
  return [...acl, ...keys, ...keys.map((k) => k.split('\n')[1]!)];
}

const tmpDirs = async () => (await readdir(os.tmpdir())).filter((n) => n.startsWith('sentinel-chaos-kube-'));

// A private TMPDIR (os.tmpdir() reads it at each call): other runs on the machine make and remove the same dirs in /tmp.
const realTmp = process.env.TMPDIR;
const ownTmp = mkdtempSync(path.join(os.tmpdir(), 'sc-kube-secure-test-'));
beforeAll(() => {
  process.env.TMPDIR = ownTmp;
});
afterAll(() => {
  if (realTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = realTmp;
  rmSync(ownTmp, { recursive: true, force: true });
});

/** Start on the fake, which never converges (no pods run): the Secrets are made and applied first. What was logged. */
async function startUnconverged(model: Parameters<typeof startKubeDeployment>[0]['model'], api: FakeKube): Promise<string> {
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const failed = await startKubeDeployment({
    model,
    api,
    nodeShell: null,
    target: 'kind',
    subnet: 252,
    applyExisting: true,
    keep: false,
    convergeTimeoutMs: 200,
  }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  const logged = err.mock.calls.map((c) => String(c[0])).join('');
  err.mockRestore();
  expect(failed?.message).toMatch(/converge/);
  return logged;
}

describe('kind / kube, --profile secure: the Secrets the run makes', () => {
  it('fills every placeholder (a password per ACL user, the CA and each pod certificate with its names), applies them, deletes them after; no secret in any call or log line', async () => {
    const api = fake();
    const before = await tmpDirs();
    const logged = await startUnconverged(model, api);
    // The ACL Secret: every user of the manifest, each password generated (no placeholder left), all different.
    const acl = api.secretData(ACL.secret);
    expect(Object.keys(acl).sort()).toEqual([...USERS].sort());
    for (const pw of Object.values(acl)) expect(pw).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(new Set(Object.values(acl)).size).toBe(USERS.length);
    // The TLS Secret: the CA and, per pod, a certificate of that CA naming the pod's DNS names and the Services, and its key.
    const tls = api.secretData(TLS.secret);
    expect(Object.keys(tls).sort()).toEqual(['ca.crt', ...model.podNames.flatMap((p) => [`${p}.crt`, `${p}.key`])].sort());
    const ca = new X509Certificate(tls['ca.crt']!);
    for (const p of model.podNames) {
      const c = new X509Certificate(tls[`${p}.crt`]!);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.subjectAltName).toContain(`DNS:${p}.${model.headlessService}.${model.namespace}.svc.cluster.local`);
      expect(c.subjectAltName).toContain(`DNS:redis.${model.namespace}.svc.cluster.local`);
      expect(tls[`${p}.key`]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
    // Applied (server-side, as the harness's field manager), then deleted with the rest on the failed start.
    expect(api.calls).toContain(`apply Secret/${TLS.secret} manager=sentinel-chaos`);
    expect(api.calls).toContain(`apply Secret/${ACL.secret} manager=sentinel-chaos`);
    expect(api.calls).toContain(`delete Secret/${TLS.secret}`);
    expect(api.calls).toContain(`delete Secret/${ACL.secret}`);
    // Nothing secret recorded or printed; the harness's login undone; the run's private directory (the CA key) gone.
    const journal = `${api.calls.join('\n')}\n${logged}`;
    expect(journal).not.toMatch(/PRIVATE KEY/);
    for (const s of secretsOf(api)) expect(journal).not.toContain(s);
    expect(clientSecurity().tls).toBeNull();
    expect(await tmpDirs()).toEqual(before);
  });

  it("render --profile secure --monitoring on kube: the exporter's password generated into the ACL Secret; its sidecar logs in as exporter with that key only", async () => {
    const dir = RUN_DEFAULTS.manifestsDir;
    const files = monitoringManifestFiles(await renderProfileFiles(dir, await readManifestFiles(dir), 'secure'));
    const monitored = deploymentOf(manifestObjectsOf(files, dir), dir);
    const api = fake();
    const applied: ManifestObject[] = [];
    const apply = api.apply.bind(api);
    vi.spyOn(api, 'apply').mockImplementation(async (o, m) => {
      applied.push(o);
      return apply(o, m);
    });
    const logged = await startUnconverged(monitored, api);
    const acl = api.secretData(ACL.secret);
    expect(acl[EXPORTER_USER]).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(Object.values(acl).filter((v) => v === acl[EXPORTER_USER])).toHaveLength(1);
    type Container = {
      name: string;
      env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
      volumeMounts: Array<{ name: string; mountPath: string }>;
    };
    const pod = (
      applied.find((o) => o.kind === 'StatefulSet')!.spec as {
        template: { spec: { containers: Container[]; volumes: Array<{ name: string; secret?: unknown }> } };
      }
    ).template.spec;
    const exporter = pod.containers.find((c) => c.name === 'redis-exporter')!;
    expect(exporter.env).toContainEqual({ name: 'REDIS_USER', value: EXPORTER_USER });
    expect(exporter.env).toContainEqual({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: ACL.secret, key: EXPORTER_USER } } });
    const mount = exporter.volumeMounts.find((m) => m.mountPath === ACL.mountPath)!;
    expect(pod.volumes.find((v) => v.name === mount.name)?.secret).toMatchObject({
      secretName: ACL.secret,
      items: [{ key: EXPORTER_USER, path: EXPORTER_USER }],
    });
    expect(`${api.calls.join('\n')}\n${logged}`).not.toContain(acl[EXPORTER_USER]);
  });

  it('the harness logs in over TLS with its client certificate of the run CA, as admin; describe names paths only; close undoes it', async () => {
    const api = fake();
    const { sec } = await prepared(api);
    expect([sec.tlsOrigin, sec.aclOrigin]).toEqual(['generated', 'generated']);
    sec.login();
    const s = clientSecurity();
    expect(s.username).toBe('admin');
    const ca = new X509Certificate(s.tls!.ca);
    expect(new X509Certificate(s.tls!.cert).verify(ca.publicKey)).toBe(true);
    expect(s.tls!.key).toMatch(/PRIVATE KEY/);
    // The applications' clients (drivers, acl-rotation's writers) get their own certificates as files, keys 0600.
    for (const c of ['harness', 'synapse', 'livekit', 'django']) {
      const f = sec.credentials.tls!.clients[c]!;
      expect(certInfo(await readFile(f.cert, 'utf8')).subject).toContain(`CN=${c}`);
      expect((await stat(f.key)).mode & 0o777).toBe(0o600);
    }
    const facts = JSON.stringify(sec.describe());
    expect(facts).toContain('made by this run');
    expect(facts).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    for (const pw of Object.values(sec.credentials.acl)) expect(facts).not.toContain(pw);
    await sec.close(false);
    expect(clientSecurity().tls).toBeNull();
    await expect(stat(path.dirname(sec.credentials.tls!.ca))).rejects.toThrow();
  });
});

describe('kind / kube, --profile secure: an interrupt before the deployment is up', () => {
  it("takes the run's private directory (the CA's key) away; with --keep it stays", async () => {
    const { sec } = await prepared(fake());
    const dir = path.dirname(path.dirname(sec.credentials.tls!.clients.harness!.key));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    await runInterruptCleanups(5000);
    await expect(stat(dir)).rejects.toThrow();
    const kept = (await prepareKubeSecurity({ api: fake(), model, pods: () => model.podNames, log: () => {}, keepFiles: true }))!;
    const keptDir = path.dirname(path.dirname(kept.credentials.tls!.clients.harness!.key));
    await runInterruptCleanups(5000);
    expect((await stat(keptDir)).isDirectory()).toBe(true);
    await kept.close(false);
    await expect(stat(keptDir)).rejects.toThrow();
  });
});

describe('kind / kube, --profile secure: Secrets already in the cluster', () => {
  async function operatorSecrets(api: FakeKube) {
    const dir = path.join(os.tmpdir(), `sc-op-${process.pid}-${Date.now()}`);
    const ca = await makeCa(dir, 'ca', 'operator CA');
    const { makeCert } = await import('../../../../src/targets/tls-certs.ts');
    const pod0 = await makeCert(dir, ca, { name: 'redis-0', dns: ['redis-0.redis-headless'] });
    Object.assign(api.secretData(TLS.secret), {
      'ca.crt': await readFile(ca.cert, 'utf8'),
      'redis-0.crt': await readFile(pod0.cert, 'utf8'),
      'redis-0.key': await readFile(pod0.key, 'utf8'),
    });
    for (const u of USERS) api.secretData(ACL.secret)[u] = `operator-password-of-${u}`;
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  }

  it('reads the material, never applies, patches or deletes them (kind --reuse applies the rest); rotations are skipped with the reason', async () => {
    const api = fake({ existing: [`Secret/${TLS.secret}`, `Secret/${ACL.secret}`] });
    await operatorSecrets(api);
    const mine = () => JSON.stringify([api.secretData(TLS.secret), api.secretData(ACL.secret)]);
    const before = mine();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await startKubeDeployment({ model, api, nodeShell: null, target: 'kind', subnet: 252, applyExisting: true, keep: false, convergeTimeoutMs: 200 }).catch(
      () => {},
    );
    const logged = err.mock.calls.map((c) => String(c[0])).join('');
    err.mockRestore();
    expect(api.calls.filter((c) => c.includes(`Secret/${TLS.secret}`) || c.includes(`Secret/${ACL.secret}`) || c.startsWith('patch secret'))).toEqual([]);
    expect(api.calls).toContain('apply StatefulSet/redis manager=sentinel-chaos');
    expect(mine()).toBe(before);
    expect(logged).toContain(`Secret/${TLS.secret} exists: its certificates are read from it, never changed`);
    expect(logged).not.toContain('operator-password-of-');

    const { sec } = await prepared(api);
    expect([sec.tlsOrigin, sec.aclOrigin]).toEqual(['existing', 'existing']);
    expect(sec.credentials.acl.synapse).toBe('operator-password-of-synapse');
    // No client certificate of its own in the Secret: the first pod's (pods' certificates serve as client ones too).
    expect(await readFile(sec.credentials.tls!.clients.harness!.cert, 'utf8')).toBe(api.secretData(TLS.secret)['redis-0.crt']);
    expect(sec.tls).toBeNull();
    expect(sec.credentials.setAclPassword).toBeUndefined();
    const d = { target: 'kube', model, pods: [], credentials: sec.credentials } as unknown as StartedDeployment;
    const ctx = { deployment: d, mark: () => expect.unreachable('nothing may be marked') } as unknown as FaultContext;
    await expect(rotateAcl(ctx, { users: ['synapse'], then: 'none' }, { restart: true })).rejects.toMatchObject({
      code: 'ABILITY_MISSING',
      message: expect.stringMatching(/was in the cluster before the run .* never changes it/),
    });
    // A scale-out needs the new pod's certificate in the operator's Secret: skipped with the reason, not added.
    await expect(sec.preparePods(['redis-3'])).rejects.toMatchObject({ code: 'ABILITY_MISSING', message: expect.stringContaining('add redis-3.crt') });
    expect(api.calls.filter((c) => c.startsWith('patch secret'))).toEqual([]);
  });

  it('an existing Secret missing a key: exit 2 naming the Secret, the key and the fix', async () => {
    const api = fake({ existing: [`Secret/${ACL.secret}`] });
    api.secretData(ACL.secret).synapse = 'only-this-one';
    await expect(prepareKubeSecurity({ api, model, pods: () => model.podNames, log: () => {} })).rejects.toMatchObject({
      code: 'TARGET_UNAVAILABLE',
      message: expect.stringMatching(/Secret matrix\/redis-acl exists in the cluster but has no key \w+ .*kubectl -n matrix edit secret redis-acl/),
    });
  });
});

describe('kind / kube, --profile secure: rotations through the Secret', () => {
  /** A secure deployment as the fake has it after the apply. */
  async function applied(o: { refreshAfterExecs?: number; refreshTimeoutMs?: number } = {}) {
    const api = fake({ refreshAfterExecs: o.refreshAfterExecs ?? 2 });
    const r = await prepared(api, o.refreshTimeoutMs ? { refreshTimeoutMs: o.refreshTimeoutMs } : {});
    for (const obj of r.sec.fill(model.objects)) if (obj.kind === 'Secret') await api.apply(obj, 'sentinel-chaos');
    api.calls.length = 0;
    return { api, ...r };
  }
  const execsIn = (api: FakeKube, pod: string) => api.calls.filter((c) => c.startsWith(`exec ${pod}/redis sha256sum`)).length;

  it('an ACL password: one Secret patch, then waits until the kubelet refreshed the file in every pod (sha256sum through exec)', async () => {
    const { api, sec, logs } = await applied({ refreshAfterExecs: 2 });
    await sec.credentials.setAclPassword!('synapse', 'the-new-synapse-password-0123456789');
    expect(api.calls[0]).toBe(`patch secret ${ACL.secret} keys=synapse`);
    // Two stale answers, then the new hash: three reads per pod.
    for (const p of model.podNames) expect(execsIn(api, p)).toBe(3);
    expect(api.calls[1]).toBe(`exec redis-0/redis sha256sum -- ${ACL.mountPath}/synapse`);
    expect(sec.credentials.acl.synapse).toBe('the-new-synapse-password-0123456789');
    expect(logs.at(-1)).toMatch(/^Secret redis-acl \(synapse\) patched; the kubelet refreshed it in 3 pods after \d+ ms$/);
    expect([...api.calls, ...logs].join('\n')).not.toContain('the-new-synapse-password');
  });

  it('a refresh that never comes: TIMEOUT naming the pods still stale; the Secret keeps the patch (the rollback writes the old one back)', async () => {
    const { api, sec } = await applied({ refreshAfterExecs: Infinity, refreshTimeoutMs: 30 });
    await expect(sec.credentials.setAclPassword!('django', 'another-new-password-0123456789')).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: expect.stringMatching(/Secret matrix\/redis-acl \(django\) not refreshed in the mounted files of redis-0, redis-1, redis-2 within 30 ms/),
    });
    expect(api.secretData(ACL.secret).django).toBe('another-new-password-0123456789');
  });

  it('acl-rotation on kube: the Secret patches between "added beside" and "removed", in order; a failure rolls the Secret back to the old passwords', async () => {
    const { api, sec } = await applied({ refreshAfterExecs: 0 });
    const old = { ...api.secretData(ACL.secret) };
    const pods = model.podNames.map(
      (name, i) => ({ name, ordinal: i, node: 'n', redis: { host: name, port: 6379 }, sentinel: { host: name, port: 26379 } }) as Pod,
    );
    const d = { target: 'kube', model, pods, credentials: sec.credentials } as unknown as StartedDeployment;
    const real = redisAclOps(d, null);
    const order: string[] = [];
    const ops = (failSentinel: boolean): AclRotationOps => ({
      addPassword: async (p, u) => void order.push(`add ${u}@${p.name}`),
      removePassword: async (p, u) => void order.push(`remove ${u}@${p.name}`),
      setSecret: async (u, pw) => {
        order.push(`secret ${u}`);
        await real.setSecret(u, pw);
      },
      setMasterauth: async (p) => void order.push(`masterauth@${p.name}`),
      setSentinelAuth: async (p) => {
        if (failSentinel && p.name === 'redis-1') throw new Error('no answer');
        order.push(`sentinel@${p.name}`);
      },
      switchClients: async () => 10,
    });
    const rotations = [
      { user: 'replication' as const, oldPw: old.replication!, newPw: 'replication-new-0123456789abcdef' },
      { user: 'sentinel' as const, oldPw: old.sentinel!, newPw: 'sentinel-new-0123456789abcdef' },
    ];
    await runAclRotation(pods, rotations, ops(false), () => {}, emptyAclProgress());
    expect(api.calls.filter((c) => c.startsWith('patch secret'))).toEqual([
      `patch secret ${ACL.secret} keys=replication`,
      `patch secret ${ACL.secret} keys=sentinel`,
    ]);
    const firstPatch = api.calls.findIndex((c) => c.startsWith('patch secret'));
    expect(api.calls.slice(firstPatch + 1, firstPatch + 4)).toEqual(model.podNames.map((p) => `exec ${p}/redis sha256sum -- ${ACL.mountPath}/replication`));
    expect(order.lastIndexOf('add sentinel@redis-2')).toBeLessThan(order.indexOf('secret replication'));
    expect(order.indexOf('secret sentinel')).toBeLessThan(order.indexOf('masterauth@redis-0'));
    expect(order.indexOf('sentinel@redis-2')).toBeLessThan(order.indexOf('remove replication@redis-0'));
    expect(api.secretData(ACL.secret).replication).toBe('replication-new-0123456789abcdef');

    // Again from the old passwords, failing at the sentinels: the Secret is patched back, every pod's file waited for.
    Object.assign(api.secretData(ACL.secret), old);
    api.calls.length = 0;
    const progress = emptyAclProgress();
    await expect(runAclRotation(pods, rotations, ops(true), () => {}, progress)).rejects.toThrow(/redis-1: no answer/);
    const problems = await rollBackAcl(pods, rotations, progress, ops(true), () => {});
    // redis-1's SENTINEL SET never took the new password, so its failing again is no problem; the Secret is back on the old passwords.
    expect(problems).toEqual([]);
    expect(api.secretData(ACL.secret).replication).toBe(old.replication);
    expect(api.secretData(ACL.secret).sentinel).toBe(old.sentinel);
    expect(api.calls.filter((c) => c.startsWith('patch secret'))).toEqual([
      `patch secret ${ACL.secret} keys=replication`,
      `patch secret ${ACL.secret} keys=sentinel`,
      `patch secret ${ACL.secret} keys=replication`,
      `patch secret ${ACL.secret} keys=sentinel`,
    ]);
  });

  it('cert-rotation on kube: ca.crt (both), each pod key + certificate of the new CA (replicas first), ca.crt (new only); each patch waited for in every pod', async () => {
    const { api, sec } = await applied({ refreshAfterExecs: 1 });
    const tls = sec.tls!;
    expect(tls.deliveryMs).toBe(180_000);
    const dir = path.join(tls.workDir, 'rotation-unit');
    const newCa = await makeCa(dir, 'ca', 'unit rotated CA');
    const st: RotationState = {
      dir,
      oldCa: await tls.readSecretFile('ca.crt'),
      newCa: { ...newCa, pem: await readFile(newCa.cert, 'utf8'), cn: 'unit rotated CA' },
      fingerprints: new Map(),
      oldHarness: null,
      sentinelRestartsMs: [],
    };
    const order = ['redis-1', 'redis-2', 'redis-0'];
    const real = certRotationOps({} as StartedDeployment, tls, st);
    const steps: string[] = [];
    const ops = new Proxy({} as CertOps, {
      get: (_t, op: CertStep['op']) => async (s: CertStep) => {
        steps.push(op);
        // The secret and client steps are the real ones; redis and the sentinels are not in the fake.
        if (op === 'secret-ca' || op === 'pod-cert' || op === 'client-certs' || op === 'clients-trust') await (real[op] as (x: CertStep) => Promise<void>)(s);
      },
    });
    await runCertRotation(certRotationPlan(order), ops, () => {});
    expect(api.calls.filter((c) => c.startsWith('patch secret'))).toEqual([
      `patch secret ${TLS.secret} keys=ca.crt`,
      ...order.map((p) => `patch secret ${TLS.secret} keys=${p}.key,${p}.crt`),
      `patch secret ${TLS.secret} keys=ca.crt`,
    ]);
    // After each patch, every pod read the files until it had the new ones (one stale answer, then the new: 2 each).
    for (const p of model.podNames) expect(execsIn(api, p)).toBe(5 * 2);
    // Each patch is waited for before the next step runs.
    const patchAt = api.calls.findIndex((c) => c === `patch secret ${TLS.secret} keys=redis-1.key,redis-1.crt`);
    expect(api.calls.slice(patchAt + 1, patchAt + 7).every((c) => c.includes(`sha256sum -- ${TLS.mountPath}/redis-1.key ${TLS.mountPath}/redis-1.crt`))).toBe(
      true,
    );
    // The Secret ends on the new CA only, every pod certificate of it with its names kept.
    const data = api.secretData(TLS.secret);
    const ca = new X509Certificate(data['ca.crt']!);
    expect(ca.subject).toContain('unit rotated CA');
    for (const p of model.podNames) {
      const c = new X509Certificate(data[`${p}.crt`]!);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.subjectAltName).toContain(`DNS:${p}.${model.headlessService}`);
    }
    // The harness's client files follow (the applications' too), the new CA's key never left the run's directory.
    expect(certInfo(await readFile(sec.credentials.tls!.clients.synapse!.cert, 'utf8')).issuer).toContain('unit rotated CA');
    const journal = api.calls.join('\n');
    expect(journal).not.toMatch(/PRIVATE KEY/);
    for (const s of secretsOf(api)) expect(journal).not.toContain(s);
  });

  it('cert-expiry on kube: the short certificate is issued valid validForMs plus the refresh bound, and written (waited for) before redis is asked to load it', async () => {
    const { api, sec } = await applied({ refreshAfterExecs: 0 });
    const pods = model.podNames.map(
      (name, i) => ({ name, ordinal: i, node: 'n', redis: { host: '127.0.0.1', port: 1 }, sentinel: { host: '127.0.0.1', port: 1 } }) as Pod,
    );
    const d = { target: 'kube', model, pods, password: 'admin-pw-unit', tls: sec.tls, credentials: sec.credentials } as unknown as StartedDeployment;
    const ctx = { deployment: d, topology: { master: pods[0], replicas: [pods[1], pods[2]] }, mark: () => {}, clock: createClock() } as unknown as FaultContext;
    const t0 = Date.now();
    // Nothing listens behind the pods here: the fault stops at redis's CONFIG SET, after the Secret step.
    await expect(expireCertificate(ctx, { validForMs: 6000, dropLinks: true, observeMs: 1000 })).rejects.toThrow();
    expect(api.calls.filter((c) => c.startsWith('patch secret'))).toEqual([`patch secret ${TLS.secret} keys=redis-1.key,redis-1.crt`]);
    expect(api.calls.filter((c) => c.includes('sha256sum')).length).toBe(3);
    const validTo = certInfo(api.secretData(TLS.secret)['redis-1.crt']!).validTo.getTime();
    expect(validTo - t0).toBeGreaterThanOrEqual(6000 + 180_000 - 1000);
    expect(validTo - t0).toBeLessThanOrEqual(6000 + 180_000 + 2000);
  });

  it('scale-out: the new pods’ certificates (the run CA’s) go into the Secret before the StatefulSet is scaled', async () => {
    const { api, sec } = await applied();
    const pods = model.podNames.map(
      (name, i) => ({ name, ordinal: i, node: 'n', redis: { host: name, port: 6379 }, sentinel: { host: name, port: 26379 } }) as Pod,
    );
    const scale = kubeScale({
      api,
      model,
      pods,
      add: async (i, name) => ({ ...pods[0]!, name, ordinal: i }),
      remove: async () => {},
      preparePods: (names) => sec.preparePods(names),
      pollMs: 1,
      readyTimeoutMs: 1000,
    });
    await scale.scaleUp(5);
    const patch = api.calls.indexOf(`patch secret ${TLS.secret} keys=redis-3.crt,redis-3.key,redis-4.crt,redis-4.key`);
    expect(patch).toBeGreaterThanOrEqual(0);
    expect(patch).toBeLessThan(api.calls.indexOf('scale statefulset redis replicas=5'));
    const ca = new X509Certificate(api.secretData(TLS.secret)['ca.crt']!);
    expect(new X509Certificate(api.secretData(TLS.secret)['redis-4.crt']!).verify(ca.publicKey)).toBe(true);
  });

  it('waitMounted compares hashes only, file by file, and ignores a failing exec (the pod restarting) until the bound', async () => {
    const api = fake({ refreshAfterExecs: 0 });
    api.secretData(TLS.secret)['ca.crt'] = 'x';
    let failures = 2;
    const exec = api.exec.bind(api);
    api.exec = async (...a: Parameters<FakeKube['exec']>) =>
      a[1] === 'redis-2' && failures-- > 0 ? Promise.reject(new Error('container not running')) : exec(...a);
    const ms = await waitMounted({ api, model, pods: () => model.podNames, timeoutMs: 5000, pollMs: 1 }, TLS.secret, TLS.mountPath, { 'ca.crt': 'x' });
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(api.calls.filter((c) => c.startsWith('exec redis-2/')).length).toBe(1);
  });
});

describe('kind / kube --dry-run: the secure profile’s rotations with their patches', () => {
  it('acl-rotation, cert-rotation and cert-expiry are listed with their Secret patches; without a node shell or Chaos Mesh the sentinel restarts skip', async () => {
    for (const kind of ['cert-rotation', 'cert-expiry']) {
      expect(kubeFaultSupport({ kind }, 'kind-node', 'kube', false).skip).toMatch(/restarts the sentinels .* by container kill/);
      const cm = kubeFaultSupport({ kind }, 'chaos-mesh', 'kube', false);
      expect(cm.skip).toBeNull();
      expect(cm.objects[0]).toMatch(/^PodChaos .*container-kill, containerNames \[sentinel\]/);
      expect(kubeFaultSupport({ kind }, 'kind-node', 'kind', true).via).toMatch(/kill -KILL from the kind node/);
    }
    expect(kubeFaultSupport({ kind: 'cert-rotation' }, 'chaos-mesh', 'kube', false).patches).toEqual([
      'Secret redis-tls: data.ca.crt = old CA + new CA',
      expect.stringMatching(/^Secret redis-tls: data.<pod>.key, data.<pod>.crt = a certificate of the new CA/),
      'Secret redis-tls: data.ca.crt = the new CA only',
      expect.stringMatching(/kill-master/),
    ]);
    const acl = kubeFaultSupport({ kind: 'acl-rotation' }, 'kind-node', 'kube', false);
    expect(acl.skip).toBeNull();
    expect(acl.patches?.[0]).toMatch(/^Secret redis-acl: data.<user> = the new password/);
    const scenarios = (await resolveScenarios(['acl-rotation', 'cert-rotation', 'cert-expiry'])) as Parameters<typeof dryRunText>[2];
    const text = dryRunText('kube', { context: 'kind-x', allowContext: [], kindConfig: 'kind-config.yaml', faultBackend: 'chaos-mesh' }, scenarios, 1);
    for (const s of ['acl-rotation', 'cert-rotation', 'cert-expiry']) expect(text).toContain(`${s} (`);
    expect(text).toContain('    patches Secret redis-tls: data.ca.crt = old CA + new CA');
    expect(text).toContain('    patches Secret redis-acl: data.<user> = the new password');
  });
});
