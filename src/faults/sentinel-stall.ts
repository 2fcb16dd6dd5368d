// sentinel-stall: freeze sentinels for a few seconds (a stalled node, a long GC-like pause of the VM), then kill the master.
// A sentinel whose timer finds more than 2 s passed since its last run enters TILT for 30 s and acts on nothing meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';

export async function sentinelStall(
  ctx: FaultContext,
  spec: { sentinels: number; stallMs: Duration; killMaster: boolean; masterDownMs: Duration },
): Promise<InjectedFault> {
  const { deployment: d, topology, clock } = ctx;
  const pause = ability(d, 'pause', 'sentinel-stall');
  const master = topology.master;
  // The survivors' sentinels first: those that must elect a leader once the master is gone.
  const frozen = [...topology.replicas, master].slice(0, spec.sentinels);
  const stallMs = ctx.ms(spec.stallMs);
  const names = frozen.map((p) => `${p.name}/sentinel`).join(', ');
  ctx.mark('inject', `freeze ${names} for ${stallMs} ms${spec.killMaster ? `, then SIGKILL ${master.name}` : ''}`);
  // Each pause resolves once the freeze is proven (docker: inspect Paused; host processes: state T).
  await Promise.all(frozen.map((p) => pause.pause(p.name, 'sentinel')));
  const frozenNs = clock.nowNs();
  ctx.mark('landed', `${names} frozen`);
  const thaw = async () => {
    await Promise.all(frozen.map((p) => pause.resume(p.name, 'sentinel')));
  };
  try {
    await sleep(stallMs);
    await thaw();
  } catch (e) {
    await thaw().catch(() => undefined);
    throw e;
  }
  const thawedNs = clock.nowNs();
  ctx.mark('thawed', `${names} running again after ${Math.round((thawedNs - frozenNs) / 1e6)} ms`);
  let killedNs: number | null = null;
  if (spec.killMaster) {
    await d.podControl.kill(master.name);
    killedNs = clock.nowNs();
    ctx.mark('landed', `${master.name} processes gone`);
  }
  const check = lazySentinelCheck('sentinel-stall', {
    events: ctx.events,
    fromNs: frozenNs,
    nowNs: () => clock.nowNs(),
    markNs: () => killedNs,
    extra: () => ({ stall_ms: Math.round((thawedNs - frozenNs) / 1e6), sentinels_frozen: frozen.length }),
  });
  const masterDownMs = spec.killMaster ? ctx.ms(spec.masterDownMs) : 0;
  return {
    victim: master,
    // The failover clock starts at the kill: its delay over an ordinary master kill is what the stall cost.
    landedNs: killedNs ?? thawedNs,
    holdUntilNs: (killedNs ?? thawedNs) + masterDownMs * 1e6,
    healAfterFailover: spec.killMaster && masterDownMs === 0,
    checks: [check],
    figures: {},
    // Held down for a fixed time, the master may come back before any failover, as master.
    ...(spec.killMaster && masterDownMs === 0 ? { mustRejoin: master } : {}),
    heal: healOnce(ctx, spec.killMaster ? `start pod ${master.name}` : `thaw ${names}`, 'every container running', async () => {
      await thaw();
      if (!d.podControl.isRunning(master.name)) await d.podControl.start(master.name);
    }),
  };
}

export const sentinelStallFault = defineFault({
  /** Freeze `sentinels` sentinel containers (the replicas' first) for stallMs, thaw them, then (killMaster) SIGKILL the master pod. */
  kind: 'sentinel-stall',
  fields: {
    sentinels: z.number().int().min(1).max(3).default(2),
    /** How long they stay frozen; above 2 s a sentinel's timer enters TILT when it runs again. */
    stallMs: durationField(600_000).default(5000),
    killMaster: z.boolean().default(true),
    /** With killMaster: how long the master stays dead; 0 = until the failover came (or timed out), then it must rejoin as a replica. */
    masterDownMs: durationField(600_000).default(0),
  },
  needs: ['pause'],
  inject: (ctx, spec) => sentinelStall(ctx, spec),
  plan: (spec) => ({
    victim: `${spec.sentinels} sentinel container(s)${spec.killMaster ? ' and the master' : ''}`,
    action: `SIGSTOP the sentinel containers' processes (docker pause / kill -STOP from the node) for ${String(spec.stallMs)}, SIGCONT${spec.killMaster ? ', then delete the master pod with grace period 0' : ''}`,
    heal: spec.killMaster ? 'wait for the recreated master pod to be Ready' : 'none (already thawed)',
  }),
});
