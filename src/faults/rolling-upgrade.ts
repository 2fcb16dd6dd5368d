// rolling-upgrade: restart the pods in the StatefulSet's order (highest ordinal first) or with the master last,
// each gracefully, each in sync before the next; then check every pod runs the version asked for.
import { HarnessError } from '../errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../model/check.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import type { Pod } from '../targets/target.ts';
import { z } from 'zod';
import { msField } from '../model/duration.ts';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';

async function inSync(ctx: FaultContext, pod: Pod): Promise<boolean> {
  const d = ctx.deployment;
  try {
    const info = parseInfo(await withProbe(pod.redis, { password: d.password, connectTimeoutMs: 300 }, (r) => r.info('replication')));
    if (info.role === 'master') return true;
    if (info.master_link_status !== 'up') return false;
    const [host, port] = [info.master_host!, Number(info.master_port)];
    const m = parseInfo(await withProbe({ host, port }, { password: d.password, connectTimeoutMs: 300 }, (r) => r.info('replication')));
    // Caught up: within what one second of writes at the workload's rate can add (REPLCONF ACK period).
    return Number(m.master_repl_offset) - Number(info.slave_repl_offset) < 64 * 1024;
  } catch {
    return false;
  }
}

/** What a pod's INFO server says it runs: the server (redis or valkey) and its version. */
export interface ServerIdentity {
  server: string;
  version: string;
  /** Redis's own version field (Valkey reports 7.2.4 there for compatibility). */
  redisVersion: string;
  executable: string;
}

/** INFO server ► identity: Valkey names itself in server_name and valkey_version; Redis has neither (or server_name redis). */
export function identityOf(info: Record<string, string>): ServerIdentity {
  const server = info.server_name ?? 'redis';
  return {
    server,
    version: info[`${server}_version`] ?? info.redis_version ?? '?',
    redisVersion: info.redis_version ?? '?',
    executable: info.executable ?? '?',
  };
}

/** `redis:8.0.2`, `sentinel-chaos/valkey:8.1.1`, `valkey/valkey:8.1.1-alpine` ► what the pods must report after the upgrade; null if the tag names no version. */
export function expectedIdentity(image: string): { server: string; version: string } | null {
  const m = /^(?:.*\/)?([a-z0-9._-]+):v?(\d+\.\d+\.\d+)(?:[-.][A-Za-z0-9._-]*)?$/.exec(image.trim());
  if (!m) return null;
  return { server: m[1]!.includes('valkey') ? 'valkey' : 'redis', version: m[2]! };
}

/** How the fault reaches redis: real probes, or a test's stand-in. */
export interface UpgradeProbes {
  inSync(ctx: FaultContext, pod: Pod): Promise<boolean>;
  identity(ctx: FaultContext, pod: Pod): Promise<ServerIdentity>;
}

export const redisProbes: UpgradeProbes = {
  inSync,
  async identity(ctx, pod) {
    return identityOf(parseInfo(await withProbe(pod.redis, { password: ctx.deployment.password }, (r) => r.info('server'))));
  },
};

export interface RollingUpgradeSpec {
  binary: string | null;
  image: string | null;
  order: 'ordinal' | 'master-last';
  preStop: boolean;
  podTimeoutMs: number;
}

/** The restart order: the StatefulSet's (highest ordinal first), or its replicas that way and the master last. */
export function upgradeOrder(pods: readonly Pod[], master: Pod, order: RollingUpgradeSpec['order']): Pod[] {
  const byOrdinal = [...pods].sort((a, b) => b.ordinal - a.ordinal);
  return order === 'ordinal' ? byOrdinal : [...byOrdinal.filter((p) => p.name !== master.name), ...byOrdinal.filter((p) => p.name === master.name)];
}

/** The version check: every pod runs what the upgrade asked for (or, with no target named, one and the same version). */
export function versionCheck(
  spec: Pick<RollingUpgradeSpec, 'binary' | 'image'>,
  before: readonly { pod: string; id: ServerIdentity }[],
  after: readonly { pod: string; id: ServerIdentity }[],
): CheckResult {
  const show = (id: ServerIdentity) => `${id.server} ${id.version}`;
  const expected = spec.image ? expectedIdentity(spec.image) : null;
  let valid: boolean;
  let wanted: string;
  if (spec.image && expected) {
    valid = after.every((r) => r.id.server === expected.server && r.id.version === expected.version);
    wanted = `${expected.server} ${expected.version} (image ${spec.image})`;
  } else if (spec.binary && !spec.image) {
    valid = after.every((r) => r.id.executable === spec.binary);
    wanted = spec.binary;
  } else {
    valid = new Set(after.map((r) => show(r.id))).size === 1;
    wanted = spec.image ? `one version (image ${spec.image} names none)` : 'one version';
  }
  const was = [...new Set(before.map((r) => show(r.id)))].join(', ');
  return {
    name: 'upgrade-versions',
    valid,
    figures: {},
    explanation: `expected ${wanted}; before: ${was}; after: ${after.map((r) => `${r.pod} runs ${show(r.id)} (${r.id.executable})`).join('; ')}`,
  };
}

