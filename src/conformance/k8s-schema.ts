// Offline validation of a manifest object against the Kubernetes OpenAPI schema of its kind (kubernetes-models).
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { pointerToField } from '../model/field-path.ts';

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: unknown): { validate(): void };
}

/**
 * The kinds a deployment like this one is made of. Each import pulls in only that kind's schema graph
 * (≈200 ms for all of them; the whole package takes over a second to load).
 */
const MODELS = [
  Namespace,
  Secret,
  ConfigMap,
  Service,
  ServiceAccount,
  PersistentVolumeClaim,
  StatefulSet,
  Deployment,
  PodDisruptionBudget,
  NetworkPolicy,
  Role,
  RoleBinding,
] as unknown as ModelClass[];

const BY_TYPE = new Map(MODELS.map((m) => [`${m.apiVersion} ${m.kind}`, m]));

/** The apiVersion/kind pairs this validator has a schema for. */
export function knownKinds(): string[] {
  return [...BY_TYPE.keys()].sort();
}

/** One schema violation, the first one the validator reports, with the others counted. */
export interface SchemaViolation {
  /** Field path of the violation, e.g. spec.template.spec.containers[0].ports[0].containerPort. */
  field: string;
  /** Every message reported at that field, e.g. "must be integer". */
  message: string;
  /** Violations at other fields. */
  others: number;
}

export type SchemaResult = { status: 'valid' } | { status: 'invalid'; violation: SchemaViolation } | { status: 'no-schema' };

interface AjvError {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

/** Validate a plain object (YAML anchors and aliases already resolved) against the schema of its apiVersion/kind. */
export function validateSchema(obj: Record<string, unknown>): SchemaResult {
  const model = BY_TYPE.get(`${String(obj.apiVersion)} ${String(obj.kind)}`);
  if (!model) return { status: 'no-schema' };
  try {
    new model(structuredClone(obj)).validate();
    return { status: 'valid' };
  } catch (err) {
    const errors = (err as { errors?: unknown }).errors;
    if (!Array.isArray(errors) || errors.length === 0) throw err;
    const list = errors as AjvError[];
    const first = list[0]!.instancePath ?? '';
    const here = list.filter((e) => (e.instancePath ?? '') === first);
    const messages = [...new Set(here.map(describe))];
    const otherPaths = new Set(list.map((e) => e.instancePath ?? '').filter((p) => p !== first));
    return { status: 'invalid', violation: { field: pointerToField(first), message: messages.join('; '), others: otherPaths.size } };
  }
}

function describe(e: AjvError): string {
  if (e.keyword === 'required' && typeof e.params?.missingProperty === 'string') return `missing required field ${e.params.missingProperty}`;
  if (e.keyword === 'enum' && Array.isArray(e.params?.allowedValues))
    return `must be one of ${e.params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return e.message ?? e.keyword ?? 'invalid';
}
