// cert-rotation: rotate the secure profile's CA while writes continue, without a failed write: the new CA is
// added to every trust bundle first (the Secret's ca.crt, every redis, every sentinel, the harness's clients),
// then each pod gets a certificate of the new CA (redis reloads it, the sentinel restarts with it), then the
// clients', then the old CA is removed everywhere (src/faults/cert-plan.ts holds the order and its rule).
//
// Redis 7.0 reads its TLS files again on CONFIG SET tls-cert-file / tls-key-file / tls-ca-cert-file, even
// to the same path (volatile directives). Sentinel 7.0 cannot: CONFIG SET is not a Sentinel command and
// SENTINEL CONFIG SET takes no TLS directive, so each sentinel is restarted, one at a time (three times: trust
// both, its new certificate, trust the new CA only). Open connections keep the certificates they were made
// with; the proof therefore uses new handshakes, and makes the replicas link to their master again.
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { longestOutage } from '../checkers/availability.ts';
import { nsToMs } from '../clock.ts';
import { HarnessError } from '../errors.ts';
import type { CheckResult } from '../model/check.ts';
import { parseInfo, withProbe } from '../redis/clients.ts';
import { clientCertProbe, servedCertificate, type PemMaterial } from '../redis/tls-probe.ts';
import type { Pod, StartedDeployment, TlsControl } from '../targets/target.ts';
import { certInfo, makeCa, makeCert, subjectFromSan } from '../targets/tls-certs.ts';
import { ability } from './abilities.ts';
import { certRotationPlan, type CertPhase, type CertStep } from './cert-plan.ts';
import { defineFault } from './define.ts';
import type { FaultContext, InjectedFault } from './fault.ts';
import { killPod } from './kill-pod.ts';
import { checkRotationInvisible } from './password-rotation.ts';
import { errorText, harnessMaterial, podNamed, reloadRedisTls, restartSentinel, waitAllSentinelsHealthy } from './tls-ops.ts';

export const CERT_ROTATION_DEFAULTS = {
  /** After the rotation each replica links to its master again over the new certificates within this long. */
  relinkTimeoutMs: 10_000,
} as const;

/** What the rotation made and saw; the new CA's key stays in the run's private directory. */
export interface RotationState {
  dir: string;
  /** The CA bundle before (PEM). */
  oldCa: string;
  newCa: { cert: string; key: string; pem: string; cn: string };
  /** Pod → the fingerprint of its new certificate. */
  fingerprints: Map<string, string>;
  /** The harness's certificate of the old CA, kept in memory to show it refused at the end. */
  oldHarness: { cert: string; key: string } | null;
  sentinelRestartsMs: number[];
}

/** One function per step kind; a test can wrap them (to record the order or make a step fail). */
export type CertOps = { [K in CertStep['op']]: (s: Extract<CertStep, { op: K }>) => Promise<void> };

/** The rotation's steps on the running deployment. */
export function certRotationOps(d: StartedDeployment, tls: TlsControl, st: RotationState): CertOps {
  const bundle = () => `${st.oldCa.trimEnd()}\n${st.newCa.pem}`;
  return {
    'secret-ca': (s) => tls.writeSecretFiles({ 'ca.crt': s.trust === 'both' ? bundle() : st.newCa.pem }),
    'clients-trust': (s) => tls.setClientMaterial({ ca: s.trust === 'both' ? bundle() : st.newCa.pem }),
    'redis-reload-ca': (s) => reloadRedisTls(d, podNamed(d, s.pod), ['tls-ca-cert-file']),
    'sentinel-restart': async (s) => {
      st.sentinelRestartsMs.push(await restartSentinel(d, podNamed(d, s.pod)));
    },
    'pod-cert': async (s) => {
      const current = certInfo(await tls.readSecretFile(`${s.pod}.crt`));
      const made = await makeCert(st.dir, st.newCa, subjectFromSan(s.pod, current.subjectAltName));
      const [cert, key] = [await readFile(made.cert, 'utf8'), await readFile(made.key, 'utf8')];
      await rm(made.key, { force: true });
      // The key first: a reader between the two renames sees the old certificate with the new key for a moment,
      // which a handshake refuses, but nothing reads the pair then except the pod's own redis-cli calls.
      await tls.writeSecretFiles({ [`${s.pod}.key`]: key, [`${s.pod}.crt`]: cert });
      st.fingerprints.set(s.pod, certInfo(cert).fingerprint256);
    },
    'redis-reload-cert': (s) => reloadRedisTls(d, podNamed(d, s.pod), ['tls-cert-file', 'tls-key-file']),
    'client-certs': async () => {
      const clients: Record<string, { cert: string; key: string }> = {};
      for (const c of tls.clients) {
        const made = await makeCert(st.dir, st.newCa, { name: c });
        clients[c] = { cert: await readFile(made.cert, 'utf8'), key: await readFile(made.key, 'utf8') };
        await rm(made.key, { force: true });
      }
      await tls.setClientMaterial({ clients });
    },
  };
}

