// The password-rotation scenario on real processes (down-after 1500 ms, see fault-catalogue.test.ts):
// a rotation invisible to the writes, a failover on the new password, and the rollback when a step fails.
// The deployment is held here (not through runSuite) so that its passwords can be checked against
// everything the trial recorded, and so that the rotation can be run again with a failing step.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../../src/clock.ts';
import { loadDeployment } from '../../src/config/manifests.ts';
import type { FaultContext } from '../../src/faults/fault.ts';
import { rotatePassword, type RotationOps } from '../../src/faults/password-rotation.ts';
import { pairs, withProbe } from '../../src/redis/clients.ts';
import { RUN_DEFAULTS } from '../../src/runner/run.ts';
import { durationMs, resolveScenarios } from '../../src/runner/scenario.ts';
import { runTrial, type TrialOutcome } from '../../src/runner/trial.ts';
import { waitForConvergence } from '../../src/targets/convergence.ts';
import { startLocalDeployment } from '../../src/targets/local/local-target.ts';
import type { Pod, StartedDeployment } from '../../src/targets/target.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const SPEC = { kind: 'password-rotation', then: 'kill-master' } as const;

/** 'OK', or the server's error (WRONGPASS …), for AUTH on a fresh connection. */
const auth = (p: Pod, password: string) => withProbe(p.redis, {}, (c) => c.call('AUTH', password)).then(String, (e: Error) => e.message);

