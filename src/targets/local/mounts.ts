// The kubelet's volumes on the host: ConfigMaps and the Secret rendered to files, the pods' data dirs, each container's mounts.
import { mkdir, writeFile } from 'node:fs/promises';
import { writePrivateFile } from './private-file.ts';
import path from 'node:path';
import type { DeploymentModel } from '../../config/manifests.ts';
import { setDirective } from '../../config/redis-conf.ts';
import type { MountSpec } from '../runtime/runtime.ts';
import type { LocalPod } from './pods.ts';

/** Where the manifest mounts the scripts ConfigMap, the config files and the data volume (the scripts' defaults). */
export const SCRIPTS_MOUNT = '/scripts';
export const CONFIG_MOUNT = '/etc/redis';
export const DATA_MOUNT = '/data';

/** The host directories of a run's volumes. */
export interface HostVolumes {
  runDir: string;
  configDir: string;
  scriptsDir: string;
  /** The current password, for the `describe()` of the run (mode 0600). */
  passwordFile: string;
  /** Secret volumes as files the kubelet keeps current: <runDir>/secrets/<secret>/<key>. */
  secretDir(secret: string): string;
}

export function hostVolumes(runDir: string): HostVolumes {
  return {
    runDir,
    configDir: path.join(runDir, 'config'),
    scriptsDir: path.join(runDir, 'scripts'),
    passwordFile: path.join(runDir, 'password'),
    secretDir: (secret) => path.join(runDir, 'secrets', secret),
  };
}

/** The ConfigMaps as mounted files, with pod DNS names mapped to local addresses and explicit overrides applied. */
export async function renderConfigMaps(
  model: DeploymentModel,
  vols: HostVolumes,
  hostMap: (s: string) => string,
  overrides: { sentinel?: Record<string, string>; redis?: Record<string, string> } = {},
): Promise<void> {
  await mkdir(vols.configDir, { recursive: true });
  await mkdir(vols.scriptsDir, { recursive: true });
  let sentinelText = hostMap(model.sentinelConf.text);
  for (const [k, v] of Object.entries(overrides.sentinel ?? {})) sentinelText = setDirective(sentinelText, ['sentinel', k, model.masterName], v);
  let redisText = model.redisConf.text;
  for (const [k, v] of Object.entries(overrides.redis ?? {})) redisText = setDirective(redisText, [k], v);
  await writeFile(path.join(vols.configDir, model.sentinelConf.key), sentinelText);
  await writeFile(path.join(vols.configDir, model.redisConf.key), redisText);
  for (const [name, text] of Object.entries(model.scripts.files)) await writeFile(path.join(vols.scriptsDir, name), text, { mode: 0o755 });
}

/** The Secret's current value as files: the run's password file and every Secret volume. */
export async function writeSecret(model: DeploymentModel, vols: HostVolumes, password: string): Promise<void> {
  await writePrivateFile(vols.passwordFile, password);
  for (const m of model.secretMounts) {
    await mkdir(vols.secretDir(m.secret), { recursive: true, mode: 0o700 });
    if (m.secret === model.password.secret) await writePrivateFile(path.join(vols.secretDir(m.secret), model.password.key), password);
  }
}

/** A pod's mounts: its data volume, the config files, the scripts and the Secret volumes. */
export function podMounts(model: DeploymentModel, vols: HostVolumes, pod: LocalPod): MountSpec[] {
  return [
    { hostPath: pod.dataDir, containerPath: DATA_MOUNT, readOnly: false },
    { hostPath: vols.configDir, containerPath: CONFIG_MOUNT, readOnly: true },
    { hostPath: vols.scriptsDir, containerPath: SCRIPTS_MOUNT, readOnly: true },
    ...model.secretMounts.map((m) => ({ hostPath: vols.secretDir(m.secret), containerPath: m.mountPath, readOnly: true })),
  ];
}

/** The path a container sees for `p` (a path under one of its mounts), or null when no mount holds it. */
export function pathThroughMounts(p: string, mounts: readonly MountSpec[], inContainer: (m: MountSpec) => string): string | null {
  const m = mounts.find((x) => p === x.containerPath || p.startsWith(`${x.containerPath}/`));
  return m ? inContainer(m) + p.slice(m.containerPath.length) : null;
}
