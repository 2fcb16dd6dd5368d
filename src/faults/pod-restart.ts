// pod-restart: a pod SIGKILLed and recreated at once (before down-after), then followed while its redis
// loads its AOF (LOADING) and, for a replica, until its full resync with the master is done.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { nsToMs } from '../clock.ts';
import type { CheckResult, Figures } from '../model/check.ts';
import { durationField, type Duration } from '../model/duration.ts';
import type { Pod } from '../targets/target.ts';
import { LivenessWatch, infoOf, numOf, pingState, startBulkLoad, type BulkLoad } from './bulk-load.ts';
import { defineFault } from './define.ts';
import { msSince, waitSettled, waitWritable } from './day2.ts';
import { healOnce, podRole, victimOf, type FaultContext, type InjectedFault } from './fault.ts';

export interface PodRestartSpec {
  target: 'master' | 'replica';
  gapMs: Duration;
  loadBytesPerSec: number;
  timeoutMs: Duration;
}

/** Follow `pod`'s redis every 50 ms until it answers PONG (and, for a replica, its sync is done) or the timeout. */
async function follow(
  ctx: FaultContext,
  pod: Pod,
  replica: boolean,
  timeoutMs: number,
  state: { loading: boolean },
): Promise<Figures & { doneNs: number | null }> {
  const d = ctx.deployment;
  const startNs = ctx.clock.nowNs();
  const deadline = performance.now() + timeoutMs;
  let loadingReplies = 0;
  let firstLoadingNs: number | null = null;
  let lastLoadingNs: number | null = null;
  let pongNs: number | null = null;
  let syncStartedNs: number | null = null;
  let doneNs: number | null = null;
  while (performance.now() < deadline) {
    const s = await pingState(d, pod.redis);
    state.loading = s === 'loading';
    if (s === 'loading') {
      loadingReplies++;
      firstLoadingNs ??= ctx.clock.nowNs();
      lastLoadingNs = ctx.clock.nowNs();
    }
    if (s === 'pong') {
      pongNs ??= ctx.clock.nowNs();
      if (!replica) {
        doneNs = pongNs;
        break;
      }
      const r = await infoOf(d, pod.redis, 'replication');
      if (r?.master_sync_in_progress === '1') syncStartedNs ??= ctx.clock.nowNs();
      if (r?.master_link_status === 'up' && r.master_sync_in_progress === '0') {
        doneNs = ctx.clock.nowNs();
        break;
      }
    }
    await sleep(50);
  }
  state.loading = false;
  return {
    doneNs,
    loading_replies: loadingReplies,
    loading_ms: firstLoadingNs === null || lastLoadingNs === null ? 0 : nsToMs(lastLoadingNs - firstLoadingNs),
    answering_ms: msSince(pongNs, startNs),
    ...(replica ? { resync_ms: msSince(doneNs, startNs), resync_completed: doneNs === null ? 0 : 1, sync_seen_ms: msSince(syncStartedNs, startNs) } : {}),
  };
}

const SYNC_FIELDS = ['sync_full', 'sync_partial_ok', 'sync_partial_err'] as const;

/**
 * A restarted replica's resync must complete, and on its first full sync: a second one means the master dropped
 * the replica mid-sync (its client-output-buffer-limit for replicas) and the whole transfer started over.
 */
export function resyncCheck(victim: string, resyncMs: number | null, syncFull: number | null, timeoutMs: number): CheckResult {
  const restarted = syncFull !== null && syncFull > 1;
  return {
    name: 'resync-completes',
    valid: resyncMs !== null && !restarted,
    figures: { resync_ms: resyncMs, sync_full_delta: syncFull },
    explanation:
      resyncMs === null
        ? `${victim} had not finished its resync after ${timeoutMs} ms (${syncFull ?? '?'} full syncs started: a sync that restarts hit the output-buffer limit)`
        : restarted
          ? `${victim} resynced in ${resyncMs} ms but needed ${syncFull} full syncs: the master dropped it mid-sync at its replica output-buffer limit and the transfer started over`
          : `${victim} resynced in ${resyncMs} ms with ${syncFull ?? '?'} full sync(s)`,
  };
}

