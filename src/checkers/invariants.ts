// A schedule's invariants (composed faults, soaks): at most one master outside the steps' windows, no acknowledged
// write lost outside them, convergence after every quiescent heal, sentinels agreeing. Pure: records in, verdicts out.
import { nsToMs } from '../clock.ts';
import type { CheckResult } from '../model/check.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Op } from '../model/history.ts';
import type { Violation } from '../model/schedule.ts';
import { splitBrainIntervals } from './split-brain.ts';

/** A step's accepted window: from its start to the deployment's convergence after its heal (or the bound). */
export interface StepWindow {
  step: number;
  startNs: number;
  endNs: number;
}

export interface Interval {
  startNs: number;
  endNs: number;
}

/** A step as the windows need it: start, heal (absent: still active at `endNs`), on the run clock. */
export interface StepSpan {
  step: number;
  startNs: number;
  healedNs?: number;
}

/**
 * Each started step's window: [start, the first convergence seen at or after its heal], at most heal + convergeMs;
 * a step not healed by `endNs` is open until then.
 */
export function acceptedWindows(steps: readonly StepSpan[], convergedNs: readonly number[], convergeMs: number, endNs: number): StepWindow[] {
  const sorted = [...convergedNs].sort((a, b) => a - b);
  return steps.map((s) => {
    if (s.healedNs === undefined) return { step: s.step, startNs: s.startNs, endNs };
    const bound = s.healedNs + convergeMs * 1e6;
    const seen = sorted.find((c) => c >= s.healedNs!);
    return { step: s.step, startNs: s.startNs, endNs: Math.min(bound, seen ?? bound) };
  });
}

/** The parts of `iv` that no window covers. */
export function outside(iv: Interval, windows: readonly Interval[]): Interval[] {
  let parts: Interval[] = [iv];
  for (const w of windows) {
    parts = parts.flatMap((p) => {
      if (w.endNs <= p.startNs || w.startNs >= p.endNs) return [p];
      const out: Interval[] = [];
      if (w.startNs > p.startNs) out.push({ startNs: p.startNs, endNs: w.startNs });
      if (w.endNs < p.endNs) out.push({ startNs: w.endNs, endNs: p.endNs });
      return out;
    });
  }
  return parts.filter((p) => p.endNs > p.startNs);
}

/** Whether some window holds `ns`. */
export const covered = (ns: number, windows: readonly Interval[]): boolean => windows.some((w) => ns >= w.startNs && ns <= w.endNs);

/** Intervals in [fromNs, toNs] in which more than one node answered ROLE master, outside every window. */
export function multiMasterOutside(
  events: readonly TrialEvent[],
  windows: readonly Interval[],
  fromNs: number,
  toNs: number,
): Array<Interval & { masters: string[] }> {
  return splitBrainIntervals(events, toNs).flatMap((i) =>
    outside({ startNs: Math.max(i.startNs, fromNs), endNs: Math.min(i.endNs, toNs) }, windows).map((p) => ({ ...p, masters: i.masters })),
  );
}

/** Writes first acknowledged in [fromNs, toNs) outside every window (the ones no fault excuses), by key. */
export function ackedOutside(history: readonly Op[], windows: readonly Interval[], fromNs: number, toNs: number): Map<string, Op> {
  const out = new Map<string, Op>();
  const seen = new Set<string>();
  for (const op of history) {
    if (op.type !== 'ok' || seen.has(op.key)) continue;
    seen.add(op.key);
    if (op.ns >= fromNs && op.ns < toNs && !covered(op.ns, windows)) out.set(op.key, op);
  }
  return out;
}

/** The first `max` steps started before `ns`, newest last, at most five: the steps that led to a violation. */
export function stepsBefore(steps: readonly StepSpan[], ns: number): number[] {
  return steps
    .filter((s) => s.startNs <= ns)
    .sort((a, b) => a.startNs - b.startNs)
    .slice(-5)
    .map((s) => s.step);
}

export const INVARIANTS = ['single-master', 'convergence', 'sentinels-agree', 'no-lost-writes'] as const;
export type InvariantName = (typeof INVARIANTS)[number];

/** One check per invariant over the violations found during the run and at its end; the first one explains each. */
export function invariantChecks(violations: readonly Violation[], checkpoints: number, describeSteps: (steps: number[]) => string): CheckResult[] {
  return INVARIANTS.map((name) => {
    const mine = violations.filter((v) => v.invariant === name).sort((a, b) => a.atMs - b.atMs);
    const first = mine[0];
    return {
      name: `invariant/${name}`,
      valid: first === undefined,
      figures: { [`violations_${name.replaceAll('-', '_')}`]: mine.length },
      explanation: first
        ? `${mine.length} violation(s); the first at ${first.atMs} ms: ${first.detail}; after ${describeSteps(first.steps)}`
        : `held at ${checkpoints} quiescent point(s) and at the end`,
    };
  });
}

/** Lost writes as a violation's detail: `count` of them, `lost` the first (at least five when there are). */
export const describeLost = (lost: readonly Op[], node: string, count = lost.length): string =>
  `${count} acknowledged write(s) outside every fault window missing on ${node}: ${lost
    .slice(0, 5)
    .map((o) => `${o.key} (acknowledged by ${o.node ?? '?'})`)
    .join(', ')}${count > 5 ? ' …' : ''}`;

export const describeMasters = (iv: Interval & { masters: string[] }, originNs: number): string =>
  `${iv.masters.join(' and ')} claimed master from ${nsToMs(iv.startNs - originNs)} to ${nsToMs(iv.endNs - originNs)} ms, outside every fault window`;
