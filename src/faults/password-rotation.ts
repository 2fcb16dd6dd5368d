// password-rotation: rotate the Redis password while writes continue (add the new one through ACL,
// masterauth, every sentinel's auth-pass, the clients, then retire the old one), prove every part uses
// the new one, then kill the master to prove the sentinels still fail over with it.
//
// Redis 7.0: CONFIG SET requirepass drops the old password at once, so the rotation goes through the
// default user's ACL, which can hold both for the changeover. ACL and masterauth changes are not
// replicated and SENTINEL SET is not propagated between sentinels: every step runs on every node.
// Existing connections stay authenticated when a password is removed, so only fresh connections prove
// the new password works: the verification makes some (SENTINEL SET auth-pass reconnects the sentinel's
// links on 7.0.15, but while both passwords are still valid, and that is not a documented behaviour).
import { abilityMissing, HarnessError } from '../errors.ts';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { CheckResult } from '../model/check.ts';
import { nsToMs } from '../clock.ts';
import { pairs, sentinelEntries, withProbe } from '../redis/clients.ts';
import { addr, type Endpoint, type Pod } from '../targets/target.ts';
import type { Op } from '../model/history.ts';
import { killPod } from './kill-pod.ts';
import { z } from 'zod';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';

/** Defaults of the rotation. */
export const ROTATION_DEFAULTS = {
  /** Writes acknowledged after the clients switched to the new password before the old one is retired. */
  clientAcksBeforeRetire: 20,
  /** Give up (and roll back) when the clients get fewer acknowledgements than that within this long. */
  clientSettleTimeoutMs: 10_000,
  /** After dropping the sentinels' connections, each must get a PONG on a fresh connection within this long. */
  sentinelReauthTimeoutMs: 5000,
  /** Wait this long for the writes invoked during the rotation to have their outcome. */
  writeSettleTimeoutMs: 5000,
} as const;

/**
 * Everything the rotation changes, one call per node; the real ones talk to Redis and to the target
 * (see {@link redisRotationOps}), a test can wrap them to make a step fail.
 * `auth`: the passwords to authenticate with, tried in order.
 */
export interface RotationOps {
  /** ACL SETUSER default >password (adding a password the user already has is a no-op). */
  addPassword(pod: Pod, password: string, auth: readonly string[]): Promise<void>;
  /** ACL SETUSER default <password; a password the user does not have is a no-op. */
  removePassword(pod: Pod, password: string, auth: readonly string[]): Promise<void>;
  /** CONFIG SET masterauth password. */
  setMasterauth(pod: Pod, password: string, auth: readonly string[]): Promise<void>;
  /** SENTINEL SET <master> auth-pass password on the pod's sentinel. */
  setSentinelAuthPass(pod: Pod, password: string): Promise<void>;
  /** The Secret's new value: pods started from now on get it. */
  setSecret(password: string): Promise<void>;
  /** The applications' config change: the workload's next connections use it. */
  setClientPassword(password: string): void;
  /** Resolves, with the count, once the clients have had writes acknowledged since `sinceNs`. */
  clientsSettled(sinceNs: number): Promise<number>;
}

/** How far a rotation got: what a rollback has to undo. */
export interface RotationProgress {
  /** Pods whose default user accepts the new password. */
  added: Set<string>;
  /** The Secret holds the new password: any pod (re)started since has only the new one. */
  secret: boolean;
  /** Pods whose masterauth is the new password. */
  masterauth: Set<string>;
  /** Pods whose sentinel authenticates with the new password. */
  sentinels: Set<string>;
  /** The clients were given the new password. */
  clients: boolean;
  /** Pods that no longer accept the old password. */
  retired: Set<string>;
}

export const emptyProgress = (): RotationProgress => ({
  added: new Set(),
  secret: false,
  masterauth: new Set(),
  sentinels: new Set(),
  clients: false,
  retired: new Set(),
});

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** `s` with every password replaced: Redis echoes them in some errors (ACL SETUSER modifier '<…'). */
export const scrubber =
  (secrets: readonly string[]) =>
  (s: string): string =>
    secrets.reduce((t, p) => (p ? t.replaceAll(p, '***') : t), s);

