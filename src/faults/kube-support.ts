// What each fault kind does on kind / kube with each fault backend, or why it is skipped there: the
// --dry-run lines and the README's table come from here; the skip reasons are the ones the run gives.
import { NO_PAUSE } from '../targets/kube/backends/chaos-mesh.ts';
import type { FaultBackendName } from '../targets/kube/backends/backend.ts';
import { NO_NODE_ACCESS } from '../targets/kube/backends/kind-node.ts';
import { NO_SENTINELS_CUT } from '../targets/kube/controls.ts';
import { CORDONED_BY } from '../targets/kube/cordon.ts';
import { KUBE_SECURE_DEFAULTS } from '../targets/kube/secure.ts';
import { heldDownReason, missingReason } from './abilities.ts';

export interface KubeFaultSupport {
  /** How the fault is made, in a few words. */
  via: string;
  /** The Chaos Mesh objects it creates (kind, name pattern, what they select). */
  objects: string[];
  /** Set when the trial is skipped: the reason the run gives. */
  skip: string | null;
  /** The Secret patches it makes, in order (the secure profile's rotations). */
  patches?: string[];
}

/** The fields of a fault spec that change what a backend does. */
export interface FaultShape {
  kind: string;
  cut?: string;
  killMaster?: boolean;
  container?: string;
  /** A composed fault's steps. */
  steps?: Array<{ fault: FaultShape }>;
}

const OBJ = {
  partition: 'NetworkChaos sc-<run>-partition-<victim>: partition, direction both; selector {<ns>: [<victim>]}, target {<ns>: [the other pods]}',
  kill: (c: string, who: string) => `PodChaos sc-<run>-kill-${c}-<pod> (${who}): container-kill, containerNames [${c}] (one-shot, deleted once proven)`,
  dnsDown: 'NetworkChaos sc-<run>-dns-down-pods: partition, direction to, externalTargets [kube-system/kube-dns cluster IP]; selector {<ns>: [every pod]}',
  dnsGone: 'DNSChaos sc-<run>-dns-error-gone-<master>: error (SERVFAIL), patterns [<master>.<headless>*]; selector {<ns>: [the other pods]}',
  time: (c: string) => `TimeChaos sc-<run>-time-<victim>: timeOffset <offsetMs>ms, clockIds [CLOCK_REALTIME], containerNames [${c}]`,
  helper:
    "Pod sc-<run>-vol-<victim> (volume helper): the redis image, nodeName = the victim's node, its data claim mounted, runs once (activeDeadlineSeconds 120), deleted once done, on SIGINT and by down",
  restoreHelper:
    "Pod sc-<run>-vol-<pod> (volume helper), one per pod, one at a time: the redis image, nodeName = the pod's node, its data claim mounted, waits to be exec'd into (activeDeadlineSeconds 120), deleted once the AOF is in, on SIGINT and by down",
  loss: 'NetworkChaos sc-<run>-loss-<victim>: loss <percent> %, direction both; selector {<ns>: [<victim>]}, target {<ns>: [the other pods]}',
  stress: (c: string) => `StressChaos sc-<run>-stress-<victim>: stressors cpu / memory, containerNames [${c}]`,
};

const API = (via: string): KubeFaultSupport => ({ via: `Kubernetes API: ${via}`, objects: [], skip: null });
const skipped = (reason: string): KubeFaultSupport => ({ via: 'skipped', objects: [], skip: reason });

