// link-flap: a link that goes down and up faster than down-after (a bad cable, a flapping switch port): repeated
// nftables cuts of a pod, each proven, for a while. Does Sentinel fail over, and does it flap between masters?
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { abilityMissing } from '../errors.ts';
import { durationField, type Duration } from '../model/duration.ts';
import type { Partition } from '../targets/target.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';
import { lazySentinelCheck } from './sentinel-figures.ts';

export async function linkFlap(
  ctx: FaultContext,
  spec: { target: 'master' | 'replica'; cut: 'all' | 'sentinels'; downMs: Duration; upMs: Duration; durationMs: Duration },
): Promise<InjectedFault> {
  const network = ability(ctx.deployment, 'network', 'link-flap');
  const reason = await network.unavailableReason();
  if (reason) throw abilityMissing(reason);
  const victim = victimOf(ctx.topology, spec.target);
  const [downMs, upMs, totalMs] = [ctx.ms(spec.downMs), ctx.ms(spec.upMs), ctx.ms(spec.durationMs)];
  ctx.mark('inject', `flap ${victim.name}'s link (${spec.cut}): ${downMs} ms down, ${upMs} ms up, for ${totalMs} ms`);
  const cut = () => network.partition({ isolate: victim.name, cut: spec.cut });
  let current: Partition | null = await cut();
  const landedNs = ctx.clock.nowNs() - Math.max(0, performance.now() - current.inEffectAt) * 1e6;
  ctx.mark('landed', `link down (proven): ${current.description}`);
  const endNs = landedNs + totalMs * 1e6;
  let cycles = 1;
  let stopped = false;
  let loopError: Error | null = null;
  const abort = new AbortController();
  const wait = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
  // The flapping goes on in the background until its time is up or the heal stops it; every cut is proven blocked.
  const loop = (async () => {
    while (!stopped) {
      await wait(downMs);
      await current?.heal();
      current = null;
      if (stopped || ctx.clock.nowNs() + upMs * 1e6 >= endNs) break;
      await wait(upMs);
      if (stopped) break;
      current = await cut();
      cycles++;
    }
  })().catch((e: Error) => {
    loopError = e;
  });
  const stop = async () => {
    stopped = true;
    abort.abort();
    await loop;
    await current?.heal();
    current = null;
    if (loopError) throw loopError;
  };
  return {
    victim,
    landedNs,
    holdUntilNs: endNs,
    healAfterFailover: false,
    checks: [
      lazySentinelCheck('link-flap', {
        events: ctx.events,
        fromNs: landedNs,
        nowNs: () => ctx.clock.nowNs(),
        extra: () => ({ flap_cycles: cycles, flap_down_ms: downMs, flap_up_ms: upMs }),
      }),
    ],
    figures: {},
    heal: healOnce(ctx, `stop flapping ${victim.name}'s link`, `link up for good after ${cycles} cut(s)`, stop),
  };
}

export const linkFlapFault = defineFault({
  /** Cut the pod off for downMs, restore it for upMs, again and again for durationMs; each cut is proven blocked. */
  kind: 'link-flap',
  fields: {
    target: podRole.default('master'),
    cut: z.enum(['all', 'sentinels']).default('all'),
    /** Each outage; below down-after no single one is long enough for +sdown. */
    downMs: durationField(600_000).default('0.6x'),
    upMs: durationField(600_000).default('0.2x'),
    durationMs: durationField(600_000).default('12x'),
  },
  needs: ['network'],
  inject: (ctx, spec) => linkFlap(ctx, spec),
  plan: (spec) => ({
    victim: spec.target,
    action: `nftables DROP to and from the pod's peers for ${String(spec.downMs)}, then none for ${String(spec.upMs)}, repeated for ${String(spec.durationMs)}`,
    heal: 'delete the table, stop the loop',
  }),
});