/**
 * Run `fn` on every pod at once; a pod is recorded in `done` when its call succeeded. Marks the step
 * with the count, and throws naming the pods that failed.
 */
async function everyPod(
  pods: readonly Pod[],
  step: string,
  unit: string,
  done: Set<string>,
  mark: (detail: string) => void,
  fn: (p: Pod) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled(
    pods.map(async (p) => {
      await fn(p);
      done.add(p.name);
    }),
  );
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${pods[i]!.name}: ${errorText(r.reason)}`] : []));
  mark(`${step}: ${done.size}/${pods.length} ${unit}${failed.length ? ` (failed: ${failed.join('; ')})` : ''}`);
  if (failed.length) throw new HarnessError('FAULT_FAILED', `${step} failed on ${failed.join('; ')}`);
}

/**
 * The rotation proper, in the only order that keeps every connection working: both passwords valid,
 * the Secret, replication, the sentinels, the clients, then the old password retired. Records its
 * progress as it goes; throws at the first step that did not succeed everywhere.
 */
export async function runRotation(
  pods: readonly Pod[],
  oldPw: string,
  newPw: string,
  ops: RotationOps,
  mark: (detail: string) => void,
  progress: RotationProgress,
  nowNs: () => number,
): Promise<void> {
  await everyPod(pods, 'new password added to the default user (ACL SETUSER)', 'nodes', progress.added, mark, (p) => ops.addPassword(p, newPw, [oldPw]));
  // Both passwords are valid everywhere from here on, so a pod (re)started with the new one is
  // accepted by every peer, and its own clients (replication, sentinels) may use either.
  // Recorded first: a Secret update that failed halfway is rolled back too (setting the old one is harmless).
  progress.secret = true;
  await ops.setSecret(newPw);
  mark('Secret updated: pods started from now on get the new password');
  await everyPod(pods, 'masterauth set to the new password (CONFIG SET)', 'nodes', progress.masterauth, mark, (p) => ops.setMasterauth(p, newPw, [newPw]));
  await everyPod(pods, 'auth-pass set to the new password (SENTINEL SET)', 'sentinels', progress.sentinels, mark, (p) => ops.setSentinelAuthPass(p, newPw));
  const switchedNs = nowNs();
  progress.clients = true;
  ops.setClientPassword(newPw);
  const acked = await ops.clientsSettled(switchedNs);
  mark(`clients switched to the new password: ${acked} writes acknowledged since`);
  await everyPod(pods, 'old password removed from the default user (ACL SETUSER)', 'nodes', progress.retired, mark, (p) =>
    ops.removePassword(p, oldPw, [newPw]),
  );
}

/**
 * Undo whatever `progress` says was done, back to the old password: re-add it where it was retired,
 * the Secret, masterauth, the sentinels' auth-pass, the clients, and finally remove the new password
 * (only when everything else is back on the old one, so nothing is left without a working password).
 * Once the Secret held the new password a pod may have restarted with only the new one, so then every
 * pod is also tried; failures there are tolerated (a pod that is down starts from the Secret, the old
 * password again). Returns what could not be undone; never throws.
 */
export async function rollBack(
  pods: readonly Pod[],
  oldPw: string,
  newPw: string,
  progress: RotationProgress,
  ops: RotationOps,
  mark: (detail: string) => void,
): Promise<string[]> {
  const problems: string[] = [];
  const either = [oldPw, newPw];
  const undo = async (what: string, done: ReadonlySet<string>, fn: (p: Pod) => Promise<void>) => {
    const targets = pods.filter((p) => done.has(p.name) || progress.secret);
    await Promise.all(
      targets.map((p) =>
        fn(p).catch((e: unknown) => {
          if (done.has(p.name)) problems.push(`${what} on ${p.name}: ${errorText(e)}`);
        }),
      ),
    );
  };
  await undo('re-adding the old password', progress.retired, (p) => ops.addPassword(p, oldPw, [newPw, oldPw]));
  if (progress.secret) await ops.setSecret(oldPw).catch((e: unknown) => problems.push(`restoring the Secret: ${errorText(e)}`));
  await undo('restoring masterauth', progress.masterauth, (p) => ops.setMasterauth(p, oldPw, either));
  await undo('restoring the sentinel auth-pass', progress.sentinels, (p) => ops.setSentinelAuthPass(p, oldPw));
  if (progress.clients) ops.setClientPassword(oldPw);
  if (problems.length === 0) await undo('removing the new password', progress.added, (p) => ops.removePassword(p, newPw, either));
  else if (progress.added.size > 0) problems.push('the new password was left valid, since not everything is back on the old one');
  mark(problems.length === 0 ? 'rolled back: every node, sentinel and client is on the old password again' : `rollback incomplete: ${problems.join('; ')}`);
  return problems;
}

/** A fresh connection to `e`, authenticated (as `user`, else the default user) with the first of `auth` it accepts. */
export async function onNode<T>(e: Endpoint, auth: readonly string[], fn: (c: Redis) => Promise<T>, user?: string | null): Promise<T> {
  return withProbe(e, {}, async (c) => {
    for (const pw of auth) {
      if (
        await c.call('AUTH', ...(user ? [user] : []), pw).then(
          () => true,
          () => false,
        )
      )
        return fn(c);
    }
    throw new HarnessError('FAULT_FAILED', `${addr(e)} accepted none of the ${auth.length} password(s) tried`);
  });
}

/** The rotation's changes on the running deployment. */
export function redisRotationOps(ctx: FaultContext): RotationOps {
  const d = ctx.deployment;
  const masterName = d.model.masterName;
  return {
    async addPassword(p, pw, auth) {
      await onNode(p.redis, auth, (c) => c.call('ACL', 'SETUSER', 'default', `>${pw}`));
    },
    async removePassword(p, pw, auth) {
      await onNode(p.redis, auth, (c) =>
        c.call('ACL', 'SETUSER', 'default', `<${pw}`).catch((e: Error) => {
          if (!/does not exist/.test(e.message)) throw e;
        }),
      );
    },
    async setMasterauth(p, pw, auth) {
      await onNode(p.redis, auth, (c) => c.config('SET', 'masterauth', pw));
    },
    async setSentinelAuthPass(p, pw) {
      await withProbe(p.sentinel, {}, (s) => s.call('SENTINEL', 'SET', masterName, 'auth-pass', pw));
    },
    setSecret: (pw) => d.setPassword(pw),
    setClientPassword: (pw) => ctx.setClientPassword(pw),
    async clientsSettled(sinceNs) {
      const want = ROTATION_DEFAULTS.clientAcksBeforeRetire;
      const count = () => ctx.history().filter((o) => o.type === 'ok' && o.ns > sinceNs).length;
      const deadline = performance.now() + ROTATION_DEFAULTS.clientSettleTimeoutMs;
      while (count() < want) {
        if (performance.now() > deadline)
          throw new HarnessError(
            'FAULT_FAILED',
            `the clients got ${count()} writes acknowledged within ${ROTATION_DEFAULTS.clientSettleTimeoutMs} ms of switching, ${want} needed`,
          );
        await sleep(5);
      }
      return count();
    },
  };
}

/** Whether a fresh connection to `e` accepts `pw`: true, false on WRONGPASS, or the other error. */
async function accepts(e: Endpoint, pw: string): Promise<boolean | string> {
  try {
    return String(await withProbe(e, {}, (c) => c.call('AUTH', pw))) === 'OK';
  } catch (err) {
    return /^WRONGPASS/.test(errorText(err)) ? false : errorText(err);
  }
}

/** Sentinel's name for its connections, "sentinel-<first 8 of its run id>-cmd" (and "-pubsub"). */
const SENTINEL_LINK = /^id=(\d+) .*\bname=(sentinel-[0-9a-f]+)-(cmd|pubsub)\b/gm;

/**
 * Drop every sentinel connection on every node, then wait until every node has a new command
 * connection from every sentinel and every sentinel has had a PONG from the master and each replica
 * since: Sentinel sends AUTH with its auth-pass, then CLIENT SETNAME and PING, on each new connection,
 * so a named connection and a PONG prove the auth-pass is accepted (with a wrong one, SETNAME and PING
 * get NOAUTH). Sentinel reconnects an instance at most once per second.
 */
export async function proveSentinelsReauthenticate(
  ctx: FaultContext,
  newPw: string,
  /** Who the harness's own connections log in as (the secure profile's admin), else the default user. */
  user?: string | null,
): Promise<{ problem: string | null; ms: number; links: number }> {
  const d = ctx.deployment;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // Per node, the id of a connection made before the drop: client ids only grow, so later ones are new.
  const before = new Map<Pod, number>();
  let links = 0;
  for (const p of d.pods) {
    links += await onNode(
      p.redis,
      [newPw],
      async (c) => {
        before.set(p, Number(await c.call('CLIENT', 'ID')));
        // Both links of every sentinel (commands, and hello pub/sub): none may stay on the old password.
        const ids = [...String(await c.call('CLIENT', 'LIST')).matchAll(SENTINEL_LINK)].map((m) => m[1]!);
        for (const id of ids) await c.call('CLIENT', 'KILL', 'ID', id).catch(() => 0);
        return ids.length;
      },
      user,
    );
  }
  const droppedAt = performance.now();
  const deadline = droppedAt + ROTATION_DEFAULTS.sentinelReauthTimeoutMs;
  for (;;) {
    // Margin: a PONG already on its way when the connection was dropped must not count.
    const sinceDropMs = performance.now() - droppedAt - 20;
    const waiting: string[] = [];
    for (const p of d.pods) {
      try {
        const fresh = await onNode(
          p.redis,
          [newPw],
          async (c) => {
            const named = [...String(await c.call('CLIENT', 'LIST', 'TYPE', 'normal')).matchAll(SENTINEL_LINK)];
            return new Set(named.filter((m) => m[3] === 'cmd' && Number(m[1]) > before.get(p)!).map((m) => m[2])).size;
          },
          user,
        );
        if (fresh < d.pods.length) waiting.push(`${p.name} has new, authenticated connections from ${fresh} of ${d.pods.length} sentinels`);
      } catch (e) {
        waiting.push(`${p.name}: ${errorText(e)}`);
      }
      try {
        const [master, replicas] = await withProbe(
          p.sentinel,
          { connectTimeoutMs: 300 },
          async (s) =>
            [
              pairs(await s.call('SENTINEL', 'master', d.model.masterName)),
              sentinelEntries(await s.call('SENTINEL', 'replicas', d.model.masterName), 'SENTINEL REPLICAS'),
            ] as const,
        );
        for (const inst of [master, ...replicas]) {
          const okAgo = Number(inst['last-ok-ping-reply']);
          if (!(okAgo < sinceDropMs)) waiting.push(`${p.name}/sentinel → ${inst.ip}:${inst.port} (last PONG ${okAgo} ms ago, flags ${inst.flags})`);
        }
      } catch (e) {
        waiting.push(`${p.name}/sentinel: ${errorText(e)}`);
      }
    }
    if (waiting.length === 0) return { problem: null, ms: elapsed(), links };
    if (performance.now() > deadline) {
      return {
        problem: `no PONG on a new connection within ${ROTATION_DEFAULTS.sentinelReauthTimeoutMs} ms (${links} old connections dropped; auth-pass not accepted?): ${waiting.join(', ')}`,
        ms: elapsed(),
        links,
      };
    }
    await sleep(50);
  }
}

/**
 * The 'password-rotated' check: every node accepts the new password and refuses the old one on a fresh
 * connection, replicates with the new one, every sentinel authenticates with it on a fresh connection
 * and reports the master healthy, with every replica and none down.
 */
async function verifyRotation(ctx: FaultContext, oldPw: string, newPw: string): Promise<CheckResult> {
  const d = ctx.deployment;
  const problems: string[] = [];
  await Promise.all(
    d.pods.map(async (p) => {
      const [takesNew, takesOld] = await Promise.all([accepts(p.redis, newPw), accepts(p.redis, oldPw)]);
      if (takesNew !== true) problems.push(`${p.name} refuses the new password (${takesNew === false ? 'WRONGPASS' : takesNew})`);
      if (takesOld !== false)
        problems.push(
          `${p.name} ${takesOld === true ? 'still accepts the old password' : `did not answer AUTH with the old password with WRONGPASS (${takesOld})`}`,
        );
      const masterauth = await onNode(p.redis, [newPw], (c) => c.config('GET', 'masterauth')).then(
        (r) => ((r as string[])[1] === newPw ? null : 'is not the new password'),
        (e: unknown) => `could not be read: ${errorText(e)}`,
      );
      if (masterauth) problems.push(`${p.name}'s masterauth ${masterauth}`);
    }),
  );
  const reauth = problems.length === 0 ? await proveSentinelsReauthenticate(ctx, newPw) : { problem: 'not tried', ms: null, links: 0 };
  if (reauth.problem && problems.length === 0) problems.push(`sentinels: ${reauth.problem}`);
  const master = addr(ctx.topology.master.redis);
  const replicasWanted = d.pods.length - 1;
  await Promise.all(
    d.pods.map(async (p) => {
      try {
        const [m, replicas] = await withProbe(
          p.sentinel,
          { connectTimeoutMs: 300 },
          async (s) =>
            [
              pairs(await s.call('SENTINEL', 'master', d.model.masterName)),
              sentinelEntries(await s.call('SENTINEL', 'replicas', d.model.masterName), 'SENTINEL REPLICAS'),
            ] as const,
        );
        if (m.flags !== 'master') problems.push(`${p.name}/sentinel sees the master with flags ${m.flags}`);
        if (`${m.ip}:${m.port}` !== master) problems.push(`${p.name}/sentinel follows ${m.ip}:${m.port}, not ${master}`);
        const down = replicas.filter((r) => /s_down|o_down|disconnected/.test(r.flags ?? ''));
        if (down.length) problems.push(`${p.name}/sentinel sees replicas ${down.map((r) => `${r.ip}:${r.port} ${r.flags}`).join(', ')}`);
        if (replicas.length !== replicasWanted) problems.push(`${p.name}/sentinel knows ${replicas.length} replicas, expected ${replicasWanted}`);
      } catch (e) {
        problems.push(`${p.name}/sentinel: ${errorText(e)}`);
      }
    }),
  );
  const valid = problems.length === 0;
  return {
    name: 'password-rotated',
    valid,
    figures: { sentinel_reauth_ms: reauth.ms },
    explanation: valid
      ? `all ${d.pods.length} nodes accept only the new password (the old one: WRONGPASS) and use it as masterauth; ` +
        `after ${reauth.links} sentinel connections were dropped, every sentinel authenticated anew and got a PONG from every node within ${reauth.ms} ms, and reports the master healthy with ${replicasWanted} healthy replicas`
      : problems.join('; '),
  };
}

