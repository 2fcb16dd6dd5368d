// The secure profile rendered from manifests/ passes every static security check; each weakened copy fails the
// check that guards it, naming the file, object and field.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { deploymentOf, manifestObjectsOf, type DeploymentModel } from '../../../src/config/manifests.ts';
import { loadProfiledDeployment, renderProfileFiles } from '../../../src/config/profiles.ts';
import { readManifestFiles, type ManifestFile } from '../../../src/config/scale.ts';
import { grants, parseAclUser, selectableDbs } from '../../../src/conformance/security/acl-rules.ts';
import { securityStaticChecks } from '../../../src/conformance/security/static-checks.ts';

const DIR = path.resolve(import.meta.dirname, '../../../manifests');

async function rendered(): Promise<ManifestFile[]> {
  return renderProfileFiles(DIR, await readManifestFiles(DIR), 'secure');
}

/** The secure rendering with `from` replaced by `to` in the file named `file` (the edit must apply). */
async function weakened(file: string, from: string | RegExp, to: string): Promise<DeploymentModel> {
  const all = await rendered();
  expect(all.map((f) => f.name)).toContain(file);
  const files = all.map((f) => {
    if (f.name !== file) return f;
    const text = f.text.replace(from, to);
    expect(text, `${file}: the edit applies`).not.toBe(f.text);
    return { ...f, text };
  });
  return deploymentOf(manifestObjectsOf(files, DIR), DIR);
}

const failing = (m: DeploymentModel) => securityStaticChecks(m).filter((c) => c.valid !== true);

