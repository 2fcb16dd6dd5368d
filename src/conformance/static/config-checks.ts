// Static checks of the config directives: sentinel.conf, redis.conf and the password path (env secretKeyRef → Secret → script).
import { lastDirective } from '../../config/redis-conf.ts';
import { fieldPath } from '../../model/field-path.ts';
import { formatBytes, parseRedisMemory } from '../../model/quantity.ts';
import { confArgs, type Container, designNote, rec, ref, show } from './manifest-helpers.ts';
import { SEED_DESIGN } from './seed-design.ts';
import type { SuiteState } from './suite-state.ts';

// --- sentinel.conf ---------------------------------------------------------------------------------------

export function sentinelChecks(this: SuiteState): void {
  const s = this.seed;
  const conf = this.sentinelConf;
  const monitor = lastDirective(conf.text, ['sentinel', 'monitor']);
  const name = this.masterName;
  this.add({
    name: 'sentinel.master-name',
    valid: monitor?.[0] === s.masterName,
    expected: s.masterName,
    observed: show(monitor?.[0]),
    ...this.confWhere(conf, 'sentinel monitor <name>'),
    explanation: `Clients ask the sentinels for the master by name (${s.masterName} in the seed's connection strings); another name leaves them without a master.`,
  });
  const quorum = this.quorum;
  this.add({
    name: 'sentinel.quorum',
    valid: quorum === s.quorum,
    expected: String(s.quorum),
    observed: show(monitor?.[3]),
    ...this.confWhere(conf, 'sentinel monitor <quorum>'),
    explanation:
      'The seed: quorum 2, two of the three sentinels must agree the master is down before a failover starts.' + designNote(s.quorum, SEED_DESIGN.quorum),
  });
  const majority = this.majority;
  this.add({
    name: 'sentinel.quorum-majority',
    valid: quorum !== null && quorum === majority,
    expected: majority === null ? '(needs an integer spec.replicas)' : `${majority} = floor(${this.replicas} sentinels / 2) + 1`,
    observed: show(monitor?.[3]),
    ...this.confWhere(conf, 'sentinel monitor <quorum>'),
    explanation:
      `One sentinel sidecar per pod makes ${show(this.replicas)} sentinels (${this.stsRef} spec.replicas); the seed sets the quorum to ` +
      '(N/2)+1: lower lets a minority declare the master down, higher needs more sentinels than can be reached with a pod down.',
  });
  const needed = quorum === null || majority === null ? null : Math.max(quorum, majority);
  const survivors = this.replicas === null ? null : this.replicas - 1;
  this.add({
    name: 'sentinel.failover-with-one-pod-down',
    valid: needed !== null && survivors !== null && survivors >= needed,
    expected:
      needed === null
        ? '(needs an integer quorum and spec.replicas)'
        : `≥ ${needed} sentinels left with one pod down (max of quorum ${quorum} and majority ${majority})`,
    observed: survivors === null ? show(rec(this.sts.spec).replicas) : `${survivors} (spec.replicas ${this.replicas} − 1)`,
    ...this.confWhere(conf, 'sentinel monitor <quorum>'),
    explanation:
      "Losing the master's pod also loses its sentinel: the others must still reach the quorum to mark it down and a majority of all " +
      `sentinels to elect the leader that fails over, or no failover ever happens (see also ${this.stsRef} spec.replicas).`,
  });
  const param = (key: string, expected: number, seedValue: number, why: string): void => {
    const v = lastDirective(conf.text, ['sentinel', key, name]);
    this.add({
      name: `sentinel.${key}`,
      valid: v !== undefined && v.length === 1 && Number(v[0]) === expected,
      expected: String(expected),
      observed: v === undefined ? '(absent: Sentinel default)' : confArgs(v),
      ...this.confWhere(conf, `sentinel ${key}`),
      explanation: why + designNote(expected, seedValue),
    });
  };
  param(
    'down-after-milliseconds',
    s.downAfterMs,
    SEED_DESIGN.downAfterMs,
    'The seed: a master unreachable for 5000 ms is subjectively down; this sets the floor of the 5–10 s failover the seed promises.',
  );
  param(
    'failover-timeout',
    s.failoverTimeoutMs,
    SEED_DESIGN.failoverTimeoutMs,
    'The seed: 10000 ms; it bounds a stuck failover and spaces retries (a lost election costs 2 × failover-timeout).',
  );
  param(
    'parallel-syncs',
    s.parallelSyncs,
    SEED_DESIGN.parallelSyncs,
    'The seed: one replica resyncs with the new master at a time, so the other keeps serving reads.',
  );
  const [host, port] = [monitor?.[1], monitor?.[2]];
  const initial = this.podHost(0);
  this.add({
    name: 'sentinel.monitor-address',
    valid: host === initial && Number(port) === s.redisPort,
    expected: `${initial} ${s.redisPort}`,
    observed: monitor ? `${show(host)} ${show(port)}` : '(no sentinel monitor line)',
    ...this.confWhere(conf, 'sentinel monitor <host> <port>'),
    explanation: `The seed's initial master is ${this.sts.metadata.name}-0 through the headless Service; start-sentinel.sh replaces it with the master the running sentinels agree on.`,
  });
  const isIp = host !== undefined && (/^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(':'));
  const resolve = lastDirective(conf.text, ['sentinel', 'resolve-hostnames'])?.[0]?.toLowerCase();
  this.add({
    name: 'sentinel.resolve-hostnames',
    valid: isIp || resolve === 'yes',
    expected: isIp ? '(not needed: the monitor address is an IP)' : 'yes',
    observed: show(resolve),
    ...this.confWhere(conf, 'sentinel resolve-hostnames'),
    explanation:
      'Pods are addressed by DNS name (their IPs change on restart); Sentinel refuses a hostname in "sentinel monitor" unless resolve-hostnames is yes.',
  });
  this.add({
    name: 'sentinel.no-password-in-config',
    valid: lastDirective(conf.text, ['sentinel', 'auth-pass']) === undefined,
    expected: 'no sentinel auth-pass (it comes from the Secret at start-up)',
    observed: lastDirective(conf.text, ['sentinel', 'auth-pass']) === undefined ? 'none' : 'sentinel auth-pass present (value not shown)',
    ...this.confWhere(conf, 'sentinel auth-pass'),
    explanation: 'A password in a ConfigMap is readable by anyone who can read ConfigMaps and survives a rotation of the Secret.',
  });
  const owned = ['monitor', 'quorum', 'down-after-milliseconds', 'failover-timeout', 'parallel-syncs'].map((d) => `sentinel ${d}`);
  this.scriptKeeps(this.sentinel, owned, 'sentinel.script-keeps-parameters', 'sentinel.conf');
}

