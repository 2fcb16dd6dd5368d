// rolling-upgrade: restart the pods in the StatefulSet's order (highest ordinal first), each gracefully, each in sync before the next.
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

export async function rollingUpgrade(ctx: FaultContext, spec: { binary: string | null; preStop: boolean; podTimeoutMs: number }): Promise<InjectedFault> {
  const d = ctx.deployment;
  const order = [...d.pods].sort((a, b) => b.ordinal - a.ordinal);
  const master = ctx.topology.master;
  const landedNs = ctx.clock.nowNs();
  ctx.mark('inject', `rolling upgrade ${order.map((p) => p.name).join(' → ')}${spec.binary ? ` to ${spec.binary}` : ' (same binary)'}${spec.preStop ? '' : ' without preStop'}`);
  if (spec.binary) d.podControl.setRedisImage(spec.binary);
  const downtimes: number[] = [];
  for (const pod of order) {
    ctx.mark('upgrade', `${pod.name}: terminate`);
    const t0 = performance.now();
    await d.podControl.stop(pod.name, { preStop: spec.preStop });
    await d.podControl.start(pod.name);
    const deadline = performance.now() + spec.podTimeoutMs;
    while (!((await d.podControl.isReady(pod.name)) && (await inSync(ctx, pod)))) {
      if (performance.now() > deadline) throw new HarnessError('FAULT_FAILED', `${pod.name} was not ready and in sync ${spec.podTimeoutMs} ms after its restart`);
      await sleep(50);
    }
    downtimes.push(performance.now() - t0);
    ctx.mark('upgrade', `${pod.name}: ready and in sync after ${Math.round(performance.now() - t0)} ms`);
  }
  const upgradeMs = Math.round((ctx.clock.nowNs() - landedNs) / 1e6);
  ctx.mark('landed', `all ${order.length} pods restarted in ${upgradeMs} ms`);

  const expected = spec.binary ?? null;
  const running = await Promise.all(
    d.pods.map(async (p) => {
      const info = parseInfo(await withProbe(p.redis, { password: d.password }, (r) => r.info('server')));
      return { pod: p.name, version: info.redis_version ?? '?', executable: info.executable ?? '?' };
    }),
  );
  const versions: CheckResult = {
    name: 'upgrade-versions',
    valid: expected === null ? new Set(running.map((r) => r.version)).size === 1 : running.every((r) => r.executable === expected),
    figures: {},
    explanation: running.map((r) => `${r.pod} runs ${r.version} (${r.executable})`).join('; '),
  };
  return {
    victim: master,
    landedNs,
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
    /** Run the pods' preStop hooks (false: the seed's plain termination, for comparison). */
    preStop: z.boolean().default(true),
    /** Give up on a pod that is not ready and in sync after this long. */
    podTimeoutMs: msField(600_000).default(60_000),
  },
  inject: (ctx, spec) => rollingUpgrade(ctx, spec),
  plan: (spec) => ({
    victim: 'every pod, highest ordinal first',
    action: `${spec.binary ? `patch the StatefulSet's redis image to ${spec.binary} with updateStrategy OnDelete, then ` : ''}delete each pod gracefully (preStop runs) and wait until it is Ready and in sync`,
    heal: spec.binary ? 'restore the manifest\'s update strategy' : 'none',
  }),
});
