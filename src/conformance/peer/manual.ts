// Peer unit for upstream 05-manual.tcl: SENTINEL FAILOVER, and INPROG to a second one.
import type { Pod } from '../../targets/target.ts';
import { followCheck, others, roleCheck, waitNewMaster } from './unit-helpers.ts';
import type { UnitSpec } from './unit-run.ts';
import { errText, until } from './until.ts';

export const manual: UnitSpec = {
  id: 'manual',
  file: '05-manual.tcl',
  checks: {
    'manual.failover': 'Manual failover works',
    'manual.second-call-inprog': 'Manual failover works',
    'manual.new-master-role': 'New master [join $addr {:}] role matches',
    'manual.replicas-follow-new-master': 'All the other slaves now point to the new master',
    'manual.old-master-reconfigured': 'The old master eventually gets reconfigured as a slave',
  },
  async body(u) {
    const old = u.topology.master;
    const s0 = u.d.pods[0]!;
    let second = '';
    let newMaster: Pod | undefined;
    await u.check('manual.failover', async () => {
      const first = await until(
        async () => {
          const r = await u.p.sentinelCmd(s0, 'failover', u.p.masterName).then(String, errText);
          if (r === 'OK') {
            second = await u.p.sentinelCmd(s0, 'failover', u.p.masterName).then(String, errText);
            return r;
          }
          if (!r.includes('NOGOODSLAVE')) return `refused: ${r}`;
          return undefined;
        },
        15_000,
        200,
      );
      if (first.value !== 'OK') {
        return {
          valid: false,
          expected: 'OK to SENTINEL FAILOVER',
          observed: first.value ?? `NOGOODSLAVE for ${first.ms} ms`,
          explanation: 'A requested failover must be accepted when replicas are healthy.',
        };
      }
      const r = await waitNewMaster(u, u.d.pods, old);
      newMaster = r.master;
      return {
        valid: r.master !== undefined,
        expected: `OK, then every sentinel names a new master instead of ${old.name}`,
        observed: `OK; ${r.observed} after ${r.ms} ms`,
        explanation: 'SENTINEL FAILOVER (the seed\'s "Test Failover") hands the master role over without waiting for agreement from the other sentinels.',
        figures: { failover_ms: r.ms },
      };
    });
    await u.check(
      'manual.second-call-inprog',
      async () => ({
        valid: second.includes('INPROG'),
        expected: 'INPROG to a second SENTINEL FAILOVER while the first is in progress',
        observed: second,
        explanation: 'A second request must not start a second failover on top of the first.',
      }),
      { keepGoing: true },
    );
    const nm = newMaster!;
    await u.check('manual.new-master-role', () => roleCheck(u, nm));
    await u.check('manual.replicas-follow-new-master', () =>
      followCheck(u, others(u.d.pods, nm, old), nm, 'Sentinel reconfigures every other replica to the new master.'),
    );
    await u.check('manual.old-master-reconfigured', () => followCheck(u, [old], nm, 'The old master (still running) is turned into a replica of the new one.'));
  },
};