// --- redis.conf ------------------------------------------------------------------------------------------

export function redisChecks(this: SuiteState): void {
  const s = this.seed;
  const conf = this.redisConf;
  const directive = (key: string, expected: string, seedValue: string, why: string): void => {
    const v = lastDirective(conf.text, [key]);
    this.add({
      name: `redis.${key}`,
      valid: v !== undefined && v.length === 1 && v[0]!.toLowerCase() === expected,
      expected,
      observed: v === undefined ? '(absent: Redis default)' : confArgs(v),
      ...this.confWhere(conf, key),
      explanation: why + designNote(expected, seedValue),
    });
  };
  directive(
    'appendonly',
    s.appendonly,
    SEED_DESIGN.appendonly,
    'The seed persists with AOF: every write is logged and replayed on start-up; without it a restarted pod comes back empty.',
  );
  directive(
    'appendfsync',
    s.appendfsync,
    SEED_DESIGN.appendfsync,
    'The seed: fsync once a second (at most one second of writes lost on a crash) without the throughput cost of always.',
  );
  const save = lastDirective(conf.text, ['save']);
  this.add({
    name: 'redis.save',
    valid: save !== undefined && save.length === 1 && save[0] === s.save,
    expected: `save ${confArgs([s.save])} (RDB off)`,
    observed: save === undefined ? '(absent: Redis default snapshots 3600 1 300 100 60 10000)' : `save ${confArgs(save)}`,
    ...this.confWhere(conf, 'save'),
    explanation: 'The seed disables RDB ("AOF is safer"): snapshots fork the process and can double memory under load.',
  });
  const maxmemory = lastDirective(conf.text, ['maxmemory']);
  const expectedBytes = parseRedisMemory(s.maxmemory);
  const bytes = maxmemory?.length === 1 ? parseRedisMemory(maxmemory[0]!) : null;
  this.add({
    name: 'redis.maxmemory',
    valid: bytes !== null && bytes === expectedBytes,
    expected: `${s.maxmemory}${expectedBytes === null ? '' : ` (${formatBytes(expectedBytes)})`}`,
    observed: maxmemory === undefined ? '(absent: no limit)' : `${confArgs(maxmemory)}${bytes === null ? '' : ` (${formatBytes(bytes)})`}`,
    ...this.confWhere(conf, 'maxmemory'),
    explanation: 'The seed: 2 GB per instance, evicting beyond it; a different value changes what the memory limit must hold.',
  });
  directive(
    'maxmemory-policy',
    s.maxmemoryPolicy,
    SEED_DESIGN.maxmemoryPolicy,
    'The seed evicts least-recently-used keys of any kind at maxmemory; another policy rejects writes or evicts differently.',
  );
  const pw = ['requirepass', 'masterauth'].filter((d) => lastDirective(conf.text, [d]) !== undefined);
  this.add({
    name: 'redis.no-password-in-config',
    valid: pw.length === 0,
    expected: 'no requirepass or masterauth (they come from the Secret at start-up)',
    observed: pw.length === 0 ? 'none' : `${pw.join(', ')} present (value not shown)`,
    ...this.confWhere(conf, 'requirepass, masterauth'),
    explanation: 'A password in a ConfigMap is readable by anyone who can read ConfigMaps and survives a rotation of the Secret.',
  });
  this.scriptKeeps(this.redis, ['appendonly', 'appendfsync', 'save', 'maxmemory', 'maxmemory-policy'], 'redis.script-keeps-parameters', 'redis.conf');
}

// --- password: env secretKeyRef → Secret key → script directives ----------------------------------------

