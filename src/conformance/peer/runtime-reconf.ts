// Peer unit for upstream 03-runtime-reconf.tcl: SENTINEL SET at runtime, including a password change every sentinel must follow.
import { HarnessError } from '../../errors.ts';
import { pairs, withProbe } from '../../redis/clients.ts';
import { randomBytes } from 'node:crypto';
import { others } from './unit-helpers.ts';
import type { UnitRun } from './unit-run.ts';
import { type UnitSpec } from './unit-run.ts';
import { errText, until } from './until.ts';

/** 03-runtime-reconf's auth-pass test: a runtime password change every sentinel must follow, and its undo on the heal stack. */
async function authPassChange(u: UnitRun, m: string): Promise<void> {
  // The password change (the seed's "Password Rotation" done at runtime, as upstream does it): every node
  // gets the new requirepass and masterauth, the Secret changes, the running sentinels get SENTINEL SET
  // auth-pass, one sentinel is down during the change and restarts from the Secret. Then the nodes drop
  // every client connection so each sentinel must authenticate afresh.
  const pods = u.d.pods;
  const restarted = pods[0]!;
  const original = u.d.password;
  let next = randomBytes(18).toString('base64url');
  while (next === original) next = randomBytes(18).toString('base64url');
  const setEverywhere = async (pw: string, authWith: readonly string[]): Promise<void> => {
    for (const p of pods) {
      let done = false;
      let last = '';
      for (const a of authWith) {
        try {
          await u.p.redis(
            p,
            async (c) => {
              await c.call('CONFIG', 'SET', 'masterauth', pw);
              await c.call('CONFIG', 'SET', 'requirepass', pw);
            },
            a,
          );
          done = true;
          break;
        } catch (e) {
          last = errText(e);
        }
      }
      if (!done) throw new HarnessError('FAULT_FAILED', `${p.name}/redis: could not set the password (${last.replace(pw, '***')})`);
    }
  };
  const dropClients = () =>
    Promise.all(
      pods.map((p) =>
        u.p.redis(p, async (c) => {
          await c.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
          await c.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'SKIPME', 'yes');
        }),
      ),
    );
  const sentinelsConnected = () =>
    until(
      async () => {
        const states = await Promise.all(
          pods.map(async (s) => {
            const mm = await u.p.masterState(s);
            const reps = ((await u.p.sentinelCmd(s, 'replicas', m)) as unknown[]).map(pairs);
            return (
              mm.flags === 'master' &&
              Number(mm['last-ok-ping-reply']) < u.d.downAfterMs &&
              reps.length === pods.length - 1 &&
              reps.every((r) => r.flags === 'slave' && Number(r['last-ok-ping-reply']) < u.d.downAfterMs)
            );
          }),
        );
        return states.every(Boolean) ? true : undefined;
      },
      u.d.downAfterMs * 4 + 15_000,
      200,
    );
  u.onRestore('the original password everywhere', async () => {
    await u.d.setPassword(original);
    await setEverywhere(original, [next, original]);
    await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'auth-pass', original).catch(() => undefined)));
    await dropClients();
    await sentinelsConnected();
  });
  u.onRestore(`start ${restarted.name}/sentinel`, async () => {
    if (
      !(await u.p
        .sentinel(restarted, (c) => c.ping())
        .then(
          () => true,
          () => false,
        ))
    )
      await u.d.podControl.startContainer(restarted.name, 'sentinel');
  });
  await u.check('runtime-reconf.auth-pass', async () => {
    await u.d.podControl.killContainer(restarted.name, 'sentinel');
    // The Secret first: from here on the deployment's redaction covers the new password.
    await u.d.setPassword(next);
    await setEverywhere(next, [original]);
    await Promise.all(others(pods, restarted).map((s) => u.p.sentinelCmd(s, 'set', m, 'auth-pass', next)));
    await dropClients();
    await u.d.podControl.startContainer(restarted.name, 'sentinel');
    const r = await sentinelsConnected();
    const refusesOld = await Promise.all(pods.map((p) => withProbe(p.redis, {}, (c) => c.call('AUTH', original)).then(() => 'accepted', errText)));
    const acceptsNew = await Promise.all(pods.map((p) => withProbe(p.redis, {}, (c) => c.call('AUTH', next)).then(String, errText)));
    const oldRefused = refusesOld.every((x) => x.startsWith('WRONGPASS'));
    const newAccepted = acceptsNew.every((x) => x === 'OK');
    return {
      valid: r.value === true && oldRefused && newAccepted,
      expected: `every sentinel (${restarted.name}'s restarted from the Secret, the others after SENTINEL SET auth-pass) reconnects to the master and replicas with the new password; the old password refused`,
      observed: `${r.value ? `all sentinels connected again after ${r.ms} ms` : `not all sentinels connected after ${r.ms} ms${r.last ? ` (${r.last})` : ''}`}; old password ${oldRefused ? 'refused (WRONGPASS)' : 'still accepted somewhere'}; new password ${newAccepted ? 'accepted' : 'refused somewhere'}`,
      explanation:
        'A sentinel that cannot authenticate sees the master as down (or cannot promote a replica): a password change must reach every sentinel, also one restarted during the change.',
      figures: { reconnect_ms: r.ms },
    };
  });
}

