// Deployment profiles: the seed's settings as they are, and a hardened variant that bounds the writes an
// isolated or returning old master can acknowledge (and the failover then discards).
import { HarnessError } from '../errors.ts';
import type { DeploymentModel } from './manifests.ts';
import { setDirective } from './redis-conf.ts';
import type { RedisOverlay } from './scale.ts';

export const PROFILE_NAMES = ['seed', 'hardened'] as const;
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
});

/** `--profile seed|hardened|both` → the profiles to run, in order. */
export function parseProfiles(v: string): ProfileName[] {
  if (v === 'both') return ['seed', 'hardened'];
  if ((PROFILE_NAMES as readonly string[]).includes(v)) return [v as ProfileName];
  throw new HarnessError('USAGE', `--profile must be seed, hardened or both, got "${v}"`);
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