export function passwordChecks(this: SuiteState): void {
  const envName = this.seed.passwordEnv;
  const fromSecret = (c: Container) => {
    const e = this.env(c, envName);
    const r = rec(rec(e?.v.valueFrom).secretKeyRef);
    const ok = typeof r.name === 'string' && typeof r.key === 'string';
    return {
      e,
      ok,
      name: ok ? (r.name as string) : undefined,
      key: ok ? (r.key as string) : undefined,
      field: e ? this.cField(c, 'env', e.index, ...(ok || e.v.value === undefined ? ['valueFrom', 'secretKeyRef'] : ['value'])) : this.cField(c, 'env'),
      observed: !e
        ? `(no ${envName} env var)`
        : ok
          ? `secretKeyRef ${String(r.name)}/${String(r.key)}`
          : e.v.value !== undefined
            ? `literal value (${String(e.v.value).length} characters, not shown)`
            : `valueFrom ${Object.keys(rec(e.v.valueFrom)).join(', ') || '(empty)'}`,
    };
  };
  const redis = fromSecret(this.redis);
  this.add({
    name: 'password.redis-env-from-secret',
    valid: redis.ok,
    expected: `${envName} from valueFrom.secretKeyRef`,
    observed: redis.observed,
    file: this.sts.__file,
    object: this.stsRef,
    field: redis.field,
    explanation:
      'The seed keeps the password in a Secret; a literal value puts it in the StatefulSet (readable with the pod spec) and detaches it from rotation of the Secret.',
  });
  const secret = redis.name ? this.find('Secret', redis.name) : undefined;
  const inStringData = secret && redis.key ? Object.hasOwn(rec(secret.stringData), redis.key) : false;
  const inData = secret && redis.key ? Object.hasOwn(rec(secret.data), redis.key) : false;
  this.add({
    name: 'password.secret-key-exists',
    valid: inStringData || inData,
    expected: redis.name ? `Secret ${redis.name} in ${this.namespace} with key ${redis.key}` : 'the Secret the redis container references',
    observed: !redis.name
      ? '(no secretKeyRef to follow)'
      : !secret
        ? `no Secret ${redis.name} in namespace ${this.namespace}`
        : inStringData || inData
          ? `key present in ${inStringData ? 'stringData' : 'data'} (value not shown)`
          : `Secret has no key ${redis.key}`,
    file: secret?.__file ?? this.dir,
    object: `Secret/${redis.name ?? '(none)'}`,
    field: fieldPath([inData && !inStringData ? 'data' : 'stringData', redis.key ?? 'password']),
    explanation: 'A secretKeyRef to a missing Secret or key keeps the pods in CreateContainerConfigError.',
  });
  const sentinel = fromSecret(this.sentinel);
  const same = sentinel.ok && sentinel.name === redis.name && sentinel.key === redis.key;
  this.add({
    name: 'password.sentinel-env-from-secret',
    valid: sentinel.ok && same,
    expected: redis.ok ? `${envName} from secretKeyRef ${redis.name}/${redis.key} (the redis container's)` : `${envName} from valueFrom.secretKeyRef`,
    observed: sentinel.observed,
    file: this.sts.__file,
    object: this.stsRef,
    field: sentinel.field,
    explanation:
      'The sentinels authenticate to redis with the same password redis requires (sentinel auth-pass); a different source breaks monitoring after a rotation.',
  });
  const writes = (c: Container, directive: string, name: string, why: string) => {
    const script = this.scriptOf(c);
    const re = new RegExp(`^[^#\\n]*\\b${directive.replace(/ /g, '\\s+')}\\b[^\\n]*\\$\\{?${envName}\\b`, 'm');
    const plain = new RegExp(`^[^#\\n]*\\b${directive.replace(/ /g, '\\s+')}\\b`, 'm');
    const ok = script !== undefined && re.test(script.text);
    this.add({
      name,
      valid: ok,
      expected: `${script?.key ?? 'the start script'} writes "${directive}" from $${envName}`,
      observed:
        script === undefined
          ? `(the ${c.name} container runs no script of a ConfigMap)`
          : ok
            ? 'written from the env var'
            : plain.test(script.text)
              ? `"${directive}" written, but not from $${envName}`
              : `no "${directive}" written`,
      file: script?.cm.__file ?? this.sts.__file,
      object: script ? ref(script.cm) : this.stsRef,
      field: script ? `${fieldPath(['data', script.key])}: ${directive}` : this.cField(c, 'command'),
      explanation: why,
    });
  };
  writes(
    this.redis,
    'requirepass',
    'password.requirepass-from-env',
    'Without requirepass from the Secret, redis accepts every client without a password (the seed enables authentication).',
  );
  writes(
    this.redis,
    'masterauth',
    'password.masterauth-from-env',
    'Replicas authenticate to the master with masterauth; without it from the same Secret, replication fails once the master requires the password.',
  );
  writes(
    this.sentinel,
    'sentinel auth-pass',
    'password.sentinel-auth-pass-from-env',
    'Sentinels need auth-pass to monitor a password-protected redis; without it they see the master as down and failover breaks.',
  );
}
