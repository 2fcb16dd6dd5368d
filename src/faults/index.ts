// The fault registry: a scenario's fault spec to the fault that injects it.
import type { FaultSpec } from '../runner/scenario.ts';
import type { FaultContext, InjectedFault } from './fault.ts';
import { killPod } from './kill-pod.ts';
import { manualFailover } from './manual-failover.ts';
import { drainMasterNode } from './node-drain.ts';
import { rollingUpgrade } from './rolling-upgrade.ts';
import { partitionPod } from './partition.ts';
import { rotatePassword } from './password-rotation.ts';
import { pauseRedis } from './pause.ts';
import { sentinelQuorumLoss } from './sentinel-quorum-loss.ts';
import { aofDamage } from './aof-damage.ts';
import { backupRestore } from './backup-restore.ts';
import { emptyVolume } from './empty-volume.ts';
import { fullRestart } from './full-restart.ts';
import { scaleOut } from './scale-out.ts';

export function injectFault(ctx: FaultContext, spec: FaultSpec, opts: { restart: boolean }): Promise<InjectedFault> {
  switch (spec.kind) {
    case 'kill-pod':
      return killPod(ctx, spec, opts.restart);
    case 'pause':
      return pauseRedis(ctx, spec);
    case 'partition':
      return partitionPod(ctx, spec);
    case 'sentinel-quorum-loss':
      return sentinelQuorumLoss(ctx, spec);
    case 'manual-failover':
      return manualFailover(ctx, spec);
    case 'node-drain':
      return drainMasterNode(ctx, spec);
    case 'rolling-upgrade':
      return rollingUpgrade(ctx, spec);
    case 'password-rotation':
      return rotatePassword(ctx, spec, opts);
    case 'backup-restore':
      return backupRestore(ctx, spec);
    case 'full-restart':
      return fullRestart(ctx, spec);
    case 'empty-volume':
      return emptyVolume(ctx, spec);
    case 'aof-damage':
      return aofDamage(ctx, spec);
    case 'scale-out':
      return scaleOut(ctx, spec);
  }
}

/** The pod-level fault a scenario's spec targets, for the workload's isolated-side client. */
export const isolatedClientWanted = (spec: FaultSpec): boolean => spec.kind === 'partition' && spec.isolatedClient;
