// cert-expiry: one replica's (or, target master, the master's) certificate expires mid-run. The pod gets a certificate of the run's CA valid for a
// few seconds (openssl ca -enddate: Debian 12's OpenSSL 3.0 has no x509 -not_after), redis reloads it and the
// pod's sentinel restarts with it; once it has expired, the fault records what still works and what does not:
// new handshakes with the pod (the harness verifies its certificate), a connection opened before the expiry, the
// pod's own liveness probe (redis-cli with that certificate), and, after the pod's replication link and the
// sentinels' links to it are dropped (as a network blip would), whether the sentinels mark it down and whether it
// links to its master again. These are findings, reported as figures; the check fails only when the expiry did
// not take effect. The heal issues a valid certificate and waits for the pod and every sentinel to be healthy.
// The master's variant drops its replicas' and the sentinels' links, times the failover from there and records what
// the old master does once promoted-past (nobody can reach it to demote it); its heal comes after the failover.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { HarnessError } from '../errors.ts';
import type { CheckResult, Figures } from '../model/check.ts';
import { durationField, type Duration } from '../model/duration.ts';
import { pairs, parseInfo, probeClient, withProbe } from '../redis/clients.ts';
import { redisLogin } from '../redis/security.ts';
import { servedCertificate, type PemMaterial } from '../redis/tls-probe.ts';
import { addr, type Pod, type StartedDeployment, type TlsControl } from '../targets/target.ts';
import { certInfo, makeCert, subjectFromSan } from '../targets/tls-certs.ts';
import { ability } from './abilities.ts';
import { defineFault } from './define.ts';
import { healOnce, type FaultContext, type InjectedFault } from './fault.ts';
import { errorText, harnessMaterial, reloadRedisTls, restartSentinel, waitAllSentinelsHealthy } from './tls-ops.ts';

export const CERT_EXPIRY_DEFAULTS = {
  /** The victim and every sentinel must be healthy again within this long of the heal's new certificate. */
  healTimeoutMs: 20_000,
  pollMs: 100,
} as const;

/** Sentinel's names for its connections, "sentinel-<first 8 of its run id>-cmd" (and "-pubsub"). */
const SENTINEL_LINK = /^id=(\d+) .*\bname=sentinel-[0-9a-f]+-(?:cmd|pubsub)\b/gm;

/** A certificate of the signing CA with `pod`'s names, valid until `notAfter` (7 days without), written to the Secret. */
async function issue(tls: TlsControl, pod: string, notAfter?: Date): Promise<Date> {
  const current = certInfo(await tls.readSecretFile(`${pod}.crt`));
  const dir = path.join(tls.workDir, 'expiry');
  const made = await makeCert(dir, tls.signingCa, subjectFromSan(pod, current.subjectAltName), notAfter ? { notAfter } : {});
  const [cert, key] = [await readFile(made.cert, 'utf8'), await readFile(made.key, 'utf8')];
  await rm(made.key, { force: true });
  await tls.writeSecretFiles({ [`${pod}.key`]: key, [`${pod}.crt`]: cert });
  return certInfo(cert).validTo;
}