export const runtimeReconf: UnitSpec = {
  id: 'runtime-reconf',
  file: '03-runtime-reconf.tcl',
  checks: {
    'runtime-reconf.set-parameters': 'Set parameters in normal case',
    'runtime-reconf.set-bad-format': 'Set parameters in normal case with bad format',
    'runtime-reconf.auth-pass': 'Sentinels (re)connection following SENTINEL SET mymaster auth-pass',
  },
  async body(u) {
    const s0 = u.d.pods[0]!;
    const m = u.p.masterName;
    const orig = await u.p.masterState(s0);
    const q = Number(orig.quorum);
    const da = Number(orig['down-after-milliseconds']);
    u.onRestore(`quorum and down-after on ${s0.name}/sentinel`, async () => {
      await u.p.sentinelCmd(s0, 'set', m, 'quorum', q);
      await u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', da);
    });
    await u.check('runtime-reconf.set-parameters', async () => {
      await u.p.sentinelCmd(s0, 'set', m, 'quorum', q + 1);
      await u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', da + 1000);
      const changed = await u.p.masterState(s0);
      await u.p.sentinelCmd(s0, 'set', m, 'quorum', q);
      await u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', da);
      const restored = await u.p.masterState(s0);
      return {
        valid:
          Number(changed.quorum) === q + 1 &&
          Number(changed['down-after-milliseconds']) === da + 1000 &&
          Number(restored.quorum) === q &&
          Number(restored['down-after-milliseconds']) === da,
        expected: `quorum ${q + 1}, down-after ${da + 1000} after SENTINEL SET; ${q}, ${da} after restoring`,
        observed: `quorum ${changed.quorum}, down-after ${changed['down-after-milliseconds']}; then ${restored.quorum}, ${restored['down-after-milliseconds']}`,
        explanation:
          "Operators tune a running sentinel with SENTINEL SET (the seed's scaling guide changes the quorum); it must take effect at once and be reversible.",
      };
    });
    await u.check('runtime-reconf.set-bad-format', async () => {
      const replies = await Promise.all(
        ['-20', 'abc'].map((v) => u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', v).then((r) => `accepted (${String(r)})`, errText)),
      );
      const after = Number((await u.p.masterState(s0))['down-after-milliseconds']);
      return {
        valid: replies.every((r) => r.startsWith('ERR Invalid argument')) && after === da,
        expected: `"ERR Invalid argument …" for down-after-milliseconds -20 and abc; down-after still ${da}`,
        observed: `${replies.join('; ')}; down-after ${after}`,
        explanation: 'A malformed value must be refused, not silently turned into 0 (an instant failover on every hiccup).',
      };
    });
    await authPassChange(u, m);
  },
};
