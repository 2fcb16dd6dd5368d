// loadDeployment: the bundled manifests as the single source of truth, and broken copies of them.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertRunnable, describeDeployment, loadDeployment } from '../../../src/config/manifests.ts';
import { HarnessError, isHarnessError } from '../../../src/errors.ts';

const BUNDLED = path.resolve(import.meta.dirname, '../../../manifests');
const SECRET = '01-secret.yaml';
const SENTINEL_CM = '03-configmap-sentinel.yaml';
const PLACEHOLDER = 'REPLACE_WITH_OPENSSL_RAND_BASE64_32';
const PW = 'Kn0wn-Pa55word_for-the-test';

/** The rejection of `p` as a HarnessError (fails the test when `p` resolves or throws something else). */
async function harnessError(p: Promise<unknown>): Promise<HarnessError> {
  const e = await p.then(
    () => expect.unreachable('expected a HarnessError, but it resolved'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HarnessError);
  return e as HarnessError;
}

describe('loadDeployment on the bundled manifests/', () => {
  it('yields the deployment parameters the manifests declare', async () => {
    const m = await loadDeployment(BUNDLED);
    expect(m.manifestsDir).toBe(BUNDLED);
    expect(m.replicas).toBe(3);
    expect(m.podNames).toEqual(['redis-0', 'redis-1', 'redis-2']);
    expect(m.statefulSet).toBe('redis');
    expect(m.masterName).toBe('mymaster');
    expect(m.quorum).toBe(2);
    expect(m.downAfterMs).toBe(5000);
    expect(m.failoverTimeoutMs).toBe(10000);
    expect(m.parallelSyncs).toBe(1);
    expect(m.redisPort).toBe(6379);
    expect(m.sentinelPort).toBe(26379);
    expect(m.pdb).toEqual({ name: 'redis', minAvailable: 2, maxUnavailable: null, file: path.join(BUNDLED, '07-pdb.yaml') });
    expect(m.password).toEqual({ secret: 'redis-password', key: 'password', value: null });
    expect(m.redis.script).toBe('start-redis.sh');
    expect(m.sentinel.script).toBe('start-sentinel.sh');
    expect(m.namespace).toBe('matrix');
    expect(m.headlessService).toBe('redis-headless');
    expect(m.sentinelConf.configMap).toBe('sentinel-config');
    expect(m.redisConf.configMap).toBe('redis-config');
    expect(Object.keys(m.scripts.files).sort()).toEqual([
      'common.sh',
      'prestop-redis.sh',
      'probe.sh',
      'redis-exporter.sh',
      'role-labeller.sh',
      'start-redis.sh',
      'start-sentinel.sh',
    ]);
    expect(m.sidecars.map((c) => [c.name, c.script])).toEqual([['role-labeller', 'role-labeller.sh']]);
  });

  it('describes a placeholder password as generated per run', async () => {
    const d = describeDeployment(await loadDeployment(BUNDLED));
    expect(d.password_source).toBe('generated per run');
    expect(d.down_after_ms).toBe(5000);
    expect(d.pdb_min_available).toBe(2);
  });
});

describe('loadDeployment on edited copies of manifests/', () => {
  let tmp: string;
  let dir: string;

  beforeEach(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'sentinel-chaos-manifests-'));
    dir = path.join(tmp, 'manifests');
    await cp(BUNDLED, dir, { recursive: true });
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** Replace `from` with `to` in one copied file (failing when `from` is not there), return the new text. */
  async function edit(file: string, from: string, to: string): Promise<string> {
    const p = path.join(dir, file);
    const text = await readFile(p, 'utf8');
    expect(text, `${file} should contain ${JSON.stringify(from)}`).toContain(from);
    const out = text.replace(from, to);
    await writeFile(p, out);
    return out;
  }

  it('reads down-after-milliseconds from the sentinel ConfigMap (no parameter is duplicated in TS)', async () => {
    await edit(SENTINEL_CM, 'down-after-milliseconds mymaster 5000', 'down-after-milliseconds mymaster 1234');
    const m = await loadDeployment(dir);
    expect(m.downAfterMs).toBe(1234);
    expect(m.manifestsDir).toBe(dir);
    expect(describeDeployment(m).down_after_ms).toBe(1234);
  });

  it('reports a YAML syntax error with the file name and line', async () => {
    const text = await edit(SENTINEL_CM, '  name: sentinel-config\n', '  name: sentinel-config: oops\n');
    const line = text.split('\n').findIndex((l) => l.includes('sentinel-config: oops')) + 1;
    const e = await harnessError(loadDeployment(dir));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain(`${path.join(dir, SENTINEL_CM)}:${line}:`);
  });

  it('fails when no ConfigMap holds a sentinel.conf', async () => {
    await rm(path.join(dir, SENTINEL_CM));
    const e = await harnessError(loadDeployment(dir));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toMatch(/sentinel/);
  });

  it('fails on a non-numeric down-after-milliseconds, naming the parameter', async () => {
    await edit(SENTINEL_CM, 'down-after-milliseconds mymaster 5000', 'down-after-milliseconds mymaster soon');
    const e = await harnessError(loadDeployment(dir));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('down-after-milliseconds');
  });

  it('fails on a non-numeric quorum instead of yielding NaN', async () => {
    await edit(SENTINEL_CM, 'svc.cluster.local 6379 2\n', 'svc.cluster.local 6379 two\n');
    const e = await harnessError(loadDeployment(dir));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('sentinel monitor');
  });

  it('uses a real password from the Secret (stringData)', async () => {
    await edit(SECRET, PLACEHOLDER, PW);
    const m = await loadDeployment(dir);
    expect(m.password.value).toBe(PW);
  });

  it('uses a real password from the Secret (base64 data)', async () => {
    await edit(SECRET, `stringData:\n  password: ${PLACEHOLDER}`, `data:\n  password: ${Buffer.from(PW).toString('base64')}`);
    const m = await loadDeployment(dir);
    expect(m.password.value).toBe(PW);
  });

  it('never puts the password in describeDeployment', async () => {
    await edit(SECRET, PLACEHOLDER, PW);
    const m = await loadDeployment(dir);
    expect(m.password.value).toBe(PW);
    const d = describeDeployment(m);
    const text = JSON.stringify(d);
    expect(text).not.toContain(PW);
    expect(text).not.toContain(Buffer.from(PW).toString('base64'));
    expect(d.password_source).toBe('secret redis-password');
  });

  it('fails when no ConfigMap holds a redis.conf, naming the StatefulSet file', async () => {
    await rm(path.join(dir, '02-configmap-redis.yaml'));
    const e = await harnessError(loadDeployment(dir));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('redis.conf');
    expect(e.message).toContain(path.join(dir, '05-statefulset.yaml'));
  });

  it('reads a percentage PDB as the disruption controller does (rounded up)', async () => {
    await edit('07-pdb.yaml', 'minAvailable: 2', 'minAvailable: "50%"');
    const m = await loadDeployment(dir);
    expect(m.pdb?.minAvailable).toBe(2);
    expect(() => assertRunnable(m)).not.toThrow();
  });

  it('fails on a PDB count that is not a number or a percentage, naming the field', async () => {
    await edit('07-pdb.yaml', 'minAvailable: 2', 'minAvailable: two');
    const e = await harnessError(loadDeployment(dir));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('spec.minAvailable');
    expect(e.message).toContain(path.join(dir, '07-pdb.yaml'));
  });

  for (const [from, to] of [
    ['minAvailable: 2', 'minAvailable: 3'],
    ['minAvailable: 2', 'maxUnavailable: 0'],
  ] as const) {
    it(`loads but refuses to run a PDB that lets no pod go (${to} with 3 replicas)`, async () => {
      await edit('07-pdb.yaml', from, to);
      const m = await loadDeployment(dir);
      let e: unknown;
      try {
        assertRunnable(m);
      } catch (x) {
        e = x;
      }
      expect(isHarnessError(e) && e.code).toBe('MANIFEST_INVALID');
      expect((e as Error).message).toContain(path.join(dir, '07-pdb.yaml'));
      expect((e as Error).message).toContain('spec.minAvailable below');
    });
  }

  it('fails on a directory with no manifests', async () => {
    const empty = path.join(tmp, 'empty');
    await mkdir(empty);
    const e = await harnessError(loadDeployment(empty));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain(empty);
  });

  it('fails on a directory that does not exist', async () => {
    const missing = path.join(tmp, 'missing');
    const e = await harnessError(loadDeployment(missing));
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain(missing);
  });
});
