// Small helpers of the static checks for reading untyped manifest objects: records, arrays, integers, references, missing objects.
import type { ManifestObject } from '../../config/manifests.ts';

export type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
export function rec(v: unknown): Rec {
  return isRec(v) ? v : {};
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function show(v: unknown): string {
  if (v === undefined) return '(absent)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
/** An integer field as Kubernetes would take it, or null (absent is `dflt`). */
export function intOf(v: unknown, dflt: number | null = null): number | null {
  if (v === undefined) return dflt;
  return typeof v === 'number' && Number.isInteger(v) ? v : null;
}
/** Redis config arguments as written in a config file: quoted when empty or containing spaces. */
export function confArgs(args: readonly string[]): string {
  return args.map((a) => (a === '' || /\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
}
/** When the design checked differs from the seed here: a sentence saying whose value is expected. */
export function designNote(expected: string | number, seedValue: string | number): string {
  return String(expected) === String(seedValue) ? '' : ` Held to the design's ${expected} (deviates from the seed's ${seedValue}).`;
}
export function ref(o: { kind: string; metadata: { name: string } }): string {
  return `${o.kind}/${o.metadata.name}`;
}

export const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'CustomResourceDefinition',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'IngressClass',
  'RuntimeClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
]);

export interface Container {
  /** The seed's name for it (redis | sentinel). */
  name: string;
  /** Index in spec.template.spec.containers, -1 when missing. */
  index: number;
  spec: Rec;
}

export interface ConfKey {
  /** The ConfigMap, or undefined when no ConfigMap holds the file. */
  cm: ManifestObject | undefined;
  key: string;
  text: string;
}

/** A missing object, reported at the manifests directory under the name the seed gives it. */
export function absent(kind: string, name: string, dir: string, namespace: string): ManifestObject {
  return { apiVersion: '', kind, metadata: { name, namespace }, __file: dir };
}
