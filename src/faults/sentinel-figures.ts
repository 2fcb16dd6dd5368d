// What a fault did to the sentinels' own state machine, read from the trial's events when the trial is checked:
// TILT episodes, +sdown / +odown on the master, elections, aborts and every +switch-master (a flapping failover shows as several).
import { lazyInfoCheck, type CheckResult, type Figures } from '../model/check.ts';
import type { TrialEvent } from '../model/events.ts';
import { dnsFaultFigures } from './dns-figures.ts';

const ms = (ns: number) => Math.round(ns / 1e6);

/**
 * The figures from `fromNs` on: the TILT figures of {@link dnsFaultFigures} (without its DNS field), how many
 * `+switch-master` there were (more than one: Sentinel flapped between masters), `+sdown` / `-sdown` on a master,
 * `+try-failover` attempts, and the first `+switch-master` after `markNs` (e.g. the master kill after a stall).
 */
export function sentinelFigures(events: readonly TrialEvent[], fromNs: number, endNs: number, markNs: number | null = null): Figures {
  const { dns_fault_ms: _dns, switch_master_after_heal_ms: _afterHeal, ...tilt } = dnsFaultFigures(events, fromNs, null, endNs);
  const after = events.filter((e) => e.kind === 'sentinel' && e.ns >= fromNs);
  const masterEvent = (type: string) => after.filter((e) => e.type === type && /^master /.test(e.detail)).length;
  // One failover is announced by every sentinel: count distinct promotions by the address switched to.
  const switches = after.filter((e) => e.type === '+switch-master');
  const distinctSwitches = new Set(switches.map((e) => e.detail.split(' ').slice(3, 5).join(':'))).size;
  const switchedAfterMark = markNs === null ? undefined : switches.find((e) => e.ns >= markNs);
  return {
    ...tilt,
    switch_master_events: switches.length,
    masters_switched_to: distinctSwitches,
    master_sdown_events: masterEvent('+sdown'),
    master_sdown_cleared: masterEvent('-sdown'),
    try_failover_events: after.filter((e) => e.type === '+try-failover').length,
    ...(markNs === null ? {} : { switch_master_after_mark_ms: switchedAfterMark ? ms(switchedAfterMark.ns - markNs) : null }),
  };
}

/** A check (information only) whose figures are computed when the trial reads them, after the heal and the convergence. */
export function lazySentinelCheck(
  name: string,
  o: { events: () => readonly TrialEvent[]; fromNs: number; nowNs: () => number; markNs?: () => number | null; extra?: () => Figures },
): CheckResult {
  const figures = (): Figures => ({ ...sentinelFigures(o.events(), o.fromNs, o.nowNs(), o.markNs?.() ?? null), ...o.extra?.() });
  return lazyInfoCheck(name, figures, (f) => {
    const tilt = f.tilt_episodes ? `${f.tilt_episodes} TILT episode(s), longest ${f.tilt_longest_ms} ms, first ${f.tilt_first_ms} ms in` : 'no TILT';
    const fo = f.switch_master_ms === null ? 'no +switch-master' : `first +switch-master ${f.switch_master_ms} ms in, ${f.masters_switched_to} distinct`;
    return `${tilt}; ${fo}; ${f.master_sdown_events} +sdown of the master; ${f.failover_abort_events} -failover-abort-* event(s)`;
  });
}
