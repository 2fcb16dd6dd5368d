// Peer unit for upstream 02-slaves-reconf.tcl: replicas reconfigured to the new master after a failover.
import type { Pod } from '../../targets/target.ts';
import { followCheck, waitNewMaster } from './unit-helpers.ts';
import type { UnitSpec } from './unit-run.ts';
import { until } from './until.ts';

export const slavesReconf: UnitSpec = {
  id: 'slaves-reconf',
  file: '02-slaves-reconf.tcl',
  checks: {
    'slaves-reconf.replicas-replicate': 'Check that slaves replicate from current master',
    'slaves-reconf.failover-with-replica-down': 'Crash the master and force a failover',
    'slaves-reconf.failover-ends': 'Wait for failover to end',
    'slaves-reconf.restarted-replica-reconfigured': 'Restart killed slave and test replication of slaves again...',
  },
  async body(u) {
    const old = u.topology.master;
    const [killed, survivor] = u.topology.replicas as [Pod, Pod];
    await u.check('slaves-reconf.replicas-replicate', () =>
      followCheck(u, u.topology.replicas, old, 'Every replica replicates from the master the sentinels name.'),
    );
    for (const p of [killed, old]) {
      u.onRestore(`start ${p.name}/redis`, async () => {
        if (
          !(await u.p
            .redis(p, (c) => c.ping())
            .then(
              () => true,
              () => false,
            ))
        )
          await u.d.podControl.startContainer(p.name, 'redis');
      });
    }
    await u.check('slaves-reconf.failover-with-replica-down', async () => {
      await u.d.podControl.killContainer(killed.name, 'redis');
      await u.d.podControl.killContainer(old.name, 'redis');
      const r = await waitNewMaster(u, u.d.pods, old);
      return {
        valid: r.master === survivor,
        expected: `with ${killed.name}/redis down, the sentinels fail ${old.name} over to ${survivor.name}, the only replica left`,
        observed: `${r.observed} after ${r.ms} ms`,
        explanation: 'A failover must succeed with a replica down.',
        figures: { failover_ms: r.ms },
      };
    });
    await u.check('slaves-reconf.failover-ends', async () => {
      let states: string[] = [];
      const r = await until(
        async () => {
          const ms = await Promise.all(u.d.pods.map((s) => u.p.masterState(s)));
          states = ms.map((x, i) => `${u.d.pods[i]!.name}: ${x['failover-state'] ?? 'none'}`);
          return ms.every((x) => x['failover-state'] === undefined && !/failover_in_progress/.test(x.flags ?? '')) ? true : undefined;
        },
        u.d.model.failoverTimeoutMs * 2 + u.d.downAfterMs * 2 + 10_000,
        200,
      );
      return {
        valid: r.value === true,
        expected: "no sentinel in a failover state (the unreachable replica's reconfiguration given up after failover-timeout)",
        observed: `${states.join('; ')} after ${r.ms} ms`,
        explanation: 'A failover with a replica down must end (by failover-timeout at the latest) rather than hang.',
        figures: { end_ms: r.ms },
      };
    });
    await u.check('slaves-reconf.restarted-replica-reconfigured', async () => {
      await u.d.podControl.startContainer(killed.name, 'redis');
      await u.d.podControl.startContainer(old.name, 'redis');
      return followCheck(
        u,
        [killed, old],
        survivor,
        'A replica that was down during the failover must replicate from the new master once it returns, even though the failover has ended.',
      );
    });
  },
};
