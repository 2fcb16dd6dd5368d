// Network partitions on the local target: nftables rules on the pods' loopback addresses, proven by a blocked probe.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { HarnessError } from '../../errors.ts';

const run = promisify(execFile);

/** Addresses a local pod uses: its pod address, and the one its sentinel's outgoing connections come from. */
export interface PodAddresses {
  name: string;
  pod: string;
  sentinelSource: string;
}

async function nft(args: string[], stdin?: string): Promise<string> {
  if (stdin === undefined) return (await run('nft', args)).stdout;
  return await new Promise((resolve, reject) => {
    const child = execFile('nft', args, (err, stdout, stderr) =>
      err ? reject(new HarnessError('PROCESS_FAILED', stderr.trim() || err.message)) : resolve(stdout),
    );
    child.stdin?.end(stdin);
  });
}

/** Why nftables cannot be used here, or null. */
export async function nftUnavailableReason(): Promise<string | null> {
  try {
    await run('nft', ['list', 'tables']);
    return null;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') return 'nft not found: install nftables (`sudo apt-get install -y nftables`)';
    if (/Operation not permitted|Permission denied/i.test(err.stderr ?? '')) return 'nftables needs CAP_NET_ADMIN: run as root or grant the capability';
    return `nft does not work here: ${(err.stderr ?? err.message).trim()}`;
  }
}

/** Whether a TCP connect from `from` to `to` completes within `ms` (false: dropped). */
export async function canConnect(from: string, to: { host: string; port: number }, ms: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = net.connect({ host: to.host, port: to.port, localAddress: from });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export async function tableExists(table: string): Promise<boolean> {
  return nft(['list', 'table', 'inet', table]).then(
    () => true,
    () => false,
  );
}

export async function deleteTable(table: string): Promise<void> {
  await nft(['delete', 'table', 'inet', table]).catch(() => {});
}

export interface NftPartitionSpec {
  table: string;
  isolated: PodAddresses;
  others: PodAddresses[];
  /** Extra addresses on the majority side (clients). */
  majorityClients: string[];
  cut: 'all' | 'sentinels';
  redisPort: number;
  /** Drop only this share of the packets (nftables `numgen random`, counted) instead of all of them: a lossy link. */
  lossPercent?: number;
}

/** The nft ruleset for one partition; loopback traffic passes the output hook once per packet, so dropping there cuts both directions. */
export function partitionRuleset(s: NftPartitionSpec): string {
  const set = (xs: string[]) => `{ ${xs.join(', ')} }`;
  const lines =
    s.cut === 'all'
      ? (() => {
          const inside = [s.isolated.pod, s.isolated.sentinelSource];
          const outside = [...s.others.flatMap((o) => [o.pod, o.sentinelSource]), ...s.majorityClients];
          return [`ip saddr ${set(inside)} ip daddr ${set(outside)} drop`, `ip saddr ${set(outside)} ip daddr ${set(inside)} drop`];
        })()
      : (() => {
          const sentinels = s.others.map((o) => o.sentinelSource);
          return [`ip saddr ${set(sentinels)} ip daddr ${s.isolated.pod} drop`, `ip saddr ${s.isolated.pod} ip daddr ${set(sentinels)} drop`];
        })();
  const verdict = s.lossPercent === undefined ? 'drop' : `numgen random mod 100 < ${s.lossPercent} counter drop`;
  return [
    `table inet ${s.table} {`,
    '  chain out {',
    '    type filter hook output priority filter; policy accept;',
    ...lines.map((l) => `    ${l.replace(/ drop$/, ` ${verdict}`)}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/**
 * Install the partition and prove it: the table is listed and a probe across it cannot connect.
 * Returns the ruleset and the instant (performance.now()) the rules took effect; the proof follows.
 */
export async function installPartition(s: NftPartitionSpec): Promise<{ ruleset: string; inEffectAt: number }> {
  const ruleset = partitionRuleset(s);
  try {
    await nft(['-f', '-'], ruleset);
  } catch (e) {
    throw new HarnessError('PRIVILEGE_MISSING', `could not install the nftables partition: ${(e as Error).message}`);
  }
  const inEffectAt = performance.now();
  const listed = await nft(['list', 'table', 'inet', s.table]);
  if (!listed.includes('drop')) throw new HarnessError('PROCESS_FAILED', `nft table ${s.table} is not in place after installing it`);
  const probeFrom = s.cut === 'all' ? s.others[0]!.pod : s.others[0]!.sentinelSource;
  if (s.lossPercent !== undefined) return { ruleset, inEffectAt: await proveLoss(s, probeFrom, inEffectAt) };
  // On loopback a SYN is answered within microseconds: 50 ms of silence means it was dropped.
  if (await canConnect(probeFrom, { host: s.isolated.pod, port: s.redisPort }, 50)) {
    await deleteTable(s.table);
    throw new HarnessError('PROCESS_FAILED', `partition did not land: ${probeFrom} still reaches ${s.isolated.pod}:${s.redisPort}`);
  }
  return { ruleset, inEffectAt };
}

/** Packets the table's counters have dropped so far. */
export async function droppedPackets(table: string): Promise<number> {
  const listed = await nft(['list', 'table', 'inet', table]);
  return [...listed.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

/**
 * A lossy link has landed once a probe across it was lost and the rules' counters show dropped packets; a
 * connect on loopback is answered within microseconds, so 50 ms of silence is a lost SYN or SYN-ACK. At 1 %
 * the chance that 400 probes all pass is below 0.1 %; the table is removed when the proof does not come.
 */
async function proveLoss(s: NftPartitionSpec, probeFrom: string, inEffectAt: number): Promise<number> {
  for (let i = 0; i < 400; i++) {
    if (!(await canConnect(probeFrom, { host: s.isolated.pod, port: s.redisPort }, 50)) && (await droppedPackets(s.table)) > 0) return inEffectAt;
  }
  await deleteTable(s.table);
  throw new HarnessError('PROCESS_FAILED', `packet loss did not land: 400 probes from ${probeFrom} to ${s.isolated.pod}:${s.redisPort} all connected`);
}