const stepName = (s: CertStep): string => `${s.op}${'pod' in s ? ` ${s.pod}` : ''}${'trust' in s ? ` (${s.trust})` : ''}`;

/** Run the plan's steps in order, marking each phase when done; throws naming the first step that failed (what came before stays: every step leaves a working state). */
export async function runCertRotation(plan: ReadonlyArray<CertStep & { phase: CertPhase }>, ops: CertOps, mark: (detail: string) => void): Promise<void> {
  let phaseStart = performance.now();
  for (const [i, s] of plan.entries()) {
    try {
      await (ops[s.op] as (x: CertStep) => Promise<void>)(s);
    } catch (e) {
      throw new HarnessError('FAULT_FAILED', `certificate rotation step ${i + 1} of ${plan.length} (${stepName(s)}) failed: ${errorText(e)}`);
    }
    const next = plan[i + 1];
    if (!next || next.phase !== s.phase) {
      const steps = plan.filter((x) => x.phase === s.phase);
      mark(`${s.phase}: ${steps.length} steps in ${Math.round(performance.now() - phaseStart)} ms (${[...new Set(steps.map((x) => x.op))].join(', ')})`);
      phaseStart = performance.now();
    }
  }
}

/** The ids of the master's connections whose last command was the workload's SET: the workload's connections. */
async function workloadConnections(d: StartedDeployment, master: Pod): Promise<Set<string>> {
  const list = await withProbe(master.redis, { password: d.password }, (c) => c.call('CLIENT', 'LIST', 'TYPE', 'normal'));
  return new Set([...String(list).matchAll(/^id=(\d+) .*\bcmd=set\b/gm)].map((m) => m[1]!));
}

/** Make every replica link to its master anew (CLIENT KILL TYPE master) and wait for the link: replication over the new certificates. */
async function relinkReplicas(d: StartedDeployment, replicas: readonly Pod[]): Promise<{ ms: number; problem: string | null }> {
  const started = performance.now();
  const login = { password: d.password };
  for (const r of replicas) await withProbe(r.redis, login, (c) => c.call('CLIENT', 'KILL', 'TYPE', 'master'));
  const waiting = new Set(replicas.map((r) => r.name));
  while (waiting.size > 0) {
    for (const r of replicas.filter((x) => waiting.has(x.name))) {
      const info = await withProbe(r.redis, login, (c) => c.info('replication')).catch(() => '');
      if (parseInfo(info).master_link_status === 'up') waiting.delete(r.name);
    }
    if (waiting.size === 0) break;
    if (performance.now() - started > CERT_ROTATION_DEFAULTS.relinkTimeoutMs)
      return {
        ms: Math.round(performance.now() - started),
        problem: `no replication link after ${CERT_ROTATION_DEFAULTS.relinkTimeoutMs} ms on ${[...waiting].join(', ')}`,
      };
    await sleep(20);
  }
  return { ms: Math.round(performance.now() - started), problem: null };
}

