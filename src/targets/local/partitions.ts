// The local network ability: partitions between pods as nftables tables, recorded in the state file until healed.
import type { NetworkFaults, Partition, PartitionSpec } from '../target.ts';
import { deleteTable, installPartition, nftUnavailableReason } from './network.ts';
import { podByName, podIp, type LocalPod } from './pods.ts';
import { writeState, type LocalState } from './state.ts';

export function localNetwork(opts: {
  runId: string;
  state: LocalState;
  pods: readonly LocalPod[];
  redisPort: number;
  majorityClientAddress: string;
}): NetworkFaults {
  const { state, pods, majorityClientAddress } = opts;
  let partitions = 0;
  const forget = async (table: string) => {
    state.nftTables = state.nftTables.filter((t) => t !== table);
    await writeState(state);
  };
  const install = async (spec: PartitionSpec, lossPercent?: number): Promise<Partition> => {
    const isolated = podByName(pods, spec.isolate);
    const table = `sentinel_chaos_${opts.runId.replace(/[^A-Za-z0-9]/g, '_')}_${++partitions}`;
    state.nftTables.push(table);
    await writeState(state);
    const toAddrs = (p: LocalPod) => ({ name: p.name, pod: podIp(p), sentinelSource: p.sentinelSource });
    const { ruleset, inEffectAt } = await installPartition({
      table,
      isolated: toAddrs(isolated),
      others: pods.filter((p) => p !== isolated).map(toAddrs),
      majorityClients: [majorityClientAddress],
      cut: spec.cut,
      redisPort: opts.redisPort,
      ...(lossPercent === undefined ? {} : { lossPercent }),
    }).catch(async (e) => {
      await forget(table);
      throw e;
    });
    let healed = false;
    return {
      description: ruleset
        .split('\n')
        .filter((l) => l.includes('drop'))
        .map((l) => l.trim())
        .join('; '),
      inEffectAt,
      async heal() {
        if (healed) return;
        healed = true;
        await deleteTable(table);
        await forget(table);
      },
    };
  };
  return {
    majorityClientAddress,
    unavailableReason: nftUnavailableReason,
    partition: (spec) => install(spec),
    lossy: async (spec) => {
      const p = await install(spec, spec.percent);
      return { ...p, description: `${p.description} (a probe was lost, drops counted)` };
    },
  };
}
