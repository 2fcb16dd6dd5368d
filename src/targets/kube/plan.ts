// --dry-run: what a run would do to the cluster, scenario by scenario, without touching it.
import type { FaultSpec, Scenario } from '../../runner/scenario.ts';

export interface PlanStep {
  scenario: string;
  fault: string;
  victim: string;
  action: string;
  heal: string;
}

/** The Kubernetes action behind each fault kind, and its heal. Pure. */
export function planFault(f: FaultSpec): Omit<PlanStep, 'scenario'> {
  switch (f.kind) {
    case 'kill-pod':
      return { fault: f.kind, victim: f.target, action: 'delete pod, grace period 0 (the StatefulSet recreates it at once)', heal: 'wait for the recreated pod to be Ready' };
    case 'pause':
      return { fault: f.kind, victim: f.target, action: `SIGSTOP the redis container's process from its node (docker exec <node> kill -STOP <pid>) for ${String(f.durationMs)}`, heal: 'SIGCONT' };
    case 'partition':
      return f.cut === 'sentinels'
        ? { fault: f.kind, victim: f.target, action: 'skipped on Kubernetes: a sentinels-only cut cannot be expressed (both containers share the pod IP)', heal: 'none' }
        : { fault: f.kind, victim: f.target, action: `iptables DROP to and from the other pods' IPs inside the pod's network namespace (nsenter on its kind node) for ${String(f.durationMs)}`, heal: 'delete the same rules' };
    case 'sentinel-quorum-loss':
      return { fault: f.kind, victim: 'master (redis) and both replicas (sentinel)', action: 'SIGKILL the sentinel containers of both replica pods and the master\'s redis container from their nodes (the kubelet restarts them)', heal: 'wait for the containers to be running and ready' };
    case 'manual-failover':
      return f.coordinated
        ? { fault: f.kind, victim: 'master', action: 'exec the redis container\'s preStop hook in the master pod', heal: 'none' }
        : { fault: f.kind, victim: 'master', action: 'SENTINEL FAILOVER through the port-forward', heal: 'none' };
    case 'node-drain':
      return { fault: f.kind, victim: 'master', action: 'cordon the master\'s node, evict the master pod (Eviction API), try a second eviction (the PDB must answer 429)', heal: 'uncordon the node' };
    case 'rolling-upgrade':
      return {
        fault: f.kind,
        victim: 'every pod, highest ordinal first',
        action: `${f.binary ? `patch the StatefulSet's redis image to ${f.binary} with updateStrategy OnDelete, then ` : ''}delete each pod gracefully (preStop runs) and wait until it is Ready and in sync`,
        heal: f.binary ? 'restore the manifest\'s update strategy' : 'none',
      };
    case 'password-rotation':
      return { fault: f.kind, victim: 'every pod, then the master', action: 'ACL add the new password on every node, update the Secret, masterauth, sentinel auth-pass, clients, retire the old one; then delete the master pod (grace 0)', heal: 'roll back what the rotation changed' };
    case 'full-restart':
      return { fault: f.kind, victim: 'every pod', action: 'delete every pod at once with grace period 0 (as a node-wide crash); the StatefulSet recreates them (the reordered variant cannot choose the order on Kubernetes)', heal: 'wait for every pod to be Ready' };
    case 'backup-restore':
    case 'empty-volume':
    case 'aof-damage':
      return { fault: f.kind, victim: 'the pods\' volumes', action: 'skipped on Kubernetes in this version: the kube target has no access to the PVCs\' files (the volumes ability)', heal: 'none' };
    case 'scale-out':
      return { fault: f.kind, victim: 'the StatefulSet', action: 'skipped on Kubernetes in this version: the kube target cannot scale the StatefulSet (the scale ability)', heal: 'none' };
  }
}

export function buildPlan(scenarios: readonly Scenario[]): PlanStep[] {
  return scenarios.map((s) => ({ scenario: s.name, ...planFault(s.fault) }));
}

export function formatPlan(steps: readonly PlanStep[], header: readonly string[]): string {
  const lines = [...header, ''];
  for (const s of steps) {
    lines.push(`${s.scenario} (${s.fault}, victim: ${s.victim})`);
    lines.push(`  inject: ${s.action}`);
    lines.push(`  heal:   ${s.heal}`);
  }
  lines.push('', 'dry run: nothing was applied, injected or deleted.');
  return lines.join('\n');
}
