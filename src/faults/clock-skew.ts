// clock-skew: shift the realtime clock of one or more containers (a misbehaving NTP, a VM resumed with a stale clock) for a
// while, then back; optionally kill the master meanwhile. Sentinel's TILT check reads the wall clock: a jump of more than
// 2 s either way puts a sentinel in TILT for 30 s, and putting the clock back is a jump too.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { durationField, type Duration } from '../model/duration.ts';
import type { HeldFault, Pod } from '../targets/target.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';
import type { Topology } from '../targets/convergence.ts';

/** The pods whose clocks shift: the target's pod first, then the others (replicas before the master), `count` in all. */
export function skewedPods(topology: Topology, target: 'master' | 'replica', count: number): Pod[] {
  const first = victimOf(topology, target);
  return [first, ...[...topology.replicas, topology.master].filter((p) => p.name !== first.name)].slice(0, count);
}

export interface ClockSkewSpec {
  target: 'master' | 'replica';
  container: 'redis' | 'sentinel';
  sentinels: number;
  offsetMs: number;
  durationMs: Duration;
  killMasterAfterMs?: Duration | undefined;
}

export async function skewClock(ctx: FaultContext, spec: ClockSkewSpec): Promise<InjectedFault> {
  const { deployment: d, topology, clock: runClock } = ctx;
  const clock = ability(d, 'clock', 'clock-skew');
  const pods = skewedPods(topology, spec.target, spec.sentinels);
  const names = pods.map((p) => `${p.name}/${spec.container}`).join(', ');
  const kill = spec.killMasterAfterMs === undefined ? null : ctx.ms(spec.killMasterAfterMs);
  const holdMs = ctx.ms(spec.durationMs);
  const what = kill === null ? `for ${holdMs} ms` : `, SIGKILL ${topology.master.name} ${kill} ms later`;
  ctx.mark('inject', `shift ${names}'s realtime clock by ${spec.offsetMs} ms ${what}`);
  // Sentinel enters TILT on its next timer run after the jump, before the proof of landing returns: its figures count from here.
  const jumpNs = runClock.nowNs();
  const held: HeldFault[] = [];
  const putBack = async () => {
    for (const h of held.splice(0)) await h.heal();
  };
  try {
    for (const p of pods) held.push(await clock.skew(p.name, spec.container, spec.offsetMs));
  } catch (e) {
    await putBack().catch(() => undefined);
    throw e;
  }
  const shiftedNs = runClock.nowNs();
  ctx.mark('landed', held.map((h) => h.description).join('; '));
  let killedNs: number | null = null;
  const master = topology.master;
  if (kill !== null) {
    try {
      await sleep(kill);
      await d.podControl.kill(master.name);
    } catch (e) {
      await putBack().catch(() => undefined);
      throw e;
    }
    killedNs = runClock.nowNs();
    ctx.mark('landed', `${master.name} processes gone, ${Math.round((killedNs - shiftedNs) / 1e6)} ms after the clock jump`);
  }
  const landedNs = killedNs ?? shiftedNs;
  const check = lazySentinelCheck('clock-skew', {
    events: ctx.events,
    fromNs: jumpNs,
    nowNs: () => runClock.nowNs(),
    markNs: () => killedNs,
    extra: () => ({ sentinels_skewed: pods.length }),
  });
  const healWhat = `put ${names}'s clock back${kill === null ? '' : `, start pod ${master.name}`}`;
  return {
    victim: kill === null ? pods[0]! : master,
    // With a kill the failover clock starts there: its delay over an ordinary master kill is what the jump cost.
    landedNs,
    holdUntilNs: kill === null ? landedNs + holdMs * 1e6 : landedNs,
    healAfterFailover: kill !== null,
    checks: [check],
    figures: { clock_offset_ms: spec.offsetMs },
    ...(kill !== null ? { mustRejoin: master } : {}),
    heal: healOnce(ctx, healWhat, `${names} on the real time`, async () => {
      await putBack();
      if (kill !== null && !d.podControl.isRunning(master.name)) await d.podControl.start(master.name);
    }),
  };
}

export const clockSkewFault = defineFault({
  /**
   * Shift the realtime clock of one container of `sentinels` pods (the target's first, then replicas) by offsetMs; put it back
   * after durationMs, or (killMasterAfterMs) SIGKILL the master that long after the jump and put it back once failed over.
   * kind / kube: Chaos Mesh TimeChaos; local / docker: the clock shim preloaded into the sentinels (sentinel container only).
   */
  kind: 'clock-skew',
  fields: {
    target: podRole.default('master'),
    container: z.enum(['redis', 'sentinel']).default('sentinel'),
    /** How many pods' containers shift (1-3): the target's pod first, then the replicas', then the master's. */
    sentinels: z.number().int().min(1).max(3).default(1),
    /** Milliseconds added to CLOCK_REALTIME (negative: back); a jump over 2 s puts a sentinel in TILT. */
    offsetMs: z
      .number()
      .int()
      .refine((v) => v !== 0 && Math.abs(v) <= 3_600_000, 'a non-zero offset of at most one hour either way'),
    durationMs: durationField(600_000),
    /** SIGKILL the master pod this long after the jump; the clocks go back (and the master restarts) once the failover came. */
    killMasterAfterMs: durationField(600_000).optional(),
  },
  needs: ['clock'],
  inject: (ctx, spec) => skewClock(ctx, spec),
  plan: (spec) => ({
    victim: `${spec.sentinels === 1 ? `${spec.target}'s ${spec.container}` : `${spec.sentinels} ${spec.container} containers`}${spec.killMasterAfterMs === undefined ? '' : ', then the master'}`,
    action: `TimeChaos: CLOCK_REALTIME of the ${spec.container} container shifted by ${spec.offsetMs} ms ${spec.killMasterAfterMs === undefined ? `for ${String(spec.durationMs)}` : `, the master pod deleted with grace period 0 ${String(spec.killMasterAfterMs)} later`}`,
    heal: `delete the TimeChaos (Chaos Mesh puts the clock back)${spec.killMasterAfterMs === undefined ? '' : ' once failed over; wait for the recreated master pod to be Ready'}`,
  }),
});
