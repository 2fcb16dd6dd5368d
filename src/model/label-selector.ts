// Whether a selector selects a set of pod labels: Kubernetes LabelSelector (PDB, affinity) and Service selectors.

export type Labels = Record<string, string>;

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Labels as a string map (non-string values are ignored). */
export function asLabels(v: unknown): Labels {
  if (!isRecord(v)) return {};
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * A LabelSelector ({matchLabels, matchExpressions}) against labels. `emptyMatchesAll`: policy/v1 PDBs select
 * every pod of the namespace with an empty selector ({}); a missing selector selects no pod.
 */
export function labelSelectorMatches(selector: unknown, labels: Labels, emptyMatchesAll = false): boolean {
  if (!isRecord(selector)) return false;
  const matchLabels = asLabels(selector.matchLabels);
  const exprs = Array.isArray(selector.matchExpressions) ? (selector.matchExpressions as Requirement[]) : [];
  if (Object.keys(matchLabels).length === 0 && exprs.length === 0) return emptyMatchesAll;
  if (!Object.entries(matchLabels).every(([k, v]) => labels[k] === v)) return false;
  return exprs.every((e) => {
    const has = Object.hasOwn(labels, e.key);
    const values = Array.isArray(e.values) ? e.values : [];
    switch (e.operator) {
      case 'In':
        return has && values.includes(labels[e.key]!);
      case 'NotIn':
        return !has || !values.includes(labels[e.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

/** A Service's selector (a plain map) against labels; an empty selector selects no pod. */
export function serviceSelectorMatches(selector: unknown, labels: Labels): boolean {
  const sel = asLabels(selector);
  return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
}
