// Pub/sub continuity: per subscriber, messages published vs delivered, the longest gap, the time to subscribe again after the fault, and dead subscribers.
import type { CheckResult, Figures } from '../model/check.ts';
import type { PubSubHistory, PubSubOp } from '../model/pubsub.ts';

export interface PubSubConfig {
  /** A subscriber connected but receiving nothing this long after the fault while publishes are acknowledged is dead. Default 5000. */
  deadAfterMs?: number;
  /** Messages a subscriber may miss; unset: losses are figures only (Redis pub/sub is at-most-once). */
  maxLost?: number;
  /** The window the workload was to observe after the first publish acknowledged after the fault (reported with the one observed). */
  observeAfterMs?: number;
}

export const PUBSUB_DEFAULTS = { deadAfterMs: 5000 } as const;

/** When and where the fault landed. */
export interface PubSubFault {
  faultNs: number | null;
  /** host:port of the master when the fault landed: a subscription there is not a resubscription. */
  oldMaster: string | null;
}

export interface SubscriberStats {
  name: string;
  path: 'service' | 'sentinel';
  library: string;
  /** Publishes acknowledged after the subscriber first subscribed. */
  published: number;
  /** Of those, the ones it received. */
  delivered: number;
  lost: number;
  /** The longest run of consecutive missing messages. */
  gapMessages: number;
  /** The time that run spans: from the publish ack of the last message delivered before it to that of the first delivered after it (or the run's last, at the end). */
  gapMs: number | null;
  /** Fault → first subscription confirmed after it on a server other than the old master. */
  resubscribeMs: number | null;
  /** Fault → first message received after it. */
  firstReceiveMs: number | null;
  /** The longest silence after the fault while connected and while the publisher was acknowledged. */
  silentMs: number;
  dead: boolean;
  everSubscribed: boolean;
}

const ms = (ns: number): number => Math.round(ns / 1e6);
const UP = new Set(['subscribed', 'connected']);

/** Each subscriber's figures, from the history alone. */
export function subscriberStats(h: PubSubHistory, fault: PubSubFault, config: PubSubConfig = {}): SubscriberStats[] {
  const deadAfterNs = (config.deadAfterMs ?? PUBSUB_DEFAULTS.deadAfterMs) * 1e6;
  const acks = h.ops.filter((o) => o.process === h.publisher && o.f === 'publish' && o.type === 'ok').sort((a, b) => a.ns - b.ns);
  const endNs = Math.max(0, ...h.ops.map((o) => o.ns));
  return h.subscribers.map((s) => {
    const mine = h.ops.filter((o) => o.process === s.name).sort((a, b) => a.ns - b.ns);
    const firstSub = mine.find((o) => o.f === 'subscribed');
    const received = new Set(mine.filter((o) => o.f === 'receive').map((o) => o.key));
    const expected = firstSub ? acks.filter((a) => a.ns > firstSub.ns) : [];
    const delivered = expected.filter((a) => received.has(a.key)).length;

    let gapMessages = 0;
    let gapMs: number | null = null;
    let run = 0;
    let runStart = -1;
    expected.forEach((a, i) => {
      if (received.has(a.key)) {
        run = 0;
        return;
      }
      if (run === 0) runStart = i;
      run++;
      if (run > gapMessages) {
        gapMessages = run;
        const before = runStart > 0 ? expected[runStart - 1]!.ns : expected[runStart]!.ns;
        const afterIdx = expected.findIndex((b, j) => j > i && received.has(b.key));
        const after = afterIdx >= 0 ? expected[afterIdx]!.ns : a.ns;
        gapMs = ms(after - before);
      }
    });

    const f = fault.faultNs;
    const resub = f === null ? undefined : mine.find((o) => o.ns >= f && o.f === 'subscribed' && (o.node === undefined || o.node !== fault.oldMaster));
    const firstRecv = f === null ? undefined : mine.find((o) => o.ns >= f && o.f === 'receive');
    const silentNs = f === null ? 0 : longestSilence(mine, acks, f, endNs);
    return {
      name: s.name,
      path: s.path,
      library: s.library,
      published: expected.length,
      delivered,
      lost: expected.length - delivered,
      gapMessages,
      gapMs,
      resubscribeMs: resub && f !== null ? ms(resub.ns - f) : null,
      firstReceiveMs: firstRecv && f !== null ? ms(firstRecv.ns - f) : null,
      silentMs: ms(silentNs),
      dead: silentNs >= deadAfterNs,
      everSubscribed: firstSub !== undefined,
    };
  });
}

/**
 * The longest stretch after the fault in which the subscriber was connected (its last connection line
 * said connected or subscribed), received nothing, and the publisher was acknowledged: measured from the
 * first publish ack inside the stretch to its end (a receive, a disconnect, or the end of the history).
 */
