// acl-rotation: under the secure profile, rotate the passwords of ACL users (the applications', the replication
// and the sentinel users, the pods' own) while writes continue: the new password added beside the old on every
// node (ACL SETUSER u >new), the ACL Secret, then what logs in as each user (masterauth for replication,
// SENTINEL SET auth-user / auth-pass for the sentinels, the applications' clients, the pods' hooks through the
// Secret), then the old password removed (ACL SETUSER u <old). Proven on fresh connections: every node accepts
// the new password and refuses the old one for every rotated user, replicas and sentinels reconnect with theirs.
//
// ACL changes are not replicated and SENTINEL SET is not propagated: every step runs on every node. The
// harness logs in as admin, whose password (the redis-password Secret) is not rotated here.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { ADMIN_USER, APP_USERS, POD_USER, type AppName } from '../config/secure.ts';
import { abilityMissing, HarnessError } from '../errors.ts';
import { nsToMs } from '../clock.ts';
import type { CheckResult } from '../model/check.ts';
import { registerSecret } from '../process/redact.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import type { Pod, StartedDeployment } from '../targets/target.ts';
import { startAppWriters, type AppWriters } from './acl-rotation-apps.ts';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';
import { killPod } from './kill-pod.ts';
import { checkRotationInvisible, errorText, onNode, proveSentinelsReauthenticate, scrubber, settleWrites } from './password-rotation.ts';

/** The users a rotation may take: the applications', the replicas' (masteruser), the sentinels' (auth-user), the pods' hooks'. */
export const ROTATABLE_USERS = [...(Object.keys(APP_USERS) as AppName[]), 'replication', 'sentinel', POD_USER] as const;
export type RotatableUser = (typeof ROTATABLE_USERS)[number];
const isApp = (u: string): u is AppName => u in APP_USERS;

export const ACL_ROTATION_DEFAULTS = {
  /** Writes each application's client gets acknowledged on its new connection before the old password is retired. */
  appAcksAfterSwitch: 10,
  /** Give up (and roll back) when they do not come within this long. */
  appSwitchTimeoutMs: 10_000,
  /** After their links are dropped, the replicas must be linked again (with the new password) within this long. */
  relinkTimeoutMs: 5000,
} as const;

/** One user's rotation. */
export interface UserRotation {
  user: RotatableUser;
  oldPw: string;
  newPw: string;
}

/** Everything the rotation changes; the real ones talk to Redis and the target, a test records or fails them. */
export interface AclRotationOps {
  /** ACL SETUSER user >password on the pod's redis (as admin). */
  addPassword(pod: Pod, user: string, password: string): Promise<void>;
  /** ACL SETUSER user <password (a password the user does not have: no-op). */
  removePassword(pod: Pod, user: string, password: string): Promise<void>;
  /** The ACL Secret's value for the user: pods (re)started from now on, and the pods' hooks at their next call, use it. */
  setSecret(user: string, password: string): Promise<void>;
  /** CONFIG SET masterauth (the replication user's password; masteruser stays). */
  setMasterauth(pod: Pod, password: string): Promise<void>;
  /** SENTINEL SET <master> auth-user <user> auth-pass <password> on the pod's sentinel. */
  setSentinelAuth(pod: Pod, user: string, password: string): Promise<void>;
  /** The application's clients use `password` from their next connection, and reconnect; resolves with the writes acknowledged on the new connections. */
  switchClients(user: AppName, password: string): Promise<number>;
}

/** How far a rotation got (`user@pod` for per-node steps): what a rollback has to undo. */
export interface AclRotationProgress {
  added: Set<string>;
  secrets: Set<string>;
  masterauth: Set<string>;
  sentinels: Set<string>;
  clients: Set<string>;
  retired: Set<string>;
}

export const emptyAclProgress = (): AclRotationProgress => ({
  added: new Set(),
  secrets: new Set(),
  masterauth: new Set(),
  sentinels: new Set(),
  clients: new Set(),
  retired: new Set(),
});

