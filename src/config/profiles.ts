// Deployment profiles: the seed's settings as they are, and a hardened variant that bounds the writes an
// isolated or returning old master can acknowledge (and the failover then discards).
import { HarnessError } from '../errors.ts';
import { deploymentOf, loadDeployment, manifestObjectsOf, type DeploymentModel } from './manifests.ts';
import { setDirective } from './redis-conf.ts';
import { readManifestFiles, type ManifestFile, type RedisOverlay } from './scale.ts';
import { secureDir, secureManifestFiles, secureRedisDirectives } from './secure.ts';

export const PROFILE_NAMES = ['seed', 'hardened', 'secure'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  name: ProfileName;
  description: string;
  overlay: RedisOverlay;
}

/**
 * min-replicas-to-write 1: a master acknowledges a write only while at least one replica has
 * acknowledged its replication stream within min-replicas-max-lag seconds (replicas ACK once a second).
 * With two replicas it refuses writes (NOREPLICAS) only when both are gone or lagging: a master cut off
 * from both, or frozen and returning to replicas that have moved on.
 *
 * Lag 4 s: it bounds the isolated master's acknowledging to ~4-5 s after it loses its replicas, which is
 * less than down-after (5 s), so it stops before Sentinel even declares it down; a larger lag (Redis's
 * example uses 10) only lengthens the window of writes that are lost. Smaller is not safer: the lag is
 * counted in whole seconds from ACKs sent once a second, so 1-2 s would refuse writes whenever both
 * replicas stall briefly (an fsync, a fork, a slow network). Tune with --set redis.min-replicas-max-lag=N.
 */
export const HARDENED_OVERLAY: RedisOverlay = Object.freeze({
  redis: Object.freeze({ 'min-replicas-to-write': '1', 'min-replicas-max-lag': '4' }),
}) as RedisOverlay;

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  seed: { name: 'seed', description: "the seed's settings (no min-replicas-to-write)", overlay: { redis: {} } },
  hardened: {
    name: 'hardened',
    description: 'min-replicas-to-write 1, min-replicas-max-lag 4: a master without a replica in sync stops acknowledging writes',
    overlay: HARDENED_OVERLAY,
  },
  secure: {
    name: 'secure',
    description:
      'TLS only (clients, replication, Sentinel; client certificates required), an ACL user per application and role with the default user off, a NetworkPolicy',
    overlay: { redis: {} },
  },
});

/** The settings a report lists for a profile: the redis.conf overlay, or the secure profile's TLS and ACL directives (no rules, no passwords). */
export function profileSettings(profile: ProfileName): Record<string, string> {
  if (profile !== 'secure') return { ...PROFILES[profile].overlay.redis };
  const users = secureRedisDirectives(6379).filter(([k]) => k[0] === 'user');
  const rest = secureRedisDirectives(6379).filter(([k]) => k[0] !== 'user');
  return { ...Object.fromEntries(rest.map(([k, v]) => [k.join(' '), v])), 'ACL users': users.map(([k]) => k[1]).join(' ') };
}

/** `--profile seed|hardened|secure|both|seed,secure` → the profiles to run, in order (both: seed and hardened). */
export function parseProfiles(v: string): ProfileName[] {
  if (v === 'both') return ['seed', 'hardened'];
  const names = v.split(',');
  if (names.every((n) => (PROFILE_NAMES as readonly string[]).includes(n)) && new Set(names).size === names.length) return names as ProfileName[];
  throw new HarnessError('USAGE', `--profile must be seed, hardened, secure, both, or a comma-separated list of them, got "${v}"`);
}

/** The profile's manifest files: the secure profile adds its own objects and patches; the others set redis.conf directives. */
export async function renderProfileFiles(dir: string, files: readonly ManifestFile[], profile: ProfileName): Promise<ManifestFile[]> {
  if (profile !== 'secure') return [...files];
  let extra: ManifestFile[];
  try {
    extra = await readManifestFiles(secureDir(dir));
  } catch {
    throw new HarnessError(
      'MANIFEST_INVALID',
      `${secureDir(dir)}: the secure profile's objects (TLS and ACL Secrets, NetworkPolicy) are missing: copy manifests/secure/ there`,
    );
  }
  const base = deploymentOf(manifestObjectsOf(files, dir), dir);
  return secureManifestFiles(files, extra, { redis: base.redisPort, sentinel: base.sentinelPort });
}

/** The deployment model of `dir` under `profile`. */
export async function loadProfiledDeployment(dir: string, profile: ProfileName | undefined): Promise<DeploymentModel> {
  if (profile !== 'secure') return applyProfile(await loadDeployment(dir), profile);
  const files = await renderProfileFiles(dir, await readManifestFiles(dir), profile);
  return deploymentOf(manifestObjectsOf(files, dir), dir);
}

/** The model with the profile's redis.conf directives applied (the ConfigMap text the pods mount). */
export function applyProfile(model: DeploymentModel, profile: ProfileName | undefined): DeploymentModel {
  const overlay = profile ? PROFILES[profile].overlay : undefined;
  if (!overlay || Object.keys(overlay.redis).length === 0) return model;
  let text = model.redisConf.text;
  for (const [k, v] of Object.entries(overlay.redis)) text = setDirective(text, [k], v);
  const { configMap, key } = model.redisConf;
  return {
    ...model,
    redisConf: { ...model.redisConf, text },
    configMaps: { ...model.configMaps, [configMap]: { ...model.configMaps[configMap], [key]: text } },
  };
}
