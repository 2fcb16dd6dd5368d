// The secure profile on real processes (subnets 180-181): a secure deployment passes every static and live
// check of the security group, every real-client driver (as its application's ACL user) and the pub/sub
// subscriber write / subscribe through TLS, each application's ACL is enough for its clients (the app-paths group's ACL
// check; a weakened copy of livekit's without INFO fails it), the exporter sidecars (--monitoring) log in as their own ACL
// user with nothing refused (the monitoring group's ACL check; without LATENCY LATEST it fails), a pod added by scale-out starts with a certificate of the run's CA
// naming it, the CA is rotated during writes (the cert-rotation scenario: no failed write, every port on the new
// certificate, then a failover on it) and the live checks pass again, and no key or password is left in its logs
// or in what the trial recorded; each live probe, aimed at a
// deliberately weakened redis-server (plaintext port open, client certificates not asked for, the default user
// on, an application user with FLUSHALL, an exporter user reading keys and CONFIG, a certificate without the pod's names), reports it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMonitoring, EXPORTERS } from '../../src/config/monitoring.ts';
import { loadProfiledDeployment } from '../../src/config/profiles.ts';
import { APP_USERS, EXPORTER_USER, type AppName } from '../../src/config/secure.ts';
import { exporterAclCheck, exporterLogin } from '../../src/conformance/monitoring.ts';
import { securityChecks } from '../../src/conformance/security.ts';
import {
  appUserProbe,
  defaultUserProbe,
  exporterUserProbe,
  foreignCertProbe,
  plaintextProbe,
  readPem,
  servedNames,
} from '../../src/conformance/security/live-checks.ts';
import type { ConformanceCheck } from '../../src/model/conformance.ts';
import { createClock } from '../../src/clock.ts';
import { withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { resolveScenarios } from '../../src/runner/scenario.ts';
import { runTrial, type TrialOutcome } from '../../src/runner/trial.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { StartedDeployment } from '../../src/targets/target.ts';
import { makeCa, makeCert, podDnsNames } from '../../src/targets/tls-certs.ts';
import { startDriver, type StartedDriver } from '../../src/workload/drivers/driver.ts';
import type { DriverOp } from '../../src/workload/drivers/protocol.ts';
import { DRIVER_KINDS, driverUnavailable, SYSTEM_PYTHON } from '../../src/workload/drivers/registry.ts';
import { appDriverLogin } from '../../src/workload/registry.ts';
import { appLogins, driverLogin } from '../../src/workload/app-login.ts';
import { appAclChecks, readAclLogs, resetAclLogs } from '../../src/conformance/app-acl.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const OVERRIDES = { sentinel: { 'down-after-milliseconds': '1500' } };
const PUBSUB_DRIVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/workload/drivers/python/redis_py_pubsub.py');
// Synapse's: the subscriber logs in as synapse, whose channels are synapse:*.
const CHANNEL = 'synapse:secure-itest';
const APP_USER_NAMES = new Set<string>(Object.keys(APP_USERS));

/**
 * Every registered driver kind and the redis-py subscriber, each as its application's ACL user, 2.5 s against the
 * deployment (every node's ACL LOG emptied first): each one's operations, and the app-paths group's ACL checks on them.
 */
async function driveEveryClient(d: StartedDeployment): Promise<{ ops: Record<string, DriverOp[]>; environs: Record<string, string>; acl: ConformanceCheck[] }> {
  const clock = createClock();
  const base = {
    sentinels: d.pods.map((p) => p.sentinel),
    masterName: d.model.masterName,
    service: d.services!.endpoint('redis', d.model.redisPort),
    password: d.password,
    rateHz: 20,
    durationMs: 20_000,
    timeoutMs: 1000,
  };
  const kinds = Object.values(DRIVER_KINDS);
  for (const k of kinds) {
    const why = await driverUnavailable(k);
    if (why) throw new Error(`${k.kind}: ${why} (scripts/setup.sh installs it)`);
  }
  // Each as its application's ACL user, on its db and keys, with its client certificate (as a scenario's driver workload runs).
  const appLogin = appLogins(d)!;
  await resetAclLogs(d);
  const plans = kinds.map((k) => ({ k, ...appDriverLogin(k.kind, k.kind, k.app, k.secure, appLogin) }));
  const synapse = appLogin('synapse');
  const started = await Promise.allSettled([
    ...plans.map((login) =>
      startDriver(
        login.k,
        { ...base, password: login.password, db: login.db, keyPrefix: `${login.keyPrefix}${login.k.kind}`, login: driverLogin(login) },
        clock,
      ),
    ),
    startDriver(
      { kind: 'redis-py-pubsub', command: [SYSTEM_PYTHON, PUBSUB_DRIVER], env: { CHANNEL } },
      { ...base, password: synapse.password, login: driverLogin(synapse), db: 0, keyPrefix: 'sub' },
      clock,
    ),
  ]);
  const environs: Record<string, string> = {};
  const running = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = started.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    if (failed.length) throw new Error(`drivers did not start: ${failed.join('; ')}`);
    await sleep(2500);
    // What the running drivers were given (their password file, not the password): /proc/<pid>/environ.
    for (const r of running) environs[r.name] = `\0${readFileSync(`/proc/${r.pid}/environ`, 'latin1')}`;
    // The subscriber listens on the master; a PUBLISH on every pod reaches it on one of them.
    for (const p of d.pods) await withProbe(p.redis, { password: d.password }, (c) => c.publish(CHANNEL, 'hello-over-tls'));
    await sleep(300);
  } finally {
    await Promise.allSettled(running.map((r: StartedDriver) => r.stop()));
  }
  const ops = Object.fromEntries(running.map((r) => [r.name, r.allOps()]));
  const clients = [...plans.map(({ k, username, db }) => ({ name: k.kind, library: k.client, user: username as AppName, db, ops: ops[k.kind]! }))];
  clients.push({ name: 'redis-py-pubsub', library: 'redis-py', user: 'synapse', db: 0, ops: ops['redis-py-pubsub']! });
  return { ops, environs, acl: appAclChecks('app-paths', clients, await readAclLogs(d, d.pods, APP_USER_NAMES)) };
}