/** `fn` for every (item, pod) at once; each success recorded in `done` as its id. Marks the count; throws naming the failures. */
async function everywhere<T>(
  items: readonly T[],
  pods: readonly Pod[],
  id: (item: T, p: Pod) => string,
  step: string,
  done: Set<string>,
  mark: (detail: string) => void,
  fn: (item: T, p: Pod) => Promise<void>,
): Promise<void> {
  const jobs = items.flatMap((item) => pods.map((p) => ({ item, p })));
  const results = await Promise.allSettled(
    jobs.map(async ({ item, p }) => {
      await fn(item, p);
      done.add(id(item, p));
    }),
  );
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${id(jobs[i]!.item, jobs[i]!.p)}: ${errorText(r.reason)}`] : []));
  const ok = jobs.length - failed.length;
  mark(`${step}: ${ok}/${jobs.length}${failed.length ? ` (failed: ${failed.join('; ')})` : ''}`);
  if (failed.length) throw new HarnessError('FAULT_FAILED', `${step} failed on ${failed.join('; ')}`);
}

const at = (u: { user: string }, p: Pod) => `${u.user}@${p.name}`;
const podOnly = (_: unknown, p: Pod) => p.name;

/**
 * The rotation proper, in the order that keeps every connection working: the new passwords beside the old on
 * every node, the Secret, replication, the sentinels, the applications' clients, then the old passwords removed.
 * Records its progress as it goes; throws at the first step that did not succeed everywhere.
 */
export async function runAclRotation(
  pods: readonly Pod[],
  rotations: readonly UserRotation[],
  ops: AclRotationOps,
  mark: (detail: string) => void,
  progress: AclRotationProgress,
): Promise<void> {
  const users = rotations.map((r) => r.user).join(', ');
  await everywhere(rotations, pods, at, `new password added beside the old (ACL SETUSER >) for ${users}`, progress.added, mark, (r, p) =>
    ops.addPassword(p, r.user, r.newPw),
  );
  for (const r of rotations) {
    // Recorded first: a Secret write that failed halfway is rolled back too (writing the old one is harmless).
    progress.secrets.add(r.user);
    await ops.setSecret(r.user, r.newPw);
  }
  mark(`ACL Secret updated for ${users}: pods and hooks from now on use the new passwords`);
  const replication = rotations.find((r) => r.user === 'replication');
  if (replication)
    await everywhere([replication], pods, podOnly, 'masterauth set to the replication user’s new password (CONFIG SET)', progress.masterauth, mark, (r, p) =>
      ops.setMasterauth(p, r.newPw),
    );
  const sentinel = rotations.find((r) => r.user === 'sentinel');
  if (sentinel)
    await everywhere([sentinel], pods, podOnly, 'sentinel auth-user / auth-pass set to the new password (SENTINEL SET)', progress.sentinels, mark, (r, p) =>
      ops.setSentinelAuth(p, r.user, r.newPw),
    );
  const apps = rotations.filter((r): r is UserRotation & { user: AppName } => isApp(r.user));
  const acked = await Promise.all(
    apps.map(async (r) => {
      progress.clients.add(r.user);
      return `${r.user} ${await ops.switchClients(r.user, r.newPw)}`;
    }),
  );
  if (apps.length) mark(`applications' clients switched and reconnected: writes acknowledged on the new connections: ${acked.join(', ')}`);
  await everywhere(rotations, pods, at, `old password removed (ACL SETUSER <) for ${users}`, progress.retired, mark, (r, p) =>
    ops.removePassword(p, r.user, r.oldPw),
  );
}

/**
 * Undo what `progress` says was done, back to the old passwords: re-added where retired, the Secret, masterauth,
 * the sentinels, the clients, and finally the new passwords removed (only when everything else is back, so nothing
 * is left without a working password). Once a Secret held a new password a pod may have restarted with only
 * that one, so then every pod is tried (failures there tolerated). Returns what could not be undone; never throws.
 */
