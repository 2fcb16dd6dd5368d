// The secure profile's settings, read from the (rendered) manifests: TLS on every listener and link, the
// ACL users (the default user off, each application on its own keys and database without FLUSHALL / CONFIG /
// DEBUG / SHUTDOWN, the replication and Sentinel users), the Secrets mounted, and the NetworkPolicy.
import type { ConfText, DeploymentModel, ManifestObject } from '../../config/manifests.ts';
import { lastDirective, parseDirectives } from '../../config/redis-conf.ts';
import { APP_FORBIDDEN, APP_USERS, EXPORTER_COMMANDS, EXPORTER_USER } from '../../config/secure.ts';
import type { ConformanceCheck } from '../../model/conformance.ts';
import { grants, parseAclUser, selectableDbs, type AclUser } from './acl-rules.ts';

type Check = ConformanceCheck;
const REDIS_POD_LABEL = 'app.kubernetes.io/name';
const APP_POD_NAMES = ['synapse', 'livekit', 'key-vault'];

function check(
  name: string,
  valid: boolean,
  where: { file: string; object: string; field: string },
  expected: string,
  observed: string,
  explanation: string,
): Check {
  return { name, group: 'security', valid, expected, observed, explanation, ...where };
}

const confWhere = (c: ConfText, field: string) => ({ file: c.file, object: `ConfigMap/${c.configMap}`, field: `data["${c.key}"]: ${field}` });

function directiveCheck(name: string, conf: ConfText, directive: string, expected: string, explanation: string): Check {
  const observed = lastDirective(conf.text, [directive])?.join(' ') ?? '(absent)';
  return check(name, observed.toLowerCase() === expected, confWhere(conf, directive), expected, observed, explanation);
}

function tlsChecks(m: DeploymentModel): Check[] {
  const out: Check[] = [];
  for (const [who, conf, port] of [
    ['redis', m.redisConf, m.redisPort],
    ['sentinel', m.sentinelConf, m.sentinelPort],
  ] as const) {
    out.push(
      directiveCheck(`tls.${who}.port`, conf, 'port', '0', `port 0: ${who} has no plaintext listener; a plaintext client is refused.`),
      directiveCheck(`tls.${who}.tls-port`, conf, 'tls-port', String(port), `${who} listens with TLS on the port the Services and clients use.`),
      directiveCheck(
        `tls.${who}.tls-replication`,
        conf,
        'tls-replication',
        'yes',
        who === 'redis' ? 'Replicas connect to the master over TLS.' : "Sentinel's own connections (to redis and to the other sentinels) use TLS.",
      ),
      directiveCheck(
        `tls.${who}.tls-auth-clients`,
        conf,
        'tls-auth-clients',
        'yes',
        'Only a client presenting a certificate of the CA gets in (optional would admit any TLS client).',
      ),
    );
  }
  return out;
}

function stsObject(m: DeploymentModel): ManifestObject {
  return m.objects.find((o) => o.kind === 'StatefulSet')!;
}

/** The Secret volumes (TLS and ACL) are mounted where the scripts look, read-only to the owner. */
function secretChecks(m: DeploymentModel): Check[] {
  const sts = stsObject(m);
  const where = (field: string) => ({ file: sts.__file, object: `StatefulSet/${sts.metadata.name}`, field });
  const vols = ((sts.spec as { template?: { spec?: { volumes?: unknown[] } } }).template?.spec?.volumes ?? []) as Array<{
    name?: string;
    secret?: { secretName?: string; defaultMode?: number };
  }>;
  const out: Check[] = [];
  for (const [what, env, sec] of [
    ['tls', 'TLS_DIR', m.security?.tls],
    ['acl', 'ACL_DIR', m.security?.acl],
  ] as const) {
    const dir = m.redis.env.find((e) => e.name === env)?.value;
    out.push(
      check(
        `${what}.secret-mounted`,
        Boolean(dir && sec),
        where(`spec.template.spec.containers[].env ${env}`),
        `${env} set to where a Secret volume is mounted`,
        dir ? (sec ? `${dir} (Secret ${sec.secret})` : `${dir} (no Secret volume mounted there)`) : '(unset)',
        what === 'tls'
          ? 'The pods find ca.crt and their own certificate and key in the TLS Secret.'
          : "Each ACL user's password comes from the ACL Secret, never from a ConfigMap.",
      ),
    );
    const vol = sec ? vols.find((v) => v.secret?.secretName === sec.secret) : undefined;
    const mode = vol?.secret?.defaultMode;
    out.push(
      check(
        `${what}.secret-mode`,
        mode !== undefined && (mode & 0o077) === 0,
        where(`spec.template.spec.volumes[${vol?.name ?? '?'}].secret.defaultMode`),
        '0400 (owner only)',
        mode === undefined ? '(unset: 0644)' : `0${mode.toString(8)}`,
        'Private keys and passwords readable by the owner only.',
      ),
    );
  }
  const tlsSecret = m.security?.tls?.secret;
  const caKey = tlsSecret ? Object.keys(m.secretData[tlsSecret] ?? {}).includes('ca.crt') : false;
  const secretObj = m.objects.find((o) => o.kind === 'Secret' && o.metadata.name === tlsSecret);
  out.push(
    check(
      'tls.secret.ca',
      caKey,
      { file: secretObj?.__file ?? m.manifestsDir, object: `Secret/${tlsSecret ?? 'redis-tls'}`, field: 'stringData["ca.crt"]' },
      'a ca.crt key',
      caKey ? 'present' : '(absent)',
      'Every party verifies the others against this CA.',
    ),
  );
  return out;
}