/** Wait until every write invoked in [fromNs, toNs] has its outcome (ok, fail or the client's timeout). */
export async function settleWrites(history: () => readonly Op[], fromNs: number, toNs: number): Promise<void> {
  const deadline = performance.now() + ROTATION_DEFAULTS.writeSettleTimeoutMs;
  for (;;) {
    const h = history();
    const open = new Set(h.filter((o) => o.type === 'invoke' && o.ns >= fromNs && o.ns <= toNs).map((o) => o.key));
    for (const o of h) if (o.type !== 'invoke') open.delete(o.key);
    if (open.size === 0 || performance.now() > deadline) return;
    await sleep(10);
  }
}

/**
 * The 'rotation-invisible' check: no write invoked from the start of the rotation until the master is
 * killed failed, timed out or went unanswered, and none failed in that window.
 */
export function checkRotationInvisible(history: readonly Op[], fromNs: number, toNs: number, rotationMs: number, scrub: (s: string) => string): CheckResult {
  const invoked = new Set(history.filter((o) => o.type === 'invoke' && o.ns >= fromNs && o.ns <= toNs).map((o) => o.key));
  const answered = new Set(history.filter((o) => o.type === 'ok' && !o.late && invoked.has(o.key)).map((o) => o.key));
  const refused = history.filter((o) => (o.type === 'fail' || o.type === 'info') && (invoked.has(o.key) || (o.ns >= fromNs && o.ns <= toNs)));
  const bad = new Set([...refused.map((o) => o.key), ...[...invoked].filter((k) => !answered.has(k))]);
  const windowMs = nsToMs(toNs - fromNs);
  const first = refused[0];
  return {
    name: 'rotation-invisible',
    valid: invoked.size === 0 ? 'unknown' : bad.size === 0,
    figures: { rotation_ms: rotationMs, rotation_writes: invoked.size, rotation_failed_writes: bad.size },
    explanation:
      invoked.size === 0
        ? `no write was invoked during the rotation (${windowMs} ms): nothing shows it was invisible`
        : bad.size === 0
          ? `all ${invoked.size} writes invoked during the rotation (${rotationMs} ms) and its verification (${windowMs} ms in all) were acknowledged in time`
          : `${bad.size} of ${invoked.size} writes invoked during the rotation and its verification (${windowMs} ms) failed or were not acknowledged in time` +
            (first ? `; first: ${first.type} ${scrub(first.error ?? '')}` : ''),
  };
}

