// Keeps secrets (the Redis password) out of everything the harness writes.

/** What every occurrence of a secret is replaced with. */
export const REDACTED = '***';

/**
 * Secrets shorter than this are ignored: a 1-3 character string occurs all over ordinary output
 * (numbers in figures, fragments of words and keys), so masking it would garble every report while
 * protecting almost nothing, since such a password can be guessed anyway.
 */
export const MIN_SECRET_LENGTH = 4;

export interface Redactor {
  /** `s` with every occurrence of each secret, raw, base64-, URL- or JSON-encoded, replaced by `***`. */
  text(s: string): string;
  /** A deep copy of JSON-like `v` (as JSON.stringify sees it) with every string, object keys included, passed through {@link Redactor.text}. */
  value<T>(v: T): T;
}

/** A redactor for `secrets`; empty strings and secrets shorter than {@link MIN_SECRET_LENGTH} are ignored. */
export function createRedactor(secrets: readonly string[]): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    const base64 = Buffer.from(secret, 'utf8').toString('base64');
    forms.add(secret);
    forms.add(base64);
    forms.add(base64.replace(/=+$/, ''));
    forms.add(encodeURIComponent(secret));
    forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
    // History files are JSON lines, where quotes, backslashes and control characters appear escaped.
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  forms.delete('');
  // Longest first, so that a form containing another (padded vs unpadded base64) is masked whole.
  const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = alternatives.length > 0 ? new RegExp(alternatives.join('|'), 'g') : null;

  const text = (s: string): string => (pattern === null ? s : s.replace(pattern, REDACTED));

  const deep = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(deep);
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return deep(toJSON.call(v));
    // fromEntries defines own properties, so a "__proto__" key stays data instead of replacing the prototype.
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), deep(x)]));
  };

  return { text, value: <T>(v: T): T => deep(v) as T };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

const outputSecrets = new Set<string>();
let outputRedactor: Redactor = createRedactor([]);

/** Remember a secret (a password the deployment uses) so that {@link redactOutput} masks it from now on. */
export function registerSecret(secret: string): void {
  if (outputSecrets.has(secret)) return;
  outputSecrets.add(secret);
  outputRedactor = createRedactor([...outputSecrets]);
}

/** `s` with every registered secret masked: the last line of defence for stdout and stderr. */
export function redactOutput(s: string): string {
  return outputRedactor.text(s);
}