/** A weakened copy of livekit's ACL (no INFO, which ioredis's ready check asks on connect): ioredis as livekit for 1.5 s, then the ACL check. */
async function driveWithoutInfo(d: StartedDeployment): Promise<ConformanceCheck[]> {
  const setUser = (rule: string) =>
    Promise.all(d.pods.map((p) => withProbe(p.redis, { password: d.password }, (c) => c.call('ACL', 'SETUSER', 'livekit', rule))));
  const k = DRIVER_KINDS.ioredis!;
  const { username, tls, password, db, keyPrefix } = appDriverLogin(k.kind, k.kind, k.app, k.secure, appLogins(d)!);
  await setUser('-info');
  try {
    await resetAclLogs(d);
    const base = { sentinels: d.pods.map((p) => p.sentinel), masterName: d.model.masterName, rateHz: 20, durationMs: 10_000, timeoutMs: 1000 };
    const r = await startDriver(k, { ...base, password, db, keyPrefix: `${keyPrefix}weak`, login: { username, tls } }, createClock());
    await sleep(1500);
    await r.stop();
    const clients = [{ name: 'ioredis', library: 'ioredis', user: 'livekit' as const, db, ops: r.allOps() }];
    return appAclChecks('app-paths', clients, await readAclLogs(d, d.pods, APP_USER_NAMES));
  } finally {
    await setUser('+info');
  }
}

