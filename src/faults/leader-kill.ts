// leader-kill: kill the master, wait for the sentinel that won the election to say so (+elected-leader, or a later step of
// its failover), and kill that sentinel's pod at once (redis and sentinel: its node crashed mid-failover). The others voted
// for it in that epoch and start no failover of their own before twice failover-timeout has passed since; the leader's
// pod comes back `leaderDownMs` later (0: at once, as the StatefulSet recreates it), the master once failed over.
import { z } from 'zod';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.ts';
import { durationField, msField, type Duration } from '../model/duration.ts';
import type { TrialEvent } from '../model/events.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';

/** The leader's announcements, in the order a failover makes them. */
export const LEADER_EVENTS = ['+elected-leader', '+failover-state-select-slave', '+selected-slave', '+failover-state-send-slaveof-noone'] as const;

/** The first `type` event at or after `fromNs` whose sentinel is not on the `except` pod: its pod's name, or null. */
export function leaderOf(events: readonly TrialEvent[], type: string, fromNs: number, except: string): { pod: string; ns: number } | null {
  for (const e of events) {
    if (e.kind !== 'sentinel' || e.type !== type || e.ns < fromNs) continue;
    const pod = e.source.split('/')[0]!;
    if (pod !== except) return { pod, ns: e.ns };
  }
  return null;
}

/** ms from `markNs` to the first `type` sentinel event after it (null: none). */
export function firstAfterMs(events: readonly TrialEvent[], type: string, markNs: number | null): number | null {
  if (markNs === null) return null;
  const e = events.find((x) => x.kind === 'sentinel' && x.type === type && x.ns > markNs);
  return e ? Math.round((e.ns - markNs) / 1e6) : null;
}

export async function leaderKill(ctx: FaultContext, spec: { on: string; leaderDownMs: Duration; leaderWaitMs: number }): Promise<InjectedFault> {
  const { deployment: d, topology, clock } = ctx;
  const master = topology.master;
  ctx.mark('inject', `SIGKILL ${master.name} (master), then the pod of the sentinel announcing ${spec.on}`);
  await d.podControl.kill(master.name);
  const killedNs = clock.nowNs();
  ctx.mark('landed', `${master.name} processes gone`);
  const deadline = killedNs + spec.leaderWaitMs * 1e6;
  let leader = leaderOf(ctx.events(), spec.on, killedNs, master.name);
  while (!leader && clock.nowNs() < deadline) {
    await sleep(10);
    leader = leaderOf(ctx.events(), spec.on, killedNs, master.name);
  }
  if (!leader) {
    await d.podControl.start(master.name).catch(() => undefined);
    throw new HarnessError('FAULT_FAILED', `no sentinel announced ${spec.on} within ${spec.leaderWaitMs} ms of the master kill: no leader to kill`);
  }
  const leaderPod = leader.pod;
  await d.podControl.kill(leaderPod);
  const leaderKilledNs = clock.nowNs();
  const afterMs = (ns: number) => Math.round((ns - killedNs) / 1e6);
  ctx.mark(
    'leader-killed',
    `${leaderPod} processes gone ${afterMs(leaderKilledNs)} ms after the master kill (${spec.on} at ${afterMs(leader.ns)} ms, the kill ${Math.round((leaderKilledNs - leader.ns) / 1e6)} ms after it)`,
  );
  const downMs = ctx.ms(spec.leaderDownMs);
  const startLeader = async () => {
    if (!d.podControl.isRunning(leaderPod)) await d.podControl.start(leaderPod);
  };
  // The StatefulSet recreates the leader's pod while the failover is still to come; the master's waits for it.
  const leaderBack = (async () => {
    await sleep(downMs);
    await startLeader();
    ctx.mark('leader-back', `${leaderPod} running again`);
  })();
  leaderBack.catch(() => undefined);
  const check = lazySentinelCheck('leader-kill', {
    events: ctx.events,
    fromNs: killedNs,
    nowNs: () => clock.nowNs(),
    markNs: () => leaderKilledNs,
    extra: () => ({
      leader_announced_ms: afterMs(leader.ns),
      leader_killed_ms: afterMs(leaderKilledNs),
      leader_ordinal: d.pods.find((p) => p.name === leaderPod)?.ordinal ?? null,
      try_failover_after_leader_kill_ms: firstAfterMs(ctx.events(), '+try-failover', leaderKilledNs),
      elected_after_leader_kill_ms: firstAfterMs(ctx.events(), '+elected-leader', leaderKilledNs),
    }),
  });
  return {
    victim: master,
    landedNs: killedNs,
    holdUntilNs: killedNs,
    healAfterFailover: true,
    checks: [check],
    figures: {},
    mustRejoin: master,
    heal: healOnce(ctx, `start pods ${leaderPod} and ${master.name}`, `${leaderPod} and ${master.name} running`, async () => {
      await leaderBack.catch(() => undefined);
      await startLeader();
      if (!d.podControl.isRunning(master.name)) await d.podControl.start(master.name);
    }),
  };
}

export const leaderKillFault = defineFault({
  /** SIGKILL the master pod, then the pod of the sentinel that announces `on` (the failover's leader); the leader's pod restarts after leaderDownMs. */
  kind: 'leader-kill',
  fields: {
    /** The leader's announcement to kill it on: elected, or a later step before the promotion. */
    on: z.enum(LEADER_EVENTS).default('+elected-leader'),
    /** How long the leader's pod stays dead (0: started again at once, as the StatefulSet does). */
    leaderDownMs: durationField(600_000).default(0),
    /** Give up (the trial errs) when no sentinel announced `on` this long after the master kill. */
    leaderWaitMs: msField(600_000).default(60_000),
  },
  inject: (ctx, spec) => leaderKill(ctx, spec),
  plan: (spec) => ({
    victim: 'the master, then the failover leader',
    action: `delete the master pod (grace period 0), then on the leader's ${spec.on} delete the leader's pod (grace period 0)`,
    heal: 'wait for both recreated pods to be Ready',
  }),
});
