// Static conformance: the bundled manifests pass every check; each broken copy is caught at its file, object and field.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadDeployment, readManifestObjects } from '../../../src/config/manifests.ts';
import { HarnessError } from '../../../src/errors.ts';
import { allValid, formatStaticCheck, SEED_DESIGN, staticChecks, staticChecksOfObjects, type StaticCheck } from '../../../src/conformance/static.ts';

const BUNDLED = path.resolve(import.meta.dirname, '../../../manifests');
const SECRET = '01-secret.yaml';
const REDIS_CM = '02-configmap-redis.yaml';
const SENTINEL_CM = '03-configmap-sentinel.yaml';
const SCRIPTS_CM = '04-configmap-scripts.yaml';
const STS = '05-statefulset.yaml';
const SERVICES = '06-services.yaml';
const PDB = '07-pdb.yaml';
const RBAC = '08-rbac.yaml';

const failing = (checks: readonly StaticCheck[]) => checks.filter((c) => !c.valid);
const names = (checks: readonly StaticCheck[]) => checks.map((c) => c.name).sort();
const listing = (checks: readonly StaticCheck[]) => checks.map(formatStaticCheck).join('\n');

describe('staticChecks on the bundled manifests/', () => {
  it('passes every check', async () => {
    const checks = staticChecks(await loadDeployment(BUNDLED));
    expect(failing(checks), `failing checks:\n${listing(failing(checks))}`).toEqual([]);
    expect(allValid(checks)).toBe(true);
  });

  it('covers every parameter of the seed', async () => {
    const checks = staticChecks(await loadDeployment(BUNDLED));
    const seedChecks = [
      'namespace.exists',
      'statefulset.replicas',
      'statefulset.containers',
      'statefulset.redis.port',
      'statefulset.sentinel.port',
      'sentinel.master-name',
      'sentinel.quorum',
      'sentinel.quorum-majority',
      'sentinel.down-after-milliseconds',
      'sentinel.failover-timeout',
      'sentinel.parallel-syncs',
      'sentinel.monitor-address',
      'redis.appendonly',
      'redis.appendfsync',
      'redis.save',
      'redis.maxmemory',
      'redis.maxmemory-policy',
      'password.redis-env-from-secret',
      'password.secret-key-exists',
      'password.requirepass-from-env',
      'password.masterauth-from-env',
      'password.sentinel-env-from-secret',
      'password.sentinel-auth-pass-from-env',
      'statefulset.anti-affinity',
      'storage.size',
      'storage.access-modes',
      'storage.class',
      'storage.redis.mounted',
      'statefulset.redis.readiness-probe',
      'statefulset.redis.liveness-probe',
      'statefulset.sentinel.readiness-probe',
      'statefulset.sentinel.liveness-probe',
      'statefulset.redis.resource-requests',
      'statefulset.redis.memory-limit',
      'statefulset.sentinel.resource-requests',
      'statefulset.sentinel.memory-limit',
      'statefulset.redis.memory-headroom',
      'service.headless.cluster-ip',
      'service.headless.publish-not-ready-addresses',
      'service.headless.selector',
      'service.client.type',
      'service.client.port',
      'service.client.selector',
      'statefulset.service-name',
      'pdb.min-available',
      'pdb.allows-drain',
      'pdb.keeps-quorum',
      'pdb.selector',
      'startup.redis.master-discovery',
      'startup.redis.sentinel-hosts',
      'routing.labeller',
      'routing.service-account',
      'routing.rbac',
      'service.sentinel.selector',
    ];
    expect(seedChecks.filter((n) => !checks.some((c) => c.name === n))).toEqual([]);
    const expected = Object.fromEntries(checks.map((c) => [c.name, c.expected]));
    expect(expected['sentinel.quorum']).toBe('2');
    expect(expected['sentinel.down-after-milliseconds']).toBe('5000');
    expect(expected['sentinel.failover-timeout']).toBe('10000');
    expect(expected['sentinel.parallel-syncs']).toBe('1');
    expect(expected['redis.save']).toBe('save "" (RDB off)');
    expect(expected['storage.size']).toBe('10Gi');
    expect(expected['pdb.min-available']).toBe('minAvailable 2');
  });

  it('validates every object against its Kubernetes schema, and checks every namespaced object is in matrix', async () => {
    const m = await loadDeployment(BUNDLED);
    const checks = staticChecks(m);
    const refs = m.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(
      checks
        .filter((c) => c.name === 'schema')
        .map((c) => c.object)
        .sort(),
    ).toEqual(refs);
    expect(
      checks
        .filter((c) => c.name === 'namespace.membership')
        .map((c) => c.object)
        .sort(),
    ).toEqual(refs.filter((r) => r !== 'Namespace/matrix'));
    for (const c of checks.filter((c) => c.name === 'schema')) {
      expect(c.file).toBe(m.objects.find((o) => `${o.kind}/${o.metadata.name}` === c.object)!.__file);
    }
  });

  it('gives the same verdicts from the raw objects as from the model', async () => {
    const m = await loadDeployment(BUNDLED);
    expect(staticChecksOfObjects(await readManifestObjects(BUNDLED))).toEqual(staticChecks(m));
  });

  it('names a file, a Kind/name object and a field in every check', async () => {
    const checks = staticChecks(await loadDeployment(BUNDLED));
    for (const c of checks) {
      expect(c.group).toBe('static');
      expect(c.file.startsWith(BUNDLED), c.name).toBe(true);
      expect(c.object, c.name).toMatch(/^[A-Z][A-Za-z]+\/[a-z0-9.-]+$/);
      expect(c.field, c.name).not.toBe('');
      expect(c.explanation.length, c.name).toBeGreaterThan(20);
    }
  });
});

