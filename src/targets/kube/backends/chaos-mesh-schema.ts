// A minimal JSON-schema subset of the Chaos Mesh CRDs the harness creates, and a validator for it, so
// every object is checked offline before it is sent. Written by hand from chaos-mesh/chaos-mesh v2.8.3
// (tag v2.8.3, config/crd/bases/chaos-mesh.org_{networkchaos,podchaos,stresschaos,timechaos,dnschaos}.yaml):
// only the fields the harness sets, with the CRDs' types, enums and required lists. Stricter than the API
// server on purpose: unknown fields are rejected here (the API server would prune them silently), and
// durations must parse as Go durations (Chaos Mesh's webhook checks that; the CRD has no pattern), and
// TimeChaos clockIds are limited to the Linux clock names (the CRD takes any string). Checked field by field
// against the v2.8.3 CRD files (type, enum, required) when this subset was last changed.

export interface JsonSchema {
  type?: 'object' | 'string' | 'integer' | 'array';
  enum?: readonly string[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  required?: readonly string[];
  properties?: Record<string, JsonSchema>;
  /** false: no other keys; a schema: every other key's value. */
  additionalProperties?: false | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
}

export const CHAOS_MESH_VERSION = 'v2.8.3';

const GO_DURATION = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$';
const MODE: JsonSchema = { type: 'string', enum: ['one', 'all', 'fixed', 'fixed-percent', 'random-max-percent'] };
const LABEL_MAP: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const SELECTOR: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    namespaces: { type: 'array', items: { type: 'string' } },
    labelSelectors: LABEL_MAP,
    pods: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' }, minItems: 1 } },
  },
};
const METADATA: JsonSchema = {
  type: 'object',
  required: ['name', 'namespace', 'labels'],
  additionalProperties: false,
  properties: { name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' }, namespace: { type: 'string' }, labels: LABEL_MAP },
};
const COMMON = {
  mode: MODE,
  value: { type: 'string' },
  selector: SELECTOR,
  duration: { type: 'string', pattern: GO_DURATION },
  containerNames: { type: 'array', items: { type: 'string' } },
} satisfies Record<string, JsonSchema>;

const chaos = (kind: string, spec: JsonSchema): JsonSchema => ({
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: { apiVersion: { type: 'string', enum: ['chaos-mesh.org/v1alpha1'] }, kind: { type: 'string', enum: [kind] }, metadata: METADATA, spec },
});

/** The schema subset per kind. */
export const CHAOS_MESH_SCHEMAS: Record<string, JsonSchema> = {
  NetworkChaos: chaos('NetworkChaos', {
    type: 'object',
    required: ['action', 'mode', 'selector'],
    additionalProperties: false,
    properties: {
      // NetworkChaos acts on the pod's network namespace: it has no containerNames.
      mode: COMMON.mode,
      value: COMMON.value,
      selector: COMMON.selector,
      duration: COMMON.duration,
      action: { type: 'string', enum: ['netem', 'delay', 'loss', 'duplicate', 'corrupt', 'partition', 'bandwidth'] },
      direction: { type: 'string', enum: ['to', 'from', 'both'] },
      externalTargets: { type: 'array', items: { type: 'string' } },
      target: {
        type: 'object',
        required: ['mode', 'selector'],
        additionalProperties: false,
        properties: { mode: MODE, value: { type: 'string' }, selector: SELECTOR },
      },
      loss: {
        type: 'object',
        required: ['loss'],
        additionalProperties: false,
        properties: { loss: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' }, correlation: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$' } },
      },
    },
  }),
  PodChaos: chaos('PodChaos', {
    type: 'object',
    required: ['action', 'mode', 'selector'],
    additionalProperties: false,
    properties: { ...COMMON, action: { type: 'string', enum: ['pod-kill', 'pod-failure', 'container-kill'] }, gracePeriod: { type: 'integer', minimum: 0 } },
  }),
  StressChaos: chaos('StressChaos', {
    type: 'object',
    required: ['mode', 'selector', 'stressors'],
    additionalProperties: false,
    properties: {
      ...COMMON,
      stressors: {
        type: 'object',
        additionalProperties: false,
        properties: {
          cpu: {
            type: 'object',
            required: ['workers'],
            additionalProperties: false,
            properties: { workers: { type: 'integer', minimum: 1, maximum: 8192 }, load: { type: 'integer', minimum: 0, maximum: 100 } },
          },
          memory: {
            type: 'object',
            required: ['workers'],
            additionalProperties: false,
            properties: { workers: { type: 'integer', minimum: 1, maximum: 8192 }, size: { type: 'string', pattern: '^[0-9]+(%|[KMGT]i?B?)?$' } },
          },
        },
      },
    },
  }),
  TimeChaos: chaos('TimeChaos', {
    type: 'object',
    required: ['mode', 'selector', 'timeOffset'],
    additionalProperties: false,
    properties: {
      ...COMMON,
      timeOffset: { type: 'string', pattern: '^-?([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' },
      clockIds: {
        type: 'array',
        items: {
          type: 'string',
          enum: [
            'CLOCK_REALTIME',
            'CLOCK_MONOTONIC',
            'CLOCK_PROCESS_CPUTIME_ID',
            'CLOCK_THREAD_CPUTIME_ID',
            'CLOCK_MONOTONIC_RAW',
            'CLOCK_REALTIME_COARSE',
            'CLOCK_MONOTONIC_COARSE',
            'CLOCK_BOOTTIME',
          ],
        },
      },
    },
  }),
  DNSChaos: chaos('DNSChaos', {
    type: 'object',
    required: ['action', 'mode', 'selector'],
    additionalProperties: false,
    properties: { ...COMMON, action: { type: 'string', enum: ['error', 'random'] }, patterns: { type: 'array', items: { type: 'string' } } },
  }),
};

