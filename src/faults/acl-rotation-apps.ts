// The applications of an ACL rotation: one Sentinel-aware client per rotated application user, logged in as
// that user on its own db with its own client certificate, writing its own keys while the rotation runs. The
// rotation switches each to the new password and makes it reconnect (the applications' config change); the
// writes it got acknowledged must all be there afterwards (read back as admin, on the application's db).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { ADMIN_USER, APP_USERS, type AppName } from '../config/secure.ts';
import { HarnessError } from '../errors.ts';
import type { CheckResult } from '../model/check.ts';
import type { Op } from '../model/history.ts';
import { withProbe } from '../redis/clients.ts';
import { addr, type Pod, type StartedDeployment } from '../targets/target.ts';
import { CLIENT_DEFAULTS, sentinelClient } from '../workload/sentinel-client.ts';
import { TrackedWriter } from '../workload/tracked-writer.ts';
import type { FaultContext } from './fault.ts';

export const APP_WRITER_DEFAULTS = {
  rateHz: 100,
  /** Each client must have a write acknowledged within this long of starting. */
  firstAckTimeoutMs: 5000,
  /** Acknowledged writes invoked after the reconnect that prove the new password works. */
  acksAfterSwitch: 10,
  switchTimeoutMs: 10_000,
} as const;

export interface AppWriters {
  /** The user's clients take `password` for their next connection and reconnect; resolves with the acknowledged writes invoked since. */
  switchTo(user: AppName, password: string): Promise<number>;
  history(): Op[];
  stop(): Promise<void>;
  /** The 'acl-rotation-apps-kept' check: every write acknowledged to the applications' clients is on `master` (no failover since), in its db. */
  checkKept(d: StartedDeployment, master: Pod): Promise<CheckResult>;
}

interface AppWriter {
  user: AppName;
  client: Redis;
  writer: TrackedWriter;
}

async function tlsOf(d: StartedDeployment, user: AppName): Promise<{ ca: string; cert: string; key: string } | null> {
  const files = d.credentials?.tls;
  const mine = files?.clients[user];
  if (!files || !mine) return null;
  const [ca, cert, key] = await Promise.all([readFile(files.ca, 'utf8'), readFile(mine.cert, 'utf8'), readFile(mine.key, 'utf8')]);
  return { ca, cert, key };
}

/** Start one writer per application user (its password from the ACL Secret); each must get a write acknowledged first. */
export async function startAppWriters(ctx: FaultContext, users: readonly AppName[]): Promise<AppWriters> {
  const d = ctx.deployment;
  const tag = randomBytes(4).toString('hex');
  const writers: AppWriter[] = [];
  for (const user of users) {
    const tls = await tlsOf(d, user);
    const client = sentinelClient({
      sentinels: d.pods.map((p) => p.sentinel),
      masterName: d.model.masterName,
      password: d.credentials!.acl[user]!,
      login: { username: user, db: APP_USERS[user].db, ...(tls ? { tls, sentinelTLS: tls } : {}) },
    });
    const writer = new TrackedWriter({
      name: `app-${user}`,
      client,
      clock: ctx.clock,
      // The application's own key pattern (~synapse:* …): the ACL refuses any other.
      keyPrefix: `${APP_USERS[user].keys.replace(/\*$/, '')}sc-acl-rotation:${tag}`,
      rateHz: APP_WRITER_DEFAULTS.rateHz,
      maxInFlight: 1000,
      timeoutMs: CLIENT_DEFAULTS.commandTimeoutMs,
    });
    writer.start();
    writers.push({ user, client, writer });
  }
  const stop = async () => {
    await Promise.all(writers.map((w) => w.writer.stop(2000)));
    for (const w of writers) w.client.disconnect();
  };
  const deadline = performance.now() + APP_WRITER_DEFAULTS.firstAckTimeoutMs;
  while (writers.some((w) => w.writer.acked === 0)) {
    if (performance.now() > deadline) {
      const silent = writers.filter((w) => w.writer.acked === 0);
      const why = silent.map((w) => `${w.user} (${w.writer.history.find((o) => o.error)?.error ?? 'no reply'})`).join(', ');
      await stop();
      throw new HarnessError('FAULT_FAILED', `the applications' clients got no write acknowledged within ${APP_WRITER_DEFAULTS.firstAckTimeoutMs} ms: ${why}`);
    }
    await sleep(10);
  }
  ctx.mark('rotate', `applications' clients writing as ${users.join(', ')} (each on its own db, with its own certificate)`);
  return {
    async switchTo(user, password) {
      const mine = writers.filter((w) => w.user === user);
      const since = ctx.clock.nowNs();
      for (const w of mine) {
        w.client.options.password = password;
        // The new connection logs in with the new password; unanswered writes are resent on it.
        w.client.disconnect(true);
      }
      const acked = () => mine.reduce((n, w) => n + w.writer.history.filter((o) => o.type === 'ok' && o.ns > since).length, 0);
      const end = performance.now() + APP_WRITER_DEFAULTS.switchTimeoutMs;
      while (acked() < APP_WRITER_DEFAULTS.acksAfterSwitch * mine.length) {
        if (performance.now() > end)
          throw new HarnessError(
            'FAULT_FAILED',
            `${user}'s clients got ${acked()} writes acknowledged within ${APP_WRITER_DEFAULTS.switchTimeoutMs} ms of reconnecting`,
          );
        await sleep(5);
      }
      return acked();
    },
    history: () => writers.flatMap((w) => w.writer.history).sort((a, b) => a.ns - b.ns),
    stop,
    async checkKept(dep, masterPod) {
      const master = addr(masterPod.redis);
      let acked = 0;
      const missing: string[] = [];
      for (const w of writers) {
        const keys = [...new Set(w.writer.history.filter((o) => o.type === 'ok').map((o) => o.key))];
        acked += keys.length;
        await withProbe(masterPod.redis, { password: dep.password, commandTimeoutMs: 10_000 }, async (c) => {
          await c.select(APP_USERS[w.user].db);
          const pipe = c.pipeline();
          for (const k of keys) pipe.exists(k);
          const res = (await pipe.exec()) ?? [];
          res.forEach(([, n], i) => {
            if (n !== 1) missing.push(`${w.user}: ${keys[i]}`);
          });
        });
      }
      return {
        name: 'acl-rotation-apps-kept',
        valid: acked === 0 ? 'unknown' : missing.length === 0,
        figures: { acl_rotation_app_writes_acked: acked, acl_rotation_app_writes_lost: missing.length },
        explanation:
          missing.length === 0
            ? `all ${acked} writes acknowledged to ${writers.map((w) => w.user).join(', ')} are on the master ${master}, each in its own db (read as ${ADMIN_USER})`
            : `${missing.length} of ${acked} writes acknowledged to the applications' clients are missing on ${master}: ${missing.slice(0, 5).join(', ')}`,
      };
    },
  };
}