/** `nodeShell`: the harness can exec on the pods' nodes (kind). */
export function kubeFaultSupport(f: FaultShape, backend: FaultBackendName, target: 'kind' | 'kube', nodeShell: boolean): KubeFaultSupport {
  const cm = backend === 'chaos-mesh';
  const onNode = (via: string, what: string) => (nodeShell ? { via: `kind node: ${via}`, objects: [], skip: null } : skipped(`${what} ${NO_NODE_ACCESS}`));
  switch (f.kind) {
    case 'composed':
      return composedSupport(f.steps ?? [], backend, target, nodeShell);
    case 'kill-pod':
    case 'full-restart':
    case 'leader-kill':
      return API('pod delete, grace 0 (the StatefulSet recreates the pod at once)');
    case 'pod-restart':
      return API('pod delete, grace 0, before down-after (the StatefulSet recreates it); LOADING and resync measured through the forwards');
    case 'aof-rewrite':
      return API('BGREWRITEAOF through the forwards while a replica pod is deleted for a full sync');
    case 'node-drain':
      return API('cordon, Eviction API (PDB), uncordon');
    case 'rolling-upgrade':
      return API('StatefulSet patch (OnDelete), graceful pod deletes');
    case 'password-rotation':
      return API('Secret patch, plus the procedure through the forwards');
    case 'manual-failover':
      return API('exec preStop, SENTINEL FAILOVER through the forwards');
    case 'scale-out':
      return API('StatefulSet scale subresource 3 -> N -> 3, pod delete of the master');
    case 'partition':
      if (f.cut === 'sentinels') return skipped(NO_SENTINELS_CUT);
      return cm ? { via: 'Chaos Mesh', objects: [OBJ.partition], skip: null } : onNode('iptables DROP via nsenter', 'partitions');
    case 'pause':
    case 'replica-pause':
      if (cm) return nodeShell ? { via: "kind node: kill -STOP (Chaos Mesh has no pause; the node's is used)", objects: [], skip: null } : skipped(NO_PAUSE);
      return onNode('kill -STOP / -CONT', 'pause');
    case 'kill-sentinel':
      return cm
        ? { via: 'Chaos Mesh', objects: [OBJ.kill('sentinel', 'the victim')], skip: null }
        : onNode('kill -KILL of the sentinel container', 'container kills');
    case 'cpu-starve':
      return skipped(missingReason('cpu', target, f.kind));
    case 'packet-loss':
      return cm
        ? { via: 'Chaos Mesh (proven by its AllInjected status only)', objects: [OBJ.loss], skip: null }
        : skipped(`the ${target} target cannot drop packets at random with the kind-node backend (only with --fault-backend chaos-mesh)`);
    case 'link-flap':
      return cm
        ? { via: 'Chaos Mesh, one object created and deleted per cut', objects: [OBJ.partition], skip: null }
        : onNode('iptables DROP via nsenter, per cut', 'partitions');
    case 'sentinel-stall':
      if (cm)
        return nodeShell
          ? { via: "kind node: kill -STOP of the sentinels (Chaos Mesh has no pause; the node's is used)", objects: [], skip: null }
          : skipped(NO_PAUSE);
      return onNode('kill -STOP / -CONT of the sentinels', 'pause');
    case 'sentinel-outage':
    case 'sentinel-reset':
    case 'partial-cold-start':
      return skipped(heldDownReason(target, f.kind));
    case 'sentinel-quorum-loss':
      return cm
        ? { via: 'Chaos Mesh', objects: [OBJ.kill('sentinel', '×2, the replicas'), OBJ.kill('redis', 'the master')], skip: null }
        : onNode('kill -KILL of the containers', 'container kills');
    case 'dns-down':
      if (!cm) return skipped(missingReason('dns', target, f.kind));
      return {
        via: 'Chaos Mesh',
        objects: [OBJ.dnsDown, ...(f.killMaster ? [OBJ.kill('redis', 'the master'), OBJ.kill('sentinel', 'the master')] : [])],
        skip: null,
      };
    case 'dns-record-gone':
      return cm
        ? {
            via: "pod delete (recreated at once, not kept Pending) and Chaos Mesh: the master's name fails for every pod's lookups until the heal",
            objects: [OBJ.dnsGone],
            skip: null,
          }
        : skipped(missingReason('dns', target, f.kind));
    case 'clock-skew':
      return cm ? { via: 'Chaos Mesh', objects: [OBJ.time(f.container ?? 'sentinel')], skip: null } : skipped(missingReason('clock', target, f.kind));
    case 'stress':
      return cm ? { via: 'Chaos Mesh', objects: [OBJ.stress(f.container ?? 'redis')], skip: null } : skipped(missingReason('stress', target, f.kind));
    case 'aof-damage':
    case 'empty-volume':
      return {
        via: `Kubernetes API: cordon the pod's node (annotated ${CORDONED_BY}=<run>), pod delete (the replacement stays Pending: its volume is pinned to the node), a helper pod changes the claim, uncordon; skipped when the claim's volume is not pinned to a node (network-attached)`,
        objects: [OBJ.helper],
        skip: null,
      };
    case 'backup-restore':
      return {
        via: `Kubernetes API: the master's AOF copied out of its running redis container (tar over exec, as kubectl cp) to the harness; every pod's node cordoned (annotated ${CORDONED_BY}=<run>), every pod deleted (the replacements stay Pending: their volumes are pinned to the nodes), a helper pod per claim receives the tar on its stdin and replaces the AOF; uncordon; skipped when a claim's volume is not pinned to a node (network-attached)`,
        objects: [OBJ.restoreHelper],
        skip: null,
      };
    case 'acl-rotation':
      return {
        via: `Kubernetes API: Secret patches, each waited for until the kubelet refreshed the mounted file in every pod (sha256sum through exec, up to ${REFRESH_S} s); ACL SETUSER, CONFIG SET masterauth, SENTINEL SET and the applications' clients through the forwards; ${SECRET_OWNED('redis-acl')}`,
        objects: [],
        skip: null,
        patches: [
          'Secret redis-acl: data.<user> = the new password, one patch per rotated user (after ACL SETUSER <user> >new on every node)',
          'on a rollback: data.<user> = the old password again',
          'then (then: kill-master) pod delete of the master, grace 0',
        ],
      };
    case 'cert-rotation':
    case 'cert-expiry':
      return certSupport(f, backend, target, nodeShell);
    default:
      return { via: 'not classified for kube: see the fault plan', objects: [], skip: null };
  }
}