/** One scrape of every pod's redis exporter sidecar (the harness in Prometheus's place): each one's redis_up (retried while it starts listening). */
async function scrapeRedisExporters(d: StartedDeployment): Promise<string[]> {
  return Promise.all(
    d.pods.map(async (p) => {
      for (let i = 0; ; i++) {
        try {
          const text = await (await fetch(`http://${p.redis.host}:${EXPORTERS[0].port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
          return /^redis_up (\S+)$/m.exec(text)?.[1] ?? 'absent';
        } catch (e) {
          if (i >= 50) throw e;
          await sleep(200);
        }
      }
    }),
  );
}

/**
 * The exporter sidecars scraped as their own ACL user: the monitoring group's ACL check after one scrape each (with the
 * exporters' logs then), and again on a weakened copy of the user without LATENCY LATEST, which must fail it.
 */
async function scrapeAsExporter(d: StartedDeployment) {
  const setUser = (rule: string) =>
    Promise.all(d.pods.map((p) => withProbe(p.redis, { password: d.password }, (c) => c.call('ACL', 'SETUSER', EXPORTER_USER, rule))));
  const readCheck = async () => exporterAclCheck(await readAclLogs(d, d.pods, new Set([EXPORTER_USER])), exporterLogin(d));
  const up = await scrapeRedisExporters(d);
  const check = await readCheck();
  const logs = d.pods.map((p) => readFileSync(path.join(d.describe().run_dir!, 'pods', p.name, `${EXPORTERS[0].name}.log`), 'utf8')).join('');
  await setUser('-latency|latest');
  try {
    await scrapeRedisExporters(d);
    return { up, check, logs, weakened: await readCheck() };
  } finally {
    await setUser('+latency|latest');
  }
}

/** Scale to 4: the new pod's redis role and sentinel answer over TLS, and the names its certificate serves; then back to 3. */
async function scaleOutOnce(d: StartedDeployment, pem: Awaited<ReturnType<typeof readPem>>) {
  const [added] = await d.scale!.scaleUp(4);
  try {
    let role = '';
    for (let i = 0; i < 50 && role !== 'slave'; i++) {
      role = await withProbe(added!.redis, { password: d.password }, async (c) => String(((await c.call('ROLE')) as unknown[])[0])).catch(() => '');
      if (role !== 'slave') await sleep(200);
    }
    const sentinelPong = await withProbe(added!.sentinel, {}, (c) => c.ping());
    return { name: added!.name, role, sentinelPong, names: await servedNames(added!.redis, pem) };
  } finally {
    await d.scale!.scaleDown(3);
    // The operator's scale-in step (the scale-out fault does it too): sentinels that learnt redis-3 from the master's INFO
    // would keep its entry, down, forever, and the next trial's strict convergence would refuse it.
    await Promise.all(d.pods.map((p) => withProbe(p.sentinel, {}, (s) => s.call('SENTINEL', 'RESET', d.model.masterName))));
  }
}

/** Every file under `dir`, as text. */
function allText(dir: string): string {
  let out = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out += readFileSync(path.join(e.parentPath, e.name), 'latin1');
  return out;
}

describe('the secure profile on the local target', () => {
  let tmp: string;
  let stateDir: string;
  let checks: ConformanceCheck[] = [];
  let secrets: string[] = [];
  let logs = '';
  let keyFiles: string[] = [];
  let rotation: TrialOutcome | undefined;
  let checksAfter: ConformanceCheck[] = [];
  let recorded = '';
  let clientOps: Record<string, DriverOp[]> = {};
  let clientEnvirons: Record<string, string> = {};
  let aclPasswords: string[] = [];
  let aclChecks: ConformanceCheck[] = [];
  let weakenedAcl: ConformanceCheck[] = [];
  let scaled: Awaited<ReturnType<typeof scaleOutOnce>> | undefined;
  let exporter: Awaited<ReturnType<typeof scrapeAsExporter>> | undefined;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-security-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    // With the exporter sidecars (--monitoring): scraped once by the test, no Prometheus.
    const model = applyMonitoring(await loadProfiledDeployment(RUN_DEFAULTS.manifestsDir, 'secure'), true);
    let d: StartedDeployment | undefined;
    try {
      d = await startLocalDeployment({ model, runId: 'secure-itest', subnet: 180, overrides: OVERRIDES, logsDir: path.join(tmp, 'logs') });
      checks = await securityChecks({ model, deployment: d, overrides: OVERRIDES, convergeTimeoutMs: 30_000 });
      // After the security group's exporter probe: its deliberate refusals (named) must not count against the sidecars.
      exporter = await scrapeAsExporter(d);
      ({ ops: clientOps, environs: clientEnvirons, acl: aclChecks } = await driveEveryClient(d));
      aclPasswords = Object.values(d.credentials!.acl);
      weakenedAcl = await driveWithoutInfo(d);
      const harness = d.credentials!.tls!.clients.harness!;
      scaled = await scaleOutOnce(d, await readPem({ ca: d.credentials!.tls!.ca, ...harness }));
      const tls = d.credentials?.tls;
      keyFiles = tls ? Object.values(tls.clients).map((c) => c.key) : [];
      // Read while they exist: the private keys, to look for their content in the logs (before and after the rotation).
      const keyLines = () => keyFiles.map((k) => readFileSync(k, 'utf8').split('\n')[1]!);
      secrets = keyLines();
      const [scenario] = await resolveScenarios(['cert-rotation']);
      rotation = await runTrial({ deployment: d, scenario: scenario!, index: 1, clock: createClock(), runId: 'secure-itest', convergeTimeoutMs: 30_000 });
      checksAfter = await securityChecks({ model, deployment: d, overrides: OVERRIDES, convergeTimeoutMs: 30_000 });
      const secretDir = path.join(d.describe().run_dir!, 'secrets', 'redis-tls');
      const podKeys = readdirSync(secretDir).filter((f) => f.endsWith('.key'));
      secrets.push(
        ...keyLines(),
        ...podKeys.map((k) => readFileSync(path.join(secretDir, k), 'utf8').split('\n')[1]!),
        ...d.passwords,
        // The ACL users' (the exporter's, in its sidecar's environment, among them).
        ...Object.values(d.credentials!.acl),
      );
      recorded = JSON.stringify({ rotation, checks, checksAfter });
    } finally {
      await d?.down();
    }
    logs = allText(path.join(tmp, 'logs'));
  }, 180_000);

  afterAll(() => {
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('passes every static and live security check', () => {
    expect(checks.filter((c) => c.valid !== true)).toEqual([]);
    const live = checks.filter((c) => c.name.startsWith('live.')).map((c) => c.name.replace(/\.redis-\d/, '.<pod>'));
    expect(live.filter((n) => n.startsWith('live.plaintext-refused'))).toHaveLength(6);
    expect(live.filter((n) => n.startsWith('live.foreign-ca-refused'))).toHaveLength(6);
    expect(live.filter((n) => n.startsWith('live.cert-names'))).toHaveLength(3);
    expect(live.filter((n) => n.startsWith('live.default-user'))).toHaveLength(3);
    expect(live.filter((n) => n.startsWith('live.app-user')).sort()).toEqual(
      Object.keys(APP_USERS)
        .map((a) => `live.app-user.${a}`)
        .sort(),
    );
  });

  it('the exporter sidecars log in as exporter: every redis_up 1, no refusal in any ACL LOG or NOPERM in their logs; without LATENCY LATEST the check fails', () => {
    expect(checks.find((c) => c.name === 'live.exporter-user')).toMatchObject({ valid: true, observed: 'as expected' });
    expect(exporter!.up).toEqual(['1', '1', '1']);
    expect(exporter!.check).toMatchObject({ name: 'acl.exporter', valid: true, figures: { acl_log_entries: 0, acl_nodes_read: 3 } });
    expect(exporter!.logs).not.toMatch(/NOPERM/);
    expect(exporter!.weakened.valid).toBe(false);
    expect(exporter!.weakened.observed).toMatch(/refusals of exporter: redis-\d: command `latency\|latest`/);
  });

  it('rotates the CA during writes: no failed write, every port on its new certificate, then a failover on it; the live checks pass again', () => {
    const r = rotation!.result;
    const check = (name: string) => r.checks.find((c) => c.name === name);
    expect(r.message).toBeUndefined();
    expect(r.verdict).toBe('pass');
    expect(check('cert-rotated')?.valid, check('cert-rotated')?.explanation).toBe(true);
    expect(check('rotation-invisible')?.valid, check('rotation-invisible')?.explanation).toBe(true);
    expect(check('cert-rotated')?.explanation).toMatch(/refuse the harness's certificate of the old CA \(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\)/);
    expect(r.figures.rotation_failed_writes).toBe(0);
    expect(r.figures.rotation_writes).toBeGreaterThan(100);
    expect(r.figures.sentinel_restarts).toBe(9);
    expect(r.figures.writes_lost).toBe(0);
    expect(check('rejoin')?.valid).toBe(true);
    const phases = r.events.filter((e) => e.kind === 'fault' && e.type === 'rotate').map((e) => e.detail.split(':')[0]);
    expect(phases).toEqual(['bundle', 'certificates', 'retire']);
    // The conformance group's own certificates are the rotated ones now: a certificate of another CA, the old one included, is refused.
    expect(checksAfter.filter((c) => c.valid !== true)).toEqual([]);
    expect(checksAfter.filter((c) => c.name.startsWith('live.'))).toHaveLength(checks.filter((c) => c.name.startsWith('live.')).length);
  });

  it("every real-client driver writes through TLS as its application's ACL user, none refused; the redis-py subscriber subscribes and receives", () => {
    const writers = Object.keys(DRIVER_KINDS);
    expect(Object.keys(clientOps).sort()).toEqual([...writers, 'redis-py-pubsub'].sort());
    for (const k of writers) {
      const ops = clientOps[k]!.filter((o) => o.f === 'write');
      expect(ops.filter((o) => o.type === 'ok').length, `${k}: acknowledged writes`).toBeGreaterThan(10);
      expect(
        ops.filter((o) => o.type === 'fail').map((o) => o.error),
        `${k}: refused writes`,
      ).toEqual([]);
    }
    const sub = clientOps['redis-py-pubsub']!;
    expect(sub.some((o) => o.f === 'subscribed')).toBe(true);
    // Each was given its application's file of the redis-acl Secret, never a password, in its environment.
    expect(Object.keys(clientEnvirons).sort()).toEqual([...writers, 'redis-py-pubsub'].sort());
    expect(aclPasswords.length).toBeGreaterThan(5);
    for (const [name, env] of Object.entries(clientEnvirons)) {
      expect(env, name).toMatch(/\0REDIS_PASSWORD_FILE=[^\0]*\/secrets\/redis-acl\/(synapse|livekit|django)\0/);
      expect(env.includes('\0REDIS_PASSWORD='), `${name}: REDIS_PASSWORD in its environment`).toBe(false);
      for (const pw of aclPasswords) expect(env.includes(pw), `${name}: a password in its environment`).toBe(false);
    }
    expect(sub.filter((o) => o.f === 'receive').map((o) => o.key)).toContain('hello-over-tls');
  });

  it("each application's ACL is enough for its clients' traffic (0 ACL LOG entries on every node); a weakened copy without INFO fails livekit's check", () => {
    expect(aclChecks.map((c) => [c.name, c.valid, c.figures?.acl_nodes_read])).toEqual([
      ['acl.synapse', true, 3],
      ['acl.django', true, 3],
      ['acl.livekit', true, 3],
    ]);
    // ioredis works around the refusal (it skips its ready check) and keeps writing: only the ACL LOG shows it.
    expect(weakenedAcl).toHaveLength(1);
    expect(weakenedAcl[0]).toMatchObject({ name: 'acl.livekit', valid: false });
    expect(weakenedAcl[0]!.observed).toMatch(/command `info` refused/);
  });

  it("a pod added by scale-out starts with a certificate of the run's CA naming it: its redis replicates, its sentinel answers", () => {
    expect(scaled).toMatchObject({ name: 'redis-3', role: 'slave', sentinelPong: 'PONG' });
    expect(scaled!.names).toEqual(expect.arrayContaining([...podDnsNames('redis-3', 'redis-headless', 'matrix'), '127.0.180.4']));
  });

  it('no password and no private key in the logs or in what the trials recorded; nothing left running', () => {
    expect(logs.length).toBeGreaterThan(1000);
    expect(recorded.length).toBeGreaterThan(1000);
    // Passwords, the client keys before and after the rotation, and the pods' keys after it.
    expect(secrets.length).toBeGreaterThan(7 + 4 + 3 + 7);
    for (const s of secrets) expect(logs.includes(s), 'a secret in the logs').toBe(false);
    for (const s of secrets) expect(recorded.includes(s), 'a secret in a trial result').toBe(false);
    expect(logs).not.toMatch(/PRIVATE KEY/);
    expect(recorded).not.toMatch(/PRIVATE KEY/);
    expect(processesUnder(path.join(stateDir))).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});

describe('each live probe fails on a weakened redis-server', () => {
  const HOST = '127.0.181.1';
  let tmp: string;
  let server: ChildProcess | undefined;
  let pem: Awaited<ReturnType<typeof readPem>>;
  let foreign: Awaited<ReturnType<typeof readPem>>;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-weak-'));
    const ca = await makeCa(path.join(tmp, 'ca'));
    // The server's certificate names its address only: none of the pod's DNS names.
    const serverCert = await makeCert(path.join(tmp, 'certs'), ca, { name: 'server', ips: [HOST] });
    const client = await makeCert(path.join(tmp, 'certs'), ca, { name: 'client' });
    pem = await readPem({ ca: ca.cert, ...client });
    const otherCa = await makeCa(path.join(tmp, 'other'), 'other', 'another CA');
    foreign = await readPem({ ca: otherCa.cert, ...(await makeCert(path.join(tmp, 'other'), otherCa, { name: 'intruder' })) });
    const conf = [
      `bind ${HOST}`,
      'port 6379',
      'tls-port 6380',
      `tls-cert-file ${serverCert.cert}`,
      `tls-key-file ${serverCert.key}`,
      `tls-ca-cert-file ${ca.cert}`,
      'tls-auth-clients no',
      'save ""',
      'appendonly no',
      `dir ${tmp}`,
      'user default on nopass ~* &* +@all',
      'user admin on >admin-pw ~* &* +@all',
      'user synapse on >synapse-pw resetchannels ~synapse:* &synapse:* -@all +@read +@write +@pubsub +@connection -@dangerous +info +role -select +select|0 +flushall',
      // An exporter user with read access to the data and CONFIG GET, but no LATENCY.
      'user exporter on >exporter-pw resetchannels ~* -@all +@read +client|setname +info +slowlog|len +slowlog|get +config|get',
      '',
    ].join('\n');
    writeFileSync(path.join(tmp, 'redis.conf'), conf);
    server = spawn('redis-server', [path.join(tmp, 'redis.conf')], { cwd: tmp, stdio: 'ignore' });
    for (let i = 0; i < 50 && !(await plaintextProbe({ host: HOST, port: 6379 })).observed.startsWith('answered'); i++) await sleep(100);
  }, 30_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    await sleep(100);
    expect(processesUnder(tmp)).toEqual([]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a plaintext port left open', async () => {
    const p = await plaintextProbe({ host: HOST, port: 6379 });
    expect(p).toEqual({ refused: false, observed: 'answered +PONG' });
  });

  it('a certificate of another CA, where client certificates are not asked for', async () => {
    const p = await foreignCertProbe({ host: HOST, port: 6380 }, pem.ca, foreign);
    expect(p.refused).toBe(false);
  });

  it('a certificate without the pod names', async () => {
    const names = await servedNames({ host: HOST, port: 6380 }, pem);
    expect(names).toEqual([HOST]);
    expect(podDnsNames('redis-0', 'redis-headless', 'matrix').filter((n) => !names.includes(n))).toHaveLength(4);
  });

  it('an application user with FLUSHALL', async () => {
    const r = await appUserProbe(
      { host: HOST, port: 6380 },
      pem,
      { name: 'synapse', password: 'synapse-pw', spec: APP_USERS.synapse },
      { username: 'admin', password: 'admin-pw' },
    );
    expect(r).toEqual({ deniedNeeds: [], granted: ['FLUSHALL (ACL DRYRUN: OK)'] });
  });

  it('an exporter user that reads keys and CONFIG (masterauth) and lacks LATENCY', async () => {
    const r = await exporterUserProbe(
      { host: HOST, port: 6380 },
      pem,
      { name: 'exporter', password: 'exporter-pw' },
      { username: 'admin', password: 'admin-pw' },
    );
    expect(r).toEqual({
      deniedNeeds: ['LATENCY LATEST: NOPERM', 'LATENCY HISTOGRAM: NOPERM'],
      granted: ['GET exporter:conformance: allowed', 'KEYS *: allowed', 'CONFIG GET masterauth (ACL DRYRUN: OK)'],
    });
  });

  it('the default user on', async () => {
    const p = await defaultUserProbe({ host: HOST, port: 6380 }, pem, 'anything');
    expect(p.refused).toBe(false);
    // nopass: PING answers without a login, and AUTH with any password is not refused as a wrong one.
    expect(p.observed).toMatch(/^PING: PONG; AUTH <password>: ERR/);
  });
});
