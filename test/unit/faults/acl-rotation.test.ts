// The acl-rotation procedure against recording operations: its order (nothing retired before everything that
// logs in as the user uses the new password), its rollback from every step, its schema, plan and skip outside
// the secure profile. The real thing on redis-server: test/integration/acl-rotation.test.ts.
import { describe, expect, it } from 'vitest';
import {
  aclRotationFault,
  emptyAclProgress,
  rollBackAcl,
  rotateAcl,
  runAclRotation,
  type AclRotationOps,
  type UserRotation,
} from '../../../src/faults/acl-rotation.ts';
import { FaultSchema, planFault } from '../../../src/faults/index.ts';
import { rotatePassword } from '../../../src/faults/password-rotation.ts';
import type { FaultContext } from '../../../src/faults/fault.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';

const pods: Pod[] = [0, 1, 2].map((ordinal) => ({
  name: `redis-${ordinal}`,
  ordinal,
  node: 'n',
  redis: { host: `127.0.0.${ordinal + 1}`, port: 6379 },
  sentinel: { host: `127.0.0.${ordinal + 1}`, port: 26379 },
}));

const rotations: UserRotation[] = [
  { user: 'synapse', oldPw: 'old-syn', newPw: 'new-syn' },
  { user: 'replication', oldPw: 'old-rep', newPw: 'new-rep' },
  { user: 'sentinel', oldPw: 'old-sen', newPw: 'new-sen' },
  { user: 'pod', oldPw: 'old-pod', newPw: 'new-pod' },
];

/** Operations that record what they were asked, and fail where `failOn` says (a step and a pod or user). */
function recording(failOn?: (step: string, who: string) => boolean) {
  const calls: string[] = [];
  // The passwords each node's users have, as ACL SETUSER would leave them.
  const acl = new Map<string, Set<string>>(pods.flatMap((p) => rotations.map((r) => [`${r.user}@${p.name}`, new Set([r.oldPw])] as const)));
  const secret = new Map<string, string>(rotations.map((r) => [r.user, r.oldPw]));
  const masterauth = new Map(pods.map((p) => [p.name, 'old-rep']));
  const sentinels = new Map(pods.map((p) => [p.name, 'old-sen']));
  const clients = new Map([['synapse', 'old-syn']]);
  const step = (name: string, who: string) => {
    calls.push(`${name} ${who}`);
    if (failOn?.(name, who)) throw new Error(`injected failure of ${name} on ${who}`);
  };
  const ops: AclRotationOps = {
    addPassword: async (p, user, pw) => {
      step('add', `${user}@${p.name}`);
      acl.get(`${user}@${p.name}`)!.add(pw);
    },
    removePassword: async (p, user, pw) => {
      step('remove', `${user}@${p.name}`);
      acl.get(`${user}@${p.name}`)!.delete(pw);
    },
    setSecret: async (user, pw) => {
      step('secret', user);
      secret.set(user, pw);
    },
    setMasterauth: async (p, pw) => {
      step('masterauth', p.name);
      masterauth.set(p.name, pw);
    },
    setSentinelAuth: async (p, user, pw) => {
      expect(user).toBe('sentinel');
      step('sentinel', p.name);
      sentinels.set(p.name, pw);
    },
    switchClients: async (user, pw) => {
      step('clients', user);
      clients.set(user, pw);
      return 10;
    },
  };
  return { ops, calls, acl, secret, masterauth, sentinels, clients };
}

