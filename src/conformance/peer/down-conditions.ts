// Peer unit for upstream 07-down-conditions.tcl: when Sentinel must (and must not) flag an instance down.
import { HarnessError } from '../../errors.ts';
import { withProbe } from '../../redis/clients.ts';
import { hasPause, type Pod } from '../../targets/target.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { PAUSE_MASTER } from './master-faults.ts';
import { sdown, upMaster, waitFlags } from './unit-helpers.ts';
import type { UnitRun } from './unit-run.ts';
import { type Outcome, type UnitSpec } from './unit-run.ts';

/** What each down-conditions step works with. */
interface DownStep {
  u: UnitRun;
  pods: readonly Pod[];
  m: string;
  master: Pod;
  replica: Pod;
  waitMs: number;
  backUp: (what: string) => Promise<void>;
}

async function pausedInstance(x: DownStep): Promise<Outcome> {
  const { u, pods, master, waitMs, backUp } = x;
  const d = u.d;
  if (!hasPause(d))
    return { valid: 'skipped', reason: `the ${d.target} target cannot pause processes`, expected: 's_down', observed: 'not run', explanation: '' };
  const paused = await u.inject(PAUSE_MASTER, { restart: false });
  const r = await waitFlags(u, pods, sdown, { timeoutMs: waitMs });
  await paused.heal();
  await backUp('SIGCONT');
  return {
    valid: r.ok,
    expected: `every sentinel flags ${master.name} s_down within ${waitMs} ms of SIGSTOP (down-after ${u.d.downAfterMs} ms)`,
    observed: `${r.observed} after ${r.ms} ms`,
    explanation:
      'A frozen master (GC pause, stopped VM) accepts connections but never answers: Sentinel must judge it by its replies, not by the TCP connection.',
    figures: { sdown_ms: r.ms },
  };
}

async function crashedInstance(x: DownStep): Promise<Outcome> {
  const { u, pods, replica, waitMs } = x;
  u.onRestore(`start ${replica.name}/redis`, async () => {
    if (
      !(await u.p
        .redis(replica, (c) => c.ping())
        .then(
          () => true,
          () => false,
        ))
    )
      await u.d.podControl.startContainer(replica.name, 'redis');
  });
  await u.d.podControl.killContainer(replica.name, 'redis');
  const r = await waitFlags(u, pods, sdown, { replica, timeoutMs: waitMs });
  await u.d.podControl.startContainer(replica.name, 'redis');
  const back = await waitFlags(u, pods, (f) => f === 'slave', { replica, timeoutMs: waitMs });
  return {
    valid: r.ok && back.ok,
    expected: `every sentinel flags ${replica.name} (a replica) s_down once its redis is killed, and slave again once it is restarted`,
    observed: `${r.observed} after ${r.ms} ms; restarted: ${back.observed}`,
    explanation:
      'Upstream crashes the master; this deployment crashes a replica instead, because its start-up script (rightly) refuses to bring a pod back as master while the sentinels report it down, and with failovers prevented that wait lasts 60 s.',
    figures: { sdown_ms: r.ms },
  };
}

async function masterAdvertisingAsReplica(x: DownStep): Promise<Outcome> {
  const { u, pods, master, waitMs, backUp } = x;
  // Sentinel calls a master that reports role:slave down after down-after + 2 INFO periods (10 s
  // each by default); upstream shortens the period with SENTINEL DEBUG info-period, so does this.
  const periods = await Promise.all(
    pods.map((s) =>
      u.p.sentinelCmd(s, 'debug', 'info-period', 1000).then(
        () => true,
        (e: Error) => e.message,
      ),
    ),
  );
  if (periods.some((x) => x !== true)) {
    return {
      valid: 'skipped',
      reason: `SENTINEL DEBUG info-period is not available: ${periods.find((x) => x !== true)}`,
      expected: 's_down',
      observed: 'not run',
      explanation: '',
    };
  }
  u.onRestore('the default INFO period on every sentinel', () => Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'debug', 'info-period', 10_000))));
  u.onRestore(`REPLICAOF NO ONE on ${master.name}`, () => u.p.redis(master, (c) => c.call('REPLICAOF', 'NO', 'ONE')));
  await u.p.redis(master, (c) => c.call('REPLICAOF', master.redis.host, '1'));
  const r = await waitFlags(u, pods, sdown, { timeoutMs: waitMs + 3000 });
  await u.p.redis(master, (c) => c.call('REPLICAOF', 'NO', 'ONE'));
  await backUp('REPLICAOF NO ONE');
  await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'debug', 'info-period', 10_000)));
  return {
    valid: r.ok,
    expected: `every sentinel flags ${master.name} s_down while it reports role:slave`,
    observed: `${r.observed} after ${r.ms} ms`,
    explanation:
      'A master that turned itself into a replica (a stray REPLICAOF, a restarted pod following the wrong node) accepts no writes: Sentinel must treat it as down.',
    figures: { sdown_ms: r.ms },
  };
}