export async function rollBackAcl(
  pods: readonly Pod[],
  rotations: readonly UserRotation[],
  progress: AclRotationProgress,
  ops: AclRotationOps,
  mark: (detail: string) => void,
): Promise<string[]> {
  const problems: string[] = [];
  const undo = async (what: string, done: ReadonlySet<string>, id: (r: UserRotation, p: Pod) => string, fn: (r: UserRotation, p: Pod) => Promise<void>) => {
    const jobs = rotations.flatMap((r) => pods.filter((p) => done.has(id(r, p)) || progress.secrets.has(r.user)).map((p) => ({ r, p })));
    await Promise.all(
      jobs.map(({ r, p }) =>
        fn(r, p).catch((e: unknown) => {
          if (done.has(id(r, p))) problems.push(`${what} on ${id(r, p)}: ${errorText(e)}`);
        }),
      ),
    );
  };
  await undo('re-adding the old password', progress.retired, at, (r, p) => ops.addPassword(p, r.user, r.oldPw));
  for (const r of rotations)
    if (progress.secrets.has(r.user))
      await ops.setSecret(r.user, r.oldPw).catch((e: unknown) => problems.push(`restoring the Secret of ${r.user}: ${errorText(e)}`));
  await undo('restoring masterauth', progress.masterauth, podOnly, (r, p) => (r.user === 'replication' ? ops.setMasterauth(p, r.oldPw) : Promise.resolve()));
  await undo('restoring the sentinel auth-pass', progress.sentinels, podOnly, (r, p) =>
    r.user === 'sentinel' ? ops.setSentinelAuth(p, r.user, r.oldPw) : Promise.resolve(),
  );
  for (const r of rotations)
    if (isApp(r.user) && progress.clients.has(r.user))
      await ops.switchClients(r.user, r.oldPw).catch((e: unknown) => problems.push(`switching ${r.user}'s clients back: ${errorText(e)}`));
  if (problems.length === 0) await undo('removing the new password', progress.added, at, (r, p) => ops.removePassword(p, r.user, r.newPw));
  else if (progress.added.size > 0) problems.push('the new passwords were left valid, since not everything is back on the old ones');
  mark(problems.length === 0 ? 'rolled back: every rotated user is on its old password again' : `rollback incomplete: ${problems.join('; ')}`);
  return problems;
}

/** The rotation's changes on the running deployment, as the harness's admin user. */
export function redisAclOps(d: StartedDeployment, apps: AppWriters | null): AclRotationOps {
  const asAdmin = <T>(p: Pod, fn: Parameters<typeof onNode<T>>[2]) => onNode(p.redis, [d.password], fn, ADMIN_USER);
  return {
    addPassword: (p, user, pw) => asAdmin(p, (c) => c.call('ACL', 'SETUSER', user, `>${pw}`)).then(() => {}),
    removePassword: (p, user, pw) =>
      asAdmin(p, (c) =>
        c.call('ACL', 'SETUSER', user, `<${pw}`).catch((e: Error) => {
          if (!/does not exist|no such password/i.test(e.message)) throw e;
        }),
      ).then(() => {}),
    async setSecret(user, pw) {
      if (!d.credentials?.setAclPassword) throw abilityMissing(`the ${d.target} target cannot update the ACL Secret`);
      await d.credentials.setAclPassword(user, pw);
    },
    setMasterauth: (p, pw) => asAdmin(p, (c) => c.config('SET', 'masterauth', pw)).then(() => {}),
    setSentinelAuth: (p, user, pw) =>
      withProbe(p.sentinel, {}, (s) => s.call('SENTINEL', 'SET', d.model.masterName, 'auth-user', user, 'auth-pass', pw)).then(() => {}),
    async switchClients(user, pw) {
      if (!apps) throw new HarnessError('INTERNAL', `no clients of ${user} to switch`);
      return apps.switchTo(user, pw);
    },
  };
}

/** 'OK', false on WRONGPASS, or the other error, for AUTH user pw on a fresh connection. */
async function accepts(p: Pod, user: string, pw: string): Promise<true | false | string> {
  try {
    return String(await withProbe(p.redis, {}, (c) => c.call('AUTH', user, pw))) === 'OK' || 'not OK';
  } catch (err) {
    return /^WRONGPASS/.test(errorText(err)) ? false : errorText(err);
  }
}

/** Drop every replica's link on the master, then wait until each is linked again (it logs in as the replication user with masterauth). */
async function proveReplicasRelink(d: StartedDeployment, master: Pod): Promise<{ problem: string | null; ms: number }> {
  const started = performance.now();
  await onNode(master.redis, [d.password], (c) => c.call('CLIENT', 'KILL', 'TYPE', 'replica'), ADMIN_USER);
  const replicas = d.pods.filter((p) => p !== master);
  const deadline = started + ACL_ROTATION_DEFAULTS.relinkTimeoutMs;
  for (;;) {
    const down: string[] = [];
    for (const p of replicas) {
      const info = await onNode(p.redis, [d.password], (c) => c.info('replication'), ADMIN_USER).then(parseInfo, () => ({}) as Record<string, string>);
      if (info.master_link_status !== 'up') down.push(`${p.name} (master_link_status ${info.master_link_status ?? 'unknown'})`);
    }
    if (down.length === 0) return { problem: null, ms: Math.round(performance.now() - started) };
    if (performance.now() > deadline)
      return { problem: `replicas not linked again within ${ACL_ROTATION_DEFAULTS.relinkTimeoutMs} ms of dropping their links: ${down.join(', ')}`, ms: -1 };
    await sleep(50);
  }
}

