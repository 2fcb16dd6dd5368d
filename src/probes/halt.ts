// A scenario's `haltOn:` conditions: a probe's name (it broke), or a bound on a trial figure ("writes_lost > 0").
import { compare, type Comparison, COMPARISONS } from './compare.ts';
import type { Figures } from '../model/check.ts';

export type HaltCondition =
  { kind: 'probe'; probe: string } | { kind: 'figure'; figure: string; op: Comparison; value: number; text: string } | { kind: 'invariants' };

/** The `haltOn:` entry that stops a composed fault (a soak) at its first invariant violation. */
export const INVARIANTS_HALT = 'invariants';

const FIGURE_RE = new RegExp(`^\\s*([a-z][a-z0-9_]*)\\s*(${COMPARISONS.join('|')})\\s*(-?\\d+(?:\\.\\d+)?)\\s*$`);

/** Parse one `haltOn:` entry; an error message naming what is wrong, or the condition. */
export function parseHaltCondition(s: string, probeNames: readonly string[]): HaltCondition | { error: string } {
  const m = FIGURE_RE.exec(s);
  if (m) return { kind: 'figure', figure: m[1]!, op: m[2] as Comparison, value: Number(m[3]), text: `${m[1]} ${m[2]} ${m[3]}` };
  if (probeNames.includes(s)) return { kind: 'probe', probe: s };
  if (s === INVARIANTS_HALT) return { kind: 'invariants' };
  const known = probeNames.length ? `one of the probes (${probeNames.join(', ')})` : 'a probe name (no probes are defined)';
  return { error: `"${s}" is neither ${known} nor a figure bound such as "writes_lost > 0" nor "${INVARIANTS_HALT}"` };
}

/** The first figure bound the trial's figures meet, as a reason; a figure the trial lacks never halts. */
export function figureHalt(conditions: readonly HaltCondition[], figures: Figures): { by: string; reason: string } | null {
  for (const c of conditions) {
    if (c.kind !== 'figure') continue;
    const v = figures[c.figure];
    if (typeof v === 'number' && compare(v, c.op, c.value)) return { by: c.text, reason: `${c.figure} = ${v}` };
  }
  return null;
}