async function replyingWithErrors(x: DownStep): Promise<Outcome> {
  const { u, pods, master, waitMs, backUp } = x;
  // Upstream makes the master answer PING with MISCONF (a failing BGSAVE); here a busy script makes it
  // answer BUSY, which changes nothing on disk. Sentinel should flag it down and then send SCRIPT KILL.
  const threshold = await u.p.redis(master, (c) => c.call('CONFIG', 'GET', 'busy-reply-threshold')).then((r) => (r as string[])[1] ?? '5000');
  u.onRestore(`busy-reply-threshold on ${master.name}`, () => u.p.redis(master, (c) => c.call('CONFIG', 'SET', 'busy-reply-threshold', threshold)));
  await u.p.redis(master, (c) => c.call('CONFIG', 'SET', 'busy-reply-threshold', '100'));
  const script = withProbe(master.redis, { password: u.d.password, connectTimeoutMs: 500, commandTimeoutMs: waitMs * 2 }, (c) =>
    c.call('EVAL', 'while true do end', '0'),
  ).then(
    () => 'returned',
    (e: Error) => e.message,
  );
  u.onRestore(`SCRIPT KILL on ${master.name}`, () => u.p.redis(master, (c) => c.call('SCRIPT', 'KILL')).catch(() => undefined));
  const r = await waitFlags(u, pods, sdown, { timeoutMs: waitMs, any: true, pollMs: 25 });
  const ended = await Promise.race([script, sleep(u.d.downAfterMs * 2 + 5000).then(() => null)]);
  if (ended === null) await u.p.redis(master, (c) => c.call('SCRIPT', 'KILL')).catch(() => undefined);
  await u.p.redis(master, (c) => c.call('CONFIG', 'SET', 'busy-reply-threshold', threshold));
  await backUp('the script ended');
  return {
    valid: r.ok,
    expected: `a sentinel flags ${master.name} s_down while it answers PING with BUSY`,
    observed: `${r.observed} after ${r.ms} ms (s_down seen on ${r.matched.join(', ') || 'none'}); the script ${ended === null ? 'was not killed by a sentinel (killed by the harness)' : `ended: ${ended}`}`,
    explanation: 'An instance that answers every command with an error is as unusable as a dead one: only PONG, LOADING and MASTERDOWN count as alive.',
    figures: { sdown_ms: r.ms },
  };
}

async function pingRenamed(x: DownStep): Promise<Outcome> {
  const { u, pods, m, master, waitMs } = x;
  const s = pods.find((p) => p !== master) ?? pods[0]!;
  u.onRestore(`rename-command PING PING on ${s.name}/sentinel`, () => u.p.sentinelCmd(s, 'set', m, 'rename-command', 'PING', 'PING'));
  await u.p.sentinelCmd(s, 'set', m, 'rename-command', 'PING', 'PONG');
  const r = await waitFlags(u, [s], sdown, { timeoutMs: waitMs });
  await u.p.sentinelCmd(s, 'set', m, 'rename-command', 'PING', 'PING');
  const back = await waitFlags(u, [s], upMaster, { timeoutMs: waitMs });
  return {
    valid: r.ok && back.ok,
    expected: `${s.name}/sentinel flags ${master.name} s_down while it sends PONG (an unknown command) instead of PING, and up again once restored`,
    observed: `${r.observed} after ${r.ms} ms; restored: ${back.observed}`,
    explanation: "Sentinel's rename-command support (for deployments that rename commands) works, and an error reply to its PING counts as down.",
    figures: { sdown_ms: r.ms },
  };
}

export const downConditions: UnitSpec = {
  id: 'down-conditions',
  file: '07-down-conditions.tcl',
  checks: {
    'down.paused-instance': 'SDOWN is triggered by non-responding but not crashed instance',
    'down.crashed-instance': 'SDOWN is triggered by crashed instance',
    'down.master-advertising-as-replica': 'SDOWN is triggered by masters advertising as slaves',
    'down.replying-with-errors': 'SDOWN is triggered by misconfigured instance replying with errors',
    'down.ping-renamed': 'SDOWN is triggered if we rename PING to PONG',
  },
  async body(u) {
    const pods = u.d.pods;
    const m = u.p.masterName;
    const master = u.topology.master;
    const replica = u.topology.replicas[0]!;
    const waitMs = u.d.downAfterMs * 3 + 10_000;
    // Upstream crashes a majority of sentinels so that no failover follows the SDOWNs; here every
    // sentinel stays up with a quorum no count of them can reach (quorum alone stops ODOWN, hence failover).
    const quorums = await Promise.all(pods.map(async (s) => Number((await u.p.masterState(s)).quorum)));
    u.onRestore('the quorum on every sentinel', () => Promise.all(pods.map((s, i) => u.p.sentinelCmd(s, 'set', m, 'quorum', quorums[i]!))));
    await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'quorum', pods.length + 1)));
    const backUp = async (what: string): Promise<void> => {
      const r = await waitFlags(u, pods, upMaster, { timeoutMs: waitMs });
      if (!r.ok) throw new HarnessError('FAULT_FAILED', `the master did not come back up after ${what}: ${r.observed}`);
    };
    const x: DownStep = { u, pods, m, master, replica, waitMs, backUp };

    await u.check('down.paused-instance', () => pausedInstance(x), { keepGoing: true });

    await u.check('down.crashed-instance', () => crashedInstance(x), { keepGoing: true });

    await u.check('down.master-advertising-as-replica', () => masterAdvertisingAsReplica(x), { keepGoing: true });

    await u.check('down.replying-with-errors', () => replyingWithErrors(x), { keepGoing: true });

    await u.check('down.ping-renamed', () => pingRenamed(x), { keepGoing: true });
  },
};
