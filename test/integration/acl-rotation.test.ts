// The acl-rotation scenario under the secure profile on real processes (subnet 188, down-after 1500 ms): the
// rotation of the applications', replication and sentinel users invisible to the writes, every node on the new
// passwords only (the restarted master too, from the Secret), and the rollback when retiring an old one fails.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../../src/clock.ts';
import { loadProfiledDeployment } from '../../src/config/profiles.ts';
import { rotateAcl, type AclRotationOps } from '../../src/faults/acl-rotation.ts';
import type { FaultContext } from '../../src/faults/fault.ts';
import { withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { durationMs, resolveScenarios } from '../../src/runner/scenario.ts';
import { runTrial, type TrialOutcome } from '../../src/runner/trial.ts';
import { waitForConvergence } from '../../src/targets/convergence.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { Pod, StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const ROTATED = ['synapse', 'livekit', 'django', 'replication', 'sentinel'] as const;
/**
 * Real clients writing through the rotation as their applications (synapse, livekit, django), each given its file of
 * the ACL Secret: they keep their connections through the rotation and reconnect after the kill, when only the new
 * passwords are valid.
 */
// One per application user, each library's own way of re-reading the file (redis-py's and django-redis's connection
// class, ioredis's options getter). Five drivers loaded the CI host enough for a replica to lag: a CI run lost one
// redis-py write acknowledged 392 ms before the master's SIGKILL (asynchronous replication, as the seed runs it).
const DRIVERS = ['redis-py', 'ioredis', 'django-sentinel'] as const;

/** 'OK', or the server's error (WRONGPASS …), for AUTH user password on a fresh TLS connection. */
const auth = (p: Pod, user: string, password: string) => withProbe(p.redis, {}, (c) => c.call('AUTH', user, password)).then(String, (e: Error) => e.message);

function allText(dir: string): string {
  let out = '';
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out += readFileSync(path.join(e.parentPath, e.name), 'latin1');
  return out;
}

describe('acl-rotation under the secure profile on the local target (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let d: StartedDeployment;
  let before: Record<string, string>;
  let outcome: TrialOutcome;
  const secrets = new Set<string>();

  const aclFile = (user: string) => readFileSync(path.join(d.describe().run_dir!, 'secrets', 'redis-acl', user), 'utf8');
  const remember = () => Object.values(d.credentials!.acl).forEach((p) => secrets.add(p));

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-aclrot-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    const model = await loadProfiledDeployment(RUN_DEFAULTS.manifestsDir, 'secure');
    d = await startLocalDeployment({
      model,
      runId: 'aclrot',
      subnet: 188,
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
      logsDir: path.join(tmp, 'logs'),
    });
    before = { ...d.credentials!.acl };
    remember();
    const [scenario] = await resolveScenarios(['acl-rotation']);
    const workloads = DRIVERS.map((driver) => ({ kind: 'driver' as const, driver, reads: false }));
    outcome = await runTrial({
      deployment: d,
      scenario: { ...scenario!, workloads },
      index: 1,
      clock: createClock(),
      runId: 'aclrot',
      convergeTimeoutMs: 30_000,
    });
    remember();
  }, 120_000);

  afterAll(async () => {
    await d?.down();
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  const check = (name: string) => outcome.result.checks.find((c) => c.name === name);

  it('passes: rotated and proven, no write failed or lost, the failover on the new passwords', () => {
    expect(outcome.result.message).toBeUndefined();
    expect(outcome.result.verdict).toBe('pass');
    for (const name of ['acl-rotated', 'rotation-invisible', 'acl-rotation-apps-kept', 'rejoin', 'convergence'])
      expect(check(name)?.valid, `${name}: ${check(name)?.explanation}`).toBe(true);
    const f = outcome.result.figures;
    expect(f.rotation_failed_writes).toBe(0);
    expect(f.rotation_writes).toBeGreaterThan(100);
    expect(f.acl_rotation_app_writes_acked).toBeGreaterThan(30);
    expect(f.acl_rotation_app_writes_lost).toBe(0);
    expect(f.replica_relink_ms).toBeGreaterThan(0);
    expect(f.sentinel_reauth_ms).toBeGreaterThan(0);
    expect(f.writes_lost).toBe(0);
  });

  it("the real clients, given their application's password file, write on after the kill with the new password: none refused", () => {
    for (const name of DRIVERS) {
      const ops = outcome.history.filter((o) => o.process === name && o.f === 'write');
      const killed = outcome.result.events.find((e) => e.type === 'inject' && /kill-pod/.test(e.detail ?? ''))!.ns;
      expect(ops.filter((o) => o.type === 'ok' && o.ns > killed).length, `${name}: writes acknowledged after the kill`).toBeGreaterThan(10);
      const refused = ops.filter((o) => /WRONGPASS|NOAUTH|NOPERM/.test(o.error ?? ''));
      expect(
        refused.map((o) => o.error),
        `${name}: refused logins`,
      ).toEqual([]);
      for (const c of ['failover-time', 'write-loss']) expect(check(`${name}.${c}`)?.valid, `${name}.${c}: ${check(`${name}.${c}`)?.explanation}`).toBe(true);
    }
  });

  it('leaves every pod, the restarted master included, and the Secret on the new passwords only', async () => {
    for (const user of ROTATED) {
      const now = d.credentials!.acl[user]!;
      expect(now === before[user], `${user}'s password changed`).toBe(false);
      expect(aclFile(user) === now, `the Secret's file of ${user} holds the new password`).toBe(true);
      for (const p of d.pods) {
        expect(await auth(p, user, now), `${p.name} accepts ${user}'s new password`).toBe('OK');
        expect(await auth(p, user, before[user]!), `${p.name} refuses ${user}'s old password`).toMatch(/^WRONGPASS/);
      }
    }
    // Not rotated: the pods' own user keeps its password.
    expect(d.credentials!.acl.pod === before.pod).toBe(true);
    for (const p of d.pods) expect(await d.podControl.isReady(p.name), p.name).toBe(true);
  });

  it('rolls back when removing an old password fails on one pod: every user is on its old password again', async () => {
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 });
    const start = { ...d.credentials!.acl };
    const marks: string[] = [];
    const clock = createClock();
    const ctx: FaultContext = {
      deployment: d,
      topology: await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 }),
      clock,
      ms: (x) => durationMs(x, d.downAfterMs),
      mark: (type, detail) => marks.push(`${type}: ${detail}`),
      podEvent: () => {},
      events: () => [],
      history: () => [],
      setClientPassword: () => {},
    };
    const last = d.pods.at(-1)!;
    const failing = (real: AclRotationOps): AclRotationOps => ({
      ...real,
      removePassword: (p, user, pw) =>
        p === last && user === 'django' && pw === start.django ? Promise.reject(new Error('injected failure')) : real.removePassword(p, user, pw),
    });
    const err = await rotateAcl(ctx, { users: ['django', 'replication'], then: 'none' }, { restart: true, ops: failing }).then(
      () => expect.unreachable('the rotation must fail'),
      (e: Error) => e,
    );
    remember();
    expect(err.message).toMatch(/old password removed .* failed on django@redis-2: injected failure; rolled back to the old passwords$/);
    expect(marks).toContainEqual(expect.stringMatching(/^rolled-back: rolled back/));
    for (const user of ['django', 'replication']) {
      expect(d.credentials!.acl[user] === start[user], `${user} is back on its old password`).toBe(true);
      expect(aclFile(user) === start[user]).toBe(true);
      for (const p of d.pods) expect(await auth(p, user, start[user]!), `${p.name}: ${user}`).toBe('OK');
    }
    for (const p of d.pods) {
      const ma = await withProbe(p.redis, { password: d.password }, (c) => c.config('GET', 'masterauth')).then((r) => (r as string[])[1]);
      expect(ma === start.replication, `${p.name}'s masterauth is back`).toBe(true);
    }
    // The attempted passwords (registered for redaction, no longer in the credentials) appear nowhere either.
    for (const t of [err.message, ...marks]) for (const s of secrets) expect(t.includes(s)).toBe(false);
  });

  it('never records a password: not in the trial result, the history, the marks or the pods’ logs; nothing left behind', async () => {
    expect(secrets.size).toBeGreaterThanOrEqual(2 * ROTATED.length);
    const recorded = JSON.stringify(outcome.result) + JSON.stringify(outcome.history);
    // The drivers' lines (errors included) are in the history searched here.
    for (const name of DRIVERS) expect(outcome.history.some((o) => o.process === name)).toBe(true);
    await d.down();
    const logs = allText(path.join(tmp, 'logs'));
    expect(logs.length).toBeGreaterThan(1000);
    for (const s of secrets) {
      expect(recorded.includes(s), 'a password in what the trial recorded').toBe(false);
      expect(logs.includes(s), 'a password in the logs').toBe(false);
    }
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