function users(conf: ConfText): Map<string, AclUser> {
  const out = new Map<string, AclUser>();
  for (const t of parseDirectives(conf.text)) if (t[0]?.toLowerCase() === 'user' && t[1]) out.set(t[1], parseAclUser(t.slice(1)));
  return out;
}

function aclChecks(m: DeploymentModel): Check[] {
  const conf = m.redisConf;
  const all = users(conf);
  const out: Check[] = [];
  const def = all.get('default');
  out.push(
    check(
      'acl.default-off',
      Boolean(def && !def.on),
      confWhere(conf, 'user default'),
      'user default off',
      def ? `user default ${def.on ? 'on' : 'off'}${def.nopass ? ' nopass' : ''}` : '(no user default line: on, nopass, every command)',
      'The default user is off: every client logs in as its own user.',
    ),
  );
  for (const [app, spec] of Object.entries(APP_USERS)) {
    const u = all.get(app);
    const field = `user ${app}`;
    if (!u) {
      out.push(check(`acl.${app}.exists`, false, confWhere(conf, field), `a user ${app}`, '(absent)', `The ${app} application logs in as its own user.`));
      continue;
    }
    const granted = APP_FORBIDDEN.filter((c) => grants(u, c));
    out.push(
      check(
        `acl.${app}.forbidden`,
        granted.length === 0,
        confWhere(conf, field),
        `none of ${APP_FORBIDDEN.join(', ')}`,
        granted.length ? `grants ${granted.join(', ')}` : 'none granted',
        'An application never flushes, reconfigures, debugs or stops the server.',
      ),
    );
    const dbs = selectableDbs(u);
    out.push(
      check(
        `acl.${app}.db`,
        Array.isArray(dbs) && dbs.length === 1 && dbs[0] === spec.db,
        confWhere(conf, field),
        `SELECT ${spec.db} only (-select +select|${spec.db})`,
        dbs === 'any' ? 'SELECT any database' : dbs.length ? `SELECT ${dbs.join(', ')}` : 'no SELECT',
        `${app} stays on its own database (db ${spec.db}, the seed's connection string).`,
      ),
    );
    const keysOk = u.keys.length === 1 && u.keys[0] === spec.keys && u.channels.length === 1 && u.channels[0] === spec.keys;
    out.push(
      check(
        `acl.${app}.keys`,
        keysOk,
        confWhere(conf, field),
        `~${spec.keys} &${spec.keys}`,
        `${u.keys.map((k) => `~${k}`).join(' ') || '(no keys)'} ${u.channels.map((c) => `&${c}`).join(' ') || '(no channels)'}`,
        `${app} reaches its own keys and channels only.`,
      ),
    );
    const missing = ['get', 'set', 'publish'].filter((c) => !grants(u, c));
    if (!grants(u, 'select', String(spec.db))) missing.push(`select|${spec.db}`);
    out.push(
      check(
        `acl.${app}.needs`,
        u.on && missing.length === 0,
        confWhere(conf, field),
        'on, GET, SET, PUBLISH and its SELECT',
        u.on ? (missing.length ? `missing ${missing.join(', ')}` : 'all granted') : 'off',
        `What ${app} needs to work is granted.`,
      ),
    );
  }
  const masterUser = lastDirective(conf.text, ['masteruser'])?.[0];
  const repl = masterUser ? all.get(masterUser) : undefined;
  const replExtra = repl ? ['get', 'set', 'flushall', 'config', 'select'].filter((c) => grants(repl, c)) : [];
  out.push(
    check(
      'acl.replication',
      Boolean(repl && repl.on && grants(repl, 'psync') && grants(repl, 'replconf') && grants(repl, 'ping') && replExtra.length === 0 && repl.keys.length === 0),
      confWhere(conf, `masteruser / user ${masterUser ?? '?'}`),
      'masteruser names a user with PSYNC, REPLCONF and PING only, no keys',
      repl
        ? `${masterUser}: ${repl.rules.join(' ')}${repl.keys.length ? ` ~${repl.keys.join(' ~')}` : ''}`
        : masterUser
          ? `${masterUser}: no such user`
          : '(no masteruser)',
      'Replicas log in as a user that can replicate and nothing else.',
    ),
  );
  const sentinelUser = lastDirective(m.sentinelConf.text, ['sentinel', 'auth-user', m.masterName])?.[0];
  const sen = sentinelUser ? all.get(sentinelUser) : undefined;
  const senExtra = sen ? ['get', 'set', 'flushall', 'debug', 'shutdown'].filter((c) => grants(sen, c)) : [];
  out.push(
    check(
      'acl.sentinel',
      Boolean(sen && sen.on && grants(sen, 'ping') && grants(sen, 'publish') && senExtra.length === 0 && sen.keys.length === 0),
      {
        file: m.sentinelConf.file,
        object: `ConfigMap/${m.sentinelConf.configMap}`,
        field: `data["${m.sentinelConf.key}"]: sentinel auth-user ${m.masterName}`,
      },
      "sentinel auth-user names a user with Sentinel's commands only (Redis's documented list), no keys",
      sen
        ? `${sentinelUser}: ${sen.rules.join(' ')}${senExtra.length ? ` (also grants ${senExtra.join(', ')})` : ''}`
        : sentinelUser
          ? `${sentinelUser}: no such user`
          : '(no sentinel auth-user)',
      'The sentinels monitor and fail over as a user that cannot read or write data.',
    ),
  );
  out.push(exporterCheck(conf, all.get(EXPORTER_USER)));
  return out;
}

