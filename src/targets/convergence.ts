// Wait until the deployment has converged: one master, every replica online, every sentinel agreeing with quorum.
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.ts';
import { masterAddrReply, parseInfo, scalarReply, sentinelEntries, sentinelEntry, withProbe } from '../redis/clients.ts';
import { addr, type Pod } from './target.ts';

export interface Topology {
  master: Pod;
  replicas: Pod[];
}

export interface ConvergenceInput {
  pods: readonly Pod[];
  password: string;
  masterName: string;
}

/** Defaults of the convergence check. */
export const CONVERGENCE_DEFAULTS = {
  /** Replicas' offsets may trail the master's by this much while writes continue. */
  maxLagBytes: 1024 * 1024,
  /** Sentinel's INFO period towards masters and replicas, ms (fixed in Sentinel). */
  infoPeriodMs: 10_000,
  /** A down or disconnected replica / sentinel entry older than this many INFO periods plus down-after is stale. */
  staleInfoPeriods: 3,
} as const;

/** An entry a sentinel keeps for a replica or a sentinel that is down or unreachable. */
export interface DownEntry {
  sentinel: string;
  kind: 'replica' | 'sentinel';
  /** ip:port as the sentinel names it. */
  address: string;
  flags: string;
  /** How long it has been down (s-down-time), or since its last good ping reply, ms. */
  ageMs: number;
}

/** The bound past which a down entry is stale: staleInfoPeriods × the INFO period + down-after. */
export const staleBoundMs = (downAfterMs: number) => CONVERGENCE_DEFAULTS.staleInfoPeriods * CONVERGENCE_DEFAULTS.infoPeriodMs + downAfterMs;

/** Entries of SENTINEL REPLICAS / SENTINEL SENTINELS flagged s_down, o_down or disconnected. */
export function downEntries(sentinel: string, kind: DownEntry['kind'], entries: readonly Record<string, string>[]): DownEntry[] {
  return entries
    .filter((e) => /(^|,)(s_down|o_down|disconnected)(,|$)/.test(e.flags ?? ''))
    .map((e) => ({ sentinel, kind, address: `${e.ip}:${e.port}`, flags: e.flags ?? '', ageMs: Number(e['s-down-time'] ?? e['last-ok-ping-reply'] ?? 0) }));
}

/** The sentence a failing stale-entry invariant gives. */
export const describeDownEntry = (e: DownEntry, boundMs: number) =>
  `${e.sentinel}/sentinel keeps ${e.kind} entry ${e.address} (${e.flags}) down for ${e.ageMs} ms${e.ageMs > boundMs ? `: stale, beyond the ${boundMs} ms bound (${CONVERGENCE_DEFAULTS.staleInfoPeriods} × INFO period + down-after)` : ''}`;

/** What one sentinel answers, as it came off the wire (the inputs of {@link readSentinelAnswer}). */
export interface RawSentinelReplies {
  addr: unknown;
  master: unknown;
  replicas: unknown;
  sentinels: unknown;
  ckquorum: unknown;
  info: unknown;
}

/** One sentinel's view, read strictly: a reply of the wrong shape is a clear error naming the command. */
export interface SentinelAnswer {
  addr: { host: string; port: number } | null;
  master: Record<string, string>;
  replicas: Array<Record<string, string>>;
  sentinels: Array<Record<string, string>>;
  ckquorum: string;
  tilt: string | undefined;
}

export function readSentinelAnswer(raw: RawSentinelReplies): SentinelAnswer {
  return {
    addr: masterAddrReply(raw.addr),
    master: sentinelEntry(raw.master, 'SENTINEL MASTER'),
    replicas: sentinelEntries(raw.replicas, 'SENTINEL REPLICAS'),
    sentinels: sentinelEntries(raw.sentinels, 'SENTINEL SENTINELS'),
    ckquorum: scalarReply(raw.ckquorum, 'SENTINEL CKQUORUM'),
    tilt: parseInfo(raw.info).sentinel_tilt,
  };
}

/** How much later than its ping period a sentinel may last have heard the master and still count as seeing it now. */
export const MASTER_PING_MARGIN_MS = 1000;