export async function podRestart(ctx: FaultContext, spec: PodRestartSpec): Promise<InjectedFault> {
  const { deployment: d, clock, topology } = ctx;
  const replica = spec.target === 'replica';
  const victim = victimOf(topology, spec.target);
  const master = topology.master;
  const timeoutMs = ctx.ms(spec.timeoutMs);
  const statsBefore = replica ? await infoOf(d, master.redis, 'stats') : null;
  const aof = await infoOf(d, victim.redis, 'persistence');
  ctx.mark('inject', `kill-pod ${victim.name} (${spec.target}), recreated after ${ctx.ms(spec.gapMs)} ms; AOF ${numOf(aof, 'aof_current_size') ?? '?'} bytes`);
  await d.podControl.kill(victim.name);
  const landedNs = clock.nowNs();
  ctx.mark('landed', `${victim.name} processes gone`);
  let load: BulkLoad | null = null;
  if (replica && spec.loadBytesPerSec > 0) load = startBulkLoad(master.redis, d.password, spec.loadBytesPerSec, timeoutMs + ctx.ms(spec.gapMs));
  await sleep(ctx.ms(spec.gapMs));
  ctx.mark('start', `${victim.name} recreated`);
  const state = { loading: false };
  const liveness = new LivenessWatch(d, victim.name, () => state.loading);
  liveness.start();
  // The kubelet emulation resolves start() only once redis answers PONG; the fault follows it meanwhile.
  const starting = d.podControl.start(victim.name).catch((e: unknown) => ctx.mark('start-failed', String((e as Error).message).slice(0, 200)));
  const followed = await follow(ctx, victim, replica, timeoutMs, state);
  await liveness.stop();
  await starting;
  const loaded = load ? await load.stop() : null;
  ctx.mark(followed.doneNs === null ? 'not-recovered' : 'recovered', `${victim.name}: ${replica ? 'resync done' : 'answers PONG'}`);
  const writableNs = await waitWritable(ctx, landedNs, Math.max(1000, timeoutMs));
  // Every replica back online before the counters are read: a restarted master serves their resyncs after it answers.
  const settled = await waitSettled(ctx, timeoutMs);
  const settledNs = settled ? clock.nowNs() : null;
  const statsAfter = replica ? await infoOf(d, master.redis, 'stats') : await infoOf(d, victim.redis, 'stats');
  const switched = ctx.events().filter((e) => e.kind === 'sentinel' && e.type === '+switch-master' && e.ns > landedNs).length;
  const sdown = ctx.events().filter((e) => e.kind === 'sentinel' && e.type === '+sdown' && e.ns > landedNs && e.detail.startsWith('master')).length;
  const { doneNs: _d, ...followFigures } = followed;
  const syncDelta: Figures = {};
  for (const f of SYNC_FIELDS) {
    const a = numOf(statsAfter, f);
    // After a master restart its counters start from zero: what it shows is what its replicas needed.
    syncDelta[`${f}_delta`] = a === null ? null : replica ? a - (numOf(statsBefore, f) ?? 0) : a;
  }
  const livenessFigures = liveness.figures(d.model.redis.liveness, followed.loading_ms as number);
  const checks: CheckResult[] = [];
  if (livenessFigures.liveness_failures_loading !== null)
    checks.push({
      name: 'liveness-while-loading',
      valid: livenessFigures.liveness_failures_loading === 0,
      figures: livenessFigures,
      explanation:
        livenessFigures.liveness_failures_loading === 0
          ? `the liveness probe passed on ${victim.name} while it loaded (${livenessFigures.liveness_samples} samples)`
          : `the liveness probe failed ${livenessFigures.liveness_failures_loading} of ${livenessFigures.liveness_samples} times while ${victim.name} was loading: ` +
            `a kubelet restarts it once loading outlasts ${livenessFigures.liveness_restart_after_ms} ms, and the load starts over`,
    });
  if (replica)
    checks.push(resyncCheck(victim.name, followed.doneNs !== null ? (followed.resync_ms as number) : null, syncDelta.sync_full_delta ?? null, timeoutMs));
  return {
    victim,
    landedNs,
    holdUntilNs: landedNs,
    healAfterFailover: false,
    checks,
    figures: {
      ...followFigures,
      ...syncDelta,
      ...livenessFigures,
      writes_refused_ms: msSince(writableNs, landedNs),
      settled_ms: msSince(settledNs, landedNs),
      failovers_seen: switched,
      master_sdown_seen: sdown,
      aof_bytes_before: numOf(aof, 'aof_current_size'),
      ...(loaded ? { load_bytes: loaded.bytes, load_failed_batches: loaded.failedBatches } : {}),
    },
    heal: healOnce(ctx, `ensure ${victim.name} runs`, `${victim.name} running`, async () => {
      if (!d.podControl.isRunning(victim.name)) await d.podControl.start(victim.name);
    }),
  };
}

export const podRestartFault = defineFault({
  /** SIGKILL a pod and recreate it at once (before down-after), then follow its AOF load and, for a replica, its full resync. */
  kind: 'pod-restart',
  fields: {
    target: podRole.default('master'),
    /** How long the pod stays dead before it is recreated; below down-after the sentinels never see it down. */
    gapMs: durationField(600_000).default(0),
    /** Bulk writes to the master (bytes/s, 4 KiB values over a 16 MiB ring of keys) while a replica restarts: the replication stream its output buffer holds during the full sync. */
    loadBytesPerSec: z
      .number()
      .int()
      .min(0)
      .max(64 * 1024 ** 2)
      .default(0),
    /** How long to follow the load and the resync before calling it not recovered. */
    timeoutMs: durationField(1_800_000).default(300_000),
  },
  inject: (ctx, spec) => podRestart(ctx, spec),
  plan: (spec) => ({
    victim: spec.target,
    action: `delete pod, grace period 0, recreated after ${String(spec.gapMs)} ms${spec.loadBytesPerSec ? `, ${spec.loadBytesPerSec} B/s bulk writes to the master meanwhile` : ''}`,
    heal: spec.target === 'replica' ? 'none: followed until its full resync is done' : 'none: followed until it answers PONG (its AOF loaded)',
  }),
  // A container crash the kubelet restarts at once: the master back before down-after, on whatever its data dir holds.
  // Weight 0: opt in with --mix (pod-restart=1,...), so that the default mix draws the schedules it drew before.
  soak: {
    weight: 0,
    victims: ['master', 'replica'],
    spec: (v) => ({
      kind: 'pod-restart' as const,
      target: v === 'master' ? ('master' as const) : ('replica' as const),
      gapMs: 0,
      loadBytesPerSec: 0,
      timeoutMs: 60_000,
    }),
  },
});