describe('the secure profile, statically', () => {
  it('every check passes on the rendering of manifests/', async () => {
    const checks = securityStaticChecks(await loadProfiledDeployment(DIR, 'secure'));
    expect(checks.length).toBeGreaterThan(25);
    expect(checks.filter((c) => c.valid !== true)).toEqual([]);
  });

  it('the seed profile has none of it: every TLS, ACL and NetworkPolicy check fails', async () => {
    const names = failing(await loadProfiledDeployment(DIR, 'seed')).map((c) => c.name);
    for (const n of [
      'tls.redis.port',
      'tls.sentinel.tls-port',
      'acl.default-off',
      'acl.synapse.exists',
      'acl.replication',
      'acl.sentinel',
      'acl.exporter',
      'netpol.exists',
      'tls.secret-mounted',
    ])
      expect(names).toContain(n);
  });

  it('a plaintext port left open: tls.redis.port, naming file, object and field', async () => {
    const [c, ...rest] = failing(await weakened('02-configmap-redis.yaml', /^ {4}port 0$/m, '    port 6380'));
    expect(rest).toEqual([]);
    expect(c).toMatchObject({
      name: 'tls.redis.port',
      file: path.join(DIR, '02-configmap-redis.yaml'),
      object: 'ConfigMap/redis-config',
      field: 'data["redis.conf"]: port',
      expected: '0',
      observed: '6380',
    });
  });

  it('Sentinel admitting clients without a certificate: tls.sentinel.tls-auth-clients', async () => {
    const f = failing(await weakened('03-configmap-sentinel.yaml', 'tls-auth-clients yes', 'tls-auth-clients optional'));
    expect(f.map((c) => [c.name, c.observed])).toEqual([['tls.sentinel.tls-auth-clients', 'optional']]);
  });

  it('an application user with FLUSHALL: acl.synapse.forbidden', async () => {
    const f = failing(
      await weakened('02-configmap-redis.yaml', '-@dangerous +info +role -select +select|0', '-@dangerous +info +role -select +select|0 +flushall'),
    );
    expect(f.map((c) => [c.name, c.observed, c.field])).toEqual([['acl.synapse.forbidden', 'grants flushall', 'data["redis.conf"]: user synapse']]);
  });

  it('an application user without -@dangerous gets FLUSHALL, FLUSHDB through @write and CONFIG, DEBUG, SHUTDOWN not (they are @admin)', async () => {
    const f = failing(
      await weakened('02-configmap-redis.yaml', '+@connection -@dangerous +info +role -select +select|1', '+@connection +info +role -select +select|1'),
    );
    expect(f.map((c) => [c.name, c.observed])).toEqual([['acl.livekit.forbidden', 'grants flushall, flushdb']]);
  });

  it('an application user on every database, on every key, or turned off', async () => {
    expect(failing(await weakened('02-configmap-redis.yaml', ' -select +select|2', '')).map((c) => [c.name, c.observed])).toEqual([
      ['acl.django.db', 'SELECT any database'],
    ]);
    expect(failing(await weakened('02-configmap-redis.yaml', '~django:* &django:*', '~* &django:*')).map((c) => c.name)).toEqual(['acl.django.keys']);
    expect(failing(await weakened('02-configmap-redis.yaml', 'user django on ', 'user django off ')).map((c) => [c.name, c.observed])).toEqual([
      ['acl.django.needs', 'off'],
    ]);
  });

  it('the default user left on, the replication user with every command, the sentinel user reading data', async () => {
    expect(failing(await weakened('02-configmap-redis.yaml', 'user default off', 'user default on nopass')).map((c) => [c.name, c.observed])).toEqual([
      ['acl.default-off', 'user default on nopass'],
    ]);
    expect(
      failing(await weakened('02-configmap-redis.yaml', 'user replication on -@all +psync', 'user replication on +@all ~* +psync')).map((c) => c.name),
    ).toEqual(['acl.replication']);
    expect(failing(await weakened('02-configmap-redis.yaml', '+client|kill +script|kill', '+client|kill +script|kill +get ~*')).map((c) => c.name)).toEqual([
      'acl.sentinel',
    ]);
  });

  it("the exporter's user: absent, with CONFIG GET (masterauth), with keys, or short of what redis_exporter sends", async () => {
    const exp = async (from: string | RegExp, to: string) =>
      failing(await weakened('02-configmap-redis.yaml', from, to)).map((c) => [c.name, c.observed, c.field]);
    const field = 'data["redis.conf"]: user exporter';
    expect(await exp(/^ {4}user exporter .*\n/m, '')).toEqual([['acl.exporter', '(absent: the exporter logs in as another user)', field]]);
    expect(await exp('+slowlog|len +slowlog|get', '+slowlog|len +slowlog|get +config|get')).toEqual([['acl.exporter', 'grants config', field]]);
    expect(await exp('user exporter on resetchannels -@all', 'user exporter on resetchannels ~* -@all +@read')).toEqual([
      ['acl.exporter', 'grants get, keys; keys ~*', field],
    ]);
    expect(await exp(' +latency|latest', '')).toEqual([['acl.exporter', 'missing LATENCY LATEST', field]]);
    expect(await exp('user exporter on resetchannels -@all +client|setname', 'user exporter on resetchannels -@all +client')).toEqual([]);
  });

  it('the NetworkPolicy: another port, an ipBlock, every pod, or gone', async () => {
    const np = '12-networkpolicy.yaml';
    const netpol = async (from: string | RegExp, to: string) => failing(await weakened(np, from, to)).map((c) => [c.name, c.observed, c.field]);
    expect(await netpol('port: 26379', 'port: 9121')).toEqual([['netpol.ports', 'ingress[0]: 9121', 'spec.ingress[].ports']]);
    expect(
      await netpol(
        '        - podSelector:\n            matchLabels:',
        '        - ipBlock:\n            cidr: 0.0.0.0/0\n        - podSelector:\n            matchLabels:',
      ),
    ).toEqual([['netpol.sources', 'ingress[0]: an ipBlock', 'spec.ingress[].from']]);
    expect(await netpol('values: [synapse, livekit, key-vault]', 'values: [synapse, livekit, key-vault, debug-shell]')).toEqual([
      ['netpol.sources', expect.stringContaining('ingress[0]: pods'), 'spec.ingress[].from'],
    ]);
    expect(await netpol('kind: NetworkPolicy', 'kind: ConfigMap')).toEqual([['netpol.exists', '(none)', 'spec.podSelector']]);
  });

  it('the TLS Secret mounted world-readable: tls.secret-mode', async () => {
    const f = failing(await weakened('05-statefulset.yaml', /(secretName: redis-tls\n\s+defaultMode: )0400/, '$10644'));
    expect(f.map((c) => [c.name, c.observed])).toEqual([['tls.secret-mode', '0644']]);
  });
});

describe('ACL rules, read statically', () => {
  it('the last matching rule wins; +cmd|arg grants that first argument only', () => {
    const u = parseAclUser(['app', 'on', '~a:*', '-@all', '+@write', '-@dangerous', '-select', '+select|3']);
    expect(grants(u, 'set')).toBe(true);
    expect(grants(u, 'flushall')).toBe(false);
    expect(grants(u, 'select')).toBe(false);
    expect(grants(u, 'select', '3')).toBe(true);
    expect(selectableDbs(u)).toEqual([3]);
    expect(selectableDbs(parseAclUser(['x', 'on', '+@all']))).toBe('any');
    expect(grants(parseAclUser(['x', 'on', '+@all', '-flushall']), 'flushall')).toBe(false);
    expect(grants(parseAclUser(['x', 'on', 'allcommands']), 'debug')).toBe(true);
  });
});