/**
 * Whether a sentinel's last answer from the master is older than its ping period (down-after, at most 1 s) plus
 * MASTER_PING_MARGIN_MS: its flags still say "master", but it has not heard the master since, say, a partition it is
 * only now out of, and it may flag it down (and fail it over) in the next moments. Right after a partition's heal
 * the sentinels' views are those of before it: a checkpoint 120 ms after one took "master" for converged, and the
 * failover the sentinels started 130 ms later ran outside every fault window. Null when fresh (or not reported).
 */
export function staleMasterPing(master: Record<string, string>): string | null {
  const sinceOk = Number(master['last-ok-ping-reply']);
  const pingMs = Math.min(1000, Number(master['down-after-milliseconds'] ?? 1000) || 1000);
  if (!(sinceOk > pingMs + MASTER_PING_MARGIN_MS)) return null;
  return `last heard the master ${sinceOk} ms ago (it pings every ${pingMs} ms): it may still flag it down`;
}

/**
 * Whether the sentinels' answers (one per pod, in the pods' order) agree on one master of this deployment and,
 * strict, each sees every replica healthy, every peer usable, no stale entry. Pure.
 */
export function judgeSentinels(
  pods: readonly Pod[],
  ok: readonly SentinelAnswer[],
  strict: boolean,
): { ok: true; master: Pod } | { ok: false; reason: string } {
  const expectedReplicas = pods.length - 1;
  const masterAddrs = new Set(ok.map((a) => (a.addr ? `${a.addr.host}:${a.addr.port}` : 'none')));
  if (masterAddrs.size !== 1) return { ok: false, reason: `sentinels disagree on the master: ${[...masterAddrs].join(', ')}` };
  const masterAddr = [...masterAddrs][0]!;
  const master = pods.find((p) => addr(p.redis) === masterAddr);
  if (!master) return { ok: false, reason: `sentinels follow ${masterAddr}, which is no pod of this deployment` };
  const epochs = new Set(ok.map((a) => a.master['config-epoch']));
  if (epochs.size !== 1) return { ok: false, reason: `sentinels disagree on the config epoch: ${[...epochs].join(', ')}` };
  for (const [i, a] of ok.entries()) {
    const who = pods[i]!.name;
    if (a.tilt !== '0') return { ok: false, reason: `${who}/sentinel is in TILT mode` };
    if (a.master.flags !== 'master') return { ok: false, reason: `${who}/sentinel sees the master with flags ${a.master.flags}` };
    const stale = staleMasterPing(a.master);
    if (stale) return { ok: false, reason: `${who}/sentinel ${stale}` };
    if (!strict) continue;
    const healthy = a.replicas.filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok').length;
    if (healthy !== expectedReplicas) return { ok: false, reason: `${who}/sentinel sees ${healthy} healthy replicas, expected ${expectedReplicas}` };
    if (Number(a.master['num-other-sentinels']) !== pods.length - 1) {
      return { ok: false, reason: `${who}/sentinel knows ${a.master['num-other-sentinels']} other sentinels, expected ${pods.length - 1}` };
    }
    const down = [...downEntries(who, 'replica', a.replicas), ...downEntries(who, 'sentinel', a.sentinels)].sort((x, y) => y.ageMs - x.ageMs);
    if (down.length) return { ok: false, reason: describeDownEntry(down[0]!, staleBoundMs(Number(a.master['down-after-milliseconds']))) };
    if (Number(a.master['num-slaves']) !== expectedReplicas) {
      return {
        ok: false,
        reason: `${who}/sentinel lists ${a.master['num-slaves']} replicas (${a.replicas.map((r) => `${r.ip}:${r.port}`).join(', ')}), expected ${expectedReplicas}`,
      };
    }
    if (!a.ckquorum.startsWith('OK')) return { ok: false, reason: `${who}/sentinel CKQUORUM: ${a.ckquorum}` };
    // "OK 2 usable" with 3 sentinels passes CKQUORUM yet one peer is still down for this sentinel (a pod just restarted).
    const usable = Number(/^OK (\d+) usable/.exec(a.ckquorum)?.[1] ?? NaN);
    if (usable !== pods.length)
      return {
        ok: false,
        reason: `${who}/sentinel counts ${Number.isNaN(usable) ? 'an unknown number of' : usable} usable sentinels, expected ${pods.length}: ${a.ckquorum}`,
      };
  }
  return { ok: true, master };
}

