// The secure profile (`--profile secure`): TLS for clients, replication and Sentinel, one ACL user per
// application and per internal role with the default user off, and a NetworkPolicy. Rendered from the
// seed's manifests like the hardened profile: redis.conf / sentinel.conf directives set, the StatefulSet
// given the TLS and ACL Secrets, and the objects of manifests/secure/ added. Pure: text in, text out.
import path from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, type Document, type YAMLMap } from 'yaml';
import { HarnessError } from '../errors.ts';
import { setDirective } from './redis-conf.ts';
import type { ManifestFile } from './scale.ts';

/** Where the secure profile's own objects live (Secrets for the certificates and ACL passwords, the NetworkPolicy). */
export const SECURE_MANIFESTS_DIR = 'secure';
export const TLS_SECRET = 'redis-tls';
export const ACL_SECRET = 'redis-acl';
export const TLS_MOUNT = '/etc/redis-tls';
export const ACL_MOUNT = '/etc/redis-acl';
/** The ACL user of the pods' own probes, hooks and role labeller. */
export const POD_USER = 'pod';
/** The operators' user (and the harness's): every command; its password is the redis-password Secret. */
export const ADMIN_USER = 'admin';
/** The ACL user of the redis exporter sidecar (--monitoring): reads the server's state, no keys, no channels. */
export const EXPORTER_USER = 'exporter';

/**
 * What redis_exporter sends on each scrape with the sidecars' flags (redis-exporter.sh: -redis-only-metrics, and
 * -config-command - under ACLs): Debian bookworm's prometheus-redis-exporter 1.45 as INFO commandstats counted it
 * (MONITOR hides the admin commands: LATENCY, SLOWLOG), plus LATENCY HISTOGRAM, which trixie's 1.69 adds (its
 * source). AUTH needs no rule. Nothing here reads a key or a password.
 */
export const EXPORTER_COMMANDS: readonly (readonly string[])[] = Object.freeze([
  ['CLIENT', 'SETNAME', 'redis_exporter'],
  ['INFO', 'ALL'],
  ['LATENCY', 'LATEST'],
  ['LATENCY', 'HISTOGRAM'],
  ['SLOWLOG', 'LEN'],
  ['SLOWLOG', 'GET', '1'],
]);
/**
 * What the exporter user must be refused: data, flushing, and CONFIG, whose GET * returns masterauth (the replication
 * user's password, which PSYNCs the whole dataset); redis_exporter's config metrics are not used by the alert rules.
 */
export const EXPORTER_FORBIDDEN: readonly (readonly string[])[] = Object.freeze([
  ['GET', 'exporter:conformance'],
  ['SET', 'exporter:conformance', '1'],
  ['KEYS', '*'],
  ['FLUSHALL'],
  ['CONFIG', 'GET', 'masterauth'],
  ['CONFIG', 'SET', 'maxmemory', '1'],
  ['CLIENT', 'KILL', 'TYPE', 'normal'],
  ['SUBSCRIBE', 'exporter:conformance'],
]);

/** An application's user: its database (seed: "Application Connection Strings") and its key and channel pattern. */
export interface AppUser {
  db: number;
  keys: string;
}
export const APP_USERS: Readonly<Record<'synapse' | 'livekit' | 'django', AppUser>> = Object.freeze({
  synapse: { db: 0, keys: 'synapse:*' },
  livekit: { db: 1, keys: 'livekit:*' },
  django: { db: 2, keys: 'django:*' },
});
export type AppName = keyof typeof APP_USERS;
/** Commands no application user may run (the issue's list); every one is in @dangerous too. */
export const APP_FORBIDDEN = ['flushall', 'flushdb', 'config', 'debug', 'shutdown'] as const;

/**
 * An application's rules: data commands on its own keys and channels, in its own database only
 * (SELECT of any other index refused: Redis ACLs have no per-database rule, `+select|N` is the way),
 * nothing @dangerous (FLUSHALL, FLUSHDB, CONFIG, DEBUG, SHUTDOWN, KEYS, …), but INFO and ROLE, which
 * client libraries ask on connect (ioredis's ready check, redis-py's role check).
 */
