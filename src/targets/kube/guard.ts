// The context guard: faults are only injected into clusters whose kubeconfig context is allow-listed.

/** kind's contexts are named kind-<cluster>: throw-away clusters, allowed by default. */
export const DEFAULT_ALLOWED_CONTEXTS = ['kind-*'] as const;

export type GuardVerdict = { allowed: true; by: string } | { allowed: false; reason: string };

const matches = (pattern: string, name: string): boolean => (pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name);

/**
 * Whether faults may be injected into `context`: it matches a default pattern (kind-*) or a name
 * given with --allow-context. Pure, so every refusal is unit-tested.
 */
export function checkContext(context: string, allowContexts: readonly string[]): GuardVerdict {
  if (context.trim() === '') return { allowed: false, reason: 'no Kubernetes context given: pass --context NAME' };
  for (const p of [...DEFAULT_ALLOWED_CONTEXTS, ...allowContexts]) {
    if (matches(p, context)) return { allowed: true, by: p };
  }
  return {
    allowed: false,
    reason: `context ${context} is not allow-listed for fault injection (allowed: ${[...DEFAULT_ALLOWED_CONTEXTS, ...allowContexts].join(', ')}); if it is meant to take faults pass --allow-context ${context}, or use --dry-run to see the plan`,
  };
}
