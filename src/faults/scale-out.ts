// scale-out: the guide's "Scaling Replicas" while writes continue. 3 -> 5 pods, quorum raised to 3 on
// every sentinel, wait until all 5 sentinels know each other and every replica; then kill the master
// and measure the failover with 5 sentinels. The heal brings the old master back and scales in to 3.
import { HarnessError } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../model/check.ts';
import { parseInfo, withProbe, pairs } from '../redis/clients.ts';
import { z } from 'zod';
import { msField } from '../model/duration.ts';
import type { Pod, StartedDeployment } from '../targets/target.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';
import { waitSettled } from './day2.ts';
import { SentinelObserver } from '../observers/sentinel-events.ts';

async function setQuorumEverywhere(d: StartedDeployment, quorum: number): Promise<number> {
  const answers = await Promise.all(
    d.pods.map((p) =>
      withProbe(p.sentinel, { connectTimeoutMs: 500 }, (s) => s.call('SENTINEL', 'SET', d.model.masterName, 'quorum', String(quorum))).then(
        () => 1,
        () => 0,
      ),
    ),
  );
  return answers.reduce<number>((a, b) => a + b, 0);
}

/** Every sentinel sees every other sentinel and every replica (SENTINEL master: num-other-sentinels, num-slaves). */
async function allKnown(d: StartedDeployment): Promise<boolean> {
  const n = d.pods.length;
  const views = await Promise.all(
    d.pods.map((p) =>
      withProbe(p.sentinel, { connectTimeoutMs: 300 }, async (s) => pairs(await s.call('SENTINEL', 'master', d.model.masterName))).catch(() => null),
    ),
  );
  return views.every((v) => v !== null && Number(v['num-other-sentinels']) === n - 1 && Number(v['num-slaves']) === n - 1);
}

async function linkedReplica(d: StartedDeployment, pod: Pod): Promise<boolean> {
  try {
    const info = parseInfo(await withProbe(pod.redis, { password: d.password, connectTimeoutMs: 200 }, (r) => r.info('replication')));
    return info.role === 'slave' && info.master_link_status === 'up';
  } catch {
    return false;
  }
}

