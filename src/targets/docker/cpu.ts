// The docker target's CPU ability: a pod's containers capped through their cgroups' CFS quota (docker update), proven from inside.
import { HarnessError } from '../../errors.ts';
import { podByName, type LocalPod } from '../local/pods.ts';
import type { CpuControl, CpuThrottle } from '../target.ts';
import { CPU_PERIOD_US } from './docker-runtime.ts';

/** Docker's smallest CPU share is 0.01 CPU (a 1 ms quota per 100 ms period). */
export const MIN_CPUS = 0.01;

export function dockerCpu(pods: readonly LocalPod[]): CpuControl {
  return {
    async throttle(name, cpus): Promise<CpuThrottle> {
      if (!(cpus >= MIN_CPUS && cpus <= 64)) throw new HarnessError('USAGE', `cpus must be between ${MIN_CPUS} and 64, got ${cpus}`);
      const pod = podByName(pods, name);
      const quota = Math.round(cpus * CPU_PERIOD_US);
      // The containers running now; one started later (a restart) comes up unthrottled, as a recreated pod would.
      const containers = Object.entries(pod.containers)
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([c, v]) => (v?.running.setCpuQuota ? [{ c, running: v.running }] : []));
      if (containers.length === 0) throw new HarnessError('PROCESS_FAILED', `${name} has no running container to throttle`);
      const set = async (q: number | null) =>
        (await Promise.all(containers.filter((x) => x.running.isRunning()).map(async (x) => `${x.c}=${await x.running.setCpuQuota!(q)}`))).join(' ');
      let shown: string;
      try {
        shown = await set(quota);
      } catch (e) {
        await set(null).catch(() => undefined);
        throw e;
      }
      let restored = false;
      return {
        description: `${name}: cpu.cfs_quota_us ${shown} (period ${CPU_PERIOD_US} µs: ${cpus} CPU)`,
        async restore() {
          if (restored) return;
          restored = true;
          await set(null);
        },
      };
    },
  };
}
