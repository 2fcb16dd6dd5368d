// The target interface: narrow parts (pods, endpoints) that the runner uses without knowing the target.
import type { DeploymentModel } from '../config/manifests.ts';

export interface Endpoint {
  host: string;
  port: number;
}

export const addr = (e: Endpoint): string => `${e.host}:${e.port}`;

export interface Pod {
  name: string;
  ordinal: number;
  /** Virtual or real node the pod is scheduled on. */
  node: string;
  redis: Endpoint;
  sentinel: Endpoint;
}

/** Pod lifecycle as a StatefulSet controller would drive it. */
export interface PodControl {
  /** SIGKILL every container of the pod; resolves once they are gone. */
  kill(pod: string): Promise<void>;
  /** Start the pod again with the same name and volume; resolves once its processes run. */
  start(pod: string): Promise<void>;
  isRunning(pod: string): boolean;
}

/** A deployment that is up; dispose of it (or call down()) to remove it. */
export interface StartedDeployment extends AsyncDisposable {
  readonly target: string;
  readonly model: DeploymentModel;
  readonly pods: readonly Pod[];
  /** Held in memory only; never print it. */
  readonly password: string;
  readonly podControl: PodControl;
  /** `redis-server --version` of what runs. */
  readonly redisVersion: string;
  /** Facts about the target for the report (never secrets). */
  describe(): Record<string, string>;
  down(): Promise<void>;
}