/** The 'acl-rotated' check: each rotated user's new password accepted and old refused on every node; replicas and sentinels log in anew. */
export async function verifyAclRotation(ctx: FaultContext, rotations: readonly UserRotation[]): Promise<CheckResult> {
  const d = ctx.deployment;
  const problems: string[] = [];
  await Promise.all(
    rotations.flatMap((r) =>
      d.pods.map(async (p) => {
        const [takesNew, takesOld] = await Promise.all([accepts(p, r.user, r.newPw), accepts(p, r.user, r.oldPw)]);
        if (takesNew !== true) problems.push(`${p.name} refuses ${r.user}'s new password (${takesNew === false ? 'WRONGPASS' : takesNew})`);
        if (takesOld !== false)
          problems.push(`${p.name} ${takesOld === true ? `still accepts ${r.user}'s old password` : `answered ${r.user}'s old password with ${takesOld}`}`);
      }),
    ),
  );
  const figures: CheckResult['figures'] = { acl_users_rotated: rotations.length };
  const replication = rotations.find((r) => r.user === 'replication');
  if (replication && problems.length === 0) {
    for (const p of d.pods) {
      const ma = await onNode(p.redis, [d.password], (c) => c.config('GET', 'masterauth'), ADMIN_USER).then((x) => (x as string[])[1]);
      if (ma !== replication.newPw) problems.push(`${p.name}'s masterauth is not the replication user's new password`);
    }
    const relink = await proveReplicasRelink(d, ctx.topology.master);
    if (relink.problem) problems.push(relink.problem);
    figures.replica_relink_ms = relink.problem ? null : relink.ms;
  }
  if (rotations.some((r) => r.user === 'sentinel') && problems.length === 0) {
    const reauth = await proveSentinelsReauthenticate(ctx, d.password, ADMIN_USER);
    if (reauth.problem) problems.push(`sentinels: ${reauth.problem}`);
    figures.sentinel_reauth_ms = reauth.problem ? null : reauth.ms;
  }
  const valid = problems.length === 0;
  return {
    name: 'acl-rotated',
    valid,
    figures,
    explanation: valid
      ? `on all ${d.pods.length} nodes, fresh connections: ${rotations.map((r) => r.user).join(', ')} accepted with the new password and refused (WRONGPASS) with the old` +
        (figures.replica_relink_ms !== undefined
          ? `; replicas linked again as replication ${figures.replica_relink_ms} ms after their links were dropped`
          : '') +
        (figures.sentinel_reauth_ms !== undefined
          ? `; every sentinel logged in anew as sentinel and got a PONG from every node within ${figures.sentinel_reauth_ms} ms`
          : '')
      : problems.join('; '),
  };
}

export interface AclRotationSpec {
  users: readonly RotatableUser[];
  then: 'kill-master' | 'none';
}

/** The passwords now and next of each user; throws ABILITY_MISSING outside the secure profile. */
function plannedRotations(d: StartedDeployment, users: readonly RotatableUser[]): UserRotation[] {
  const acl = d.credentials?.acl;
  if (d.model.security?.acl && acl && d.credentials?.aclReadOnly) throw abilityMissing(`acl-rotation writes the ACL Secret, but ${d.credentials.aclReadOnly}`);
  if (!d.model.security?.acl || !acl || !d.credentials?.setAclPassword)
    throw abilityMissing(
      `acl-rotation needs the secure profile's ACL users (--profile secure) on a target that fills the ACL Secret (local, docker; kind / kube when the run made the Secret); the ${d.target} deployment has none`,
    );
  return [...new Set(users)].map((user) => {
    const oldPw = acl[user];
    if (!oldPw) throw new HarnessError('FAULT_FAILED', `the ACL Secret has no password for "${user}"`);
    const newPw = randomBytes(24).toString('base64url');
    registerSecret(newPw);
    return { user, oldPw, newPw };
  });
}

