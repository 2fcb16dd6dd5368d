// aof-rewrite: BGREWRITEAOF on the master under a bulk write load (copy-on-write grows with every page
// the parent dirties), optionally with a replica's full sync forking at the same time, inside the
// container's memory limit. Figures: fork time, peak copy-on-write, delayed fsyncs, whether redis was
// OOMKilled, and any +sdown the sentinels raised without an injected fault.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { nsToMs } from '../clock.ts';
import type { CheckResult, Figures } from '../model/check.ts';
import { durationField, type Duration } from '../model/duration.ts';
import { withProbe } from '../redis/clients.ts';
import { infoOf, numOf, pingState, startBulkLoad } from './bulk-load.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';

export interface AofRewriteSpec {
  loadBytesPerSec: number;
  withResync: boolean;
  timeoutMs: Duration;
  /** How long to keep watching (load on) after the rewrite, for late +sdown events. */
  afterMs: Duration;
}

interface Watched {
  doneNs: number | null;
  cowPeak: number | null;
  rssPeak: number | null;
  /** performance.now() the master stopped answering (its process died), if it did. */
  diedNs: number | null;
}

/** Poll the master every 100 ms until the rewrite it started is done (aof_rewrites grew) or it stopped answering for 2 s. */
async function watchRewrite(ctx: FaultContext, rewritesBefore: number, timeoutMs: number): Promise<Watched> {
  const { deployment: d, topology, clock } = ctx;
  const deadline = performance.now() + timeoutMs;
  const w: Watched = { doneNs: null, cowPeak: null, rssPeak: null, diedNs: null };
  let silentSince: number | null = null;
  while (performance.now() < deadline) {
    const [p, m] = await Promise.all([infoOf(d, topology.master.redis, 'persistence'), infoOf(d, topology.master.redis, 'memory')]);
    if (!p) {
      silentSince ??= clock.nowNs();
      if (nsToMs(clock.nowNs() - silentSince) > 2000) {
        w.diedNs = silentSince;
        break;
      }
    } else {
      silentSince = null;
      const cow = numOf(p, 'current_cow_size');
      if (cow !== null) w.cowPeak = Math.max(w.cowPeak ?? 0, cow);
      const rss = numOf(m, 'used_memory_rss');
      if (rss !== null) w.rssPeak = Math.max(w.rssPeak ?? 0, rss);
      if ((numOf(p, 'aof_rewrites') ?? 0) > rewritesBefore && p.aof_rewrite_in_progress === '0') {
        w.doneNs = clock.nowNs();
        break;
      }
    }
    await sleep(100);
  }
  return w;
}

