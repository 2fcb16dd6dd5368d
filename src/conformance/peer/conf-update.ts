// Peer unit for upstream 01-conf-update.tcl: failover with sentinels crashed, and a restarted sentinel learning the new master.
import { addr, type Pod } from '../../targets/target.ts';
import { quietMs, roleCheck, waitNewMaster, watchNoFailover } from './unit-helpers.ts';
import type { UnitSpec } from './unit-run.ts';
import { errText, until } from './until.ts';

// 00-base's "no failover without majority" runs here: it leaves the master down with two sentinels
// crashed, and restarting one of them is exactly 01-conf-update's "failover with Sentinel 1 crashed".
export const confUpdate: UnitSpec = {
  id: 'conf-update',
  file: '01-conf-update.tcl',
  checks: {
    'base.no-failover-without-majority': ['00-base.tcl', 'Failover is not possible without majority agreement'],
    'conf-update.failover-with-sentinel-crashed': 'We can failover with Sentinel 1 crashed',
    'conf-update.restarted-sentinel-updated': 'After Sentinel 1 is restarted, its config gets updated',
    'conf-update.new-master-role': 'New master [join $addr {:}] role matches',
  },
  async body(u) {
    const old = u.topology.master;
    const crashed = u.topology.replicas[0]!;
    const alive = u.topology.replicas[1]!;
    let nm: Pod | undefined;
    u.onRestore(`start ${old.name}/redis`, async () => {
      if (
        !(await u.p
          .redis(old, (c) => c.ping())
          .then(
            () => true,
            () => false,
          ))
      )
        await u.d.podControl.startContainer(old.name, 'redis');
    });
    for (const s of [crashed, old]) {
      u.onRestore(`start ${s.name}/sentinel`, async () => {
        if (
          !(await u.p
            .sentinel(s, (c) => c.ping())
            .then(
              () => true,
              () => false,
            ))
        )
          await u.d.podControl.startContainer(s.name, 'sentinel');
      });
    }
    await u.check('base.no-failover-without-majority', async () => {
      await u.d.podControl.killContainer(crashed.name, 'sentinel');
      await u.d.podControl.killContainer(old.name, 'sentinel');
      await u.d.podControl.killContainer(old.name, 'redis');
      const w = await watchNoFailover(u, [alive], old);
      return {
        valid: w.moved.length === 0 && w.sdown.has(alive.name),
        expected: `with ${crashed.name}/sentinel and ${old.name}/sentinel crashed and ${old.name}/redis killed, ${alive.name}/sentinel flags the master s_down but names no other master for ${quietMs(u)} ms`,
        observed: `s_down ${w.sdown.has(alive.name) ? 'seen' : 'not seen'}; other master named: ${w.moved.length ? [...new Set(w.moved)].join(', ') : 'never'}; last: ${w.last}`,
        explanation: 'One sentinel of three is no majority: it must not promote a replica on its own, whatever it sees.',
      };
    });
    await u.check('conf-update.failover-with-sentinel-crashed', async () => {
      await u.d.podControl.startContainer(old.name, 'sentinel');
      const r = await waitNewMaster(u, [old, alive], old);
      nm = r.master;
      return {
        valid: r.master !== undefined,
        expected: `with ${crashed.name}/sentinel still crashed, the other two sentinels fail ${old.name} (redis down) over`,
        observed: `${r.observed} after ${r.ms} ms (from ${old.name}/sentinel's restart)`,
        explanation: 'Quorum 2 of 3: the deployment must survive one sentinel down and still fail over.',
        figures: { failover_ms: r.ms },
      };
    });
    await u.check('conf-update.restarted-sentinel-updated', async () => {
      await u.d.podControl.startContainer(crashed.name, 'sentinel');
      const r = await until(async () => ((await u.p.masterAddr(crashed)) === addr(nm!.redis) ? true : undefined), u.failoverWaitMs, 100);
      return {
        valid: r.value === true,
        expected: `${crashed.name}/sentinel, restarted, names ${nm!.name} (${addr(nm!.redis)}) as master`,
        observed: `${await u.p.masterAddr(crashed).catch(errText)} after ${r.ms} ms`,
        explanation:
          "A sentinel that was down during a failover must learn the new master (from its peers' hellos, and here also from the start-up script asking them), or it sends clients to the old one.",
        figures: { update_ms: r.ms },
      };
    });
    await u.check('conf-update.new-master-role', () => roleCheck(u, nm!));
  },
};