export function appUserRules(u: AppUser): string {
  return `on resetchannels ~${u.keys} &${u.keys} -@all +@read +@write +@pubsub +@transaction +@connection -@dangerous +info +role -select +select|${u.db}`;
}

/** The exporter's rules: exactly EXPORTER_COMMANDS (a subcommand rule grants that subcommand only). */
export const EXPORTER_RULES = 'on resetchannels -@all +client|setname +info +latency|latest +latency|histogram +slowlog|len +slowlog|get';

/** The internal users: the replicas' (masteruser), the sentinels' (Redis's documented minimum), the pods' hooks and the exporter's. */
export const INTERNAL_USERS: Readonly<Record<string, string>> = Object.freeze({
  [ADMIN_USER]: 'on ~* &* +@all',
  [POD_USER]: 'on -@all +ping +info +role +dbsize +wait +replicaof +client|pause +client|unpause +client|list +client|kill',
  replication: 'on -@all +psync +replconf +ping',
  sentinel: 'on allchannels -@all +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill',
  [EXPORTER_USER]: EXPORTER_RULES,
});

/** redis.conf directives of the profile, as [prefix, value] (the `user` lines without passwords: start-redis.sh adds their hashes). */
export function secureRedisDirectives(redisPort: number): Array<[string[], string]> {
  return [
    [['port'], '0'],
    [['tls-port'], String(redisPort)],
    [['tls-replication'], 'yes'],
    [['tls-auth-clients'], 'yes'],
    [['masteruser'], 'replication'],
    [['user', 'default'], 'off'],
    ...Object.entries(INTERNAL_USERS).map(([name, rules]): [string[], string] => [['user', name], rules]),
    ...Object.entries(APP_USERS).map(([name, u]): [string[], string] => [['user', name], appUserRules(u)]),
  ];
}

/** sentinel.conf directives of the profile (tls-replication: Sentinel's own connections, to redis and to its peers, use TLS). */
export function secureSentinelDirectives(sentinelPort: number, masterName: string): Array<[string[], string]> {
  return [
    [['port'], '0'],
    [['tls-port'], String(sentinelPort)],
    [['tls-replication'], 'yes'],
    [['tls-auth-clients'], 'yes'],
    [['sentinel', 'auth-user', masterName], 'sentinel'],
  ];
}

/** The environment the profile adds to every container (the scripts' TLS_DIR / ACL_DIR / REDIS_USER). */
export const SECURE_ENV: Readonly<Record<string, string>> = Object.freeze({ TLS_DIR: TLS_MOUNT, ACL_DIR: ACL_MOUNT, REDIS_USER: POD_USER });

type Doc = Document.Parsed;

function invalid(file: string, message: string): HarnessError {
  return new HarnessError('MANIFEST_INVALID', `${file}: ${message} (fix the manifest or pass --manifests DIR)`);
}

function confValue(doc: Doc, pick: (key: string, text: string) => boolean): { key: string; text: string } | null {
  const data = doc.get('data', true);
  if (!isMap(data)) return null;
  for (const pair of data.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    const text = (pair.value as { value?: unknown })?.value;
    if (typeof text === 'string' && pick(key, text)) return { key, text };
  }
  return null;
}

function apply(text: string, directives: Array<[string[], string]>): string {
  return directives.reduce((t, [prefix, value]) => setDirective(t, prefix, value), text);
}

/** Replace a ConfigMap value in place, so a block literal stays a block literal. */
function setData(doc: Doc, key: string, text: string): void {
  const node = doc.getIn(['data', key], true);
  if (isScalar(node)) node.value = text;
  else doc.setIn(['data', key], text);
}

