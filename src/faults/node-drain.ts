// node-drain: `kubectl drain` of the master's node: cordon, evict through the PDB, graceful termination, reschedule.
import { HarnessError } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../model/check.ts';
import { msField } from '../model/duration.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';
import { ReadinessSampler } from './readiness-sampler.ts';

export async function drainMasterNode(ctx: FaultContext, spec: { readyTimeoutMs: number }): Promise<InjectedFault> {
  const d = ctx.deployment;
  const nodes = ability(d, 'nodes', 'node-drain');
  const victim = ctx.topology.master;
  const node = nodes.nodeOf(victim.name);
  const minAvailable = d.model.pdb?.minAvailable ?? 0;
  const sampler = new ReadinessSampler(
    d,
    (type, pod) => ctx.podEvent(type, pod),
    () => ctx.otherSteps?.() ?? new Set(),
    victim.name,
  );
  sampler.start();
  let cordoned = false;
  let stopped = false;
  const heal = async () => {
    if (!stopped) {
      stopped = true;
      await sampler.stop();
    }
    if (cordoned) {
      cordoned = false;
      ctx.mark('heal', `uncordon ${node}`);
      await nodes.uncordon(node);
    }
    if (!d.podControl.isRunning(victim.name)) await d.podControl.start(victim.name);
  };
  try {
    ctx.mark('inject', `drain ${node} (runs ${victim.name}, the master)`);
    await nodes.cordon(node);
    cordoned = true;
    ctx.podEvent('cordoned', node);
    // The disruption starts with the eviction: the preStop hand-over runs during the termination.
    const landedNs = ctx.clock.nowNs();
    // What the PDB had to go by: the other pods ready when the eviction was asked (none excused by another step).
    const othersReady = (await Promise.all(d.pods.filter((p) => p.name !== victim.name).map((p) => d.podControl.isReady(p.name)))).filter(Boolean).length;
    const first = await nodes.evict(victim.name);
    if (!first.evicted) throw new HarnessError('FAULT_FAILED', `eviction of ${victim.name} refused: ${first.reason}`);
    ctx.podEvent('evicted', victim.name);
    ctx.mark('landed', `${victim.name} evicted and terminated (preStop ran), rescheduled on ${nodes.nodeOf(victim.name)}`);

    // While the evicted pod is not ready again, any further eviction must be refused by the PDB.
    const other = ctx.topology.replicas[0]!;
    const second = (await d.podControl.isReady(victim.name)) ? null : await nodes.evict(other.name);
    if (second) ctx.podEvent(second.evicted ? 'evicted' : 'eviction-refused', `${other.name}: ${second.evicted ? 'evicted' : second.reason}`);
    const pdbHeld: CheckResult = {
      name: 'pdb-refuses-second-eviction',
      valid: second !== null && !second.evicted,
      figures: {},
      explanation:
        second === null
          ? `${victim.name} was ready again before a second eviction could be tried: the PDB was not exercised`
          : second.evicted
            ? `a second eviction (${other.name}) was accepted while ${victim.name} was not ready: the PDB did not hold`
            : `a second eviction (${other.name}) while ${victim.name} was not ready was refused: ${second.reason}`,
    };
    if (second?.evicted && !d.podControl.isRunning(other.name)) await d.podControl.start(other.name);

    const deadline = performance.now() + spec.readyTimeoutMs;
    while (!(await d.podControl.isReady(victim.name)) && performance.now() < deadline) await sleep(50);
    const readyAgainMs = Math.round((ctx.clock.nowNs() - landedNs) / 1e6);
    await sleep(300);
    await sampler.stop();
    stopped = true;
    const minReady = minAvailableCheck(sampler, { othersReady, minAvailable, pods: d.pods.length, victim: victim.name, readyAgainMs });
    return { victim, landedNs, healAfterFailover: true, failoverRequested: true, checks: [pdbHeld, minReady], figures: {}, mustRejoin: victim, heal };
  } catch (e) {
    await heal();
    throw e;
  }
}

/**
 * The PDB held: the eviction was accepted with at least minAvailable other pods ready, and no sample had fewer
 * ready. Outside a composition no pod is excused and the minimum is the pods ready. When other steps acted during
 * the drain (a soak) the samples are reported, not judged: a PDB limits the evictions, not the crashes beside them,
 * and what those take down next (a replica resyncing to a master another step moved) cannot be told apart from
 * the eviction's doing; the eviction itself is still judged (here and by pdb-refuses-second-eviction).
 */
export function minAvailableCheck(
  sampler: Pick<ReadinessSampler, 'minReady' | 'minReadyOrElsewhere' | 'elsewhere' | 'samples' | 'overlapped'>,
  o: { othersReady: number; minAvailable: number; pods: number; victim: string; readyAgainMs: number },
): CheckResult {
  const elsewhere = [...sampler.elsewhere].sort();
  const atEviction = `${o.othersReady} other pod(s) ready when the eviction of ${o.victim} was asked`;
  const samples =
    elsewhere.length === 0
      ? `at least ${sampler.minReady} of ${o.pods} pods ready at every one of ${sampler.samples} samples`
      : `at least ${sampler.minReadyOrElsewhere} of ${o.pods} pods ready or down because of another step (${elsewhere.join(', ')}) ` +
        `at every one of ${sampler.samples} samples (${sampler.minReady} ready)`;
  return {
    name: 'pdb-min-available',
    valid: o.othersReady >= o.minAvailable && (sampler.overlapped || sampler.minReadyOrElsewhere >= o.minAvailable),
    figures: {
      min_ready_pods: sampler.minReady,
      min_ready_or_other_step: sampler.minReadyOrElsewhere,
      pods_down_by_other_steps: elsewhere.length,
      other_pods_ready_at_eviction: o.othersReady,
      readiness_samples: sampler.samples,
      pod_ready_again_ms: o.readyAgainMs,
    },
    explanation:
      `${atEviction}; ${samples} (PDB minAvailable ${o.minAvailable})` +
      (sampler.overlapped && sampler.minReadyOrElsewhere < o.minAvailable
        ? '; other steps acted during the drain, so the samples are reported, not judged (a PDB limits evictions, not the faults beside them)'
        : ''),
  };
}

export const nodeDrainFault = defineFault({
  /** kubectl drain of the master's node: cordon, evict through the PDB, graceful termination, reschedule. */
  kind: 'node-drain',
  fields: {
    /** Give up waiting for the evicted pod to be ready again after this long. */
    readyTimeoutMs: msField(600_000).default(60_000),
  },
  needs: ['nodes'],
  inject: (ctx, spec) => drainMasterNode(ctx, spec),
  plan: () => ({
    victim: 'master',
    action: "cordon the master's node, evict the master pod (Eviction API), try a second eviction (the PDB must answer 429)",
    heal: 'uncordon the node',
  }),
  soak: { weight: 1, victims: ['node'], spec: () => ({ kind: 'node-drain' as const, readyTimeoutMs: 60_000 }) },
});