export async function aofRewrite(ctx: FaultContext, spec: AofRewriteSpec): Promise<InjectedFault> {
  const { deployment: d, clock, topology } = ctx;
  const master = topology.master;
  const replica = topology.replicas[0]!;
  const timeoutMs = ctx.ms(spec.timeoutMs);
  const [p0, s0] = await Promise.all([infoOf(d, master.redis, 'persistence'), infoOf(d, master.redis, 'stats')]);
  const rewritesBefore = numOf(p0, 'aof_rewrites') ?? 0;
  const load = startBulkLoad(master.redis, d.password, spec.loadBytesPerSec, timeoutMs + ctx.ms(spec.afterMs) + 10_000);
  await sleep(1000);
  ctx.mark(
    'inject',
    `BGREWRITEAOF on ${master.name} under ${spec.loadBytesPerSec} B/s of bulk writes${spec.withResync ? `, ${replica.name} restarted for a full sync at once` : ''}`,
  );
  await withProbe(master.redis, { password: d.password }, (r) => r.call('BGREWRITEAOF'));
  const landedNs = clock.nowNs();
  ctx.mark('landed', 'BGREWRITEAOF accepted');
  let resync: Promise<unknown> | null = null;
  if (spec.withResync) {
    await d.podControl.kill(replica.name);
    resync = d.podControl.start(replica.name).catch((e: unknown) => ctx.mark('start-failed', String((e as Error).message).slice(0, 200)));
  }
  const w = await watchRewrite(ctx, rewritesBefore, timeoutMs);
  ctx.mark(w.doneNs ? 'rewritten' : w.diedNs ? 'master-died' : 'not-rewritten', w.doneNs ? `${nsToMs(w.doneNs - landedNs)} ms` : '');
  await sleep(ctx.ms(spec.afterMs));
  const loaded = await load.stop();
  await resync;
  const term = d.podControl.lastTermination?.(master.name, 'redis') ?? null;
  const alive = (await pingState(d, master.redis)) !== 'down';
  const [p1, s1] = await Promise.all([infoOf(d, master.redis, 'persistence'), infoOf(d, master.redis, 'stats')]);
  // +sdown of anything else: no other pod was made unreachable, so each one is spurious unless the master really died.
  // The replica restarted on purpose (withResync) and its sentinel going down are not spurious.
  const restarted = spec.withResync ? [replica.redis.host, replica.sentinel.host] : [];
  const sdown = ctx
    .events()
    .filter((e) => e.kind === 'sentinel' && e.type === '+sdown' && e.ns > landedNs && !restarted.some((h) => e.detail.includes(h))).length;
  const delayedBefore = numOf(p0, 'aof_delayed_fsync');
  const delayedAfter = numOf(p1, 'aof_delayed_fsync');
  const figures: Figures = {
    rewrite_ms: w.doneNs === null ? null : nsToMs(w.doneNs - landedNs),
    latest_fork_usec: numOf(s1, 'latest_fork_usec'),
    cow_peak_bytes: w.cowPeak,
    aof_last_cow_bytes: numOf(p1, 'aof_last_cow_size'),
    rss_peak_bytes: w.rssPeak,
    aof_delayed_fsync_delta: delayedAfter !== null && delayedBefore !== null ? delayedAfter - delayedBefore : null,
    aof_rewrite_ok: p1 ? (p1.aof_last_bgrewrite_status === 'ok' ? 1 : 0) : null,
    master_died: w.diedNs !== null || !alive ? 1 : 0,
    oom_killed: d.podControl.lastTermination ? (term?.oomKilled ? 1 : 0) : null,
    sdown_events: sdown,
    forks: numOf(s1, 'total_forks') !== null && numOf(s0, 'total_forks') !== null ? numOf(s1, 'total_forks')! - numOf(s0, 'total_forks')! : null,
    load_bytes: loaded.bytes,
  };
  const checks: CheckResult[] = [
    {
      name: 'rewrite-within-memory-limit',
      valid: figures.master_died === 0 && figures.aof_rewrite_ok === 1,
      figures: { oom_killed: figures.oom_killed ?? null, master_died: figures.master_died ?? null, aof_rewrite_ok: figures.aof_rewrite_ok ?? null },
      explanation:
        figures.master_died === 1
          ? `${master.name}'s redis died during the rewrite${term ? ` (${term.oomKilled ? 'OOMKilled' : `exit ${term.exitCode ?? term.signal}`})` : ''}: the fork's copy-on-write did not fit in the container's memory limit`
          : figures.aof_rewrite_ok === 1
            ? `the AOF rewrite finished in ${figures.rewrite_ms} ms (fork ${figures.latest_fork_usec} µs, copy-on-write peak ${figures.cow_peak_bytes} bytes)`
            : `the AOF rewrite did not succeed (aof_last_bgrewrite_status ${p1?.aof_last_bgrewrite_status ?? '?'}): its child was killed, e.g. by the OOM killer`,
    },
    {
      name: 'no-spurious-sdown',
      valid: figures.master_died === 1 || sdown === 0,
      figures: { sdown_events: sdown },
      explanation: sdown === 0 ? 'no +sdown during the rewrite' : `${sdown} +sdown event(s) during the rewrite with no fault injected`,
    },
  ];
  return {
    victim: master,
    landedNs,
    holdUntilNs: landedNs,
    healAfterFailover: false,
    checks,
    figures,
    heal: healOnce(ctx, 'ensure every pod runs', 'every pod running', async () => {
      for (const p of d.pods) if (!d.podControl.isRunning(p.name)) await d.podControl.start(p.name);
    }),
  };
}

export const aofRewriteFault = defineFault({
  /** BGREWRITEAOF on the master under bulk writes (optionally with a replica's full sync at once), inside the memory limit. */
  kind: 'aof-rewrite',
  fields: {
    /** Bulk writes to the master (bytes/s, 4 KiB values over a 16 MiB ring of keys): each dirties pages the fork must copy. */
    loadBytesPerSec: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 ** 2)
      .default(16 * 1024 ** 2),
    /** Restart the first replica at the same time, so a full sync forks beside the rewrite. */
    withResync: z.boolean().default(false),
    /** How long the rewrite may take before it counts as not done. */
    timeoutMs: durationField(1_800_000).default(300_000),
    /** How long to keep watching after the rewrite (bulk load on), for late +sdown events. */
    afterMs: durationField(600_000).default('2x'),
  },
  inject: (ctx, spec) => aofRewrite(ctx, spec),
  plan: (spec) => ({
    victim: 'master',
    action: `BGREWRITEAOF under ${spec.loadBytesPerSec} B/s of bulk writes${spec.withResync ? ', a replica restarted for a full sync at once' : ''}`,
    heal: 'none: the rewrite is followed until it finishes; a pod that died is started again',
  }),
});
