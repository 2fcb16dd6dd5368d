// A redis-py style Sentinel client: ask the sentinels for the master, connect to it directly, ask again after an error.
import { Redis } from 'ioredis';
import type { Endpoint } from '../model/endpoint.ts';

/**
 * What redis-py's Sentinel.master_for does: SENTINEL get-master-addr-by-name on the first sentinel that
 * answers, a plain connection to that address, and on a connection error or READONLY the connection
 * is dropped and the next command asks the sentinels again. The failing command is not resent (redis-py
 * raises), so the write is recorded as failed or indeterminate.
 */
export class SentinelLookupClient {
  /** Lookups made, and how many of them named a different master than the previous one. */
  lookups = 0;
  switches = 0;
  private conn: Redis | null = null;
  private connecting: Promise<Redis> | null = null;
  private master: string | null = null;
  private closed = false;
  private readonly opts: { sentinels: readonly Endpoint[]; masterName: string; password: string; db?: number; connectTimeoutMs?: number };

  constructor(opts: { sentinels: readonly Endpoint[]; masterName: string; password: string; db?: number; connectTimeoutMs?: number }) {
    this.opts = opts;
  }

  /** The current connection's socket (the acknowledging node's address, for the history). */
  get stream(): unknown {
    return this.conn?.stream;
  }

  async set(key: string, value: string): Promise<unknown> {
    const c = await this.connection();
    try {
      return await c.set(key, value);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (!/^(ERR|WRONGTYPE|NOAUTH|WRONGPASS|OOM)\b/.test(msg)) this.drop(c);
      throw e;
    }
  }

  disconnect(): void {
    this.closed = true;
    this.conn?.disconnect();
    this.conn = null;
  }

  private drop(c: Redis): void {
    if (this.conn === c) this.conn = null;
    c.disconnect();
  }

  private connection(): Promise<Redis> {
    if (this.conn) return Promise.resolve(this.conn);
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<Redis> {
    if (this.closed) throw new Error('client closed');
    const addr = await this.lookup();
    const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
    const c = new Redis({
      host, port, password: this.opts.password, db: this.opts.db ?? 0, lazyConnect: true,
      connectTimeout: this.opts.connectTimeoutMs ?? 500, retryStrategy: () => null, maxRetriesPerRequest: 0,
      enableOfflineQueue: true, reconnectOnError: () => false,
    });
    c.on('error', () => {});
    c.once('close', () => {
      if (this.conn === c) this.conn = null;
    });
    await c.connect();
    this.conn = c;
    return c;
  }

  private async lookup(): Promise<string> {
    for (const s of this.opts.sentinels) {
      const probe = new Redis({ host: s.host, port: s.port, lazyConnect: true, connectTimeout: 300, commandTimeout: 500, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
      probe.on('error', () => {});
      try {
        await probe.connect();
        const reply = (await probe.call('SENTINEL', 'get-master-addr-by-name', this.opts.masterName)) as [string, string] | null;
        if (!reply) continue;
        const addr = `${reply[0]}:${reply[1]}`;
        this.lookups++;
        if (this.master !== null && this.master !== addr) this.switches++;
        this.master = addr;
        return addr;
      } catch {
        // next sentinel
      } finally {
        probe.disconnect();
      }
    }
    throw new Error(`MasterNotFoundError: no sentinel of ${this.opts.sentinels.length} named a master for ${this.opts.masterName}`);
  }
}