/** What the exporter must not have, statically: data, flushing, CONFIG (GET returns masterauth), pub/sub, replication. */
const EXPORTER_NOT = ['get', 'set', 'keys', 'flushall', 'flushdb', 'config', 'publish', 'subscribe', 'psync', 'shutdown', 'debug'];

/** The exporter sidecar's user: on, what redis_exporter sends granted, nothing else of note, no keys, no channels. */
function exporterCheck(conf: ConfText, u: AclUser | undefined): Check {
  const where = confWhere(conf, `user ${EXPORTER_USER}`);
  const expected = `on, ${EXPORTER_COMMANDS.map((c) => c.slice(0, c[0] === 'INFO' ? 1 : 2).join(' ')).join(', ')} granted; none of ${EXPORTER_NOT.join(', ')}; no keys, no channels`;
  const why = 'The exporter sidecar reads the server state it exports and nothing else: no data, no passwords (CONFIG GET * returns masterauth).';
  if (!u) return check(`acl.${EXPORTER_USER}`, false, where, expected, '(absent: the exporter logs in as another user)', why);
  const missing = EXPORTER_COMMANDS.filter(([cmd, sub]) => !grants(u, cmd!, cmd === 'INFO' ? undefined : sub)).map((c) => c.slice(0, 2).join(' '));
  const extra = EXPORTER_NOT.filter((c) => grants(u, c) || (c === 'config' && grants(u, 'config', 'get')));
  const problems = [
    ...(u.on ? [] : ['off']),
    ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
    ...(extra.length ? [`grants ${extra.join(', ')}`] : []),
    ...(u.keys.length ? [`keys ~${u.keys.join(' ~')}`] : []),
    ...(u.channels.length ? [`channels &${u.channels.join(' &')}`] : []),
  ];
  return check(`acl.${EXPORTER_USER}`, problems.length === 0, where, expected, problems.length ? problems.join('; ') : 'as expected', why);
}

interface PolicyPeer {
  podSelector?: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> };
  namespaceSelector?: unknown;
  ipBlock?: unknown;
}

