// Breaks a failover into Sentinel phases (+sdown … +switch-master) and the first client ack, timed from the fault.
import { nsToMs } from '../clock.ts';
import type { TrialEvent } from '../model/events.ts';
import type { Phase } from '../model/figures.ts';
import type { CheckResult, Figures, TrialInput } from '../model/check.ts';

/** The first event (by ns) strictly after afterNs that satisfies the predicate. */
export function firstEventAfter(events: readonly TrialEvent[], afterNs: number, match: (e: TrialEvent) => boolean): TrialEvent | undefined {
  let first: TrialEvent | undefined;
  for (const e of events) {
    if (e.ns > afterNs && match(e) && (first === undefined || e.ns < first.ns)) first = e;
  }
  return first;
}

/** A Sentinel event of the given type about the master itself (payload "master <name> <ip> <port> ..."). */
export function isMasterEvent(e: TrialEvent, type: string, masterName: string): boolean {
  return e.kind === 'sentinel' && e.type === type && e.detail.startsWith(`master ${masterName} `);
}

/** "+switch-master" for this master (payload "<name> <old-ip> <old-port> <new-ip> <new-port>"). */
export function isSwitchMaster(e: TrialEvent, masterName: string): boolean {
  return e.kind === 'sentinel' && e.type === '+switch-master' && e.detail.startsWith(`${masterName} `);
}

/** "+promoted-slave" for a replica of this master (payload "slave <ip:port> <ip> <port> @ <name> <ip> <port>"). */
export function isPromotedSlave(e: TrialEvent, masterName: string): boolean {
  return e.kind === 'sentinel' && e.type === '+promoted-slave' && e.detail.includes(`@ ${masterName} `);
}

/**
 * Ns of the first write acknowledged after the fault by a node other than the old master, or null.
 * An ok without a node cannot be attributed, so it does not count.
 */
export function firstNewMasterAckNs(input: TrialInput): number | null {
  const { faultNs, oldMaster } = input;
  if (faultNs === null || oldMaster === null) return null;
  let first: number | null = null;
  for (const op of input.history) {
    if (op.type !== 'ok' || op.ns <= faultNs || op.node === undefined || op.node === oldMaster) continue;
    if (first === null || op.ns < first) first = op.ns;
  }
  return first;
}

const SENTINEL_PHASES = [
  { name: '+sdown', figure: 'sdown_ms' },
  { name: '+odown', figure: 'odown_ms' },
  { name: '+elected-leader', figure: 'elected_ms' },
  { name: '+promoted-slave', figure: 'promoted_ms' },
  { name: '+switch-master', figure: 'switch_ms' },
] as const;

function phaseMatcher(name: string, masterName: string): (e: TrialEvent) => boolean {
  switch (name) {
    case '+promoted-slave':
      return (e) => isPromotedSlave(e, masterName);
    case '+switch-master':
      return (e) => isSwitchMaster(e, masterName);
    default:
      return (e) => isMasterEvent(e, name, masterName);
  }
}

function sinceFault(ns: number | null | undefined, faultNs: number): number | null {
  return ns === null || ns === undefined ? null : nsToMs(ns - faultNs);
}

/**
 * Phase timeline of the failover: for each Sentinel phase the first matching event from any sentinel
 * after the fault, then 'first-ack' (first write acknowledged by a node other than the old master),
 * each in ms from the fault. Figures: sdown_ms, odown_ms, elected_ms, promoted_ms, switch_ms,
 * try_failover_count and failover_abort_count (events for this master after the fault).
 * Without a fault every figure is null.
 */
export function failoverPhases(input: TrialInput): { phases: Phase[]; figures: Figures } {
  const { faultNs, masterName, events } = input;
  const phases: Phase[] = [];
  const figures: Figures = {};
  for (const { name, figure } of SENTINEL_PHASES) {
    const ms = faultNs === null ? null : sinceFault(firstEventAfter(events, faultNs, phaseMatcher(name, masterName))?.ns, faultNs);
    phases.push({ name, ms });
    figures[figure] = ms;
  }
  phases.push({ name: 'first-ack', ms: faultNs === null ? null : sinceFault(firstNewMasterAckNs(input), faultNs) });

  let tries: number | null = null;
  let aborts: number | null = null;
  if (faultNs !== null) {
    const after = events.filter((e) => e.ns > faultNs && e.detail.startsWith(`master ${masterName} `));
    tries = after.filter((e) => isMasterEvent(e, '+try-failover', masterName)).length;
    aborts = after.filter((e) => e.kind === 'sentinel' && e.type.startsWith('-failover-abort')).length;
  }
  figures.try_failover_count = tries;
  figures.failover_abort_count = aborts;
  return { phases, figures };
}