/**
 * The 'cert-rotated' check: on every pod, redis and sentinel serve the new certificate (its fingerprint, issued
 * by the new CA) on a new handshake, refuse the harness's certificate of the old CA and let its new one in; each
 * replica links to its master again; every sentinel is healthy.
 */
export async function verifyCertRotation(d: StartedDeployment, st: RotationState, replicas: readonly Pod[], now: PemMaterial): Promise<CheckResult> {
  const problems: string[] = [];
  const refusals: string[] = [];
  for (const p of d.pods) {
    for (const [what, e] of [
      ['redis', p.redis],
      ['sentinel', p.sentinel],
    ] as const) {
      const where = `${p.name}/${what}`;
      const served = await servedCertificate(e, now).catch((err: unknown) => new Error(errorText(err)));
      if (served instanceof Error) problems.push(`${where}: no handshake trusting the new CA only (${served.message})`);
      else {
        if (served.fingerprint256 !== st.fingerprints.get(p.name)) problems.push(`${where} serves ${served.fingerprint256}, not its new certificate`);
        if (!served.issuer.includes(st.newCa.cn)) problems.push(`${where}'s certificate is issued by ${served.issuer}`);
      }
      if (st.oldHarness) {
        const old = await clientCertProbe(e, now.ca, st.oldHarness);
        if (!old.refused) problems.push(`${where} lets in a client certificate of the old CA (${old.observed})`);
        else refusals.push(old.observed);
      }
      const fresh = await clientCertProbe(e, now.ca, now);
      if (fresh.refused) problems.push(`${where} refuses the new client certificate (${fresh.observed})`);
    }
  }
  const relink = await relinkReplicas(d, replicas);
  if (relink.problem) problems.push(relink.problem);
  await waitAllSentinelsHealthy(d).catch((e: unknown) => problems.push(errorText(e)));
  const ports = d.pods.length * 2;
  const valid = problems.length === 0;
  return {
    name: 'cert-rotated',
    valid,
    figures: { replicas_relinked_ms: relink.ms, old_ca_client_refused: refusals.length },
    explanation: valid
      ? `all ${ports} redis and sentinel ports serve their new certificate (issued by ${st.newCa.cn}) on a new handshake, refuse the harness's ` +
        `certificate of the old CA (${[...new Set(refusals)].join(', ')}) and let its new one in; ${replicas.length} replicas linked to the master again ` +
        `over the new certificates in ${relink.ms} ms; every sentinel sees the master, ${d.pods.length - 1} replicas and ${d.pods.length - 1} other sentinels healthy`
      : problems.join('; '),
  };
}

/** Wait until every write invoked in [fromNs, toNs] has its outcome, at most 5 s. */
async function settleWrites(ctx: FaultContext, fromNs: number, toNs: number): Promise<void> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const h = ctx.history();
    const open = new Set(h.filter((o) => o.type === 'invoke' && o.ns >= fromNs && o.ns <= toNs).map((o) => o.key));
    for (const o of h) if (o.type !== 'invoke') open.delete(o.key);
    if (open.size === 0 || performance.now() > deadline) return;
    await sleep(10);
  }
}

/** A new CA in a directory of its own under the target's private directory. */
async function newRotation(tls: TlsControl): Promise<RotationState> {
  const stamp = `${Date.now()}-${randomBytes(3).toString('hex')}`;
  const dir = path.join(tls.workDir, `rotation-${stamp}`);
  const cn = `sentinel-chaos rotated CA ${stamp}`;
  const ca = await makeCa(dir, 'ca', cn);
  return {
    dir,
    oldCa: await tls.readSecretFile('ca.crt'),
    newCa: { ...ca, pem: await readFile(ca.cert, 'utf8'), cn },
    fingerprints: new Map(),
    oldHarness: null,
    sentinelRestartsMs: [],
  };
}

