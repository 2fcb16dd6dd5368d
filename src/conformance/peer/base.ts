// Peer units for upstream 00-base.tcl: failover when the master is down, and no failover without the agreement quorum.
import type { Pod } from '../../targets/target.ts';
import { KILL_MASTER } from './master-faults.ts';
import { followCheck, others, quietMs, roleCheck, waitNewMaster, watchNoFailover } from './unit-helpers.ts';
import type { UnitSpec } from './unit-run.ts';

export const base: UnitSpec = {
  id: 'base',
  file: '00-base.tcl',
  checks: {
    'base.failover-master-down': 'Basic failover works if the master is down',
    'base.new-master-role': 'New master [join $addr {:}] role matches',
    'base.replicas-follow-new-master': 'All the other slaves now point to the new master',
    'base.old-master-rejoins-as-replica': 'The old master eventually gets reconfigured as a slave',
  },
  async body(u) {
    const old = u.topology.master;
    let nm: Pod | undefined;
    let restart = async () => {};
    await u.check('base.failover-master-down', async () => {
      restart = (await u.inject(KILL_MASTER, { restart: true })).heal;
      const r = await waitNewMaster(u, others(u.d.pods, old), old);
      nm = r.master;
      return {
        valid: r.master !== undefined,
        expected: `the surviving sentinels name a new master instead of ${old.name} (pod killed)`,
        observed: `${r.observed} after ${r.ms} ms`,
        explanation: "The seed's promise: automatic failover when the master pod dies.",
        figures: { failover_ms: r.ms },
      };
    });
    await u.check('base.new-master-role', () => roleCheck(u, nm!));
    await u.check('base.replicas-follow-new-master', () =>
      followCheck(u, others(u.d.pods, nm!, old), nm!, 'Sentinel reconfigures the remaining replica to the new master.'),
    );
    await u.check('base.old-master-rejoins-as-replica', async () => {
      await restart();
      return followCheck(u, [old], nm!, 'The restarted old master must rejoin as a replica of the new master, never as a second master.');
    });
  },
};

export const agreementQuorum: UnitSpec = {
  id: 'agreement-quorum',
  file: '00-base.tcl',
  checks: {
    'base.no-odown-without-quorum': 'ODOWN is not possible without N (quorum) Sentinels reports',
    'base.failover-absolute-agreement': 'Failover works if we configure for absolute agreement',
  },
  async body(u) {
    const pods = u.d.pods;
    const m = u.p.masterName;
    const old = u.topology.master;
    const quorums = await Promise.all(pods.map(async (s) => Number((await u.p.masterState(s)).quorum)));
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
    u.onRestore('the quorum on every sentinel', () => Promise.all(pods.map((s, i) => u.p.sentinelCmd(s, 'set', m, 'quorum', quorums[i]!))));
    await u.check('base.no-odown-without-quorum', async () => {
      await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'quorum', pods.length + 1)));
      await u.d.podControl.killContainer(old.name, 'redis');
      const w = await watchNoFailover(u, pods, old);
      return {
        valid: w.moved.length === 0 && w.odown.length === 0 && w.sdown.size === pods.length,
        expected: `with quorum ${pods.length + 1} of ${pods.length} sentinels and ${old.name}/redis killed: every sentinel flags it s_down, none o_down, none names another master for ${quietMs(u)} ms`,
        observed: `s_down on ${[...w.sdown].join(', ') || 'none'}; o_down on ${[...new Set(w.odown)].join(', ') || 'none'}; other master named: ${w.moved.length ? [...new Set(w.moved)].join(', ') : 'never'}; last: ${w.last}`,
        explanation: 'ODOWN (and so a failover) needs quorum sentinels to agree the master is down; fewer must never fail it over.',
      };
    });
    await u.check('base.failover-absolute-agreement', async () => {
      await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'quorum', pods.length)));
      const r = await waitNewMaster(u, pods, old);
      return {
        valid: r.master !== undefined,
        expected: `with quorum ${pods.length} (every sentinel must agree), the master still down: the sentinels fail it over`,
        observed: `${r.observed} after ${r.ms} ms`,
        explanation: 'Absolute agreement is allowed: with every sentinel up, a quorum equal to their number still fails over.',
        figures: { failover_ms: r.ms },
      };
    });
  },
};