const REFRESH_S = KUBE_SECURE_DEFAULTS.refreshTimeoutMs / 1000;
const SECRET_OWNED = (name: string) =>
  `only with --profile secure and a ${name} Secret this run made (one found in the cluster is the operator's: used as it is, never patched; the trial is then skipped with that reason)`;

/** cert-rotation / cert-expiry: Secret patches (waited for in every pod), CONFIG SET through the forwards, and sentinel restarts by container kill. */
function certSupport(f: FaultShape, backend: FaultBackendName, target: 'kind' | 'kube', nodeShell: boolean): KubeFaultSupport {
  const cm = backend === 'chaos-mesh';
  if (!cm && !nodeShell) return skipped(`${f.kind} restarts the sentinels (Sentinel 7.0 cannot reload its certificates) by container kill: ${NO_NODE_ACCESS}`);
  const restarts =
    f.kind === 'cert-rotation' ? '9 sentinel restarts (each sentinel 3 times, one at a time)' : "2 restarts of the victim's sentinel (inject, heal)";
  const restartVia = cm ? 'Chaos Mesh container-kill' : 'kill -KILL from the kind node';
  const patches =
    f.kind === 'cert-rotation'
      ? [
          'Secret redis-tls: data.ca.crt = old CA + new CA',
          'Secret redis-tls: data.<pod>.key, data.<pod>.crt = a certificate of the new CA, the same names; per pod, replicas first, the master last',
          'Secret redis-tls: data.ca.crt = the new CA only',
          'then (then: kill-master) pod delete of the master, grace 0',
        ]
      : [
          `Secret redis-tls: data.<first replica>.key, data.<first replica>.crt = a certificate valid validForMs plus the refresh bound (${REFRESH_S} s): it expires that long after the kubelet delivered it`,
          'heal: Secret redis-tls: data.<first replica>.key, data.<first replica>.crt = a certificate valid 7 days',
        ];
  return {
    via: `Kubernetes API: Secret patches, each waited for until the kubelet refreshed the mounted files in every pod (sha256sum through exec, up to ${REFRESH_S} s); CONFIG SET tls-* through the forwards; ${restarts} by ${restartVia}; ${SECRET_OWNED('redis-tls')}`,
    objects: cm ? [OBJ.kill('sentinel', 'one sentinel per restart')] : [],
    skip: null,
    patches,
  };
}

/** A composed fault: each step as its kind does it; named skipped by its first step that is (a soak's skipUnable records such steps instead). */
function composedSupport(steps: Array<{ fault: FaultShape }>, backend: FaultBackendName, target: 'kind' | 'kube', nodeShell: boolean): KubeFaultSupport {
  const each = steps.map((s, i) => ({ i: i + 1, kind: s.fault.kind, ...kubeFaultSupport(s.fault, backend, target, nodeShell) }));
  const skip = each.find((s) => s.skip);
  if (skip) return skipped(`step ${skip.i} (${skip.kind}): ${skip.skip}`);
  return { via: each.map((s) => `step ${s.i} ${s.kind}: ${s.via}`).join('; '), objects: [...new Set(each.flatMap((s) => s.objects))], skip: null };
}
