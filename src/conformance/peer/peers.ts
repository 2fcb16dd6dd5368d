// Peers: the peer units' connections to the deployment's sentinels and redis nodes, and the commands they send.
import { pairs, parseInfo, withProbe } from '../../redis/clients.ts';
import { addr, type Pod, type StartedDeployment } from '../../targets/target.ts';
import type { Redis } from 'ioredis';

/** Talks to the deployment's sentinels and nodes; reads the password at each call (a unit changes it). */
export class Peers {
  readonly d: StartedDeployment;
  readonly masterName: string;
  constructor(d: StartedDeployment) {
    this.d = d;
    this.masterName = d.model.masterName;
  }
  sentinel<T>(p: Pod, fn: (c: Redis) => Promise<T>): Promise<T> {
    return withProbe(p.sentinel, { connectTimeoutMs: 500, commandTimeoutMs: 2000 }, fn);
  }
  redis<T>(p: Pod, fn: (c: Redis) => Promise<T>, password = this.d.password): Promise<T> {
    return withProbe(p.redis, { password, connectTimeoutMs: 500, commandTimeoutMs: 2000 }, fn);
  }
  sentinelCmd(p: Pod, ...args: (string | number)[]): Promise<unknown> {
    return this.sentinel(p, (c) => c.call('SENTINEL', ...args.map(String)));
  }
  async masterAddr(p: Pod): Promise<string> {
    const r = (await this.sentinelCmd(p, 'get-master-addr-by-name', this.masterName)) as string[] | null;
    return r ? `${r[0]}:${r[1]}` : '(none)';
  }
  async masterState(p: Pod): Promise<Record<string, string>> {
    return pairs(await this.sentinelCmd(p, 'master', this.masterName));
  }
  async replicaState(p: Pod, replica: Pod): Promise<Record<string, string> | undefined> {
    const all = ((await this.sentinelCmd(p, 'replicas', this.masterName)) as unknown[]).map(pairs);
    return all.find((r) => `${r.ip}:${r.port}` === addr(replica.redis));
  }
  async replication(p: Pod): Promise<Record<string, string>> {
    return parseInfo(await this.redis(p, (c) => c.info('replication')));
  }
  /** The pod whose address `address` is. */
  podAt(address: string): Pod | undefined {
    return this.d.pods.find((p) => addr(p.redis) === address);
  }
  /** True when `p` replicates from `master` with its link up. */
  async follows(p: Pod, master: Pod): Promise<boolean> {
    const i = await this.replication(p);
    return (
      i.role === 'slave' &&
      i.master_link_status === 'up' &&
      Number(i.master_port) === master.redis.port &&
      (i.master_host === master.redis.host || (i.master_host ?? '').startsWith(`${master.name}.`))
    );
  }
  async describeReplication(p: Pod): Promise<string> {
    const i = await this.replication(p).catch((e: Error) => ({ error: e.message }) as Record<string, string>);
    return i.error
      ? `${p.name}: (${i.error})`
      : `${p.name}: role ${i.role}${i.role === 'slave' ? ` of ${i.master_host}:${i.master_port} link ${i.master_link_status}` : ''}`;
  }
}