export async function rollingUpgrade(ctx: FaultContext, spec: RollingUpgradeSpec, probes: UpgradeProbes = redisProbes): Promise<InjectedFault> {
  const d = ctx.deployment;
  const master = ctx.topology.master;
  const order = upgradeOrder(d.pods, master, spec.order);
  const identities = () => Promise.all(d.pods.map(async (p) => ({ pod: p.name, id: await probes.identity(ctx, p) })));
  const before = await identities();
  const to = spec.image ?? spec.binary;
  const landedNs = ctx.clock.nowNs();
  ctx.mark(
    'inject',
    `rolling upgrade ${order.map((p) => p.name).join(' → ')}${spec.order === 'master-last' ? ' (master last)' : ''}${to ? ` to ${to}` : ' (same binary)'}${spec.preStop ? '' : ' without preStop'}`,
  );
  if (to) d.podControl.setRedisImage(to);
  const downtimes: number[] = [];
  // The failover is requested when the master is terminated: failover figures start there, not at the first replica.
  let masterStopNs: number | null = null;
  for (const pod of order) {
    const isMaster = pod.name === master.name && masterStopNs === null;
    if (isMaster) masterStopNs = ctx.clock.nowNs();
    ctx.mark('upgrade', `${pod.name}: terminate${isMaster ? ' (the master: failover figures start here)' : ''}`);
    const t0 = performance.now();
    await d.podControl.stop(pod.name, { preStop: spec.preStop });
    try {
      await d.podControl.start(pod.name);
    } catch (e) {
      // A pod that cannot start on the new version (e.g. an older server refusing a newer RDB) ends the trial with the reason.
      throw new HarnessError('FAULT_FAILED', `rolling upgrade: ${pod.name} did not start${to ? ` on ${to}` : ''}: ${(e as Error).message}`);
    }
    const deadline = performance.now() + spec.podTimeoutMs;
    while (!((await d.podControl.isReady(pod.name)) && (await probes.inSync(ctx, pod)))) {
      if (performance.now() > deadline)
        throw new HarnessError('FAULT_FAILED', `${pod.name} was not ready and in sync ${spec.podTimeoutMs} ms after its restart`);
      await sleep(50);
    }
    downtimes.push(performance.now() - t0);
    ctx.mark('upgrade', `${pod.name}: ready and in sync after ${Math.round(performance.now() - t0)} ms`);
  }
  const upgradeMs = Math.round((ctx.clock.nowNs() - landedNs) / 1e6);
  ctx.mark('landed', `all ${order.length} pods restarted in ${upgradeMs} ms`);
  const versions = versionCheck(spec, before, await identities());
  ctx.mark('upgrade', versions.explanation);
  return {
    victim: master,
    landedNs: masterStopNs ?? landedNs,
    healAfterFailover: true,
    failoverRequested: true,
    checks: [versions],
    figures: { upgrade_ms: upgradeMs, upgrade_pod_max_ms: Math.round(Math.max(...downtimes)) },
    async heal() {
      for (const p of d.pods) if (!d.podControl.isRunning(p.name)) await d.podControl.start(p.name);
    },
  };
}

export const rollingUpgradeFault = defineFault({
  /** Restart every pod in the StatefulSet's order (highest ordinal first), each gracefully, each in sync before the next. */
  kind: 'rolling-upgrade',
  fields: {
    /** redis-server binary to upgrade to (the image); null: the same binary. `--upgrade-to PATH` overrides it. */
    binary: z.string().min(1).nullable().default(null),
    /** Image to upgrade to (docker: a catalogue NAME:VERSION or tag; kind/kube: any image); null: none. `--upgrade-to-image IMAGE` sets it. Wins over `binary`. */
    image: z.string().min(1).nullable().default(null),
    /** `ordinal`: highest ordinal first, as the StatefulSet's RollingUpdate; `master-last`: the replicas that way, then the master (one hand-over). */
    order: z.enum(['ordinal', 'master-last']).default('ordinal'),
    /** Run the pods' preStop hooks (false: the seed's plain termination, for comparison). */
    preStop: z.boolean().default(true),
    /** Give up on a pod that is not ready and in sync after this long. */
    podTimeoutMs: msField(600_000).default(60_000),
  },
  inject: (ctx, spec) => rollingUpgrade(ctx, spec),
  plan: (spec) => ({
    victim: spec.order === 'master-last' ? 'every pod, replicas highest ordinal first, the master last' : 'every pod, highest ordinal first',
    action: `${(spec.image ?? spec.binary) ? `patch the StatefulSet's redis image to ${spec.image ?? spec.binary} with updateStrategy OnDelete, then ` : ''}delete each pod gracefully (preStop runs) and wait until it is Ready and in sync${spec.image ? "; then every pod must report the image's version in INFO server" : ''}`,
    heal: (spec.image ?? spec.binary) ? "restore the manifest's update strategy" : 'none',
  }),
});