/** The StatefulSet's containers get the Secrets mounted and the env; its pod spec the Secret volumes (mode 0400). */
function patchStatefulSet(doc: Doc, file: string): void {
  const containers = doc.getIn(['spec', 'template', 'spec', 'containers'], true);
  if (!isSeq(containers)) throw invalid(file, 'StatefulSet has no containers');
  const envs = new Set<unknown>();
  for (const c of containers.items) {
    if (!isMap(c)) continue;
    const env = c.get('env', true);
    // The containers share one env list through a YAML alias: extend it once.
    if (isSeq(env) && !envs.has(env)) {
      envs.add(env);
      for (const [name, value] of Object.entries(SECURE_ENV)) env.add(doc.createNode({ name, value }));
    }
    let mounts = c.get('volumeMounts', true);
    if (!isSeq(mounts)) {
      c.set('volumeMounts', doc.createNode([]));
      mounts = c.get('volumeMounts', true);
    }
    if (!isSeq(mounts)) continue;
    mounts.add(doc.createNode({ name: 'tls', mountPath: TLS_MOUNT, readOnly: true }));
    mounts.add(doc.createNode({ name: 'acl', mountPath: ACL_MOUNT, readOnly: true }));
  }
  const volumes = doc.getIn(['spec', 'template', 'spec', 'volumes'], true);
  if (!isSeq(volumes)) throw invalid(file, 'StatefulSet has no volumes');
  for (const [name, secretName] of [
    ['tls', TLS_SECRET],
    ['acl', ACL_SECRET],
  ] as const) {
    const v = doc.createNode({ name, secret: { secretName, defaultMode: 0o400 } }) as YAMLMap;
    // Rendered as 0400 (YAML 1.1 octal, as the seed writes the password volume's), not 256.
    const mode = (v.get('secret', true) as unknown as YAMLMap).get('defaultMode', true) as { format?: string };
    mode.format = 'OCT';
    volumes.add(v);
  }
}

/**
 * The seed's manifests under the secure profile: `files` (the manifests directory) plus `extra` (the
 * profile's own objects, manifests/secure/*.yaml), with TLS and ACL directives set and the Secrets mounted.
 */
export function secureManifestFiles(
  files: readonly ManifestFile[],
  extra: readonly ManifestFile[],
  ports: { redis: number; sentinel: number },
): ManifestFile[] {
  const out = files.map((file) => {
    const docs = parseAllDocuments(file.text, { version: '1.1' }) as Doc[];
    const bad = docs.find((d) => d.errors.length > 0);
    if (bad) throw invalid(file.name, `YAML error: ${bad.errors[0]!.message.split('\n')[0]}`);
    let touched = false;
    for (const doc of docs) {
      const kind = doc.get('kind');
      if (kind === 'StatefulSet') {
        patchStatefulSet(doc, file.name);
        touched = true;
      } else if (kind === 'ConfigMap') {
        const sentinel = confValue(doc, (k, t) => k.endsWith('.conf') && /^\s*sentinel\s+monitor\s/m.test(t));
        const redis = confValue(doc, (k, t) => k.endsWith('.conf') && !/^\s*sentinel\s/m.test(t) && /^\s*appendonly\s/m.test(t));
        if (sentinel) {
          const master = /^\s*sentinel\s+monitor\s+(\S+)/m.exec(sentinel.text)![1]!;
          setData(doc, sentinel.key, apply(sentinel.text, secureSentinelDirectives(ports.sentinel, master)));
          touched = true;
        }
        if (redis) {
          setData(doc, redis.key, apply(redis.text, secureRedisDirectives(ports.redis)));
          touched = true;
        }
      }
    }
    return touched ? { name: file.name, text: docs.map((d) => d.toString({ lineWidth: 0, flowCollectionPadding: false })).join('') } : file;
  });
  const names = new Set(out.map((f) => f.name));
  for (const f of extra) {
    const name = names.has(f.name) ? `secure-${f.name}` : f.name;
    out.push({ name, text: f.text });
  }
  return out;
}

/** The profile's own objects' directory for a manifests directory. */
export const secureDir = (manifestsDir: string): string => path.join(manifestsDir, SECURE_MANIFESTS_DIR);
