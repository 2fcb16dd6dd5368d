// Subscribes to every sentinel's event stream and records each message on the run clock.
import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Endpoint } from '../model/endpoint.ts';
import type { TrialEvent } from '../model/events.ts';
import { sentinelLogin } from '../redis/security.ts';

export class SentinelObserver {
  readonly events: TrialEvent[] = [];
  private readonly clients: Redis[] = [];
  private readonly sentinels: ReadonlyArray<{ name: string; endpoint: Endpoint }>;
  private readonly clock: Clock;

  constructor(sentinels: ReadonlyArray<{ name: string; endpoint: Endpoint }>, clock: Clock) {
    this.sentinels = sentinels;
    this.clock = clock;
  }

  /** Resolves once every sentinel's subscription is active. */
  async start(): Promise<void> {
    await Promise.all(
      this.sentinels.map(async ({ name, endpoint }) => {
        // Keep listening while the sentinel's pod dies and returns: reconnect and resubscribe quickly.
        const c = new Redis({
          host: endpoint.host,
          port: endpoint.port,
          ...sentinelLogin(),
          retryStrategy: () => 50,
          maxRetriesPerRequest: null,
          connectTimeout: 500,
        });
        c.on('error', () => {});
        c.on('pmessage', (_pattern: string, channel: string, message: string) => {
          this.events.push({ ns: this.clock.nowNs(), kind: 'sentinel', source: name, type: channel, detail: message });
        });
        this.clients.push(c);
        await c.psubscribe('*');
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.quit().catch(() => c.disconnect())));
    this.clients.length = 0;
  }
}
