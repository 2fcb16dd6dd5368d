// sentinel-reset: `SENTINEL RESET <master>` (an operator clearing stale entries), then the master fails soon after. A reset
// sentinel forgets its replicas and peers and relearns them from the master's INFO and hello messages: if the master dies
// first, it knows no replica to promote and no peer to reach the quorum with.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { durationField, type Duration } from '../model/duration.ts';
import { HarnessError } from '../errors.ts';
import { pairs, withProbe } from '../redis/clients.ts';
import type { Pod } from '../targets/target.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';
import { requireHeldDown } from './abilities.ts';

/** What a sentinel knows of the master right now: replicas and other sentinels (-1: it did not answer). */
async function known(ctx: FaultContext, p: Pod): Promise<{ replicas: number; sentinels: number }> {
  try {
    const m = pairs(await withProbe(p.sentinel, { connectTimeoutMs: 300 }, (s) => s.call('SENTINEL', 'MASTER', ctx.deployment.model.masterName)));
    return { replicas: Number(m['num-slaves'] ?? -1), sentinels: Number(m['num-other-sentinels'] ?? -1) };
  } catch {
    return { replicas: -1, sentinels: -1 };
  }
}

export async function sentinelReset(ctx: FaultContext, spec: { sentinels: 'all' | 'one'; killAfterMs: Duration; holdMs: Duration }): Promise<InjectedFault> {
  const { deployment: d, topology, clock } = ctx;
  requireHeldDown(d, 'sentinel-reset');
  const master = topology.master;
  const reset = spec.sentinels === 'all' ? d.pods : [topology.replicas[0]!];
  const killAfterMs = ctx.ms(spec.killAfterMs);
  ctx.mark('inject', `SENTINEL RESET on ${reset.map((p) => p.name).join(', ')}, SIGKILL ${master.name} ${killAfterMs} ms later`);
  const resetNs = clock.nowNs();
  await Promise.all(
    reset.map(async (p) => {
      const n = await withProbe(p.sentinel, { connectTimeoutMs: 1000 }, (s) => s.call('SENTINEL', 'RESET', d.model.masterName));
      // The reply counts the masters that matched the pattern: the proof that this one was reset.
      if (Number(n) !== 1) throw new HarnessError('PROCESS_FAILED', `SENTINEL RESET on ${p.name} reset ${String(n)} masters, not 1`);
    }),
  );
  ctx.mark('reset', `${reset.length} sentinel(s) reset`);
  if (killAfterMs > 0) await sleep(killAfterMs);
  const before = await Promise.all(reset.map((p) => known(ctx, p)));
  await d.podControl.kill(master.name);
  const landedNs = clock.nowNs();
  ctx.mark('landed', `${master.name} processes gone ${Math.round((landedNs - resetNs) / 1e6)} ms after the reset`);
  const holdMs = ctx.ms(spec.holdMs);
  return {
    victim: master,
    landedNs,
    holdUntilNs: landedNs + holdMs * 1e6,
    healAfterFailover: holdMs === 0,
    checks: [
      lazySentinelCheck('sentinel-reset', {
        events: ctx.events,
        fromNs: landedNs,
        nowNs: () => clock.nowNs(),
        extra: () => ({
          reset_to_kill_ms: Math.round((landedNs - resetNs) / 1e6),
          sentinels_reset: reset.length,
          // The least any reset sentinel knew when the master died.
          known_replicas_at_kill: Math.min(...before.map((k) => k.replicas)),
          known_sentinels_at_kill: Math.min(...before.map((k) => k.sentinels)),
        }),
      }),
    ],
    figures: {},
    // Held down for a fixed time, the master may come back before any failover, as master.
    ...(holdMs === 0 ? { mustRejoin: master } : {}),
    heal: healOnce(ctx, `start pod ${master.name}`, `${master.name} processes running`, async () => {
      if (!d.podControl.isRunning(master.name)) await d.podControl.start(master.name);
    }),
  };
}

export const sentinelResetFault = defineFault({
  /** SENTINEL RESET the master on every sentinel (or one), then SIGKILL the master pod killAfterMs later; restarted after holdMs or the failover. */
  kind: 'sentinel-reset',
  fields: {
    sentinels: z.enum(['all', 'one']).default('all'),
    killAfterMs: durationField(600_000).default(0),
    /** How long the master stays dead; 0 = until the failover came (or timed out), then it must rejoin as a replica. */
    holdMs: durationField(600_000).default(0),
  },
  inject: (ctx, spec) => sentinelReset(ctx, spec),
  plan: (spec) => ({
    victim: `${spec.sentinels === 'all' ? 'every sentinel' : 'one sentinel'}, then the master`,
    action: `SENTINEL RESET <master> (kubectl exec … redis-cli -p 26379), then delete the master pod (grace 0) ${String(spec.killAfterMs)} ms later`,
    heal: `start the master pod ${spec.holdMs === 0 ? 'once the failover came' : `after ${String(spec.holdMs)}`}`,
  }),
});
