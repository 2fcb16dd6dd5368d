// The optional target abilities a fault may need, and the one way to say a target lacks one.
import { abilityMissing } from '../errors.ts';
import type { CpuControl, DnsControl, NetworkFaults, NodeControl, ProcessPause, ScaleControl, StartedDeployment, VolumeControl } from '../targets/target.ts';

/** Each optional ability, by the name of the deployment member that provides it. */
export interface Abilities {
  pause: ProcessPause;
  network: NetworkFaults;
  nodes: NodeControl;
  volumes: VolumeControl;
  scale: ScaleControl;
  dns: DnsControl;
  cpu: CpuControl;
}

export type Ability = keyof Abilities;

const MISSING: Record<Ability, (target: string, kind: string) => string> = {
  pause: (t) => `the ${t} target cannot pause processes`,
  network: (t) => `the ${t} target cannot partition the network`,
  nodes: (t) => `the ${t} target cannot drain nodes`,
  volumes: (t, kind) => `${kind} needs access to the pods' volumes, which the ${t} target does not provide`,
  scale: (t, kind) => `${kind} needs to add pods, which the ${t} target cannot do`,
  dns: (t, kind) => `${kind} needs control of the cluster DNS server, which the ${t} target does not have (its pods' names are rewritten to addresses)`,
  cpu: (t, kind) =>
    t === 'local'
      ? `${kind} needs a cgroup per pod to cap its CPU; the local target runs pods as host processes in the harness's own cgroup (use --target docker)`
      : `${kind} needs control of the pods' CPU cgroups, which the ${t} target does not have`,
};

/** The deployment's control for `ability`; throws ABILITY_MISSING (the trial is skipped) when the target has none. */
export function ability<A extends Ability>(d: StartedDeployment, a: A, kind: string): Abilities[A] {
  const control = (d as Partial<Abilities>)[a];
  if (control === undefined) throw abilityMissing(MISSING[a](d.target, kind));
  return control as Abilities[A];
}