describe('acl-rotation: the procedure', () => {
  it('adds every new password on every node first, then the Secret, masterauth, sentinels, clients, and retires the old ones last', async () => {
    const r = recording();
    const marks: string[] = [];
    await runAclRotation(pods, rotations, r.ops, (m) => marks.push(m), emptyAclProgress());
    const kinds = r.calls.map((c) => c.split(' ')[0]);
    const firstOf = (k: string) => kinds.indexOf(k);
    const lastOf = (k: string) => kinds.lastIndexOf(k);
    expect(kinds.filter((k) => k === 'add')).toHaveLength(12);
    expect(kinds.filter((k) => k === 'remove')).toHaveLength(12);
    expect(lastOf('add')).toBeLessThan(firstOf('secret'));
    expect(lastOf('secret')).toBeLessThan(firstOf('masterauth'));
    expect(lastOf('masterauth')).toBeLessThan(firstOf('sentinel'));
    expect(lastOf('sentinel')).toBeLessThan(firstOf('clients'));
    expect(lastOf('clients')).toBeLessThan(firstOf('remove'));
    // The end state: every node has only the new passwords, everything that logs in uses them.
    for (const [who, pws] of r.acl) expect([...pws], who).toEqual([rotations.find((x) => who.startsWith(`${x.user}@`))!.newPw]);
    expect([...r.secret.values()]).toEqual(['new-syn', 'new-rep', 'new-sen', 'new-pod']);
    expect([...r.masterauth.values()]).toEqual(['new-rep', 'new-rep', 'new-rep']);
    expect([...r.sentinels.values()]).toEqual(['new-sen', 'new-sen', 'new-sen']);
    expect(r.clients.get('synapse')).toBe('new-syn');
    expect(marks).toContainEqual(expect.stringMatching(/^new password added .*: 12\/12$/));
    expect(marks).toContainEqual(expect.stringMatching(/^old password removed .*: 12\/12$/));
    // Marks never carry a password.
    for (const x of rotations) expect(marks.join('\n')).not.toMatch(new RegExp(`${x.oldPw}|${x.newPw}`));
  });

  it('without replication or sentinel in the rotation, masterauth and the sentinels are left alone', async () => {
    const r = recording();
    await runAclRotation(pods, [rotations[0]!], r.ops, () => {}, emptyAclProgress());
    expect(r.calls.some((c) => /^(masterauth|sentinel) /.test(c))).toBe(false);
    expect(r.calls.filter((c) => c.startsWith('clients'))).toEqual(['clients synapse']);
  });

  // Each step failing on one pod or user: the rotation stops there and the rollback restores the old passwords everywhere.
  const failures: Array<[string, string]> = [
    ['add', 'sentinel@redis-2'],
    ['secret', 'replication'],
    ['masterauth', 'redis-1'],
    ['sentinel', 'redis-0'],
    ['clients', 'synapse'],
    ['remove', 'pod@redis-1'],
  ];
  it.each(failures)('a failed %s on %s stops the rotation before the old passwords are all gone, and the rollback restores them', async (step, who) => {
    const r = recording((s, w) => s === step && w === who);
    const progress = emptyAclProgress();
    const err = await runAclRotation(pods, rotations, r.ops, () => {}, progress).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toContain(`injected failure of ${step} on ${who}`);
    // Nothing retired unless the failure was in the retirement itself.
    if (step !== 'remove') expect(progress.retired.size).toBe(0);
    const healthy = recording();
    // Roll back with working operations on the state the failed run left.
    Object.assign(healthy, { acl: r.acl });
    const ops: AclRotationOps = {
      ...healthy.ops,
      addPassword: async (p, user, pw) => void r.acl.get(`${user}@${p.name}`)!.add(pw),
      removePassword: async (p, user, pw) => void r.acl.get(`${user}@${p.name}`)!.delete(pw),
      setSecret: async (user, pw) => void r.secret.set(user, pw),
      setMasterauth: async (p, pw) => void r.masterauth.set(p.name, pw),
      setSentinelAuth: async (p, _u, pw) => void r.sentinels.set(p.name, pw),
      switchClients: async (user, pw) => (r.clients.set(user, pw), 0),
    };
    const marks: string[] = [];
    const problems = await rollBackAcl(pods, rotations, progress, ops, (m) => marks.push(m));
    expect(problems).toEqual([]);
    for (const [id, pws] of r.acl) expect([...pws], id).toEqual([rotations.find((x) => id.startsWith(`${x.user}@`))!.oldPw]);
    expect([...r.secret.values()]).toEqual(['old-syn', 'old-rep', 'old-sen', 'old-pod']);
    expect([...r.masterauth.values()]).toEqual(['old-rep', 'old-rep', 'old-rep']);
    expect([...r.sentinels.values()]).toEqual(['old-sen', 'old-sen', 'old-sen']);
    expect(r.clients.get('synapse')).toBe('old-syn');
    expect(marks).toEqual(['rolled back: every rotated user is on its old password again']);
  });

  it('a rollback that cannot restore something keeps the new passwords valid and says so', async () => {
    const r = recording((s, w) => s === 'masterauth' && w === 'redis-1');
    const progress = emptyAclProgress();
    await runAclRotation(pods, rotations, r.ops, () => {}, progress).catch(() => {});
    const broken = recording((s, w) => s === 'masterauth' && w === 'redis-0');
    const problems = await rollBackAcl(pods, rotations, progress, broken.ops, () => {});
    expect(problems[0]).toMatch(/^restoring masterauth on redis-0: injected failure/);
    expect(problems.at(-1)).toMatch(/new passwords were left valid/);
    expect(broken.calls.some((c) => c.startsWith('remove'))).toBe(false);
  });
});

describe('acl-rotation: the fault kind', () => {
  it('defaults to the applications, replication and sentinel, then a master kill; rejects an unknown user', () => {
    expect(FaultSchema.parse({ kind: 'acl-rotation' })).toEqual({
      kind: 'acl-rotation',
      users: ['synapse', 'livekit', 'django', 'replication', 'sentinel'],
      then: 'kill-master',
    });
    expect(FaultSchema.safeParse({ kind: 'acl-rotation', users: ['admin'] }).success).toBe(false);
    expect(FaultSchema.safeParse({ kind: 'acl-rotation', users: [] }).success).toBe(false);
    expect(aclRotationFault.kind).toBe('acl-rotation');
  });

  it('plans what it does, by user', () => {
    const plan = planFault({ kind: 'acl-rotation', users: ['django', 'sentinel'], then: 'none' }, 'kube');
    expect(plan.action).toMatch(/ACL SETUSER >new for django, sentinel .*sentinel auth-user \/ auth-pass.*ACL SETUSER <old$/);
    expect(plan.action).not.toMatch(/masterauth/);
    expect(plan.victim).toBe('every pod');
  });

  it('is skipped (ABILITY_MISSING) on a deployment without the secure profile, before touching anything', async () => {
    const d = { target: 'local', model: { security: null }, pods } as unknown as StartedDeployment;
    const ctx = { deployment: d, mark: () => expect.unreachable('nothing may be marked') } as unknown as FaultContext;
    await expect(rotateAcl(ctx, { users: ['synapse'], then: 'none' }, { restart: true })).rejects.toMatchObject({ code: 'ABILITY_MISSING' });
  });

  it('password-rotation is skipped under the secure profile (its default user is off), pointing to acl-rotation', async () => {
    const d = { target: 'local', model: { security: { acl: { secret: 'redis-acl' } } }, pods, password: 'x' } as unknown as StartedDeployment;
    const ctx = { deployment: d, mark: () => expect.unreachable('nothing may be marked') } as unknown as FaultContext;
    await expect(rotatePassword(ctx, { then: 'kill-master' }, { restart: true })).rejects.toMatchObject({
      code: 'ABILITY_MISSING',
      message: expect.stringContaining('acl-rotation'),
    });
  });
});
