// dns-down: the cluster DNS server stops answering (SIGSTOP: lookups block until their timeout), optionally while the master's pod crashes.
import { z } from 'zod';
import { durationField, type Duration } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { lazyDnsCheck } from './dns-figures.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';

export async function dnsDown(ctx: FaultContext, spec: { durationMs: Duration; killMaster: boolean; masterDownMs: Duration }): Promise<InjectedFault> {
  const { deployment: d, clock } = ctx;
  const dns = ability(d, 'dns', 'dns-down');
  const master = ctx.topology.master;
  ctx.mark('inject', `SIGSTOP the cluster DNS server for ${ctx.ms(spec.durationMs)} ms${spec.killMaster ? `, then SIGKILL ${master.name}'s containers` : ''}`);
  // pause() resolves only once a query timed out: the proof that the resolver is down.
  await dns.pause();
  let landedNs = clock.nowNs();
  ctx.mark('landed', 'cluster DNS server frozen: a lookup timed out');
  if (spec.killMaster) {
    // The containers, not the pod: the pod (and its record) stays as on a crashed node, and nothing here needs the DNS server.
    await Promise.all([d.podControl.killContainer(master.name, 'redis'), d.podControl.killContainer(master.name, 'sentinel')]);
    landedNs = clock.nowNs();
    ctx.mark('landed', `${master.name} containers gone while DNS is down`);
  }
  const holdUntilNs = landedNs + ctx.ms(spec.durationMs) * 1e6;
  let healNs: number | null = null;
  const pending: { timer?: NodeJS.Timeout } = {};
  let resuming: Promise<void> | null = null;
  const resume = () =>
    (resuming ??= (async () => {
      clearTimeout(pending.timer);
      ctx.mark('heal', 'SIGCONT the cluster DNS server');
      await dns.resume();
      healNs = clock.nowNs();
      ctx.mark('healed', 'DNS answers again');
    })());
  const dnsCheck = lazyDnsCheck('dns-down', { events: ctx.events, landedNs, healNs: () => healNs, nowNs: () => clock.nowNs() });
  if (!spec.killMaster) {
    return {
      victim: master,
      landedNs,
      holdUntilNs,
      healAfterFailover: false,
      checks: [dnsCheck],
      figures: {},
      heal: resume,
    };
  }
  // With the master down the failover may only come after DNS is back: DNS resumes on its own at the end of
  // the hold, and the pod is restarted (the fault's heal) masterDownMs later, or (0) once the failover came.
  const masterDownMs = ctx.ms(spec.masterDownMs);
  pending.timer = setTimeout(() => void resume().catch(() => undefined), Math.max(0, (holdUntilNs - clock.nowNs()) / 1e6));
  return {
    victim: master,
    landedNs,
    holdUntilNs: holdUntilNs + masterDownMs * 1e6,
    healAfterFailover: masterDownMs === 0,
    checks: [dnsCheck],
    figures: {},
    // Without a failover the restarted master is master again: it need not rejoin as a replica.
    ...(masterDownMs === 0 ? { mustRejoin: master } : {}),
    heal: healOnce(ctx, `start ${master.name}'s containers`, `${master.name} running`, async () => {
      await resume();
      await d.podControl.startContainer(master.name, 'redis');
      await d.podControl.startContainer(master.name, 'sentinel');
    }),
  };
}

export const dnsDownFault = defineFault({
  /** Freeze the cluster DNS server (lookups time out) for durationMs; with killMaster, the master's containers are killed while it is down. */
  kind: 'dns-down',
  fields: {
    durationMs: durationField(600_000),
    /** Also SIGKILL the master pod's containers once DNS is down (restarted at the heal). */
    killMaster: z.boolean().default(false),
    /** With killMaster: how long the master stays dead after DNS is back; 0 = until the failover came (or timed out). */
    masterDownMs: durationField(600_000).default(0),
  },
  needs: ['dns'],
  inject: (ctx, spec) => dnsDown(ctx, spec),
  plan: (spec) => ({
    victim: spec.killMaster ? 'the cluster DNS and the master' : 'the cluster DNS',
    action: `SIGSTOP the cluster DNS server for ${String(spec.durationMs)}${spec.killMaster ? ", then SIGKILL the master pod's containers" : ''} (Kubernetes: scale CoreDNS to 0 or drop UDP/TCP 53 to it)`,
    heal: spec.killMaster
      ? 'SIGCONT (CoreDNS scaled back) after durationMs; the master pod is started once the failover came'
      : 'SIGCONT (CoreDNS scaled back)',
  }),
});
