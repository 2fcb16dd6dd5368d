import { describe, expect, it } from 'vitest';
import { localScale } from '../../../src/targets/local/scale.ts';
import type { Pod } from '../../../src/targets/target.ts';

const pod = (i: number): Pod => ({
  name: `redis-${i}`,
  ordinal: i,
  node: `node-${i}`,
  redis: { host: `127.0.9.${i + 1}`, port: 6379 },
  sentinel: { host: `127.0.9.${i + 1}`, port: 26379 },
});

function fake() {
  const pods = [pod(0), pod(1), pod(2)];
  const log: string[] = [];
  const scale = localScale({
    pods,
    newPod: pod,
    prepare: async (p) => void log.push(`prepare ${p.name}`),
    start: async (n) => void log.push(`start ${n}`),
    stop: async (n) => void log.push(`stop ${n}`),
    forget: async (p) => void log.push(`forget ${p.name}`),
  });
  return { pods, log, scale };
}

describe('localScale', () => {
  it('adds the next ordinals, prepared before any starts, and lists them in pods', async () => {
    const { pods, log, scale } = fake();
    const added = await scale.scaleUp(5);
    expect(added.map((p) => p.name)).toEqual(['redis-3', 'redis-4']);
    expect(pods.map((p) => p.redis.host)).toEqual(['127.0.9.1', '127.0.9.2', '127.0.9.3', '127.0.9.4', '127.0.9.5']);
    expect(log).toEqual(['prepare redis-3', 'prepare redis-4', 'start redis-3', 'start redis-4']);
  });

  it('removes the highest ordinals first, each stopped before its volume is forgotten', async () => {
    const { pods, log, scale } = fake();
    await scale.scaleUp(5);
    log.length = 0;
    await scale.scaleDown(3);
    expect(pods.map((p) => p.name)).toEqual(['redis-0', 'redis-1', 'redis-2']);
    expect(log).toEqual(['stop redis-4', 'forget redis-4', 'stop redis-3', 'forget redis-3']);
  });

  it('refuses to scale up to fewer pods or down to none', async () => {
    const { scale } = fake();
    await expect(scale.scaleUp(2)).rejects.toThrow(/cannot scale up from 3 to 2/);
    await expect(scale.scaleDown(0)).rejects.toThrow(/cannot scale down to 0/);
  });
});