export async function scaleOut(ctx: FaultContext, spec: { replicas: number; quorum: number; discoverTimeoutMs: number }): Promise<InjectedFault> {
  const { deployment: d, clock } = ctx;
  const scale = ability(d, 'scale', 'scale-out');
  const before = d.pods.length;
  const beforeQuorum = d.model.quorum;
  const restore = async () => {
    // One pod at a time, each from a settled deployment: removing a pod during a failover (or one
    // that just became master) mid-way through another makes a second failover race the first.
    while (d.pods.length > before) {
      await waitSettled(ctx, spec.discoverTimeoutMs);
      await scale.scaleDown(d.pods.length - 1);
    }
    await waitSettled(ctx, spec.discoverTimeoutMs);
    // The remaining sentinels forget the removed pods' sentinels and replicas, and go back to the ConfigMap's quorum.
    await Promise.all(
      d.pods.map((p) => withProbe(p.sentinel, { connectTimeoutMs: 500 }, (s) => s.call('SENTINEL', 'RESET', d.model.masterName)).catch(() => {})),
    );
    await setQuorumEverywhere(d, beforeQuorum);
  };
  const upNs = clock.nowNs();
  ctx.mark('scale', `scale the StatefulSet from ${before} to ${spec.replicas} pods while writes continue`);
  let added: Pod[];
  try {
    added = await scale.scaleUp(spec.replicas);
    // The guide: quorum (N/2)+1. Applied live with SENTINEL SET on every sentinel; the sentinel.conf
    // ConfigMap's monitor line would change to the same quorum, for pods started later.
    const set = await setQuorumEverywhere(d, spec.quorum);
    ctx.mark('quorum', `SENTINEL SET ${d.model.masterName} quorum ${spec.quorum} accepted by ${set} of ${d.pods.length} sentinels`);
    const deadline = performance.now() + spec.discoverTimeoutMs;
    while (!(await allKnown(d))) {
      if (performance.now() > deadline)
        throw new HarnessError(
          'FAULT_FAILED',
          `the ${d.pods.length} sentinels did not all know each other and every replica within ${spec.discoverTimeoutMs} ms of the scale-out`,
        );
      await sleep(200);
    }
  } catch (e) {
    await restore().catch(() => {});
    throw e;
  }
  // The trial observes the sentinels it started with; a failover may be led by an added pod's sentinel.
  const observer = new SentinelObserver(
    added.map((p) => ({ name: `${p.name}/sentinel`, endpoint: p.sentinel })),
    clock,
  );
  await observer.start();
  const scaledMs = Math.round((clock.nowNs() - upNs) / 1e6);
  ctx.mark(
    'scaled',
    `${added.map((p) => p.name).join(', ')} replicating; every sentinel knows ${d.pods.length - 1} sentinels and ${d.pods.length - 1} replicas (${scaledMs} ms)`,
  );

  // The master now, as the sentinels name it (the topology from before the scale-out still holds).
  const victim = ctx.topology.master;
  ctx.mark('inject', `kill-pod ${victim.name} (master) with ${d.pods.length} sentinels, quorum ${spec.quorum}`);
  await d.podControl.kill(victim.name);
  const landedNs = clock.nowNs();
  ctx.mark('landed', `${victim.name} processes gone`);
  let healed = false;
  // The old master must rejoin before the scale-in, which may hand the master role back to it (a
  // scaled pod promoted by the failover hands over when it is removed): the trial's own rejoin check
  // would come too late, so this check is settled by the heal.
  const rejoin: CheckResult = { name: 'rejoin', valid: 'unknown', figures: { rejoin_ms: null }, explanation: 'the heal did not run' };
  return {
    victim,
    landedNs,
    healAfterFailover: true,
    checks: [rejoin],
    events: () => observer.events,
    figures: { scale_out_ms: scaledMs, sentinels: d.pods.length, quorum: spec.quorum },
    async heal() {
      if (healed) return;
      healed = true;
      ctx.mark('heal', `start pod ${victim.name}, then scale back to ${before}`);
      const startNs = clock.nowNs();
      if (!d.podControl.isRunning(victim.name)) await d.podControl.start(victim.name);
      const deadline = performance.now() + spec.discoverTimeoutMs;
      while (!(await linkedReplica(d, victim)) && performance.now() < deadline) await sleep(20);
      const ok = await linkedReplica(d, victim);
      const ms = ok ? Math.round((clock.nowNs() - startNs) / 1e6) : null;
      Object.assign(rejoin, {
        valid: ok,
        figures: { rejoin_ms: ms },
        explanation: ok
          ? `${victim.name} was a replica with its link up ${ms} ms after it was started, before the scale-in`
          : `${victim.name} was not a replica with its link up within ${spec.discoverTimeoutMs} ms`,
      });
      await restore().finally(() => observer.stop());
      ctx.mark('healed', `${before} pods, quorum ${beforeQuorum}`);
    },
  };
}

export const scaleOutFault = defineFault({
  /** Scale the StatefulSet up, raise the quorum on every sentinel, then kill the master; the heal scales back. */
  kind: 'scale-out',
  fields: {
    replicas: z.number().int().min(2).max(9).default(5),
    quorum: z.number().int().min(1).max(9).default(3),
    /** Give up waiting for every sentinel to know every other sentinel and replica after this long. */
    discoverTimeoutMs: msField(600_000).default(60_000),
  },
  needs: ['scale'],
  inject: (ctx, spec) => scaleOut(ctx, spec),
  plan: (spec) => ({
    victim: 'the StatefulSet, then the master',
    action: `scale the StatefulSet to ${spec.replicas} (scale subresource), SENTINEL SET quorum ${spec.quorum} on every sentinel, wait until every sentinel knows every pod, then delete the master pod (grace 0)`,
    heal: 'wait for the old master to rejoin, scale back one pod at a time (each gone, its claim deleted), SENTINEL RESET, the quorum back',
  }),
});
