// HTML escaping for the report: text and attribute values made inert in HTML and SVG.

// Characters HTML forbids or that only confuse (C0/C1 controls except tab and newline, lone surrogates, non-characters).
const ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute value made inert in HTML and SVG. */
export function esc(v: unknown): string {
  return String(v)
    .replace(ILLEGAL, '')
    .replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
