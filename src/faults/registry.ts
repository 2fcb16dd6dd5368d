// The registered fault kinds, one line each; src/faults/index.ts builds the registry (and the scenario schema) from them.
export { aofDamageFault } from './aof-damage.ts';
export { backupRestoreFault } from './backup-restore.ts';
export { dnsDownFault } from './dns-down.ts';
export { dnsRecordGoneFault } from './dns-record-gone.ts';
export { emptyVolumeFault } from './empty-volume.ts';
export { fullRestartFault } from './full-restart.ts';
export { killPodFault } from './kill-pod.ts';
export { manualFailoverFault } from './manual-failover.ts';
export { nodeDrainFault } from './node-drain.ts';
export { partitionFault } from './partition.ts';
export { passwordRotationFault } from './password-rotation.ts';
export { pauseFault } from './pause.ts';
export { replicaPauseFault } from './replica-pause.ts';
export { rollingUpgradeFault } from './rolling-upgrade.ts';
export { scaleOutFault } from './scale-out.ts';
export { sentinelQuorumLossFault } from './sentinel-quorum-loss.ts';
export { podRestartFault } from './pod-restart.ts';