/** Which pods a peer admits, in words, and whether it is one the profile allows (the redis pods or the applications'). */
function peerAllowed(p: PolicyPeer): { ok: boolean; text: string } {
  if (p.ipBlock) return { ok: false, text: 'an ipBlock' };
  if (p.namespaceSelector) return { ok: false, text: 'a namespaceSelector (other namespaces)' };
  const sel = p.podSelector;
  if (!sel || (!sel.matchLabels && !sel.matchExpressions)) return { ok: false, text: 'every pod (empty podSelector)' };
  const name = sel.matchLabels?.[REDIS_POD_LABEL];
  if (name === 'redis' && !sel.matchExpressions) return { ok: true, text: 'the redis pods' };
  const expr = sel.matchExpressions ?? [];
  if (
    !sel.matchLabels &&
    expr.length === 1 &&
    expr[0]!.key === REDIS_POD_LABEL &&
    expr[0]!.operator === 'In' &&
    (expr[0]!.values ?? []).every((v) => APP_POD_NAMES.includes(v))
  )
    return { ok: true, text: `the applications (${(expr[0]!.values ?? []).join(', ')})` };
  return { ok: false, text: `pods ${JSON.stringify(sel)}` };
}

function networkPolicyChecks(m: DeploymentModel): Check[] {
  const policies = m.objects.filter((o) => o.kind === 'NetworkPolicy');
  const selectsRedis = (o: ManifestObject) =>
    (o.spec as { podSelector?: { matchLabels?: Record<string, string> } } | undefined)?.podSelector?.matchLabels?.[REDIS_POD_LABEL] === 'redis';
  const np = policies.find(selectsRedis);
  if (!np)
    return [
      check(
        'netpol.exists',
        false,
        { file: m.manifestsDir, object: 'NetworkPolicy', field: 'spec.podSelector' },
        `a NetworkPolicy selecting ${REDIS_POD_LABEL}=redis`,
        policies.length ? `${policies.length} NetworkPolicy, none selecting the redis pods` : '(none)',
        'Without one, any pod in the cluster reaches redis and Sentinel.',
      ),
    ];
  const spec = np.spec as { policyTypes?: string[]; ingress?: Array<{ from?: PolicyPeer[]; ports?: Array<{ port?: number | string; protocol?: string }> }> };
  const where = (field: string) => ({ file: np.__file, object: `NetworkPolicy/${np.metadata.name}`, field });
  const wanted = [m.redisPort, m.sentinelPort];
  const out: Check[] = [
    check(
      'netpol.exists',
      true,
      where('spec.podSelector'),
      `selects ${REDIS_POD_LABEL}=redis`,
      'selects the redis pods',
      'The policy applies to the redis pods.',
    ),
    check(
      'netpol.ingress',
      (spec.policyTypes ?? []).includes('Ingress'),
      where('spec.policyTypes'),
      'includes Ingress',
      JSON.stringify(spec.policyTypes ?? []),
      'Ingress is restricted: what no rule admits is denied.',
    ),
  ];
  const rules = spec.ingress ?? [];
  const badPorts: string[] = [];
  const badPeers: string[] = [];
  const covered = new Set<number>();
  for (const [i, r] of rules.entries()) {
    if (!r.ports || r.ports.length === 0) badPorts.push(`ingress[${i}]: every port`);
    for (const p of r.ports ?? []) {
      const n = Number(p.port);
      if (wanted.includes(n)) covered.add(n);
      else badPorts.push(`ingress[${i}]: ${String(p.port)}`);
    }
    if (!r.from || r.from.length === 0) badPeers.push(`ingress[${i}]: from everywhere`);
    for (const peer of r.from ?? []) {
      const a = peerAllowed(peer);
      if (!a.ok) badPeers.push(`ingress[${i}]: ${a.text}`);
    }
  }
  out.push(
    check(
      'netpol.ports',
      badPorts.length === 0 && wanted.every((p) => covered.has(p)),
      where('spec.ingress[].ports'),
      `${wanted.join(' and ')} only`,
      badPorts.length ? badPorts.join('; ') : `${[...covered].join(', ') || 'none'}`,
      'Only redis and Sentinel are reachable; both are (replication and Sentinel gossip need them).',
    ),
    check(
      'netpol.sources',
      badPeers.length === 0 && rules.length > 0,
      where('spec.ingress[].from'),
      "the redis pods and the applications' pods only",
      badPeers.length ? badPeers.join('; ') : rules.length ? 'the redis pods and the applications' : 'no rule (nothing admitted)',
      'No other pod, namespace or address reaches redis or Sentinel.',
    ),
  );
  return out;
}

/** Every static check of the secure profile on a (rendered) deployment model. */
export function securityStaticChecks(m: DeploymentModel): ConformanceCheck[] {
  return [...tlsChecks(m), ...secretChecks(m), ...aclChecks(m), ...networkPolicyChecks(m)];
}
