// The seed design the static checks hold the manifests to: SEED_DESIGN and its type.
import type { DesignParameters } from '../../config/design.ts';

/**
 * The parameters the static checks hold the manifests to (src/config/design.ts). SEED_DESIGN holds the seed's
 * (../shared/seed/redis-sentinel-ha.md), the same values as designs/seed.yaml (a unit test keeps them equal);
 * `--design FILE` supplies another design's.
 */
export type SeedDesign = DesignParameters;

export const SEED_DESIGN: Readonly<SeedDesign> = Object.freeze({
  namespace: 'matrix',
  statefulSet: 'redis',
  replicas: 3,
  redisContainer: 'redis',
  sentinelContainer: 'sentinel',
  redisPort: 6379,
  sentinelPort: 26379,
  masterName: 'mymaster',
  quorum: 2,
  downAfterMs: 5000,
  failoverTimeoutMs: 10000,
  parallelSyncs: 1,
  appendonly: 'yes',
  appendfsync: 'everysec',
  save: '',
  maxmemory: '2gb',
  maxmemoryPolicy: 'allkeys-lru',
  memoryHeadroom: 0.1,
  storage: '10Gi',
  accessModes: Object.freeze(['ReadWriteOnce']),
  storageClassName: 'standard',
  dataDir: '/data',
  antiAffinityTopologyKey: 'kubernetes.io/hostname',
  headlessService: 'redis-headless',
  clientService: 'redis',
  pdbMinAvailable: 2,
  passwordEnv: 'REDIS_PASSWORD',
  roleLabel: 'redis.io/role',
  masterRole: 'master',
  replicaRole: 'replica',
  labellerContainer: 'role-labeller',
  sentinelService: 'redis-sentinel',
});