/** Every violation of `schema` by `value`, as "path: message"; empty when valid. */
export function violations(schema: JsonSchema, value: unknown, path = ''): string[] {
  const at = path || '(root)';
  const isObj = typeof value === 'object' && value !== null && !Array.isArray(value);
  switch (schema.type) {
    case 'object':
      if (!isObj) return [`${at}: must be an object`];
      break;
    case 'array':
      if (!Array.isArray(value)) return [`${at}: must be an array`];
      break;
    case 'string':
      if (typeof value !== 'string') return [`${at}: must be a string`];
      break;
    case 'integer':
      if (!Number.isInteger(value)) return [`${at}: must be an integer`];
      break;
  }
  const out: string[] = [];
  if (schema.enum && !schema.enum.includes(value as string)) out.push(`${at}: must be one of ${schema.enum.join(', ')}`);
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern, 'u').test(value))
    out.push(`${at}: "${value}" does not match ${schema.pattern}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push(`${at}: must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) out.push(`${at}: must be <= ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) out.push(`${at}: needs at least ${schema.minItems} item(s)`);
    if (schema.items) value.forEach((v, i) => out.push(...violations(schema.items!, v, `${path}[${i}]`)));
  }
  if (isObj) {
    const o = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) out.push(`${path ? `${path}.` : ''}${r}: required`);
    for (const [k, v] of Object.entries(o)) {
      const key = path ? `${path}.${k}` : k;
      const sub = schema.properties?.[k];
      if (sub) out.push(...violations(sub, v, key));
      else if (schema.additionalProperties === false) out.push(`${key}: not a field of this schema subset`);
      else if (schema.additionalProperties) out.push(...violations(schema.additionalProperties, v, key));
    }
  }
  return out;
}

/** Violations of a Chaos Mesh object against the subset of its kind's CRD. */
export function validateChaosObject(obj: object & { kind: string }): string[] {
  const schema = CHAOS_MESH_SCHEMAS[obj.kind];
  return schema ? violations(schema, obj) : [`kind: no schema for ${obj.kind}`];
}