describe('password-rotation on the local target (down-after 1500 ms)', () => {
  let tmp: string;
  let stateDir: string;
  let d: StartedDeployment;
  let oldPassword: string;
  let outcome: TrialOutcome;

  const sentinelConfAuthPass = (p: Pod): string | undefined => {
    const conf = readFileSync(path.join(d.describe().run_dir!, 'pods', p.name, 'data', 'sentinel.conf'), 'utf8');
    return /^sentinel auth-pass \S+ "?([^"\n]*)"?$/m.exec(conf)?.[1];
  };
  const masterauth = (p: Pod) => withProbe(p.redis, { password: d.password }, (c) => c.config('GET', 'masterauth')).then((r) => (r as string[])[1]);

  /** The state a deployment must be in when everything uses `password` and nothing else. */
  async function expectOnlyPassword(password: string, other: string) {
    expect(d.password === password, 'the Secret holds the expected password').toBe(true);
    for (const p of d.pods) {
      expect(await auth(p, password), `${p.name} accepts the expected password`).toBe('OK');
      expect(await auth(p, other), `${p.name} refuses the other password`).toMatch(/^WRONGPASS/);
      expect((await masterauth(p)) === password, `${p.name}'s masterauth is the expected password`).toBe(true);
      expect(sentinelConfAuthPass(p) === password, `${p.name}'s sentinel.conf has the expected auth-pass`).toBe(true);
    }
  }

  /** No password the deployment ever had appears in what the fault said. */
  const expectNoPassword = (said: string[]) => {
    for (const [i, p] of d.passwords.entries())
      expect(
        said.some((t) => t.includes(p)),
        `password #${i + 1} appears in an error or mark`,
      ).toBe(false);
  };

  /** A fault context as the trial builds one, without a workload. */
  async function faultContext(marks: string[], clientPasswords: string[]): Promise<FaultContext> {
    const clock = createClock();
    return {
      deployment: d,
      topology: await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 }),
      clock,
      ms: (x) => durationMs(x, d.downAfterMs),
      mark: (type, detail) => marks.push(`${type}: ${detail}`),
      podEvent: () => {},
      events: () => [],
      history: () => [],
      setClientPassword: (p) => clientPasswords.push(p),
    };
  }

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-rot-'));
    stateDir = path.join(tmp, 'state');
    process.env.SENTINEL_CHAOS_STATE_DIR = stateDir;
    const runId = 'rot';
    d = await startLocalDeployment({
      model: await loadDeployment(RUN_DEFAULTS.manifestsDir),
      runId,
      subnet: 214,
      overrides: { sentinel: { 'down-after-milliseconds': '1500' } },
    });
    oldPassword = d.password;
    const [scenario] = await resolveScenarios(['password-rotation']);
    outcome = await runTrial({ deployment: d, scenario: scenario!, index: 1, clock: createClock(), runId, convergeTimeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await d?.down();
    delete process.env.SENTINEL_CHAOS_STATE_DIR;
    rmSync(tmp, { recursive: true, force: true });
  });

  const check = (name: string) => outcome.result.checks.find((c) => c.name === name);

  it('passes: the rotation is proven and invisible, the failover meets the SLO, nothing is lost', () => {
    expect(outcome.result.message).toBeUndefined();
    expect(outcome.result.verdict).toBe('pass');
    expect(check('password-rotated')?.valid, check('password-rotated')?.explanation).toBe(true);
    expect(check('rotation-invisible')?.valid, check('rotation-invisible')?.explanation).toBe(true);
    const f = outcome.result.figures;
    expect(f.rotation_failed_writes).toBe(0);
    expect(f.rotation_writes).toBeGreaterThan(20);
    expect(f.rotation_ms).toBeGreaterThan(0);
    expect(f.failover_ms).toBeGreaterThan(1500);
    expect(f.failover_ms).toBeLessThan(10_000);
    expect(f.sentinel_failover_ms).toBeLessThan(10_000);
    expect(f.writes_lost).toBe(0);
    expect(check('rejoin')?.valid).toBe(true);
    expect(check('convergence')?.valid).toBe(true);
  });

  it('marks every step in order, and the kill only after the rotation', () => {
    const marks = outcome.result.events.filter((e) => e.kind === 'fault');
    const at = (type: string, re: RegExp) => marks.findIndex((e) => e.type === type && re.test(e.detail));
    const order = [
      at('inject', /rotate password/),
      at('rotate', /new password added .*: 3\/3 nodes/),
      at('rotate', /Secret updated/),
      at('rotate', /masterauth .*: 3\/3 nodes/),
      at('rotate', /auth-pass .*: 3\/3 sentinels/),
      at('rotate', /clients switched .*: \d+ writes acknowledged/),
      at('rotate', /old password removed .*: 3\/3 nodes/),
      at('inject', /kill-pod/),
      at('landed', /processes gone/),
      at('healed', /running/),
    ];
    expect(
      order.every((i) => i >= 0),
      JSON.stringify(marks.map((e) => `${e.type} ${e.detail}`)),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('leaves the deployment on the new password only: nodes, masterauth, sentinels (the restarted pod too)', async () => {
    expect(d.passwords).toHaveLength(2);
    expect(d.passwords[0] === oldPassword && d.password !== oldPassword && d.passwords[1] === d.password).toBe(true);
    await expectOnlyPassword(d.password, oldPassword);
    // Fully converged on the new password (each sentinel sees every replica and peer): Sentinel gets
    // there on its own hello and INFO periods after the trial, so wait for it, bounded.
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 });
    for (const p of d.pods) {
      const m = await withProbe(p.sentinel, {}, (s) => s.call('SENTINEL', 'master', d.model.masterName)).then(pairs);
      expect(m.flags, `${p.name}/sentinel`).toBe('master');
    }
  });

  it('keeps every pod ready after the rotation, also those never restarted: probes read the mounted Secret', async () => {
    // A kubelet runs probes with the environment a container started with; REDIS_PASSWORD there is
    // the retired password, so a probe that used it would fail and the kubelet would restart the pod.
    for (const p of d.pods) expect(await d.podControl.isReady(p.name), p.name).toBe(true);
  });

  it('never records a password: not in the trial result, its events and checks, nor the history', () => {
    const recorded = JSON.stringify(outcome.result) + JSON.stringify(outcome.history);
    for (const [i, p] of d.passwords.entries()) expect(recorded.includes(p), `password #${i + 1} appears in what the trial recorded`).toBe(false);
    // Sentinel announces SENTINEL SET on its event channel with the value masked.
    expect(outcome.result.events.some((e) => e.kind === 'sentinel' && e.type === '+set' && /auth-pass/.test(e.detail))).toBe(true);
  });

  it('rolls back when a sentinel is down: everything is on the old password again', async () => {
    const before = d.password;
    const victim = d.pods[1]!;
    const marks: string[] = [];
    const clientPasswords: string[] = [];
    const ctx = await faultContext(marks, clientPasswords);
    await d.podControl.killContainer(victim.name, 'sentinel');
    try {
      const err = await rotatePassword(ctx, SPEC, { restart: true }).then(
        () => expect.unreachable('the rotation must fail without a sentinel'),
        (e: Error) => e,
      );
      const attempted = d.passwords.at(-1)!;
      expect(attempted === before).toBe(false);
      expect(err.message).toMatch(/auth-pass .* failed on redis-1.*rolled back to the old password$/);
      expectNoPassword([err.message, ...marks]);
      expect(marks).toContainEqual(expect.stringMatching(/^rotate: auth-pass .*: 2\/3 sentinels/));
      expect(marks).toContainEqual(expect.stringMatching(/^rolled-back: rolled back/));
      expect(clientPasswords).toEqual([]);
      for (const p of d.pods) {
        expect(await auth(p, before), p.name).toBe('OK');
        expect(await auth(p, attempted), p.name).toMatch(/^WRONGPASS/);
        expect((await masterauth(p)) === before, `${p.name}'s masterauth`).toBe(true);
        if (p !== victim) expect(sentinelConfAuthPass(p) === before, `${p.name}'s sentinel.conf`).toBe(true);
      }
    } finally {
      await d.podControl.startContainer(victim.name, 'sentinel');
    }
    // The restarted sentinel starts from the Secret, the old password again.
    await expectOnlyPassword(before, d.passwords.at(-1)!);
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 });
  });

  it('rolls back when retiring the old password fails halfway: the old one is restored where it was removed', async () => {
    const before = d.password;
    const marks: string[] = [];
    const clientPasswords: string[] = [];
    const ctx = await faultContext(marks, clientPasswords);
    const last = d.pods.at(-1)!;
    const failing = (real: RotationOps): RotationOps => ({
      ...real,
      clientsSettled: async () => 0,
      async removePassword(p, pw, authWith) {
        if (p === last && pw === before) throw new Error('injected failure');
        return real.removePassword(p, pw, authWith);
      },
    });
    const err = await rotatePassword(ctx, SPEC, { restart: true, ops: failing }).then(
      () => expect.unreachable('the rotation must fail'),
      (e: Error) => e,
    );
    const attempted = d.passwords.at(-1)!;
    expect(err.message).toMatch(/old password removed .* failed on redis-2: injected failure; rolled back to the old password$/);
    expectNoPassword([err.message, ...marks]);
    expect(marks).toContainEqual(expect.stringMatching(/^rotate: old password removed .*: 2\/3 nodes/));
    expect(clientPasswords.length).toBe(2);
    expect(clientPasswords[0] === attempted && clientPasswords[1] === before, 'clients switched to the new password, then back').toBe(true);
    await expectOnlyPassword(before, attempted);
    // SENTINEL SET auth-pass drops the sentinel's connections to the master: converged once they are back.
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 });
  });

  it('detects a sentinel whose auth-pass is not accepted on a fresh connection, and rolls back', async () => {
    const before = d.password;
    const marks: string[] = [];
    const ctx = await faultContext(marks, []);
    const victim = d.pods[2]!;
    const wrongAuthPass = (real: RotationOps): RotationOps => ({
      ...real,
      clientsSettled: async () => 0,
      setSentinelAuthPass: (p, pw) => real.setSentinelAuthPass(p, p === victim && pw !== before ? 'not-the-password' : pw),
    });
    const err = await rotatePassword(ctx, SPEC, { restart: true, ops: wrongAuthPass }).then(
      () => expect.unreachable('the rotation must not verify'),
      (e: Error) => e,
    );
    expect(err.message).toMatch(/did not verify: sentinels: no PONG on a new connection .*redis-2\/sentinel → .*rolled back to the old password$/);
    expect(marks).toContainEqual(expect.stringMatching(/^rotate: old password removed .*: 3\/3 nodes/));
    expectNoPassword([err.message, ...marks]);
    await expectOnlyPassword(before, d.passwords.at(-1)!);
    await waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs: 30_000 });
  });

  it('leaves nothing behind once the deployment is down', async () => {
    await d.down();
    expect(processesUnder(stateDir)).toEqual([]);
    expect(entriesIn(stateDir)).toEqual([]);
  });
});
