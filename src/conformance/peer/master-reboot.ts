// Peer unit for upstream 12-master-reboot.tcl: a master rebooting and staying LOADING (recorded as skipped here).
import type { UnitSpec } from './unit-run.ts';

export const masterReboot: UnitSpec = {
  id: 'master-reboot',
  file: '12-master-reboot.tcl',
  checks: { 'master-reboot.loading': 'Master reboot in very short time' },
  async body(u) {
    await u.check('master-reboot.loading', async () => ({
      valid: 'skipped',
      reason:
        'upstream restarts the master with key-load-delay (set by CONFIG SET and CONFIG REWRITE) so that it answers LOADING for seconds and the sentinels fail it over under master-reboot-down-after-period; ' +
        'here the start-up script rebuilds redis.conf from the ConfigMap at every start, so a rewritten key-load-delay does not survive the restart, and DEBUG (for DEBUG POPULATE / RELOAD) is disabled (the Redis 7 default): ' +
        'reproducing it would mean changing the deployment under test',
      expected: 'a failover when the master reboots and stays LOADING',
      observed: 'not run',
      explanation: '',
    }));
  },
};