describe('staticChecks on broken copies of manifests/', () => {
  let tmp: string;
  let dir: string;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'sentinel-chaos-static-'));
    dir = path.join(tmp, 'manifests');
    cpSync(BUNDLED, dir, { recursive: true });
  });
  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Replace the one occurrence of `from` in a copied file (failing when it is absent or not unique). */
  function edit(file: string, from: string, to: string): void {
    const p = path.join(dir, file);
    const text = readFileSync(p, 'utf8');
    expect(text.split(from).length - 1, `${file} should contain ${JSON.stringify(from)} exactly once`).toBe(1);
    writeFileSync(p, text.replace(from, to));
  }

  /** Remove the text from `start` (included) to the next `end` (kept) in a copied file. */
  function cut(file: string, start: string, end: string): void {
    const p = path.join(dir, file);
    const text = readFileSync(p, 'utf8');
    const i = text.indexOf(start);
    expect(i, `${file} should contain ${JSON.stringify(start)}`).toBeGreaterThanOrEqual(0);
    expect(text.indexOf(start, i + 1), `${file} should contain ${JSON.stringify(start)} once`).toBe(-1);
    const j = text.indexOf(end, i + start.length);
    expect(j, `${file} should contain ${JSON.stringify(end)} after ${JSON.stringify(start)}`).toBeGreaterThan(i);
    writeFileSync(p, text.slice(0, i) + text.slice(j));
  }

  async function checksOfCopy(): Promise<StaticCheck[]> {
    return staticChecks(await loadDeployment(dir));
  }

  /** The check named `name` failed, and its report names the file, the object and the field. */
  function expectCaught(checks: StaticCheck[], name: string, where: { file: string; object: string; field: string }): StaticCheck {
    const c = checks.find((x) => x.name === name && x.object === where.object);
    expect(c, `no check ${name} on ${where.object}:\n${listing(checks)}`).toBeDefined();
    expect(c!.valid, formatStaticCheck(c!)).toBe(false);
    expect(c!.file).toBe(path.join(dir, where.file));
    expect(c!.field).toBe(where.field);
    const message = formatStaticCheck(c!);
    for (const part of [path.join(dir, where.file), where.object, where.field]) expect(message).toContain(part);
    return c!;
  }

  const sentinelConf = (what: string) => ({ file: SENTINEL_CM, object: 'ConfigMap/sentinel-config', field: `data["sentinel.conf"]: ${what}` });
  const redisConf = (what: string) => ({ file: REDIS_CM, object: 'ConfigMap/redis-config', field: `data["redis.conf"]: ${what}` });
  const sts = (field: string) => ({ file: STS, object: 'StatefulSet/redis', field });
  const pdb = (field: string) => ({ file: PDB, object: 'PodDisruptionBudget/redis', field });

  it('catches quorum 3, and its inconsistency with 3 sentinels and the PDB', async () => {
    edit(SENTINEL_CM, 'svc.cluster.local 6379 2\n', 'svc.cluster.local 6379 3\n');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'sentinel.quorum', sentinelConf('sentinel monitor <quorum>'));
    expect([c.expected, c.observed]).toEqual(['2', '3']);
    expectCaught(checks, 'sentinel.quorum-majority', sentinelConf('sentinel monitor <quorum>'));
    expectCaught(checks, 'sentinel.failover-with-one-pod-down', sentinelConf('sentinel monitor <quorum>'));
    expectCaught(checks, 'pdb.keeps-quorum', pdb('spec.minAvailable'));
    expect(names(failing(checks))).toEqual(['pdb.keeps-quorum', 'sentinel.failover-with-one-pod-down', 'sentinel.quorum', 'sentinel.quorum-majority']);
  });

  it('catches down-after-milliseconds 4000', async () => {
    edit(SENTINEL_CM, 'down-after-milliseconds mymaster 5000', 'down-after-milliseconds mymaster 4000');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'sentinel.down-after-milliseconds', sentinelConf('sentinel down-after-milliseconds'));
    expect([c.expected, c.observed]).toEqual(['5000', '4000']);
    expect(names(failing(checks))).toEqual(['sentinel.down-after-milliseconds']);
  });

  it('catches appendonly no', async () => {
    edit(REDIS_CM, 'appendonly yes', 'appendonly no');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'redis.appendonly', redisConf('appendonly')).observed).toBe('no');
    expect(names(failing(checks))).toEqual(['redis.appendonly']);
  });

  it('catches appendfsync always', async () => {
    edit(REDIS_CM, 'appendfsync everysec', 'appendfsync always');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'redis.appendfsync', redisConf('appendfsync')).observed).toBe('always');
    expect(names(failing(checks))).toEqual(['redis.appendfsync']);
  });

  it('catches save "900 1" (RDB on)', async () => {
    edit(REDIS_CM, 'save ""', 'save "900 1"');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'redis.save', redisConf('save')).observed).toBe('save "900 1"');
    expect(names(failing(checks))).toEqual(['redis.save']);
  });

  it('catches a missing save line (Redis then snapshots by default)', async () => {
    edit(REDIS_CM, '    save ""\n', '');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'redis.save', redisConf('save')).observed).toMatch(/absent/);
    expect(names(failing(checks))).toEqual(['redis.save']);
  });

  it('catches maxmemory 1gb', async () => {
    edit(REDIS_CM, 'maxmemory 2gb', 'maxmemory 1gb');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'redis.maxmemory', redisConf('maxmemory')).observed).toBe('1gb (1Gi)');
    expect(names(failing(checks))).toEqual(['redis.maxmemory']);
  });

  it('accepts maxmemory written in another unit (2048mb = 2gb)', async () => {
    edit(REDIS_CM, 'maxmemory 2gb', 'maxmemory 2048mb');
    expect(failing(await checksOfCopy())).toEqual([]);
  });

  it('catches replicas 2: the seed count, failover with a pod down, the PDB and SENTINEL_HOSTS', async () => {
    edit(STS, 'replicas: 3', 'replicas: 2');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'statefulset.replicas', sts('spec.replicas'));
    expect([c.expected, c.observed]).toEqual(['3', '2']);
    expectCaught(checks, 'sentinel.failover-with-one-pod-down', sentinelConf('sentinel monitor <quorum>'));
    expectCaught(checks, 'pdb.allows-drain', pdb('spec.minAvailable'));
    expectCaught(checks, 'startup.redis.sentinel-hosts', sts('spec.template.spec.containers[0].env[2].value'));
    expectCaught(checks, 'startup.sentinel.sentinel-hosts', sts('spec.template.spec.containers[1].env[2].value'));
    expect(names(failing(checks))).toEqual([
      'pdb.allows-drain',
      'sentinel.failover-with-one-pod-down',
      'startup.redis.sentinel-hosts',
      'startup.sentinel.sentinel-hosts',
      'statefulset.replicas',
    ]);
  });

  it('catches PDB minAvailable 3 (no drain can proceed)', async () => {
    edit(PDB, 'minAvailable: 2', 'minAvailable: 3');
    const checks = await checksOfCopy();
    expectCaught(checks, 'pdb.min-available', pdb('spec.minAvailable'));
    expectCaught(checks, 'pdb.allows-drain', pdb('spec.minAvailable'));
    expect(names(failing(checks))).toEqual(['pdb.allows-drain', 'pdb.min-available']);
  });

  it('catches a PDB that selects no pod', async () => {
    edit(PDB, '      app.kubernetes.io/name: redis', '      app.kubernetes.io/name: redis-typo');
    const checks = await checksOfCopy();
    expectCaught(checks, 'pdb.selector', pdb('spec.selector'));
    expect(names(failing(checks))).toEqual(['pdb.selector']);
  });

  it('catches the anti-affinity removed', async () => {
    cut(STS, '      affinity:\n', '      containers:\n');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'statefulset.anti-affinity', sts('spec.template.spec.affinity.podAntiAffinity')).observed).toBe('(no podAntiAffinity)');
    expect(names(failing(checks))).toEqual(['statefulset.anti-affinity']);
  });

  it('catches a required (not preferred) anti-affinity', async () => {
    edit(
      STS,
      `          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    app.kubernetes.io/name: redis
`,
      `          requiredDuringSchedulingIgnoredDuringExecution:
            - topologyKey: kubernetes.io/hostname
              labelSelector:
                matchLabels:
                  app.kubernetes.io/name: redis
`,
    );
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'statefulset.anti-affinity', sts('spec.template.spec.affinity.podAntiAffinity')).observed).toMatch(/required/);
    expect(names(failing(checks))).toEqual(['statefulset.anti-affinity']);
  });

  it('catches a 5Gi volume', async () => {
    edit(STS, 'storage: 10Gi', 'storage: 5Gi');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'storage.size', sts('spec.volumeClaimTemplates[0].spec.resources.requests.storage'));
    expect([c.expected, c.observed]).toEqual(['10Gi', '5Gi']);
    expect(names(failing(checks))).toEqual(['storage.size']);
  });

  it('catches storageClassName fast', async () => {
    edit(STS, 'storageClassName: standard', 'storageClassName: fast');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'storage.class', sts('spec.volumeClaimTemplates[0].spec.storageClassName')).observed).toBe('fast');
    expect(names(failing(checks))).toEqual(['storage.class']);
  });

  it('catches the probes removed from the sentinel container', async () => {
    cut(STS, '          readinessProbe:\n            exec:\n              command: ["sh", "/scripts/probe.sh", "sentinel"]', '          resources:\n');
    const checks = await checksOfCopy();
    expectCaught(checks, 'statefulset.sentinel.readiness-probe', sts('spec.template.spec.containers[1].readinessProbe'));
    expectCaught(checks, 'statefulset.sentinel.liveness-probe', sts('spec.template.spec.containers[1].livenessProbe'));
    expect(names(failing(checks))).toEqual(['statefulset.sentinel.liveness-probe', 'statefulset.sentinel.readiness-probe']);
  });

  it('catches the resources removed from both containers', async () => {
    cut(STS, '          resources:\n            requests:\n              cpu: 100m\n', '          volumeMounts:\n');
    cut(STS, '          resources:\n            requests:\n              cpu: 50m\n', '          volumeMounts:\n');
    const checks = await checksOfCopy();
    expectCaught(checks, 'statefulset.redis.resource-requests', sts('spec.template.spec.containers[0].resources.requests'));
    expectCaught(checks, 'statefulset.redis.memory-limit', sts('spec.template.spec.containers[0].resources.limits.memory'));
    expectCaught(checks, 'statefulset.redis.memory-headroom', sts('spec.template.spec.containers[0].resources.limits.memory'));
    expectCaught(checks, 'statefulset.sentinel.resource-requests', sts('spec.template.spec.containers[1].resources.requests'));
    expectCaught(checks, 'statefulset.sentinel.memory-limit', sts('spec.template.spec.containers[1].resources.limits.memory'));
    expect(names(failing(checks))).toEqual([
      'statefulset.redis.memory-headroom',
      'statefulset.redis.memory-limit',
      'statefulset.redis.resource-requests',
      'statefulset.sentinel.memory-limit',
      'statefulset.sentinel.resource-requests',
    ]);
  });

  it('catches a redis memory limit below maxmemory', async () => {
    edit(STS, 'memory: 2560Mi', 'memory: 1536Mi');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'statefulset.redis.memory-headroom', sts('spec.template.spec.containers[0].resources.limits.memory'));
    expect(c.observed).toBe('1536Mi (maxmemory -25%)');
    expect(names(failing(checks))).toEqual(['statefulset.redis.memory-headroom']);
  });

  it('catches publishNotReadyAddresses false on the headless Service', async () => {
    edit(SERVICES, 'publishNotReadyAddresses: true', 'publishNotReadyAddresses: false');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'service.headless.publish-not-ready-addresses', {
      file: SERVICES,
      object: 'Service/redis-headless',
      field: 'spec.publishNotReadyAddresses',
    });
    expect([c.expected, c.observed]).toEqual(['true', 'false']);
    expect(names(failing(checks))).toEqual(['service.headless.publish-not-ready-addresses']);
  });

  it('catches a schema violation (containerPort "6379x") at its field', async () => {
    edit(STS, '              containerPort: 6379\n', '              containerPort: "6379x"\n');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'schema', sts('spec.template.spec.containers[0].ports[0].containerPort'));
    expect(c.observed).toBe('must be integer');
    expectCaught(checks, 'statefulset.redis.port', sts('spec.template.spec.containers[0].ports'));
    expectCaught(checks, 'service.client.port', { file: SERVICES, object: 'Service/redis', field: 'spec.ports[0].targetPort' });
    expect(names(failing(checks))).toEqual(['schema', 'service.client.port', 'statefulset.redis.port']);
  });

  it('validates the env shared through a YAML alias in every container', async () => {
    edit(STS, '                  fieldPath: metadata.name\n', '                  fieldPath: 42\n');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'schema', sts('spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath'));
    // The sentinel and role-labeller containers share the env through the alias.
    expect(c.observed).toBe('must be string (and violations at 2 other fields)');
  });

  it('catches a client Service that selects every pod (two writes in three to a replica)', async () => {
    edit(SERVICES, '    app.kubernetes.io/name: redis\n    redis.io/role: master\n', '    app.kubernetes.io/name: redis\n');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'service.client.selector', { file: SERVICES, object: 'Service/redis', field: 'spec.selector' });
    expect(c.observed).toContain('selects the replicas too');
    expect(names(failing(checks))).toEqual(['service.client.selector']);
  });

  it('catches a client Service that selects no master (a role value the labeller never sets)', async () => {
    edit(SERVICES, '    redis.io/role: master\n', '    redis.io/role: primary\n');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'service.client.selector', { file: SERVICES, object: 'Service/redis', field: 'spec.selector' }).observed).toContain(
      'selects no master pod',
    );
  });

  it('catches the sentinel port served by the master-only Service and no sentinel Service', async () => {
    const p = path.join(dir, SERVICES);
    const text = readFileSync(p, 'utf8');
    const at = text.indexOf('---\n# Sentinel-aware clients');
    expect(at).toBeGreaterThan(0);
    writeFileSync(p, text.slice(0, at) + '    - name: sentinel\n      port: 26379\n      targetPort: sentinel\n');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'service.sentinel.selector', { file: SERVICES, object: 'Service/redis', field: 'spec.selector' });
    expect(c.observed).toContain('(not every pod)');
    expect(names(failing(checks))).toEqual(['service.sentinel.selector']);
  });

  it('catches a Role that may not patch pods', async () => {
    edit(RBAC, 'verbs: ["get", "patch"]', 'verbs: ["get"]');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'routing.rbac', { file: RBAC, object: 'RoleBinding/(none)', field: 'roleRef, subjects' });
    expect(c.observed).toBe('no Role in matrix allows get and patch on pods');
    expect(names(failing(checks))).toEqual(['routing.rbac']);
  });

  it('catches the RBAC and ServiceAccount removed', async () => {
    rmSync(path.join(dir, RBAC));
    const checks = await checksOfCopy();
    expectCaught(checks, 'routing.service-account', sts('spec.template.spec.serviceAccountName'));
    expect(checks.find((c) => c.name === 'routing.rbac')!.valid).toBe(false);
    expect(names(failing(checks))).toEqual(['routing.rbac', 'routing.service-account']);
  });

  it('catches the role-labeller sidecar removed, and a labeller script that never patches', async () => {
    cut(STS, '        # Keeps redis.io/role current', '      volumes:\n');
    let checks = await checksOfCopy();
    expect(expectCaught(checks, 'routing.labeller', sts('spec.template.spec.containers')).observed).toBe('(no container role-labeller)');
    expect(names(failing(checks))).toEqual(['routing.labeller']);
    cpSync(path.join(BUNDLED, STS), path.join(dir, STS));
    edit(SCRIPTS_CM, '-X PATCH', '-X GET');
    checks = await checksOfCopy();
    const c = expectCaught(checks, 'routing.labeller', { file: SCRIPTS_CM, object: 'ConfigMap/redis-scripts', field: 'data["role-labeller.sh"]' });
    expect(c.observed).toContain('lacks a PATCH');
  });

  it('catches a fourth container in the pod', async () => {
    edit(STS, '        - name: role-labeller\n', '        - name: extra\n');
    const checks = await checksOfCopy();
    expectCaught(checks, 'statefulset.containers', sts('spec.template.spec.containers'));
  });

  it('catches a malformed quantity (format checked, not only the type)', async () => {
    edit(STS, 'memory: 128Mi', 'memory: 128MB');
    const checks = await checksOfCopy();
    expect(expectCaught(checks, 'schema', sts('spec.template.spec.containers[1].resources.limits.memory')).observed).toMatch(/quantity/);
  });

  it('catches an object of a kind with no schema (a typo in kind)', async () => {
    edit(PDB, 'kind: PodDisruptionBudget', 'kind: PodDisruptionBudgets');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'schema', { file: PDB, object: 'PodDisruptionBudgets/redis', field: 'apiVersion, kind' });
    expect(c.observed).toBe('no offline schema for policy/v1 PodDisruptionBudgets');
    expectCaught(checks, 'pdb.min-available', { file: '', object: 'PodDisruptionBudget/redis', field: 'spec.minAvailable' });
  });

  it('catches the requirepass link broken: REDIS_PASSWORD a literal value instead of a secretKeyRef', async () => {
    const literal = 'hunter2-in-the-pod-spec';
    edit(
      STS,
      `            - name: REDIS_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: redis-password
                  key: password
`,
      `            - name: REDIS_PASSWORD
              value: ${literal}
`,
    );
    // The harness refuses to run such a deployment; the static suite still says precisely what is wrong.
    const refused = await loadDeployment(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(HarnessError);
    const checks = staticChecksOfObjects(await readManifestObjects(dir));
    const c = expectCaught(checks, 'password.redis-env-from-secret', sts('spec.template.spec.containers[0].env[4].value'));
    expect(c.observed).toBe(`literal value (${literal.length} characters, not shown)`);
    expectCaught(checks, 'password.sentinel-env-from-secret', sts('spec.template.spec.containers[1].env[4].value'));
    expectCaught(checks, 'password.secret-key-exists', { file: '', object: 'Secret/(none)', field: 'stringData.password' });
    expect(names(failing(checks))).toEqual(['password.redis-env-from-secret', 'password.secret-key-exists', 'password.sentinel-env-from-secret']);
    expect(JSON.stringify(checks)).not.toContain(literal);
  });

  it('catches a secretKeyRef to a key the Secret does not have', async () => {
    edit(STS, '                  key: password\n', '                  key: redis-password\n');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'password.secret-key-exists', { file: SECRET, object: 'Secret/redis-password', field: 'stringData.redis-password' });
    expect(c.observed).toBe('Secret has no key redis-password');
    expect(names(failing(checks))).toEqual(['password.secret-key-exists']);
  });

  it('catches start-redis.sh no longer writing masterauth from the env var', async () => {
    edit(SCRIPTS_CM, '      echo "masterauth \\"$REDIS_PASSWORD\\""\n', '');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'password.masterauth-from-env', {
      file: SCRIPTS_CM,
      object: 'ConfigMap/redis-scripts',
      field: 'data["start-redis.sh"]: masterauth',
    });
    // The secure profile's masterauth (the replication user's, under ACL_DIR) is still written; not the env var's.
    expect(c.observed).toBe('"masterauth" written, but not from $REDIS_PASSWORD');
    expect(names(failing(checks))).toEqual(['password.masterauth-from-env']);
  });

  it('catches a redis start script that assumes the master by ordinal instead of asking the sentinels', async () => {
    edit(SCRIPTS_CM, '      if found=$(find_master); then', '      if false; then');
    edit(SCRIPTS_CM, '    . "$(dirname "$0")/common.sh"\n    conf="$DATA_DIR/redis.conf"', '    conf="$DATA_DIR/redis.conf"');
    const checks = await checksOfCopy();
    expectCaught(checks, 'startup.redis.master-discovery', { file: SCRIPTS_CM, object: 'ConfigMap/redis-scripts', field: 'data["start-redis.sh"]' });
    expect(names(failing(checks))).toEqual(['startup.redis.master-discovery']);
  });

  it('reports a missing object at the manifests directory instead of throwing', async () => {
    rmSync(path.join(dir, PDB));
    const checks = await checksOfCopy();
    for (const name of ['pdb.min-available', 'pdb.allows-drain', 'pdb.keeps-quorum', 'pdb.selector']) {
      const c = checks.find((x) => x.name === name)!;
      expect(c.valid, name).toBe(false);
      expect(c.file).toBe(dir);
      expect(c.object).toBe('PodDisruptionBudget/redis');
    }
    expect(names(failing(checks))).toEqual(['pdb.allows-drain', 'pdb.keeps-quorum', 'pdb.min-available', 'pdb.selector']);
  });

  it('catches an object outside the matrix namespace', async () => {
    edit(SERVICES, '  name: redis\n  namespace: matrix\n', '  name: redis\n  namespace: default\n');
    const checks = await checksOfCopy();
    const c = expectCaught(checks, 'namespace.membership', { file: SERVICES, object: 'Service/redis', field: 'metadata.namespace' });
    expect([c.expected, c.observed]).toEqual([SEED_DESIGN.namespace, 'default']);
    expectCaught(checks, 'service.client.type', { file: '', object: 'Service/redis', field: 'spec.type' });
  });
});
