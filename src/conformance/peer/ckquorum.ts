// Peer unit for upstream 06-ckquorum.tcl: SENTINEL CKQUORUM with a changed quorum and with sentinels down.
import type { UnitSpec } from './unit-run.ts';
import { errText, until } from './until.ts';

export const ckquorum: UnitSpec = {
  id: 'ckquorum',
  file: '06-ckquorum.tcl',
  checks: {
    'ckquorum.ok': 'CKQUORUM reports OK and the right amount of Sentinels',
    'ckquorum.detects-unreachable-quorum': 'CKQUORUM detects quorum cannot be reached',
    'ckquorum.detects-no-failover-authorization': 'CKQUORUM detects failover authorization cannot be reached',
  },
  async body(u) {
    const pods = u.d.pods;
    const n = pods.length;
    await u.check('ckquorum.ok', async () => {
      const replies = await Promise.all(pods.map(async (s) => `${s.name}: ${String(await u.p.sentinelCmd(s, 'ckquorum', u.p.masterName).catch(errText))}`));
      return {
        valid: replies.every((r) => r.includes(`OK ${n} usable`)),
        expected: `"OK ${n} usable Sentinels…" from every sentinel`,
        observed: replies.join('; '),
        explanation: 'Every sentinel must see all its peers as usable, and count enough of them for quorum and for a majority.',
      };
    });
    const s0 = pods[0]!;
    const quorum = Number((await u.p.masterState(s0)).quorum);
    u.onRestore(`quorum ${quorum} on ${s0.name}/sentinel`, () => u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', quorum));
    await u.check('ckquorum.detects-unreachable-quorum', async () => {
      await u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', n + 1);
      const reply = await u.p.sentinelCmd(s0, 'ckquorum', u.p.masterName).then(String, errText);
      await u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', quorum);
      return {
        valid: reply.includes('NOQUORUM'),
        expected: `NOQUORUM from ${s0.name}/sentinel with quorum ${n + 1} of ${n} sentinels`,
        observed: reply,
        explanation: 'CKQUORUM must say when the configured quorum can never be reached, or a misconfiguration goes unnoticed until a failover is needed.',
      };
    });
    const victims = pods.slice(1, 1 + Math.floor(n / 2) + 1).filter((p) => p !== s0);
    await u.check('ckquorum.detects-no-failover-authorization', async () => {
      await u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', 1);
      for (const v of victims) {
        u.onRestore(`start ${v.name}/sentinel`, () => u.d.podControl.startContainer(v.name, 'sentinel'));
        await u.d.podControl.killContainer(v.name, 'sentinel');
      }
      const r = await until(
        async () => {
          const reply = await u.p.sentinelCmd(s0, 'ckquorum', u.p.masterName).then(String, errText);
          return reply.includes('NOQUORUM') ? reply : undefined;
        },
        u.d.downAfterMs * 3 + 5000,
        100,
      );
      return {
        valid: r.value !== undefined,
        expected: `NOQUORUM from ${s0.name}/sentinel (quorum 1) once ${victims.map((v) => `${v.name}/sentinel`).join(' and ')} are down: no majority to authorize a failover`,
        observed: r.value ?? `still "${r.last}" after ${r.ms} ms`,
        explanation: 'Quorum alone is not enough: a failover needs a majority of all sentinels to vote; CKQUORUM must report when that majority is gone.',
        figures: { detect_ms: r.ms },
      };
    });
  },
};
