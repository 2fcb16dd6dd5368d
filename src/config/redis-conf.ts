// Reading and overriding redis.conf / sentinel.conf text: directives are whitespace-separated tokens.

/** Split a config line into tokens, honouring double quotes as redis does. */
export function tokenize(line: string): string[] {
  const tokens: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) tokens.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? ''));
  return tokens;
}

/** Non-comment, non-empty lines as token arrays, in file order. */
export function parseDirectives(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(tokenize);
}

/**
 * The arguments of the last directive whose leading tokens equal `prefix` (redis: the last one wins),
 * e.g. lastDirective(t, ['sentinel', 'down-after-milliseconds', 'mymaster']) → ['5000'].
 */
export function lastDirective(text: string, prefix: readonly string[]): string[] | undefined {
  let found: string[] | undefined;
  for (const tokens of parseDirectives(text)) {
    if (prefix.every((p, i) => tokens[i]?.toLowerCase() === p.toLowerCase())) found = tokens.slice(prefix.length);
  }
  return found;
}

/**
 * Replace the value of every directive starting with `prefix` (appending it when absent).
 * Used for the few overrides the harness is allowed: addresses, ports, directories, and the
 * timing overrides integration tests ask for explicitly.
 */
export function setDirective(text: string, prefix: readonly string[], value: string): string {
  let replaced = false;
  const lines = text.split('\n').map((line) => {
    const tokens = tokenize(line.trim());
    if (line.trim().startsWith('#') || tokens.length < prefix.length) return line;
    if (!prefix.every((p, i) => tokens[i]?.toLowerCase() === p.toLowerCase())) return line;
    replaced = true;
    return `${prefix.join(' ')} ${value}`;
  });
  if (!replaced) {
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    lines.push(`${prefix.join(' ')} ${value}`, '');
  }
  return lines.join('\n');
}