/** The fault: rotate, verify, then (then: kill-master) kill the master as kill-pod does. */
export async function rotateAcl(
  ctx: FaultContext,
  spec: AclRotationSpec,
  opts: { restart: boolean; ops?: (real: AclRotationOps) => AclRotationOps },
): Promise<InjectedFault> {
  const { deployment: d, clock } = ctx;
  const rotations = plannedRotations(d, spec.users);
  const scrub = scrubber(rotations.flatMap((r) => [r.oldPw, r.newPw]));
  const mark = (detail: string) => ctx.mark('rotate', scrub(detail));
  const appUsers = rotations.map((r) => r.user).filter(isApp);
  ctx.mark('inject', `rotate ACL passwords of ${rotations.map((r) => r.user).join(', ')}: add, Secret, masterauth / sentinels / clients, remove old`);
  const apps = appUsers.length ? await startAppWriters(ctx, appUsers) : null;
  const real = redisAclOps(d, apps);
  const ops = opts.ops ? opts.ops(real) : real;
  const progress = emptyAclProgress();
  const giveUp = async (why: string): Promise<never> => {
    ctx.mark('rollback', scrub(`back to the old passwords: ${why}`));
    const problems = await rollBackAcl(d.pods, rotations, progress, ops, (detail) => ctx.mark('rolled-back', scrub(detail)));
    await apps?.stop();
    throw new HarnessError(
      'FAULT_FAILED',
      scrub(`ACL rotation failed: ${why}; ${problems.length ? `rollback incomplete: ${problems.join('; ')}` : 'rolled back to the old passwords'}`),
    );
  };
  const injectNs = clock.nowNs();
  try {
    await runAclRotation(d.pods, rotations, ops, mark, progress);
  } catch (e) {
    return giveUp(errorText(e));
  }
  const rotationMs = nsToMs(clock.nowNs() - injectNs);
  mark(`rotation done in ${rotationMs} ms; verifying on fresh connections`);
  let rotated: CheckResult;
  try {
    rotated = await verifyAclRotation(ctx, rotations);
  } catch (e) {
    return giveUp(`the rotation could not be verified: ${errorText(e)}`);
  }
  rotated.explanation = scrub(rotated.explanation);
  if (rotated.valid !== true) return giveUp(`the rotation did not verify: ${rotated.explanation}`);
  const verifiedNs = clock.nowNs();
  const history = () => [...ctx.history(), ...(apps?.history() ?? [])];
  await settleWrites(history, injectNs, verifiedNs);
  const invisible = checkRotationInvisible(history(), injectNs, verifiedNs, rotationMs, scrub);
  await apps?.stop();
  const kept = apps ? await apps.checkKept(d, ctx.topology.master) : null;
  mark(`verified in ${Math.round(nsToMs(verifiedNs - injectNs) - rotationMs)} ms (check acl-rotated)`);
  const checks = [rotated, invisible, ...(kept ? [kept] : [])];
  const figures = { acl_rotation_ms: rotationMs };
  if (spec.then === 'none') return { victim: ctx.topology.master, landedNs: clock.nowNs(), healAfterFailover: false, heal: async () => {}, checks, figures };
  const kill = await killPod(ctx, { target: 'master', holdMs: 0 }, opts.restart);
  return { ...kill, checks, figures };
}

export const aclRotationFault = defineFault({
  /** Secure profile: rotate ACL users' passwords while writes continue (add, Secret, masterauth / sentinels / clients, remove old). */
  kind: 'acl-rotation',
  fields: {
    /** The ACL users to rotate (default: every application user, replication and sentinel). */
    users: z
      .array(z.enum(ROTATABLE_USERS))
      .min(1)
      .default([...(Object.keys(APP_USERS) as AppName[]), 'replication', 'sentinel']),
    /** What follows the rotation: kill the master pod (the failover and the restarted pod on the new passwords), or nothing. */
    then: z.enum(['kill-master', 'none']).default('kill-master'),
  },
  inject: (ctx, spec, opts) => rotateAcl(ctx, spec, opts),
  plan: (spec) => ({
    victim: spec.then === 'kill-master' ? 'every pod, then the master' : 'every pod',
    action:
      `ACL SETUSER >new for ${spec.users.join(', ')} on every node, the ACL Secret, ` +
      `${spec.users.includes('replication') ? 'masterauth, ' : ''}${spec.users.includes('sentinel') ? 'sentinel auth-user / auth-pass, ' : ''}the applications' clients, ACL SETUSER <old` +
      (spec.then === 'kill-master' ? '; then delete the master pod (grace 0)' : ''),
    heal: 'roll back what the rotation changed',
  }),
});
