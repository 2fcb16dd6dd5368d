// The deployment object of the kubelet emulation, shared by the local and docker targets: the pods, the
// Secret's password and the abilities over the pods; each target adds what differs (version, facts, DNS).
import { randomBytes } from 'node:crypto';
import type { DeploymentModel } from '../../config/manifests.ts';
import type { ConfigOverrides } from '../../model/overrides.ts';
import { registerSecret } from '../../process/redact.ts';
import { shimClockControl, type ClockShimBuild } from '../clock-shim.ts';
import type { PodControl, PodEventSource, StartedDeployment } from '../target.ts';
import { writeSecret, type HostVolumes } from './mounts.ts';
import { localNodes } from './nodes.ts';
import { localNetwork } from './partitions.ts';
import { localPause } from './pause.ts';
import { podByName, type LocalPod } from './pods.ts';
import { localPodScale } from './scale.ts';
import type { LocalServices } from './services.ts';
import type { LocalState } from './state.ts';
import { localVolumes } from './volumes.ts';

/** The Secret's password (the manifest's, or a random one) and every one it has had, registered for redaction. */
export interface PodSecret {
  password: string;
  readonly passwords: string[];
}

export function podSecret(model: DeploymentModel): PodSecret {
  const password = model.password.value ?? randomBytes(24).toString('base64url');
  registerSecret(password);
  return { password, passwords: [password] };
}

/** Pod events the kubelet emulation raises itself (a container's termination and restart), for whoever subscribes (the trial's timeline). */
export class PodEventHub implements PodEventSource {
  private readonly subscribers = new Set<(e: { type: string; detail: string }) => void>();

  subscribe(fn: (e: { type: string; detail: string }) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  emit(e: { type: string; detail: string }): void {
    for (const fn of this.subscribers) fn(e);
  }
}

/** The API server's accepted label changes (the role labeller's patches) as `labelled` pod events on the trials' timelines: where the Service moved. */
export function emitLabelChanges(services: Pick<LocalServices, 'onLabelChange'>, events: PodEventHub): () => void {
  return services.onLabelChange((pod, changed) =>
    events.emit({
      type: 'labelled',
      detail: `${pod} ${Object.entries(changed)
        .map(([k, v]) => `${k}=${v ?? '(removed)'}`)
        .join(' ')}`,
    }),
  );
}

export interface KubeletDeploymentParts {
  target: string;
  model: DeploymentModel;
  runId: string;
  pods: LocalPod[];
  /** A pod of this ordinal as the StatefulSet would add it (scale-out). */
  newPod: (ordinal: number) => LocalPod;
  state: LocalState;
  vols: HostVolumes;
  secret: PodSecret;
  overrides?: ConfigOverrides;
  podControl: PodControl;
  services: LocalServices | null;
  /** The address the partition's majority-side client connects from. */
  majorityClientAddress: string;
  /** What a pod added by scale-out needs before its containers start, beyond its volume (the secure profile: its certificate). */
  preparePod?: (p: LocalPod) => Promise<void>;
  /** The clock shim the sentinels start with (the clock ability), or why there is none. */
  clockShim: ClockShimBuild;
  /** Removes everything of the deployment; `down` runs it once. */
  teardown: () => Promise<void>;
}

/** What differs between the targets: the running version, the report's facts, optional abilities of their own. */
export interface TargetSpecifics {
  redisVersion: () => string;
  describe: () => Record<string, string>;
  extra?: Pick<StartedDeployment, 'dns' | 'cpu' | 'stress' | 'nodeIdentity' | 'podEvents' | 'credentials' | 'tls'>;
}

/** The StartedDeployment over the kubelet emulation's pods. */
export function kubeletDeployment(p: KubeletDeploymentParts, t: TargetSpecifics): StartedDeployment {
  const { model, pods, secret, vols, podControl, services } = p;
  let downed = false;
  const down = async () => {
    if (downed) return;
    downed = true;
    await p.teardown();
  };
  return {
    target: p.target,
    model,
    pods,
    get password() {
      return secret.password;
    },
    passwords: secret.passwords,
    async setPassword(next: string) {
      secret.password = next;
      registerSecret(next);
      if (!secret.passwords.includes(next)) secret.passwords.push(next);
      await writeSecret(model, vols, next);
    },
    downAfterMs: Number(p.overrides?.sentinel?.['down-after-milliseconds'] ?? model.downAfterMs),
    podControl,
    pause: localPause(pods),
    network: localNetwork({ runId: p.runId, state: p.state, pods, redisPort: model.redisPort, majorityClientAddress: p.majorityClientAddress }),
    nodes: localNodes(model, pods, podControl),
    ...(services ? { services } : {}),
    volumes: localVolumes({ dataDirOf: (name) => podByName(pods, name).dataDir, isRunning: podControl.isRunning }),
    scale: localPodScale({ pods, newPod: p.newPod, state: p.state, podControl, ...(p.preparePod ? { preparePod: p.preparePod } : {}) }),
    ...(p.clockShim.dir ? { clock: shimClockControl({ dir: p.clockShim.dir, pods: () => pods, isRunning: podControl.isRunning }) } : {}),
    ...t.extra,
    get redisVersion() {
      return t.redisVersion();
    },
    describe: () => ({ ...t.describe(), clock_shim: p.clockShim.dir ?? p.clockShim.reason }),
    down,
    [Symbol.asyncDispose]: down,
  };
}
