// Under the secure profile: is each application's ACL user enough for its real client library's traffic? Every
// command, key, channel or login a node refused an application user is in that node's ACL LOG (reset before the
// clients start); a library that works around a refusal (ioredis skips its ready check when INFO is refused) still
// leaves the entry. The drivers' own refusals (NOPERM, NOAUTH, WRONGPASS in an operation's error) count too.
import type { AppName } from '../config/secure.ts';
import { pairs, withProbe } from '../redis/clients.ts';
import { addr, type Pod, type StartedDeployment } from '../targets/target.ts';
import type { DriverOp } from '../workload/drivers/protocol.ts';
import type { ConformanceCheck, ConformanceGroupName } from './types.ts';

/** One ACL LOG entry of an application user. */
export interface AclDenial {
  node: string;
  username: string;
  /** command, key, channel or auth. */
  reason: string;
  context: string;
  /** The command, key or channel refused. */
  object: string;
  count: number;
  /** The refused client's name (CLIENT SETNAME), from the entry's client-info; '' when it had none. */
  clientName: string;
}

/** What the ACL LOGs held: the entries of the users asked for, and the nodes that could not be read (with why). */
export interface AclLogs {
  denials: AclDenial[];
  unread: string[];
  read: string[];
}

/** ACL LOG of a node, as the admin: entries of `users` only. */
export function aclDenialsIn(node: string, reply: unknown, users: ReadonlySet<string>): AclDenial[] {
  if (!Array.isArray(reply)) return [];
  return reply
    .map(pairs)
    .filter((e) => users.has(e.username ?? ''))
    .map((e) => ({
      node,
      username: e.username!,
      reason: e.reason ?? '?',
      context: e.context ?? '?',
      object: e.object ?? '?',
      count: Number(e.count ?? 1),
      clientName: /(?:^|\s)name=(\S*)/.exec(e['client-info'] ?? '')?.[1] ?? '',
    }));
}

/** Empty every node's ACL LOG (before the clients start): what is there afterwards is theirs. */
export async function resetAclLogs(d: StartedDeployment, pods: readonly Pod[] = d.pods): Promise<void> {
  await Promise.all(pods.map((p) => withProbe(p.redis, { password: d.password, connectTimeoutMs: 1000 }, (c) => c.call('ACL', 'LOG', 'RESET'))));
}

/** Every node's ACL LOG entries of `users` (a node that does not answer is listed as unread). */
export async function readAclLogs(d: StartedDeployment, pods: readonly Pod[], users: ReadonlySet<string>): Promise<AclLogs> {
  const out: AclLogs = { denials: [], unread: [], read: [] };
  for (const p of pods) {
    try {
      const reply = await withProbe(p.redis, { password: d.password, connectTimeoutMs: 1000, commandTimeoutMs: 2000 }, (c) => c.call('ACL', 'LOG', '128'));
      out.denials.push(...aclDenialsIn(p.name, reply, users));
      out.read.push(p.name);
    } catch (e) {
      out.unread.push(`${p.name} (${addr(p.redis)}): ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

export const mergeAclLogs = (...logs: AclLogs[]): AclLogs => ({
  denials: logs.flatMap((l) => l.denials),
  unread: logs.flatMap((l) => l.unread),
  read: logs.flatMap((l) => l.read),
});

/** A login or a command the ACL does not allow, in the server's words or the library's (redis-py's NoPermissionError, AuthenticationError). */
export const ACL_REFUSAL_RE = /NOPERM|NOAUTH|WRONGPASS|NoPermissionError|AuthenticationError|no permissions to/;

/** One application client: the user it logged in as and its operations. */
export interface AclClient {
  name: string;
  library: string;
  user: AppName;
  db: number;
  ops: readonly DriverOp[];
}

const describeDenial = (x: AclDenial): string => `${x.node}: ${x.reason} \`${x.object}\` refused${x.count > 1 ? ` ×${x.count}` : ''} (context ${x.context})`;

/**
 * One check per application user: none of its clients' traffic refused by the ACL (0 ACL LOG entries on every node
 * read, 0 operations refused NOPERM / NOAUTH / WRONGPASS), and each client got at least one operation acknowledged.
 */
export function appAclChecks(group: ConformanceGroupName, clients: readonly AclClient[], logs: AclLogs): ConformanceCheck[] {
  const users = [...new Set(clients.map((c) => c.user))];
  return users.map((user) => {
    const mine = clients.filter((c) => c.user === user);
    const denials = logs.denials.filter((x) => x.username === user);
    const refused = mine.flatMap((c) => c.ops.filter((o) => ACL_REFUSAL_RE.test(o.error ?? '')).map((o) => `${c.name}: ${o.f} ${o.error!.slice(0, 100)}`));
    const acked = mine.map((c) => ({ c, n: c.ops.filter((o) => o.type === 'ok').length }));
    const idle = acked.filter((a) => a.n === 0).map((a) => a.c.name);
    const valid = denials.length === 0 && refused.length === 0 && idle.length === 0 ? (logs.unread.length ? 'unknown' : true) : false;
    return {
      group,
      name: `acl.${user}`,
      valid,
      expected: `the ACL user ${user} enough for ${mine.map((c) => `${c.name} (${c.library})`).join(', ')}: 0 ACL LOG entries of ${user} on every node, 0 operations refused NOPERM / NOAUTH / WRONGPASS, each client acknowledged`,
      observed:
        `ACL LOG of ${logs.read.join(', ') || 'no node'} read${logs.unread.length ? ` (not read: ${logs.unread.join('; ')})` : ''}: ` +
        (denials.length ? `${denials.length} entries of ${user}: ${denials.map(describeDenial).join('; ')}` : `0 entries of ${user}`) +
        `; ${refused.length} operations refused${refused.length ? ` (${refused.slice(0, 3).join('; ')})` : ''}; acknowledged as ${user}: ${acked.map((a) => `${a.c.name} ${a.n} on db ${a.c.db}`).join(', ')}`,
      explanation:
        `Each client logs in as ${user}, on its db and keys (~${user}:*), with its certificate, and speaks its library's own protocol (connection set-up, discovery, reads, pub/sub). ` +
        'A node logs each command, key, channel or login it refuses a user in its ACL LOG, also when the library works around the refusal (ioredis skips its ready check when INFO is refused). ' +
        'The sentinels have no ACL user: a client certificate of the CA is all a client needs there.',
      figures: {
        acl_log_entries: denials.reduce((s, x) => s + x.count, 0),
        acl_refused_ops: refused.length,
        acl_nodes_read: logs.read.length,
      },
    };
  });
}