export async function rotateCertificates(ctx: FaultContext, spec: { then: 'kill-master' | 'none' }, restart: boolean): Promise<InjectedFault> {
  const { deployment: d, clock, topology } = ctx;
  const tls = ability(d, 'tls', 'cert-rotation');
  const st = await newRotation(tls);
  const before = await harnessMaterial(d);
  st.oldHarness = { cert: before.cert, key: before.key };
  // Replicas first, the master last.
  const order = [...topology.replicas, topology.master].map((p) => p.name);
  const plan = certRotationPlan(order);
  const connsBefore = await workloadConnections(d, topology.master);
  ctx.mark(
    'inject',
    `rotate the CA: trust both on every party, new certificates pod by pod (${order.join(', ')}), then the new CA only (${plan.length} steps)`,
  );
  const injectNs = clock.nowNs();
  await runCertRotation(plan, certRotationOps(d, tls, st), (detail) => ctx.mark('rotate', detail));
  tls.signingCa = { cert: st.newCa.cert, key: st.newCa.key };
  const rotatedNs = clock.nowNs();
  const rotationMs = nsToMs(rotatedNs - injectNs);
  const reconnects = [...(await workloadConnections(d, topology.master))].filter((id) => !connsBefore.has(id)).length;
  const rotated = await verifyCertRotation(d, st, topology.replicas, await harnessMaterial(d));
  if (rotated.valid !== true) throw new HarnessError('FAULT_FAILED', `the certificate rotation did not verify: ${rotated.explanation}`);
  const verifiedNs = clock.nowNs();
  await settleWrites(ctx, injectNs, verifiedNs);
  const window = ctx.history().filter((o) => o.ns >= injectNs && o.ns <= verifiedNs);
  const invisible = checkRotationInvisible(ctx.history(), injectNs, verifiedNs, rotationMs, (s) => s);
  const figures = {
    cert_rotation_ms: rotationMs,
    cert_rotation_outage_ms: longestOutage(window)?.ms ?? null,
    cert_rotation_workload_reconnects: reconnects,
    sentinel_restarts: st.sentinelRestartsMs.length,
    sentinel_restart_max_ms: Math.max(...st.sentinelRestartsMs),
  };
  rotated.figures = { ...rotated.figures, ...figures };
  ctx.mark('rotated', `rotation ${rotationMs} ms, verified on new handshakes in ${nsToMs(verifiedNs - rotatedNs)} ms (check cert-rotated)`);
  if (spec.then === 'kill-master') {
    const kill = await killPod(ctx, { target: 'master', holdMs: 0 }, restart);
    return { ...kill, checks: [rotated, invisible], figures: { ...kill.figures, ...figures } };
  }
  const landedNs = clock.nowNs();
  return { victim: topology.master, landedNs, holdUntilNs: landedNs, healAfterFailover: false, heal: async () => {}, checks: [rotated, invisible], figures };
}

export const certRotationFault = defineFault({
  /** Rotate the secure profile's CA during writes: trust both, new certificates pod by pod, the old CA removed; then kill the master (or not). */
  kind: 'cert-rotation',
  needs: ['tls'],
  fields: {
    /** What follows the verified rotation: kill the master pod and measure the failover on the new certificates, or nothing. */
    then: z.enum(['kill-master', 'none']).default('kill-master'),
  },
  inject: (ctx, spec, opts) => rotateCertificates(ctx, spec, opts.restart),
  plan: (spec) => ({
    victim: spec.then === 'kill-master' ? 'every pod, then the master' : 'every pod',
    action:
      'new CA; ca.crt = old + new, CONFIG SET tls-ca-cert-file on every redis, restart every sentinel one at a time, the clients trust both; ' +
      'per pod a certificate of the new CA (CONFIG SET tls-cert-file tls-key-file, sentinel restarted); the clients’ certificates; ca.crt = new CA, ' +
      `reloaded and restarted again${spec.then === 'kill-master' ? '; then delete the master pod (grace 0)' : ''}`,
    heal: spec.then === 'kill-master' ? 'the killed pod restarts with the new certificates' : 'none (the rotation stays)',
  }),
});
