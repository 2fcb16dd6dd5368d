// The nftables ruleset of a local partition: which addresses each cut drops, and that nft accepts it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { partitionRuleset, type NftPartitionSpec, type PodAddresses } from '../../../src/targets/local/network.ts';

// Addresses as the local target assigns them on subnet 7: pod 127.0.7.(i+1), its sentinel's source 127.0.7.(i+101).
const pod = (i: number): PodAddresses => ({ name: `redis-${i}`, pod: `127.0.7.${i + 1}`, sentinelSource: `127.0.7.${i + 101}` });
const P0 = pod(0);
const P1 = pod(1);
const P2 = pod(2);
const CLIENT = '127.0.7.200';
const TABLE = 'sentinel_chaos_20250101T000000Z_ab12_1';

const spec = (cut: NftPartitionSpec['cut']): NftPartitionSpec => ({
  table: TABLE,
  isolated: P0,
  others: [P1, P2],
  majorityClients: [CLIENT],
  cut,
  redisPort: 6379,
});

/** Each drop rule as { saddr, daddr } address sets. */
function dropRules(ruleset: string): Array<{ saddr: string[]; daddr: string[] }> {
  const addrs = (s: string) =>
    (s.startsWith('{')
      ? s
          .slice(1, -1)
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [s]
    ).sort();
  return ruleset
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.endsWith('drop'))
    .map((l) => {
      const m = /^ip saddr (\{[^}]*\}|\S+) ip daddr (\{[^}]*\}|\S+) drop$/.exec(l);
      expect(m, `drop rule has the form "ip saddr X ip daddr Y drop": ${l}`).not.toBeNull();
      return { saddr: addrs(m![1]!), daddr: addrs(m![2]!) };
    });
}

/** Every IPv4 address the ruleset mentions. */
const mentioned = (ruleset: string): Set<string> => new Set(ruleset.match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? []);

function expectTableAndChain(ruleset: string): void {
  const lines = ruleset.split('\n').map((l) => l.trim());
  expect(lines[0]).toBe(`table inet ${TABLE} {`);
  expect(lines).toContain('type filter hook output priority filter; policy accept;');
  expect(lines.some((l) => /^chain \w+ \{$/.test(l))).toBe(true);
  // Braces balance, so the file is one complete table.
  expect((ruleset.match(/\{/g) ?? []).length).toBe((ruleset.match(/\}/g) ?? []).length);
  expect(ruleset.trimEnd().endsWith('}')).toBe(true);
}

/** nft's check mode: parses and evaluates the ruleset against the kernel without applying it. */
function nftCheck(ruleset: string): { status: number | null; stderr: string } | null {
  const probe = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  const r = spawnSync('nft', ['-c', '-f', '-'], { input: ruleset, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}
const HAVE_NFT = (() => {
  const p = spawnSync('nft', ['-c', '-f', '-'], { input: 'table inet sentinel_chaos_probe {\n}\n', encoding: 'utf8' });
  return !p.error && p.status === 0;
})();

describe('partitionRuleset', () => {
  it("cut 'all': the isolated pod and its sentinel's source against every other address, both directions", () => {
    const rs = partitionRuleset(spec('all'));
    expectTableAndChain(rs);
    const inside = [P0.pod, P0.sentinelSource].sort();
    const outside = [P1.pod, P1.sentinelSource, P2.pod, P2.sentinelSource, CLIENT].sort();
    const rules = dropRules(rs);
    expect(rules).toHaveLength(2);
    expect(rules).toContainEqual({ saddr: inside, daddr: outside });
    expect(rules).toContainEqual({ saddr: outside, daddr: inside });
  });

  it("cut 'sentinels': only the other sentinels' sources against the isolated pod, replication left alone", () => {
    const rs = partitionRuleset(spec('sentinels'));
    expectTableAndChain(rs);
    const sentinels = [P1.sentinelSource, P2.sentinelSource].sort();
    const rules = dropRules(rs);
    expect(rules).toHaveLength(2);
    expect(rules).toContainEqual({ saddr: sentinels, daddr: [P0.pod] });
    expect(rules).toContainEqual({ saddr: [P0.pod], daddr: sentinels });
    const seen = mentioned(rs);
    // Replication (pod to pod), the isolated pod's own sentinel and the clients are not cut.
    for (const a of [P1.pod, P2.pod, P0.sentinelSource, CLIENT]) expect(seen.has(a), `${a} must not be in the rules`).toBe(false);
    expect([...seen].sort()).toEqual([P0.pod, ...sentinels].sort());
  });

  it('uses the table name it is given and drops nothing else', () => {
    const rs = partitionRuleset({ ...spec('all'), table: 'other_table' });
    expect(rs.split('\n')[0]).toBe('table inet other_table {');
    expect(rs).not.toContain(TABLE);
    expect(rs.split('\n').filter((l) => /\b(drop|reject)\b/.test(l))).toHaveLength(2);
  });

  it('lossPercent turns every drop into a random, counted drop of that share, on the same addresses', () => {
    for (const cut of ['all', 'sentinels'] as const) {
      const whole = partitionRuleset(spec(cut)).split('\n');
      const lossy = partitionRuleset({ ...spec(cut), lossPercent: 25 }).split('\n');
      expect(lossy).toHaveLength(whole.length);
      const drops = lossy.filter((l) => /\bdrop\b/.test(l));
      expect(drops).toHaveLength(2);
      for (const l of drops) expect(l).toMatch(/ numgen random mod 100 < 25 counter drop$/);
      // Nothing but the verdict changed.
      expect(lossy.map((l) => l.replace(' numgen random mod 100 < 25 counter drop', ' drop'))).toEqual(whole);
    }
  });

  describe.skipIf(!HAVE_NFT)('nft -c accepts the generated ruleset', () => {
    for (const cut of ['all', 'sentinels'] as const) {
      it(`cut '${cut}'`, () => {
        const r = nftCheck(partitionRuleset(spec(cut)));
        expect(r).not.toBeNull();
        expect(r!.status, r!.stderr).toBe(0);
      });
    }

    it('one other pod and no majority client (single-element sets)', () => {
      for (const cut of ['all', 'sentinels'] as const) {
        const r = nftCheck(partitionRuleset({ ...spec(cut), others: [P1], majorityClients: [] }));
        expect(r!.status, `${cut}: ${r!.stderr}`).toBe(0);
      }
    });

    it('a lossy link (numgen random, counted)', () => {
      for (const cut of ['all', 'sentinels'] as const) {
        const r = nftCheck(partitionRuleset({ ...spec(cut), lossPercent: 30 }));
        expect(r!.status, r!.stderr).toBe(0);
      }
    });

    it('rejects a broken ruleset (the check is real)', () => {
      const broken = partitionRuleset(spec('all')).replace('ip daddr', 'ip dadr');
      expect(nftCheck(broken)!.status).not.toBe(0);
    });
  });
});
