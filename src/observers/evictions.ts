// Records the keys the memory policy evicts on every node (keyspace notifications), so the loss checker can set them aside soundly.
import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { addr, type Endpoint } from '../model/endpoint.ts';
import type { EvictedKey, EvictionRecord } from '../model/history.ts';
import { redisLogin } from '../redis/security.ts';

/** The keyspace-notification classes the observer needs: E (keyevent channels) and e (evicted). */
const NEEDED = ['E', 'e'];

/** The notify-keyspace-events value that keeps `current` and adds E and e. */
export function withEvictedEvents(current: string): string {
  const flags = new Set(current.split(''));
  // "A" already includes e; K or E alone is not enough.
  const missing = NEEDED.filter((f) => !flags.has(f) && !(f === 'e' && flags.has('A')));
  return current + missing.join('');
}

/**
 * One subscriber per node on `__keyevent@*__:evicted`. notify-keyspace-events is switched on with
 * CONFIG SET on every (re)connection, since a restarted redis reads its config file again. Keys
 * for which `track(key)` holds are kept with node and time; every eviction is counted. A node whose
 * subscription could not be set up or dropped while the observer ran is named in `gaps`.
 */
export class EvictionObserver {
  private readonly keys: EvictedKey[] = [];
  private total = 0;
  private readonly gaps = new Set<string>();
  private readonly clients: Redis[] = [];
  private stopped = false;
  private password: string;
  private readonly nodes: readonly Endpoint[];
  private readonly clock: Clock;
  private readonly track: (key: string) => boolean;

  constructor(nodes: readonly Endpoint[], password: string, clock: Clock, track: (key: string) => boolean) {
    this.nodes = nodes;
    this.password = password;
    this.clock = clock;
    this.track = track;
  }

  setPassword(p: string): void {
    this.password = p;
    for (const c of this.clients) c.options.password = p;
  }

  /** Resolves once every reachable node's subscription is active (an unreachable node is a gap). */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.watch(n)));
  }

  private async watch(node: Endpoint): Promise<void> {
    const name = addr(node);
    // Resubscribed by this observer, not by ioredis: its own resubscription after a reconnect is a command nobody awaits, and a
    // second disconnect before it is answered (a hand-over closes every pub/sub client every ~0.1 s) rejects it unhandled.
    const c = new Redis({
      host: node.host,
      port: node.port,
      password: this.password,
      ...redisLogin(),
      connectTimeout: 1000,
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      autoResubscribe: false,
    });
    c.on('error', () => {});
    this.clients.push(c);
    // Subscribed, the connection cannot send CONFIG: a second, short one switches the notifications on.
    const enable = async (): Promise<void> => {
      const admin = new Redis({
        host: node.host,
        port: node.port,
        password: this.password,
        ...redisLogin(),
        connectTimeout: 1000,
        maxRetriesPerRequest: 1,
        lazyConnect: true,
      });
      admin.on('error', () => {});
      try {
        await admin.connect();
        const [, current] = (await admin.config('GET', 'notify-keyspace-events')) as [string, string];
        const wanted = withEvictedEvents(current ?? '');
        if (wanted !== current) await admin.config('SET', 'notify-keyspace-events', wanted);
      } catch {
        this.gaps.add(name);
      } finally {
        admin.disconnect();
      }
    };
    let connectedOnce = false;
    c.on('ready', () => {
      if (connectedOnce && !this.stopped)
        void enable()
          .then(() => c.psubscribe('__keyevent@*__:evicted'))
          .catch(() => this.gaps.add(name));
      connectedOnce = true;
    });
    c.on('close', () => {
      if (!this.stopped) this.gaps.add(name);
    });
    c.on('pmessage', (_pattern: string, _channel: string, key: string) => {
      this.total++;
      if (this.track(key)) this.keys.push({ key, node: name, ns: this.clock.nowNs() });
    });
    try {
      await enable();
      await c.connect();
      await c.psubscribe('__keyevent@*__:evicted');
    } catch {
      this.gaps.add(name);
    }
  }

  record(): EvictionRecord {
    return { keys: [...this.keys], total: this.total, gaps: [...this.gaps].sort() };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const c of this.clients) c.disconnect();
  }
}