function longestSilence(mine: readonly PubSubOp[], acks: readonly PubSubOp[], faultNs: number, endNs: number): number {
  let up = false;
  for (const o of mine) {
    if (o.ns >= faultNs) break;
    if (UP.has(o.f)) up = true;
    else if (o.f === 'disconnected') up = false;
  }
  let since: number | null = up ? faultNs : null;
  let longest = 0;
  const close = (end: number): void => {
    if (since === null) return;
    const start = since;
    const firstAck = acks.find((a) => a.ns >= start && a.ns <= end);
    if (firstAck) longest = Math.max(longest, end - firstAck.ns);
  };
  for (const o of mine) {
    if (o.ns < faultNs) continue;
    if (o.f === 'receive') {
      close(o.ns);
      since = o.ns;
      up = true;
    } else if (o.f === 'disconnected') {
      close(o.ns);
      since = null;
      up = false;
    } else if (UP.has(o.f) && !up) {
      up = true;
      since = o.ns;
    }
  }
  close(endNs);
  return longest;
}

/** The pub/sub check: fails for a subscriber that never subscribed, never received again after the fault, or is dead; losses fail only when `maxLost` bounds them. */
export function checkPubSub(h: PubSubHistory, fault: PubSubFault, config: PubSubConfig = {}): CheckResult {
  const stats = subscriberStats(h, fault, config);
  const deadAfterMs = config.deadAfterMs ?? PUBSUB_DEFAULTS.deadAfterMs;
  const pub = h.ops.filter((o) => o.process === h.publisher && o.f === 'publish');
  const after = fault.faultNs === null ? [] : pub.filter((o) => o.type === 'ok' && o.ns > fault.faultNs!).sort((a, b) => a.ns - b.ns);
  const acksAfter = after.length;
  const firstAckAfter = after[0];
  const figures: Figures = {
    published_ok: pub.filter((o) => o.type === 'ok').length,
    publish_fail: pub.filter((o) => o.type === 'fail').length,
    publish_info: pub.filter((o) => o.type === 'info').length,
    dead_subscribers: stats.filter((s) => s.dead).length,
    // How long after the first publish acknowledged after the fault the history runs: a silence can be seen up to this long.
    observed_after_resume_ms: firstAckAfter === undefined ? null : Math.round((h.ops.reduce((m, o) => (o.ns > m ? o.ns : m), 0) - firstAckAfter.ns) / 1e6),
  };
  const problems: string[] = [];
  for (const s of stats) {
    Object.assign(figures, {
      [`${s.name}.published`]: s.published,
      [`${s.name}.delivered`]: s.delivered,
      [`${s.name}.lost`]: s.lost,
      [`${s.name}.gap_messages`]: s.gapMessages,
      [`${s.name}.gap_ms`]: s.gapMs,
      [`${s.name}.resubscribe_ms`]: s.resubscribeMs,
      [`${s.name}.first_receive_after_fault_ms`]: s.firstReceiveMs,
      [`${s.name}.silent_ms`]: s.silentMs,
    });
    if (!s.everSubscribed) problems.push(`${s.name} never subscribed`);
    else if (s.dead)
      problems.push(
        `${s.name} is a dead subscriber: connected but received nothing for ${s.silentMs} ms after the fault while the publisher was acknowledged (limit ${deadAfterMs} ms)`,
      );
    else if (fault.faultNs !== null && acksAfter > 0 && s.firstReceiveMs === null) problems.push(`${s.name} received nothing after the fault`);
    if (config.maxLost !== undefined && s.lost > config.maxLost) problems.push(`${s.name} missed ${s.lost} messages (allowed ${config.maxLost})`);
  }
  // A silence shorter than deadAfterMs proves nothing: with less observed after the publisher resumed, a subscriber
  // dead since the fault would pass unseen. Then the check cannot say "none dead".
  const observed = figures.observed_after_resume_ms;
  const tooShort = fault.faultNs !== null && observed !== null && observed !== undefined && observed < deadAfterMs;
  if (config.observeAfterMs !== undefined) figures.observe_after_ms = config.observeAfterMs;
  const summary = stats
    .map(
      (s) =>
        `${s.name} (${s.path}, ${s.library}): ${s.delivered}/${s.published} delivered, gap ${s.gapMessages} msgs / ${s.gapMs ?? '-'} ms, resubscribed ${s.resubscribeMs ?? '-'} ms after the fault`,
    )
    .join('; ');
  if (stats.length === 0) return { name: 'pubsub', valid: 'unknown', figures, explanation: 'no subscriber in the history' };
  if (problems.length === 0 && tooShort)
    return {
      name: 'pubsub',
      valid: 'unknown',
      figures,
      explanation: `observed only ${observed} ms after the first publish acknowledged after the fault, shorter than deadAfterMs (${deadAfterMs} ms): a dead subscriber could not be told from a slow one (raise observeAfterMs). ${summary}`,
    };
  return {
    name: 'pubsub',
    valid: problems.length === 0,
    figures,
    explanation: problems.length
      ? `${problems.join('; ')}. ${summary}`
      : `every subscriber received again after the fault; messages missed are at-most-once losses, reported not judged${config.maxLost === undefined ? '' : ` (bounded at ${config.maxLost})`}. ${summary}`,
  };
}
