// Manifest variants: the seed's scale-to-5 and the hardened profile, rendered from the real manifests and checked statically.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyProfile, HARDENED_OVERLAY, loadProfiledDeployment, parseProfiles } from '../../../src/config/profiles.ts';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { lastDirective } from '../../../src/config/redis-conf.ts';
import { majorityQuorum, overlayManifestFiles, readManifestFiles, scaleManifestFiles, type ManifestFile } from '../../../src/config/scale.ts';
import { objectsOf, profileChecks, profileDirectiveChecks, scaledDesign, scalingChecks } from '../../../src/conformance/variants.ts';
import { SEED_DESIGN, staticChecksOfObjects } from '../../../src/conformance/static.ts';
import { HarnessError } from '../../../src/errors.ts';

const MANIFESTS = path.resolve(import.meta.dirname, '../../../manifests');
const files = await readManifestFiles(MANIFESTS);
const byName = (fs: ManifestFile[], name: string) => fs.find((f) => f.name === name)!;
const objects = (fs: ManifestFile[]) => objectsOf(fs, '/rendered');
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- rendered YAML read back untyped, as a reader of the manifests would
type Rec = Record<string, any>;

describe('scaleManifestFiles (the seed: "scale to 5 … quorum=3")', () => {
  const scaled = scaleManifestFiles(files, { replicas: 5 });
  const objs = objects(scaled) as Rec[];
  const sts = objs.find((o) => o.kind === 'StatefulSet')!;

  it('sets replicas 5, quorum 3 and PDB minAvailable 3', () => {
    expect(sts.spec.replicas).toBe(5);
    const conf = objs.find((o) => o.kind === 'ConfigMap' && o.data?.['sentinel.conf'])!.data['sentinel.conf'];
    expect(lastDirective(conf, ['sentinel', 'monitor'])).toEqual(['mymaster', 'redis-0.redis-headless.matrix.svc.cluster.local', '6379', '3']);
    expect(objs.find((o) => o.kind === 'PodDisruptionBudget')!.spec.minAvailable).toBe(3);
  });

  it('lists every one of the 5 pods in SENTINEL_HOSTS, for both containers (the shared env anchor)', () => {
    for (const c of sts.spec.template.spec.containers) {
      const hosts = c.env.find((e: Rec) => e.name === 'SENTINEL_HOSTS').value.split(/\s+/);
      expect(hosts).toEqual([0, 1, 2, 3, 4].map((i) => `redis-${i}.redis-headless.matrix.svc.cluster.local`));
    }
    expect(byName(scaled, '05-statefulset.yaml').text).toContain('env: *env');
  });

  it('changes nothing else: other files byte-identical, comments and block scalars kept', () => {
    for (const f of files.filter((x) => !['03-configmap-sentinel.yaml', '05-statefulset.yaml', '07-pdb.yaml'].includes(x.name))) {
      expect(byName(scaled, f.name).text).toBe(f.text);
    }
    const sentinel = byName(scaled, '03-configmap-sentinel.yaml').text;
    expect(sentinel).toContain('# The monitor line names the initial master');
    expect(sentinel).toContain('sentinel.conf: |');
    expect(sentinel.replace(' 6379 3', ' 6379 2')).toBe(byName(files, '03-configmap-sentinel.yaml').text);
  });

  it('loads as a deployment model of 5 pods with quorum 3', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { writeManifestFiles } = await import('../../../src/config/scale.ts');
    const dir = await mkdtemp(path.join(tmpdir(), 'sc-scale-'));
    try {
      await writeManifestFiles(scaled, dir, MANIFESTS);
      const model = await loadDeployment(dir);
      expect([model.replicas, model.quorum, model.pdb?.minAvailable, model.podNames.length]).toEqual([5, 3, 3, 5]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scales a PDB given as maxUnavailable to keep the quorum', () => {
    const pdb = byName(files, '07-pdb.yaml').text.replace('minAvailable: 2', 'maxUnavailable: 1');
    const out = scaleManifestFiles(
      files.map((f) => (f.name === '07-pdb.yaml' ? { ...f, text: pdb } : f)),
      { replicas: 5 },
    );
    expect((objects(out) as Rec[]).find((o) => o.kind === 'PodDisruptionBudget')!.spec).toMatchObject({ maxUnavailable: 2 });
  });

  it('computes the majority quorum for other sizes and refuses impossible ones', () => {
    expect([1, 2, 3, 4, 5, 7].map(majorityQuorum)).toEqual([1, 2, 2, 3, 3, 4]);
    expect(() => scaleManifestFiles(files, { replicas: 0 })).toThrow(HarnessError);
    expect(() =>
      scaleManifestFiles(
        files.filter((f) => f.name !== '05-statefulset.yaml'),
        { replicas: 5 },
      ),
    ).toThrow(/exactly one StatefulSet/);
  });
});

describe('static checks of the scaled variant', () => {
  it('all pass against the design scaled to 5 (quorum 3 = floor(5/2)+1, PDB 3)', () => {
    expect(scaledDesign(5)).toMatchObject({ replicas: 5, quorum: 3, pdbMinAvailable: 3 });
    const checks = scalingChecks(files, 5);
    expect(checks.filter((c) => !c.valid).map((c) => `${c.name}: ${c.observed}`)).toEqual([]);
    expect(checks.every((c) => c.group === 'scaling' && c.name.startsWith('scaling-5.'))).toBe(true);
    const formula = checks.find((c) => c.name === 'scaling-5.quorum-formula')!;
    expect([formula.expected, formula.observed]).toEqual(['quorum 3 = floor(5 sentinels / 2) + 1', 'quorum 3']);
  });

  it('fail for "kubectl scale" alone (replicas 5, quorum left at 2, 3 SENTINEL_HOSTS)', () => {
    const sts = byName(files, '05-statefulset.yaml');
    const scaledOnly = files.map((f) => (f === sts ? { ...f, text: f.text.replace('replicas: 3', 'replicas: 5') } : f));
    const checks = staticChecksOfObjects(objects(scaledOnly), scaledDesign(5), '/rendered');
    const failed = checks.filter((c) => !c.valid).map((c) => c.name);
    expect(failed).toEqual(
      expect.arrayContaining(['sentinel.quorum', 'sentinel.quorum-majority', 'pdb.min-available', 'pdb.keeps-quorum', 'startup.redis.sentinel-hosts']),
    );
    const q = checks.find((c) => c.name === 'sentinel.quorum-majority')!;
    expect([q.expected, q.observed]).toEqual(['3 = floor(5 sentinels / 2) + 1', '2']);
  });
});

describe('a certified design (--design) in the variant groups', () => {
  const fast = files.map((f) =>
    f.name === '03-configmap-sentinel.yaml'
      ? { ...f, text: f.text.replace('sentinel down-after-milliseconds mymaster 5000', 'sentinel down-after-milliseconds mymaster 2000') }
      : f,
  );
  const design = { ...SEED_DESIGN, downAfterMs: 2000 };

  it('holds the scaled and profiled copies to the design, not to the seed', () => {
    expect(fast.map((f) => f.text).join('')).toContain('mymaster 2000');
    const failedUnderSeed = [...scalingChecks(fast, 5), ...profileChecks(fast, 'seed'), ...profileChecks(fast, 'hardened')].filter((c) => !c.valid);
    expect(failedUnderSeed.map((c) => c.name)).toEqual([
      'scaling-5.sentinel.down-after-milliseconds',
      'profile-seed.sentinel.down-after-milliseconds',
      'profile-hardened.sentinel.down-after-milliseconds',
    ]);
    const underDesign = [
      ...scalingChecks(fast, 5, '/r', design),
      ...profileChecks(fast, 'seed', '/r', design),
      ...profileChecks(fast, 'hardened', '/r', design),
    ];
    expect(underDesign.filter((c) => !c.valid).map((c) => `${c.name}: ${c.observed}`)).toEqual([]);
    expect(underDesign.find((c) => c.name === 'scaling-5.sentinel.down-after-milliseconds')?.expected).toContain('2000');
  });

  it('still fails the seed manifests under a design they do not meet', () => {
    const failed = scalingChecks(files, 5, '/r', design).filter((c) => !c.valid);
    expect(failed.map((c) => c.name)).toEqual(['scaling-5.sentinel.down-after-milliseconds']);
  });
});

describe('the hardened profile', () => {
  it('sets min-replicas-to-write 1 and min-replicas-max-lag 4 in redis.conf only', () => {
    const out = overlayManifestFiles(files, HARDENED_OVERLAY);
    const conf = (objects(out) as Rec[]).find((o) => o.kind === 'ConfigMap' && o.data?.['redis.conf'])!.data['redis.conf'];
    expect(lastDirective(conf, ['min-replicas-to-write'])).toEqual(['1']);
    expect(lastDirective(conf, ['min-replicas-max-lag'])).toEqual(['4']);
    for (const f of files.filter((x) => x.name !== '02-configmap-redis.yaml')) expect(byName(out, f.name).text).toBe(f.text);
    expect(parseAllDocuments(byName(out, '02-configmap-redis.yaml').text)[0]!.errors).toEqual([]);
  });

  it('passes every seed check and reports its directives as the intended deviation', () => {
    const checks = profileChecks(files, 'hardened');
    expect(checks.filter((c) => !c.valid).map((c) => c.name)).toEqual([]);
    const d = checks.find((c) => c.name === 'profile-hardened.redis.min-replicas-to-write')!;
    expect(d.expected).toContain('intended deviation from the seed');
    expect(d.observed).toBe('1');
  });

  it('the seed profile reports the directives absent, and would flag them if present', () => {
    expect(profileChecks(files, 'seed').filter((c) => !c.valid)).toEqual([]);
    const onHardened = profileDirectiveChecks(overlayManifestFiles(files, HARDENED_OVERLAY), 'seed', '/rendered');
    expect(onHardened.map((c) => [c.name, c.valid, c.observed])).toEqual([
      ['profile-seed.redis.min-replicas-to-write', false, '1'],
      ['profile-seed.redis.min-replicas-max-lag', false, '4'],
    ]);
  });

  it('applies to the loaded model (what the local target mounts) without touching the seed model', async () => {
    const model = await loadDeployment(MANIFESTS);
    const hardened = applyProfile(model, 'hardened');
    expect(lastDirective(hardened.redisConf.text, ['min-replicas-to-write'])).toEqual(['1']);
    expect(hardened.configMaps[hardened.redisConf.configMap]![hardened.redisConf.key]).toBe(hardened.redisConf.text);
    expect(lastDirective(model.redisConf.text, ['min-replicas-to-write'])).toBeUndefined();
    expect(applyProfile(model, 'seed')).toBe(model);
  });

  it('parses --profile', () => {
    expect(parseProfiles('both')).toEqual(['seed', 'hardened']);
    expect(parseProfiles('hardened')).toEqual(['hardened']);
    expect(() => parseProfiles('strict')).toThrow(/--profile must be seed, hardened, secure, both/);
    expect(parseProfiles('seed,secure')).toEqual(['seed', 'secure']);
    expect(() => parseProfiles('secure,secure')).toThrow(/--profile must be/);
  });

  it('the secure profile: the model knows its TLS and ACL Secrets, and every ACL password is a placeholder to generate', async () => {
    const secure = await loadProfiledDeployment(MANIFESTS, 'secure');
    expect(secure.security).toEqual({
      tls: { secret: 'redis-tls', mountPath: '/etc/redis-tls' },
      acl: { secret: 'redis-acl', mountPath: '/etc/redis-acl', podUser: 'pod' },
    });
    expect(Object.values(secure.secretData['redis-acl']!).every((v) => v === null)).toBe(true);
    expect(secure.objects.filter((o) => o.kind === 'NetworkPolicy')).toHaveLength(1);
    expect((await loadProfiledDeployment(MANIFESTS, 'seed')).security).toBeNull();
  });
});

it('the seed design itself is unchanged by deriving the scaled one', () => {
  scaledDesign(5);
  expect([SEED_DESIGN.replicas, SEED_DESIGN.quorum, SEED_DESIGN.pdbMinAvailable]).toEqual([3, 2, 2]);
});
