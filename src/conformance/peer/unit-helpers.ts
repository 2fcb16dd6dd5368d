// Steps shared by the peer units: waiting for a new master or for sentinel flags, role and replication checks, watching for no failover.
import { addr, type Pod } from '../../targets/target.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UnitRun } from './unit-run.ts';
import { type Outcome } from './unit-run.ts';
import { until } from './until.ts';

/** Sentinels whose pod is not `except`. */
export const others = (pods: readonly Pod[], ...except: Pod[]): Pod[] => pods.filter((p) => !except.includes(p));

/** Wait until every sentinel in `sentinels` names a master other than `old`; the new master's pod. */
export async function waitNewMaster(u: UnitRun, sentinels: readonly Pod[], old: Pod): Promise<{ master: Pod | undefined; ms: number; observed: string }> {
  let seen: string[] = [];
  const r = await until(async () => {
    seen = await Promise.all(sentinels.map(async (s) => `${s.name}: ${await u.p.masterAddr(s).catch((e: Error) => `(${e.message})`)}`));
    const addrs = new Set(seen.map((x) => x.slice(x.indexOf(': ') + 2)));
    if (addrs.size !== 1) return undefined;
    const pod = u.p.podAt([...addrs][0]!);
    return pod && pod !== old ? pod : undefined;
  }, u.failoverWaitMs);
  return { master: r.value, ms: r.ms, observed: seen.join('; ') };
}

export function roleCheck(u: UnitRun, master: Pod): Promise<Outcome> {
  return u.p.replication(master).then((i) => ({
    valid: i.role === 'master',
    expected: `role:master on ${master.name}`,
    observed: `role:${i.role}`,
    explanation: 'The node the sentinels advertise must really be a master, or clients write to a read-only replica.',
  }));
}

export async function followCheck(u: UnitRun, replicas: readonly Pod[], master: Pod, why: string): Promise<Outcome> {
  const r = await until(
    async () => ((await Promise.all(replicas.map((p) => u.p.follows(p, master)))).every(Boolean) ? true : undefined),
    u.failoverWaitMs,
    200,
  );
  return {
    valid: r.value === true,
    expected: `${replicas.map((p) => p.name).join(', ')} replicate from ${master.name} (${addr(master.redis)}) with the link up`,
    observed: (await Promise.all(replicas.map((p) => u.p.describeReplication(p)))).join('; ') + (r.value ? ` after ${r.ms} ms` : ` (waited ${r.ms} ms)`),
    explanation: why,
    figures: { wait_ms: r.ms },
  };
}

/** Flags every sentinel in `sentinels` reports for the master (or for `replica`) until `want` holds for all (or any). */
export async function waitFlags(
  u: UnitRun,
  sentinels: readonly Pod[],
  want: (flags: string) => boolean,
  opts: { replica?: Pod; any?: boolean; timeoutMs: number; pollMs?: number },
): Promise<{ ok: boolean; ms: number; observed: string; matched: string[] }> {
  let seen: { pod: string; flags: string }[] = [];
  const r = await until(
    async () => {
      seen = await Promise.all(
        sentinels.map(async (s) => ({
          pod: s.name,
          flags: await (
            opts.replica ? u.p.replicaState(s, opts.replica).then((x) => x?.flags ?? '(unknown replica)') : u.p.masterState(s).then((m) => m.flags ?? '?')
          ).catch((e: Error) => `(${e.message})`),
        })),
      );
      const hits = seen.filter((x) => want(x.flags));
      return (opts.any ? hits.length > 0 : hits.length === seen.length) ? hits.map((h) => h.pod) : undefined;
    },
    opts.timeoutMs,
    opts.pollMs ?? 50,
  );
  return { ok: r.value !== undefined, ms: r.ms, observed: seen.map((x) => `${x.pod}: ${x.flags}`).join('; '), matched: r.value ?? [] };
}

export const sdown = (f: string) => /(^|,)s_down(,|$)/.test(f);
export const upMaster = (f: string) => f === 'master';

/** Upstream counts on a dead master staying failed-over-free for a while: two down-afters and two seconds. */
export const quietMs = (u: UnitRun) => u.d.downAfterMs * 2 + 2000;

/** Over quietMs, whether any sentinel in `sentinels` named another master or flagged o_down; and whether each saw s_down. */
export async function watchNoFailover(
  u: UnitRun,
  sentinels: readonly Pod[],
  old: Pod,
): Promise<{ moved: string[]; odown: string[]; sdown: Set<string>; last: string }> {
  const moved: string[] = [];
  const odown: string[] = [];
  const sd = new Set<string>();
  let last = '';
  const end = performance.now() + quietMs(u);
  while (performance.now() < end) {
    const seen = await Promise.all(
      sentinels.map(async (s) => {
        const a = await u.p.masterAddr(s).catch(() => '(no answer)');
        const f = await u.p.masterState(s).then(
          (m) => m.flags ?? '?',
          () => '(no answer)',
        );
        if (a !== addr(old.redis) && a !== '(no answer)') moved.push(`${s.name}: ${a}`);
        if (/o_down/.test(f)) odown.push(s.name);
        if (sdown(f)) sd.add(s.name);
        return `${s.name}: ${a} ${f}`;
      }),
    );
    last = seen.join('; ');
    await sleep(200);
  }
  return { moved, odown, sdown: sd, last };
}
