// The optional target abilities a fault may need, and the one way to say a target lacks one.
import { abilityMissing } from '../errors.ts';
import type {
  ClockControl,
  CpuControl,
  DnsControl,
  NetworkFaults,
  NodeControl,
  ProcessPause,
  ScaleControl,
  StartedDeployment,
  StressControl,
  TlsControl,
  VolumeControl,
} from '../targets/target.ts';

/** Each optional ability, by the name of the deployment member that provides it. */
export interface Abilities {
  pause: ProcessPause;
  network: NetworkFaults;
  nodes: NodeControl;
  volumes: VolumeControl;
  scale: ScaleControl;
  dns: DnsControl;
  clock: ClockControl;
  stress: StressControl;
  cpu: CpuControl;
  tls: TlsControl;
}

export type Ability = keyof Abilities;

const MISSING: Record<Ability, (target: string, kind: string) => string> = {
  pause: (t) => `the ${t} target cannot pause processes`,
  network: (t) => `the ${t} target cannot partition the network`,
  nodes: (t) => `the ${t} target cannot drain nodes`,
  // kind / kube have the ability (a helper pod on the claim); their own limits (unpinned volumes, backups) are skip reasons of the calls.
  volumes: (t, kind) => `${kind} needs access to the pods' volumes, which the ${t} target does not provide`,
  scale: (t, kind) => `${kind} needs to add pods, which the ${t} target cannot do`,
  dns: (t, kind) =>
    `${kind} needs control of the cluster DNS server, which the ${t} target does not have${t === 'kind' || t === 'kube' ? ' with the kind-node fault backend (only with --fault-backend chaos-mesh)' : " (its pods' names are rewritten to addresses)"}`,
  clock: (t, kind) =>
    t === 'local' || t === 'docker'
      ? `${kind} needs the clock shim preloaded into the sentinels (native/clock-offset.c, built with gcc when the deployment starts), which this ${t} deployment could not build: install gcc (scripts/setup.sh)`
      : `${kind} needs to shift one container's clock (Chaos Mesh TimeChaos), which the ${t} target cannot do (only kind / kube with --fault-backend chaos-mesh)`,
  stress: (t, kind) =>
    t === 'local'
      ? `${kind} needs stress workers in a container's cgroups; the local target runs pods as host processes in the harness's own cgroup (use --target docker)`
      : `${kind} needs stress workers inside a container (Chaos Mesh StressChaos), which the ${t} target cannot start (only docker, or kind / kube with --fault-backend chaos-mesh)`,
  cpu: (t, kind) =>
    t === 'local'
      ? `${kind} needs a cgroup per pod to cap its CPU; the local target runs pods as host processes in the harness's own cgroup (use --target docker)`
      : `${kind} needs control of the pods' CPU cgroups, which the ${t} target does not have`,
  tls: (t, kind) =>
    t === 'local' || t === 'docker'
      ? `${kind} needs the secure profile's TLS certificates, which the ${t} target has only under --profile secure`
      : t === 'kind' || t === 'kube'
        ? `${kind} needs the secure profile's TLS Secret made by this run (--profile secure, no such Secret in the cluster before): on the ${t} target a Secret the run found in place is the operator's, used as it is and never changed, and the harness does not hold its CA's key`
        : `${kind} needs to write the TLS Secret and the clients' certificates, which the ${t} target cannot do`,
};

/** Why `target` lacks `a` for a fault of `kind` (the skip reason a trial gives). */
export const missingReason = (a: Ability, target: string, kind: string): string => MISSING[a](target, kind);

/** The deployment's control for `ability`; throws ABILITY_MISSING (the trial is skipped) when the target has none. */
export function ability<A extends Ability>(d: StartedDeployment, a: A, kind: string): Abilities[A] {
  const control = (d as Partial<Abilities>)[a];
  if (control === undefined) throw abilityMissing(missingReason(a, d.target, kind));
  return control as Abilities[A];
}

/** Why a fault that keeps pods or containers down for a set time cannot run on kind / kube. */
export const heldDownReason = (target: string, kind: string): string =>
  `${kind} keeps pods or containers down for a set time; on ${target} the StatefulSet and the kubelet recreate them at once, so the fault cannot be held (not built: it would need the pods kept Pending)`;

/** Faults that keep pods down for a set time: skipped with the reason on kind / kube, where the cluster brings them back at once. */
export function requireHeldDown(d: StartedDeployment, kind: string): void {
  if (d.target === 'kind' || d.target === 'kube') throw abilityMissing(heldDownReason(d.target, kind));
}
