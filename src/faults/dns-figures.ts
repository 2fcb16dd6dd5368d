// What a DNS fault did to the sentinels, read from the trial's events when the trial is checked: TILT episodes, aborts, when the failover came.
import { lazyInfoCheck, type CheckResult, type Figures } from '../model/check.ts';
import type { TrialEvent } from '../model/events.ts';

const ms = (ns: number) => Math.round(ns / 1e6);

/** The figures of a DNS outage (or record removal) that landed at `landedNs` and was healed at `healNs` (null: not yet). */
export function dnsFaultFigures(events: readonly TrialEvent[], landedNs: number, healNs: number | null, endNs: number): Figures {
  const after = events.filter((e) => e.kind === 'sentinel' && e.ns >= landedNs);
  const open = new Map<string, number>();
  const episodes: number[] = [];
  let firstTilt: number | null = null;
  for (const e of after) {
    if (e.type === '+tilt') {
      firstTilt ??= e.ns;
      if (!open.has(e.source)) open.set(e.source, e.ns);
    } else if (e.type === '-tilt' && open.has(e.source)) {
      episodes.push(e.ns - open.get(e.source)!);
      open.delete(e.source);
    }
  }
  // An episode still open when the trial is checked counts up to then.
  for (const start of open.values()) episodes.push(endNs - start);
  const switched = after.find((e) => e.type === '+switch-master');
  return {
    dns_fault_ms: healNs === null ? null : ms(healNs - landedNs),
    tilt_episodes: episodes.length,
    tilt_open_at_check: open.size,
    tilt_first_ms: firstTilt === null ? null : ms(firstTilt - landedNs),
    tilt_longest_ms: episodes.length ? ms(Math.max(...episodes)) : 0,
    tilt_total_ms: ms(episodes.reduce((a, b) => a + b, 0)),
    failover_abort_events: after.filter((e) => e.type.startsWith('-failover-abort')).length,
    switch_master_ms: switched ? ms(switched.ns - landedNs) : null,
    // null when the failover came before the heal (or not at all).
    switch_master_after_heal_ms: switched && healNs !== null && switched.ns >= healNs ? ms(switched.ns - healNs) : null,
  };
}

/**
 * A check whose figures are computed when the trial reads them (after the heal and the convergence), so
 * that TILT episodes and a failover that only completes after the heal are counted. Information only.
 */
export function lazyDnsCheck(
  name: string,
  o: { events: () => readonly TrialEvent[]; landedNs: number; healNs: () => number | null; nowNs: () => number },
): CheckResult {
  const figures = () => dnsFaultFigures(o.events(), o.landedNs, o.healNs(), o.nowNs());
  return lazyInfoCheck(name, figures, (f) => {
    const tilt = f.tilt_episodes ? `${f.tilt_episodes} TILT episode(s), longest ${f.tilt_longest_ms} ms, first ${f.tilt_first_ms} ms after landing` : 'no TILT';
    const fo =
      f.switch_master_ms === null
        ? 'no +switch-master'
        : `+switch-master ${f.switch_master_ms} ms after landing${f.switch_master_after_heal_ms === null ? '' : ` (${f.switch_master_after_heal_ms} ms after the heal)`}`;
    return `${tilt}; ${fo}; ${f.failover_abort_events} -failover-abort-* event(s)`;
  });
}