/** An admin connection to `pod`'s redis that does not verify its certificate (it may have expired): for the heal's CONFIG SET only. */
function unverified(d: StartedDeployment, pod: Pod, m: PemMaterial): Redis {
  const c = new Redis({
    host: pod.redis.host,
    port: pod.redis.port,
    password: d.password,
    ...redisLogin(),
    tls: { ca: m.ca, cert: m.cert, key: m.key, rejectUnauthorized: false },
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on('error', () => {});
  return c;
}

export interface ExpiryObservation {
  /** ms from dropping the links to each other sentinel's s_down on the victim (absent: not within the window). */
  sdownMs: number[];
  /** Whether the master listed the victim as an online replica again, after it had dropped it, within the window. */
  relinked: boolean;
}

/** Poll the other pods' sentinels and the master for `windowMs` after the victim's links were dropped. */
async function observe(d: StartedDeployment, victim: Pod, master: Pod, windowMs: number): Promise<ExpiryObservation> {
  const started = performance.now();
  const sdown = new Map<string, number>();
  let relinked = false;
  let dropped = false;
  const others = d.pods.filter((p) => p.name !== victim.name);
  while (performance.now() - started < windowMs) {
    await sleep(CERT_EXPIRY_DEFAULTS.pollMs);
    for (const p of others) {
      if (sdown.has(p.name)) continue;
      const replicas = await withProbe(p.sentinel, { connectTimeoutMs: 300 }, async (s) =>
        ((await s.call('SENTINEL', 'replicas', d.model.masterName)) as unknown[]).map(pairs),
      ).catch(() => []);
      const v = replicas.find((r) => `${r.ip}:${r.port}` === addr(victim.redis) || r.name === addr(victim.redis));
      if (v && /s_down/.test(v.flags ?? '')) sdown.set(p.name, Math.round(performance.now() - started));
    }
    const info = parseInfo(await withProbe(master.redis, { password: d.password }, (c) => c.info('replication')).catch(() => ''));
    const online = Object.entries(info).some(([k, v]) => /^slave\d+$/.test(k) && v.includes(`ip=${victim.redis.host},`) && v.includes('state=online'));
    // Dropped first (the master forgets a replica whose link closed), listed online again later: relinked.
    if (!online) dropped = true;
    else if (dropped) relinked = true;
  }
  return { sdownMs: [...sdown.values()], relinked };
}

export interface MasterExpiryObservation {
  /** ms from dropping the links to each other sentinel's s_down on the old master. */
  sdownMs: number[];
  /** ms from dropping the links until a sentinel named another master (null: not within the window). */
  failoverMs: number | null;
  /** The new master the sentinels named. */
  newMaster: string | null;
  /** At the end of the window, over the connection opened before the expiry: the old master still answers ROLE master (nobody could demote it). */
  oldStillMaster: boolean | null;
  /** A write over that connection acknowledged by the old master after the promotion (what a client still connected to it gets). */
  oldAcceptsWrites: boolean | null;
  /** The other replica(s) online on the new master at the end of the window. */
  replicasOnNew: number;
}

/** After the master's links were dropped: the sentinels' s_down and failover, then what the old master and the replicas do, for up to `windowMs` (2 s past the failover). */
async function observeMaster(d: StartedDeployment, victim: Pod, held: Redis, windowMs: number): Promise<MasterExpiryObservation> {
  const started = performance.now();
  const since = () => Math.round(performance.now() - started);
  const sdown = new Map<string, number>();
  let failoverMs: number | null = null;
  let newMaster: string | null = null;
  const others = d.pods.filter((p) => p.name !== victim.name);
  while (performance.now() - started < windowMs && (failoverMs === null || performance.now() - started < failoverMs + 2000)) {
    await sleep(CERT_EXPIRY_DEFAULTS.pollMs);
    for (const p of others) {
      const r = await withProbe(p.sentinel, { connectTimeoutMs: 300 }, async (s) => ({
        flags: pairs(await s.call('SENTINEL', 'master', d.model.masterName)).flags ?? '',
        addr: (await s.call('SENTINEL', 'get-master-addr-by-name', d.model.masterName)) as [string, string] | null,
      })).catch(() => null);
      if (!r) continue;
      if (!sdown.has(p.name) && /s_down/.test(r.flags)) sdown.set(p.name, since());
      const named = r.addr ? `${r.addr[0]}:${r.addr[1]}` : null;
      if (failoverMs === null && named && named !== addr(victim.redis)) {
        failoverMs = since();
        newMaster = d.pods.find((x) => addr(x.redis) === named)?.name ?? named;
      }
    }
  }
  const oldStillMaster = await held.call('ROLE').then(
    (r) => String((r as unknown[])[0]) === 'master',
    () => null,
  );
  const oldAcceptsWrites =
    failoverMs === null
      ? null
      : await held.set('sc:cert-expiry:old-master', String(Date.now()), 'PX', 60_000).then(
          () => true,
          () => false,
        );
  const nm = d.pods.find((x) => x.name === newMaster);
  const info = nm ? parseInfo(await withProbe(nm.redis, { password: d.password }, (c) => c.info('replication')).catch(() => '')) : {};
  const replicasOnNew = Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes('state=online')).length;
  return { sdownMs: [...sdown.values()], failoverMs, newMaster, oldStillMaster, oldAcceptsWrites, replicasOnNew };
}

/** The master variant's figures and sentence. */
function masterFindings(o: MasterExpiryObservation, victim: Pod, others: number, windowMs: number): { figures: Figures; text: string } {
  return {
    figures: {
      cert_expiry_sentinels_sdown: o.sdownMs.length,
      cert_expiry_sdown_after_drop_ms: o.sdownMs.length ? Math.max(...o.sdownMs) : null,
      cert_expiry_failover_after_drop_ms: o.failoverMs,
      cert_expiry_old_master_still_master: o.oldStillMaster === null ? null : o.oldStillMaster ? 1 : 0,
      cert_expiry_old_master_accepts_writes: o.oldAcceptsWrites === null ? null : o.oldAcceptsWrites ? 1 : 0,
      cert_expiry_replicas_on_new_master: o.replicasOnNew,
    },
    text:
      `; after its replicas' links and the sentinels' connections to it were dropped, ${o.sdownMs.length} of ${others} other sentinels marked it s_down` +
      (o.sdownMs.length ? ` (the last after ${Math.max(...o.sdownMs)} ms)` : '') +
      (o.failoverMs === null
        ? `, and no failover within ${windowMs} ms`
        : `; the sentinels failed over to ${o.newMaster} ${o.failoverMs} ms after the drop (${o.replicasOnNew} replica(s) online on it); ` +
          `${victim.name}, which nobody can reach anew, ${o.oldStillMaster ? 'still answers ROLE master' : o.oldStillMaster === null ? 'did not answer ROLE' : 'no longer claims master'} ` +
          `and ${o.oldAcceptsWrites ? 'still acknowledges writes on a connection opened before the expiry (a split brain until the heal)' : 'refuses writes on a connection opened before the expiry'}`),
  };
}

/** Heal: a valid certificate, loaded by redis (over a connection that does not verify the expired one) and the restarted sentinel; then everything healthy. */
async function healExpiry(ctx: FaultContext, tls: TlsControl, victim: Pod, figures: Figures): Promise<void> {
  const d = ctx.deployment;
  const started = performance.now();
  await issue(tls, victim.name);
  const c = unverified(d, victim, await harnessMaterial(d));
  try {
    await c.connect();
    const args: string[] = [];
    for (const k of ['tls-cert-file', 'tls-key-file']) args.push(k, ((await c.config('GET', k)) as string[])[1]!);
    await c.call('CONFIG', 'SET', ...args);
  } finally {
    c.disconnect();
  }
  await restartSentinel(d, victim);
  await waitAllSentinelsHealthy(d, Math.max(0, CERT_EXPIRY_DEFAULTS.healTimeoutMs - (performance.now() - started)));
  figures.cert_expiry_heal_ms = Math.round(performance.now() - started);
}

export async function expireCertificate(
  ctx: FaultContext,
  spec: { target?: 'replica' | 'master'; validForMs: number; dropLinks: boolean; observeMs: Duration },
): Promise<InjectedFault> {
  const { deployment: d, clock, topology } = ctx;
  const tls = ability(d, 'tls', 'cert-expiry');
  const isMaster = spec.target === 'master';
  const victim = isMaster ? topology.master : topology.replicas[0]!;
  // On kind / kube the Secret reaches the pod's files only after the kubelet's refresh: valid that much longer, the wait below takes it back.
  const notAfter = new Date(Math.ceil((Date.now() + spec.validForMs + (tls.deliveryMs ?? 0)) / 1000) * 1000);
  ctx.mark('inject', `${victim.name} gets a certificate valid until ${notAfter.toISOString()} (redis reloads it, its sentinel restarts with it)`);
  await issue(tls, victim.name, notAfter);
  await reloadRedisTls(d, victim, ['tls-cert-file', 'tls-key-file']);
  await restartSentinel(d, victim);
  const material = await harnessMaterial(d);
  // Opened while the certificate is valid, kept across its expiry.
  const held = probeClient(victim.redis, { password: d.password, commandTimeoutMs: 2000 });
  const figures: Figures = {};
  const heal = healOnce(ctx, `a valid certificate for ${victim.name}`, `${victim.name} and every sentinel healthy`, () =>
    healExpiry(ctx, tls, victim, figures),
  );
  try {
    await held.connect();
    const leftMs = notAfter.getTime() - Date.now();
    if (leftMs < 500)
      throw new HarnessError(
        'FAULT_FAILED',
        `the certificate had ${leftMs} ms left once loaded: raise validForMs (loading took longer than ${spec.validForMs} ms)`,
      );
    // OpenSSL compares whole seconds: a second past notAfter it has expired for everyone.
    await sleep(leftMs + 1000);
    let landedNs = clock.nowNs();
    const refused: string[] = [];
    for (const e of [victim.redis, victim.sentinel]) {
      const r = await servedCertificate(e, material).then(
        () => null,
        (err: unknown) => errorText(err),
      );
      if (r) refused.push(r);
    }
    ctx.mark('landed', `${victim.name}'s certificate expired: ${refused.length} of 2 new handshakes refused (${[...new Set(refused)].join(', ') || 'none'})`);
    const existingOk = await held.ping().then(
      () => true,
      () => false,
    );
    const liveness = (await d.podControl.runProbe?.(victim.name, 'liveness')) ?? null;
    let obs: ExpiryObservation | null = null;
    let masterObs: MasterExpiryObservation | null = null;
    let dropped = 0;
    if (spec.dropLinks) {
      const ids = [...String(await held.call('CLIENT', 'LIST')).matchAll(SENTINEL_LINK)].map((m) => m[1]!);
      dropped = ids.length;
      for (const id of ids) await held.call('CLIENT', 'KILL', 'ID', id).catch(() => 0);
      // A replica's link to its master; on the master, its replicas' links to it.
      await held.call('CLIENT', 'KILL', 'TYPE', isMaster ? 'replica' : 'master').catch(() => 0);
      ctx.mark('links-dropped', `${ids.length} sentinel connections and the replication link(s) of ${victim.name} dropped`);
      if (isMaster) {
        // The master is cut from here on: the failover is timed from the drop.
        landedNs = clock.nowNs();
        masterObs = await observeMaster(d, victim, held, ctx.ms(spec.observeMs));
      } else obs = await observe(d, victim, topology.master, ctx.ms(spec.observeMs));
    }
    const master = masterObs ? masterFindings(masterObs, victim, d.pods.length - 1, ctx.ms(spec.observeMs)) : null;
    Object.assign(figures, {
      cert_expiry_new_handshakes_refused: refused.length,
      cert_expiry_existing_connection_ok: existingOk ? 1 : 0,
      cert_expiry_liveness_probe_passes: liveness === null ? null : liveness ? 1 : 0,
      ...(obs
        ? {
            cert_expiry_sentinels_sdown: obs.sdownMs.length,
            cert_expiry_sdown_after_drop_ms: obs.sdownMs.length ? Math.max(...obs.sdownMs) : null,
            cert_expiry_replica_relinked: obs.relinked ? 1 : 0,
          }
        : {}),
      ...(master ? master.figures : {}),
    });
    const check: CheckResult = {
      name: 'cert-expired',
      valid: refused.length === 2,
      figures,
      explanation:
        `${victim.name}'s certificate expired mid-run: new handshakes refused on ${refused.length} of 2 ports (${[...new Set(refused)].join(', ') || 'none'}); ` +
        `a connection opened before the expiry ${existingOk ? 'still works' : 'no longer works'}; the pod's own liveness probe ${liveness === null ? 'was not run' : liveness ? 'passes' : 'fails (redis-cli verifies the expired certificate)'}` +
        (obs
          ? `; after its replication link and ${dropped} sentinel connections to it were dropped, ${obs.sdownMs.length} of ${d.pods.length - 1} other sentinels marked it s_down` +
            (obs.sdownMs.length ? ` (the last after ${Math.max(...obs.sdownMs)} ms)` : '') +
            ` and it ${obs.relinked ? 'linked to its master again' : 'did not link to its master again'} within ${ctx.ms(spec.observeMs)} ms`
          : '') +
        (master ? master.text : ''),
    };
    // The master's: heal once the failover is seen (the old master must then rejoin as a replica of the new one).
    return { victim, landedNs, holdUntilNs: clock.nowNs(), healAfterFailover: isMaster, heal, checks: [check], figures, mustRejoin: victim };
  } catch (e) {
    await heal().catch(() => {});
    throw e;
  } finally {
    held.disconnect();
  }
}

export const certExpiryFault = defineFault({
  /** A replica's or the master's certificate expires mid-run: what new handshakes, open connections, its probe and the sentinels do; the heal re-issues a valid one. */
  kind: 'cert-expiry',
  needs: ['tls'],
  fields: {
    /**
     * Whose certificate expires: the first replica, or the master (once its links drop nobody can reach it anew: the
     * sentinels fail over and cannot demote it, clients still connected to it keep writing to it until the heal).
     */
    target: z.enum(['replica', 'master']).default('replica'),
    /** How long the short certificate is valid once issued (whole seconds; redis and the restarted sentinel must have loaded it by then). */
    validForMs: z.number().int().min(2000).max(600_000).default(6000),
    /** Drop the pod's replication link and the sentinels' links to it after the expiry, as a network blip would. */
    dropLinks: z.boolean().default(true),
    /** How long to watch the sentinels and the master after dropping the links. */
    observeMs: durationField(600_000).default('2x+2000'),
  },
  inject: (ctx, spec) => expireCertificate(ctx, spec),
  plan: (spec) => ({
    victim: spec.target === 'master' ? 'the master' : 'the first replica',
    action: `a certificate valid ${spec.validForMs} ms (openssl ca -enddate), CONFIG SET tls-cert-file tls-key-file, its sentinel restarted; wait past the end${spec.dropLinks ? '; drop its replication and sentinel links' : ''}`,
    heal: `${spec.target === 'master' ? 'after the failover: ' : ''}a valid certificate, CONFIG SET over an unverified connection, its sentinel restarted; wait until every sentinel is healthy`,
  }),
});
