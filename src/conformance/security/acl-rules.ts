// Reading an ACL `user` line statically: which of a few commands it grants, its key and channel patterns, the
// databases SELECT may reach. A model of Redis 7.0's rule evaluation for the commands the secure profile is
// about (categories below as `COMMAND INFO` reports them); the live checks ask the server itself (ACL DRYRUN).

/** Redis 7.0's categories of the commands the checks ask about. */
export const COMMAND_CATEGORIES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  flushall: ['keyspace', 'write', 'slow', 'dangerous'],
  flushdb: ['keyspace', 'write', 'slow', 'dangerous'],
  config: ['admin', 'slow', 'dangerous'],
  debug: ['admin', 'slow', 'dangerous'],
  shutdown: ['admin', 'slow', 'dangerous'],
  select: ['fast', 'connection'],
  get: ['read', 'string', 'fast'],
  set: ['write', 'string', 'slow'],
  publish: ['pubsub', 'fast'],
  psync: ['admin', 'slow', 'dangerous'],
  replconf: ['admin', 'slow', 'dangerous'],
  ping: ['fast', 'connection'],
  keys: ['keyspace', 'read', 'slow', 'dangerous'],
});

export interface AclUser {
  name: string;
  on: boolean;
  nopass: boolean;
  keys: string[];
  channels: string[];
  rules: string[];
}

/** Parse `user NAME rule…` tokens (the directive's arguments: NAME first). */
export function parseAclUser(args: readonly string[]): AclUser {
  const [name = '', ...rules] = args;
  const u: AclUser = { name, on: false, nopass: false, keys: [], channels: [], rules: [] };
  for (const r of rules) {
    const l = r.toLowerCase();
    if (l === 'on') u.on = true;
    else if (l === 'off') u.on = false;
    else if (l === 'nopass') u.nopass = true;
    else if (l === 'resetpass') u.nopass = false;
    else if (l === 'allkeys') u.keys.push('*');
    else if (l === 'resetkeys') u.keys = [];
    else if (l === 'allchannels') u.channels.push('*');
    else if (l === 'resetchannels') u.channels = [];
    else if (r.startsWith('~')) u.keys.push(r.slice(1));
    else if (r.startsWith('%')) u.keys.push(r.slice(r.indexOf('~') + 1));
    else if (r.startsWith('&')) u.channels.push(r.slice(1));
    else if (/^[+-]/.test(r) || l === 'allcommands' || l === 'nocommands') u.rules.push(l);
  }
  return u;
}

/**
 * Whether the user may run `command` (with `firstArg`, for rules like +select|2): the last matching rule
 * wins, as Redis applies them in order. A `+cmd|arg` rule grants only that first argument.
 */
export function grants(u: AclUser, command: string, firstArg?: string): boolean {
  const cmd = command.toLowerCase();
  const cats = COMMAND_CATEGORIES[cmd] ?? [];
  let allowed = false;
  for (const r of u.rules) {
    const plus = r.startsWith('+') || r === 'allcommands';
    const body = r === 'allcommands' ? '@all' : r === 'nocommands' ? '@all' : r.slice(1);
    if (body === '@all' || (body.startsWith('@') && cats.includes(body.slice(1))) || body === cmd) allowed = plus;
    else if (body.startsWith(`${cmd}|`) && plus && firstArg !== undefined && body.slice(cmd.length + 1) === firstArg.toLowerCase()) allowed = true;
  }
  return allowed;
}

/** The databases SELECT reaches: 'any', or the indexes (of Redis's default 16) granted one by one (+select|N). */
export function selectableDbs(u: AclUser): 'any' | number[] {
  if (grants(u, 'select')) return 'any';
  return Array.from({ length: 16 }, (_, i) => i).filter((i) => grants(u, 'select', String(i)));
}