/** Whether the master's INFO replication shows every replica online within `maxLagBytes`. Pure. */
export function judgeReplication(master: Pod, expectedReplicas: number, info: Record<string, string>, maxLagBytes: number): string | null {
  const replicaLines = Object.entries(info)
    .filter(([k]) => /^slave\d+$/.test(k))
    .map(([, v]) => v);
  const online = replicaLines.filter((v) => v.includes('state=online'));
  if (info.role !== 'master' || online.length !== expectedReplicas) {
    return `${master.name} reports role ${info.role} with ${online.length} online replicas, expected master with ${expectedReplicas}`;
  }
  const masterOffset = Number(info.master_repl_offset);
  const lags = online.map((v) => masterOffset - Number(/offset=(\d+)/.exec(v)?.[1] ?? NaN));
  const worst = Math.max(...lags);
  if (!(worst <= maxLagBytes)) return `a replica is ${worst} bytes behind the master's offset ${masterOffset}`;
  return null;
}

/**
 * One look at the deployment; returns what is not converged yet, or the topology when all is well:
 * every sentinel agrees on the master and the config epoch, none is in TILT or mid-failover (the
 * master's flags are exactly "master"), and every replica is
 * online within maxLagBytes. `strict` (the default; what up() and each trial start from) also wants
 * every sentinel to see every replica healthy and every other sentinel, and CKQUORUM to count every
 * sentinel usable (not just enough of them for quorum and majority); after a
 * heal those follow Sentinel's own 2 s hello and 10 s INFO periods. Strict also holds the stale-entry
 * invariant: no sentinel keeps a replica or sentinel entry that is down or disconnected (one older than
 * staleBoundMs is named stale), and num-slaves / num-other-sentinels equal the real counts; a pod that
 * moved must not leave its old address behind.
 */
export async function inspectTopology(
  d: ConvergenceInput,
  opts?: { maxLagBytes?: number; strict?: boolean },
): Promise<{ ok: true; topology: Topology } | { ok: false; reason: string }> {
  const answers = await Promise.all(
    d.pods.map((p) =>
      withProbe(p.sentinel, { connectTimeoutMs: 300 }, async (s) =>
        readSentinelAnswer({
          addr: await s.call('SENTINEL', 'get-master-addr-by-name', d.masterName),
          master: await s.call('SENTINEL', 'master', d.masterName),
          replicas: await s.call('SENTINEL', 'replicas', d.masterName),
          sentinels: await s.call('SENTINEL', 'sentinels', d.masterName),
          ckquorum: await s.call('SENTINEL', 'ckquorum', d.masterName).catch((e: Error) => e.message),
          info: await s.info('sentinel'),
        }),
      ).catch((e: Error) => ({ error: `${p.name}/sentinel: ${e.message}` })),
    ),
  );
  const failed = answers.find((a) => 'error' in a);
  if (failed && 'error' in failed) return { ok: false, reason: failed.error };
  const judged = judgeSentinels(d.pods, answers as SentinelAnswer[], opts?.strict !== false);
  if (!judged.ok) return judged;
  const { master } = judged;
  let info: Record<string, string>;
  try {
    info = parseInfo(await withProbe(master.redis, { password: d.password, connectTimeoutMs: 300 }, (r) => r.info('replication')));
  } catch (e) {
    return { ok: false, reason: `${master.name}/redis: ${(e as Error).message}` };
  }
  const lag = judgeReplication(master, d.pods.length - 1, info, opts?.maxLagBytes ?? CONVERGENCE_DEFAULTS.maxLagBytes);
  if (lag) return { ok: false, reason: lag };
  return { ok: true, topology: { master, replicas: d.pods.filter((p) => p !== master) } };
}

/** Poll until converged or `timeoutMs` passes; the error says what was still wrong. */
export async function waitForConvergence(d: ConvergenceInput, opts: { timeoutMs: number; pollMs?: number }): Promise<Topology> {
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const r = await inspectTopology(d);
    if (r.ok) return r.topology;
    if (performance.now() > deadline) {
      throw new HarnessError('TIMEOUT', `deployment did not converge within ${opts.timeoutMs} ms: ${r.reason}`, { exitCode: 1 });
    }
    await sleep(opts.pollMs ?? 25);
  }
}
