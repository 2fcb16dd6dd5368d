// Field paths as a reader of a manifest writes them: spec.template.spec.containers[0].ports[0].containerPort.

/** Path segments (keys and array indexes) as one field path; keys that are not identifiers are bracketed. */
export function fieldPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** A JSON pointer ("/spec/ports/0/port", as JSON-schema validators report it) as a field path. */
export function pointerToField(pointer: string): string {
  if (pointer === '') return '(object)';
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
  return fieldPath(segments);
}
