// The static suite's helpers: quantities, label selectors, field paths and the offline schema validator.
import { describe, expect, it } from 'vitest';
import { fieldPath, pointerToField } from '../../../src/model/field-path.ts';
import { knownKinds, validateSchema } from '../../../src/conformance/k8s-schema.ts';
import { labelSelectorMatches, serviceSelectorMatches } from '../../../src/model/label-selector.ts';
import { formatBytes, parseQuantity, parseRedisMemory } from '../../../src/model/quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['10Gi', 10 * 2 ** 30],
    ['2560Mi', 2560 * 2 ** 20],
    ['500M', 5e8],
    ['1e3', 1000],
    ['100m', 0.1],
    ['1.5Gi', 1.5 * 2 ** 30],
    [3, 3],
  ] as const)('%s', (q, bytes) => expect(parseQuantity(q)).toBeCloseTo(bytes));

  it.each(['10GB', 'lots', '', '10 Gi', null, undefined, {}])('rejects %j', (q) => expect(parseQuantity(q)).toBeNull());
});

describe('parseRedisMemory', () => {
  it.each([
    ['2gb', 2 * 2 ** 30],
    ['2g', 2e9],
    ['2048mb', 2 * 2 ** 30],
    ['2147483648', 2 ** 31],
    ['1KB', 1024],
    ['5b', 5],
  ] as const)('%s', (v, bytes) => expect(parseRedisMemory(v)).toBe(bytes));
  it.each(['2 gb', '2gib', 'two', '-1gb'])('rejects %j', (v) => expect(parseRedisMemory(v)).toBeNull());
  it('formats bytes in the largest exact binary unit', () => {
    expect([formatBytes(2 ** 31), formatBytes(2560 * 2 ** 20), formatBytes(1000)]).toEqual(['2Gi', '2560Mi', '1000 bytes']);
  });
});

describe('label selectors', () => {
  const pod = { 'app.kubernetes.io/name': 'redis', tier: 'cache' };
  it('matches matchLabels and matchExpressions', () => {
    expect(labelSelectorMatches({ matchLabels: { 'app.kubernetes.io/name': 'redis' } }, pod)).toBe(true);
    expect(labelSelectorMatches({ matchLabels: { 'app.kubernetes.io/name': 'other' } }, pod)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['cache'] }] }, pod)).toBe(true);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['cache'] }] }, pod)).toBe(false);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, pod)).toBe(true);
    expect(labelSelectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, pod)).toBe(false);
  });
  it('treats an empty selector as all pods only where Kubernetes does (policy/v1 PDB), and a missing one as none', () => {
    expect(labelSelectorMatches({}, pod)).toBe(false);
    expect(labelSelectorMatches({}, pod, true)).toBe(true);
    expect(labelSelectorMatches(undefined, pod, true)).toBe(false);
  });
  it('a Service selector is a subset of the pod labels, and an empty one selects nothing', () => {
    expect(serviceSelectorMatches({ 'app.kubernetes.io/name': 'redis' }, pod)).toBe(true);
    expect(serviceSelectorMatches({ 'app.kubernetes.io/name': 'redis', extra: 'x' }, pod)).toBe(false);
    expect(serviceSelectorMatches({}, pod)).toBe(false);
  });
});

describe('field paths', () => {
  it('writes keys, indexes and non-identifier keys as a reader of YAML would', () => {
    expect(fieldPath(['spec', 'template', 'spec', 'containers', 0, 'ports', 1, 'containerPort'])).toBe(
      'spec.template.spec.containers[0].ports[1].containerPort',
    );
    expect(fieldPath(['data', 'sentinel.conf'])).toBe('data["sentinel.conf"]');
    expect(pointerToField('/metadata/labels/app.kubernetes.io~1name')).toBe('metadata.labels["app.kubernetes.io/name"]');
    expect(pointerToField('')).toBe('(object)');
  });
});

describe('validateSchema', () => {
  const sts = (spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'redis' }, spec });
  const podTemplate = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'redis', image: 'redis' }] } };

  it('accepts a valid object and knows the deployment kinds', () => {
    expect(validateSchema(sts({ serviceName: 'h', selector: { matchLabels: { a: 'b' } }, template: podTemplate }))).toEqual({ status: 'valid' });
    expect(knownKinds()).toEqual(
      expect.arrayContaining(['apps/v1 StatefulSet', 'v1 Service', 'policy/v1 PodDisruptionBudget', 'v1 Secret', 'v1 ConfigMap', 'v1 Namespace']),
    );
  });

  it('reports the first violation with its field and counts the others', () => {
    const r = validateSchema(
      sts({
        replicas: 'three',
        selector: { matchLabels: { a: 'b' } },
        template: { ...podTemplate, spec: { containers: [{ name: 'r', ports: [{ containerPort: 'x' }] }] } },
      }),
    );
    expect(r).toEqual({ status: 'invalid', violation: { field: 'spec.replicas', message: 'must be integer', others: 1 } });
  });

  it('names a missing required field', () => {
    const r = validateSchema(sts({ template: podTemplate }));
    expect(r).toEqual({ status: 'invalid', violation: { field: 'spec', message: 'missing required field selector', others: 0 } });
  });

  it('has no schema for an unknown or removed apiVersion/kind', () => {
    expect(validateSchema({ apiVersion: 'apps/v1beta1', kind: 'StatefulSet', metadata: { name: 'x' } })).toEqual({ status: 'no-schema' });
  });
});
