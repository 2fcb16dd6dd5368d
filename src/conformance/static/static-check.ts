// The shape of one static conformance check: a seed-design parameter against what the manifests declare.

/** One static check: a parameter of the seed design against what the manifests declare. */
export interface StaticCheck {
  group: 'static';
  /** Stable identifier, e.g. "sentinel.quorum"; per-object checks (schema, namespace.membership) repeat it. */
  name: string;
  valid: boolean;
  expected: string;
  observed: string;
  /** Manifest file holding the object (the manifests directory when the object is missing). */
  file: string;
  /** Kind/name, e.g. "StatefulSet/redis". */
  object: string;
  /** Where in the object, e.g. spec.replicas or data["sentinel.conf"]: sentinel down-after-milliseconds. */
  field: string;
  explanation: string;
}
