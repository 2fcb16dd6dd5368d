// A YAML file validated by a zod schema, with errors that name the file, line, column and field
// (the approach of scenario files, shared by design files).
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { HarnessError, type HarnessErrorCode } from '../errors.ts';

/** A parsed document and the means to point into it. */
export interface YamlSource {
  file: string;
  /** ":line:col" of the deepest node along `p` that exists ('' when none), at the key itself with `atKey`. */
  position(p: ReadonlyArray<PropertyKey>, atKey?: boolean): string;
}

function positionIn(doc: Document, lc: LineCounter, p: ReadonlyArray<PropertyKey>, atKey = false): string {
  // Walk to the deepest node that exists along the path, so a missing field points at its parent.
  let node: unknown = doc.contents;
  for (const key of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === key);
      if (!pair) break;
      // An unknown key is reported at the key itself; a bad value at the value.
      node = atKey && p[p.length - 1] === key && pair.key ? pair.key : pair.value;
    } else if (isSeq(node)) {
      const next = node.get(key as number, true);
      if (next === undefined) break;
      node = next;
    } else break;
  }
  const range = (node as { range?: [number, number, number] } | null)?.range;
  if (!range) return '';
  const { line, col } = lc.linePos(range[0]);
  return `:${line}:${col}`;
}

/**
 * Parse `text` and validate it with `schema`. A YAML syntax error or the first schema issue becomes a
 * HarnessError `code` (exit 2): "<file>:<line>:<col>: field <a.b.c>: <message>"; an unknown key is
 * reported at the key itself.
 */
export function parseYamlWith<S extends z.ZodType>(text: string, file: string, schema: S, code: HarnessErrorCode): { data: z.infer<S>; source: YamlSource } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const yamlErr = doc.errors[0];
  if (yamlErr) {
    const { line, col } = lc.linePos(yamlErr.pos[0]);
    throw new HarnessError(code, `${file}:${line}:${col}: YAML syntax error: ${yamlErr.message.split('\n')[0]}`);
  }
  const source: YamlSource = { file, position: (p, atKey) => positionIn(doc, lc, p, atKey) };
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // zod reports an unknown key at its parent object; point at the key itself.
    const at = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
    const field = at.length ? at.join('.') : '(top level)';
    throw new HarnessError(code, `${file}${source.position(at, issue.code === 'unrecognized_keys')}: field ${field}: ${issue.message}`);
  }
  return { data: parsed.data, source };
}