export async function rotatePassword(
  ctx: FaultContext,
  spec: { then: 'kill-master' },
  opts: { restart: boolean; /** Wrap the real operations, e.g. to make a step fail in a test. */ ops?: (real: RotationOps) => RotationOps },
): Promise<InjectedFault> {
  const { deployment: d, clock } = ctx;
  if (d.model.security?.acl)
    throw abilityMissing("password-rotation rotates the default user's password, which the secure profile turns off: rotate its ACL users with acl-rotation");
  const oldPw = d.password;
  const newPw = randomBytes(24).toString('base64url');
  const scrub = scrubber([oldPw, newPw]);
  const mark = (detail: string) => ctx.mark('rotate', scrub(detail));
  const real = redisRotationOps(ctx);
  const ops = opts.ops ? opts.ops(real) : real;
  const progress = emptyProgress();
  const giveUp = async (why: string): Promise<never> => {
    ctx.mark('rollback', scrub(`back to the old password: ${why}`));
    const problems = await rollBack(d.pods, oldPw, newPw, progress, ops, (detail) => ctx.mark('rolled-back', scrub(detail)));
    throw new HarnessError(
      'FAULT_FAILED',
      scrub(`password rotation failed: ${why}; ${problems.length ? `rollback incomplete: ${problems.join('; ')}` : 'rolled back to the old password'}`),
    );
  };

  ctx.mark('inject', 'rotate password: ACL, masterauth, sentinels, clients, retire old');
  const injectNs = clock.nowNs();
  try {
    await runRotation(d.pods, oldPw, newPw, ops, mark, progress, () => clock.nowNs());
  } catch (e) {
    return giveUp(errorText(e));
  }
  const rotatedNs = clock.nowNs();
  const rotationMs = nsToMs(rotatedNs - injectNs);
  mark(`rotation done in ${rotationMs} ms; verifying`);

  let rotated: CheckResult;
  try {
    rotated = await verifyRotation(ctx, oldPw, newPw);
  } catch (e) {
    return giveUp(`the rotation could not be verified: ${errorText(e)}`);
  }
  rotated.explanation = scrub(rotated.explanation);
  // A deployment that does not work with the new password is put back on the old one rather than
  // having its master killed on top of it (later scenarios run on the same deployment).
  if (rotated.valid !== true) return giveUp(`the rotation did not verify: ${rotated.explanation}`);
  const verifiedNs = clock.nowNs();
  await settleWrites(ctx.history, injectNs, verifiedNs);
  const invisible = checkRotationInvisible(ctx.history(), injectNs, verifiedNs, rotationMs, scrub);
  mark(`verified on fresh connections in ${nsToMs(verifiedNs - rotatedNs)} ms (check password-rotated)`);

  // then: kill-master, as the kill-pod fault does; the restarted pod gets the new password from the Secret.
  const kill = await killPod(ctx, { target: 'master', holdMs: 0 }, opts.restart);
  return { ...kill, checks: [rotated, invisible], figures: { rotation_ms: rotationMs } };
}

export const passwordRotationFault = defineFault({
  /** Rotate the password while writes continue (ACL, masterauth, sentinels, clients, retire the old one); then kill the master. */
  kind: 'password-rotation',
  fields: {
    /** What proves the new password afterwards: kill the master pod and measure the failover. */
    then: z.enum(['kill-master']).default('kill-master'),
  },
  inject: (ctx, spec, opts) => rotatePassword(ctx, spec, opts),
  plan: () => ({
    victim: 'every pod, then the master',
    action:
      'ACL add the new password on every node, update the Secret, masterauth, sentinel auth-pass, clients, retire the old one; then delete the master pod (grace 0)',
    heal: 'roll back what the rotation changed',
  }),
});
