// Comparisons a probe or a halt condition holds a number to: "> 0", "<= 250".
export const COMPARISONS = ['>=', '<=', '==', '!=', '>', '<'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** `<op> <number>`, e.g. "< 1" or "== 0". */
export const BOUND_RE = /^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function compare(a: number, op: Comparison, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '<':
      return a < b;
  }
}

export function parseBound(s: string): { op: Comparison; value: number } | null {
  const m = BOUND_RE.exec(s);
  return m ? { op: m[1] as Comparison, value: Number(m[2]) } : null;
}
