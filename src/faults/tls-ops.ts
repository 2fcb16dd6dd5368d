// What the certificate faults do to running pods: make Redis read its TLS files again, restart a sentinel (which
// cannot), wait for a sentinel to be healthy, read the harness's client material. Shared by cert-rotation and
// cert-expiry.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from '../errors.ts';
import { pairs, withProbe } from '../redis/clients.ts';
import type { PemMaterial } from '../redis/tls-probe.ts';
import type { Pod, StartedDeployment } from '../targets/target.ts';

export type TlsFileDirective = 'tls-ca-cert-file' | 'tls-cert-file' | 'tls-key-file';

export const TLS_OPS_DEFAULTS = {
  /** A restarted sentinel must see the master, every replica and every other sentinel within this long. */
  sentinelHealthyTimeoutMs: 15_000,
  /**
   * The same on kind / kube: the kubelet restarts a killed container with a back-off that doubles per restart of
   * that container within 10 minutes (0, 10 s, 20 s, 40 s): cert-rotation restarts each sentinel three times.
   */
  sentinelHealthyTimeoutKubeMs: 75_000,
} as const;

/** How long a restarted sentinel may take to be healthy again on this deployment's target. */
export const sentinelRestartBudgetMs = (d: StartedDeployment): number =>
  d.target === 'kind' || d.target === 'kube' ? TLS_OPS_DEFAULTS.sentinelHealthyTimeoutKubeMs : TLS_OPS_DEFAULTS.sentinelHealthyTimeoutMs;

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/**
 * CONFIG SET the directives to the paths they already have: Redis 7.0 marks them volatile, so the TLS context is
 * built again from the files (new connections get it; open ones keep theirs).
 */
export async function reloadRedisTls(d: StartedDeployment, pod: Pod, directives: readonly TlsFileDirective[]): Promise<void> {
  await withProbe(pod.redis, { password: d.password }, async (c) => {
    const args: string[] = [];
    for (const k of directives) {
      const [, value] = (await c.config('GET', k)) as [string, string];
      if (!value) throw new HarnessError('FAULT_FAILED', `${pod.name}: ${k} is not set (not running under the secure profile?)`);
      args.push(k, value);
    }
    await c.call('CONFIG', 'SET', ...args);
  });
}

/** What is wrong with `pod`'s sentinel now (it does not see the master, a replica or another sentinel as healthy), or null. */
export async function sentinelProblem(d: StartedDeployment, pod: Pod): Promise<string | null> {
  try {
    return await withProbe(pod.sentinel, { connectTimeoutMs: 500 }, async (s) => {
      const m = pairs(await s.call('SENTINEL', 'master', d.model.masterName));
      const replicas = ((await s.call('SENTINEL', 'replicas', d.model.masterName)) as unknown[]).map(pairs);
      const peers = ((await s.call('SENTINEL', 'sentinels', d.model.masterName)) as unknown[]).map(pairs);
      const bad = /s_down|o_down|disconnected/;
      if (m.flags !== 'master') return `sees the master with flags ${m.flags}`;
      const down = [...replicas, ...peers].filter((x) => bad.test(x.flags ?? ''));
      if (down.length) return `sees ${down.map((x) => `${x.ip}:${x.port} ${x.flags}`).join(', ')}`;
      if (replicas.length !== d.pods.length - 1) return `knows ${replicas.length} replicas`;
      if (peers.length !== d.pods.length - 1) return `knows ${peers.length} other sentinels`;
      return null;
    });
  } catch (e) {
    return errorText(e);
  }
}

/** Wait until `pod`'s sentinel is healthy; throws naming what it still sees after `timeoutMs`. */
export async function waitSentinelHealthy(d: StartedDeployment, pod: Pod, timeoutMs: number = TLS_OPS_DEFAULTS.sentinelHealthyTimeoutMs): Promise<number> {
  const started = performance.now();
  for (;;) {
    const problem = await sentinelProblem(d, pod);
    if (problem === null) return Math.round(performance.now() - started);
    if (performance.now() - started > timeoutMs)
      throw new HarnessError('FAULT_FAILED', `${pod.name}/sentinel not healthy within ${Math.round(timeoutMs)} ms: ${problem}`);
    await sleep(50);
  }
}

/** Wait until every sentinel is healthy (the others have linked to a restarted one again: until then it is `disconnected` to them). */
export async function waitAllSentinelsHealthy(d: StartedDeployment, timeoutMs: number = TLS_OPS_DEFAULTS.sentinelHealthyTimeoutMs): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const p of d.pods) await waitSentinelHealthy(d, p, Math.max(0, deadline - performance.now()));
}

/**
 * Restart `pod`'s sentinel so that it reads its TLS files again; resolves once every sentinel is healthy (the
 * quorum whole again before the next restart), with how long that took.
 */
export async function restartSentinel(d: StartedDeployment, pod: Pod): Promise<number> {
  const started = performance.now();
  await d.podControl.killContainer(pod.name, 'sentinel');
  await d.podControl.startContainer(pod.name, 'sentinel');
  await waitAllSentinelsHealthy(d, sentinelRestartBudgetMs(d));
  return Math.round(performance.now() - started);
}

/** The harness's client material as its files hold it now (CA bundle of the Secret, its certificate and key). */
export async function harnessMaterial(d: StartedDeployment): Promise<PemMaterial> {
  const files = d.credentials?.tls;
  const harness = files?.clients.harness;
  if (!files || !harness) throw new HarnessError('FAULT_FAILED', 'the deployment has no client certificate for the harness (not the secure profile?)');
  return { ca: await readFile(files.ca, 'utf8'), cert: await readFile(harness.cert, 'utf8'), key: await readFile(harness.key, 'utf8') };
}

/** The pod by name. */
export function podNamed(d: StartedDeployment, name: string): Pod {
  const p = d.pods.find((x) => x.name === name);
  if (!p) throw new HarnessError('INTERNAL', `no pod named ${name}`);
  return p;
}