/**
 * Inversions smaller than this are the observer's receipt order, not the sentinels' (see checkPhases). The leader
 * emits +promoted-slave and at once sends the hello that makes its peers emit +switch-master; its own pub/sub
 * message to the observer is flushed on its next event-loop turn, so on a loaded host the peer's can arrive first
 * (0.06 ms seen with 5 sentinels; 5 ms on two shared cores). A real measurement bug is off by far more.
 */
const RECEIPT_ORDER_TOLERANCE_MS = 50;

/**
 * Checks that the observed Sentinel phases happened in order (an inversion means the measurement is wrong)
 * and reports lost elections. Figure lost_election is 1 when more than one +try-failover or a
 * -failover-abort-not-elected was seen, or when +elected-leader came ≥ 2 × failoverTimeoutMs after +odown.
 * valid: 'unknown' without a fault; false only when phases are out of order.
 */
export function checkPhases(input: TrialInput, config: { failoverTimeoutMs: number }): CheckResult {
  const name = 'failover-phases';
  const { phases, figures } = failoverPhases(input);
  const { faultNs, masterName, events } = input;
  if (faultNs === null) {
    return {
      name,
      valid: 'unknown',
      figures: { ...figures, lost_election: null },
      explanation: 'no fault landed, so there is no failover to break down',
    };
  }

  // first-ack is left out: a client can learn the new master from a sentinel before the observer receives +switch-master.
  const observed = phases.filter((p): p is { name: string; ms: number } => p.name !== 'first-ack' && p.ms !== null);
  const inversions: string[] = [];
  for (let i = 1; i < observed.length; i++) {
    const prev = observed[i - 1]!;
    const cur = observed[i]!;
    // Phases come from different sentinels over separate connections, stamped on receipt: the observer
    // reads two sockets that became readable together in either order (seen with 5 sentinels: 0.06 ms).
    if (cur.ms < prev.ms - RECEIPT_ORDER_TOLERANCE_MS) inversions.push(`${cur.name} at ${cur.ms} ms before ${prev.name} at ${prev.ms} ms`);
  }
  const missing = phases.filter((p) => p.ms === null).map((p) => p.name);

  const retryBackoffMs = 2 * config.failoverTimeoutMs;
  // After a lost election a sentinel waits 2 × failover-timeout before retrying, so a late +elected-leader betrays one even if +try-failover events were missed.
  const { elected_ms: electedMs, odown_ms: odownMs } = figures;
  const electionDelayMs = electedMs != null && odownMs != null ? round3(electedMs - odownMs) : null;
  const tries = figures.try_failover_count ?? 0;
  const aborts = figures.failover_abort_count ?? 0;
  const notElected = events.filter((e) => e.ns > faultNs && isMasterEvent(e, '-failover-abort-not-elected', masterName)).length;
  const lateElection = electionDelayMs !== null && electionDelayMs >= retryBackoffMs;
  const lost = tries > 1 || notElected > 0 || lateElection;

  const parts: string[] = [];
  if (inversions.length > 0) parts.push(`phases out of order (measurement bug?): ${inversions.join('; ')}`);
  if (lost) {
    const why: string[] = [];
    if (tries > 1) why.push(`${tries} +try-failover`);
    if (notElected > 0) why.push(`${notElected} -failover-abort-not-elected`);
    if (lateElection) why.push(`+elected-leader ${electionDelayMs} ms after +odown (≥ 2 × failover-timeout = ${retryBackoffMs} ms)`);
    parts.push(`lost election: ${why.join(', ')}`);
  }
  if (aborts > notElected) parts.push(`${aborts} -failover-abort* events in all`);
  parts.push(phases.map((p) => `${p.name} ${p.ms === null ? '–' : `${p.ms} ms`}`).join(', '));
  if (missing.length > 0) parts.push(`not observed: ${missing.join(', ')}`);

  return {
    name,
    valid: inversions.length === 0,
    figures: { ...figures, lost_election: lost ? 1 : 0 },
    explanation: parts.join('; '),
  };
}

function round3(ms: number): number {
  return Math.round(ms * 1e3) / 1e3;
}
