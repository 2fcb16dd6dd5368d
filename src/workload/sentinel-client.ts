// The workload's Sentinel-aware ioredis client, with every option that shapes observed failover explicit.
import { Redis, SentinelConnector, type RedisOptions } from 'ioredis';
import type { Endpoint } from '../model/endpoint.ts';
import { redisLogin, sentinelClientLogin } from '../redis/security.ts';

/** Options of the workload client; all of them end up in the report. */
export interface ClientOptions {
  /** Delay before each reconnect attempt to the master, ms. */
  retryDelayMs: number;
  /** Delay between rounds over the sentinel list when none answers, ms. */
  sentinelRetryDelayMs: number;
  /** The application's command timeout: a write without a reply after this long is recorded as indeterminate (info), ms. Enforced by the workload, not by ioredis (see TrackedWriter). */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** Subscribe to +switch-master on the sentinels and reconnect at once (ioredis `failoverDetector`). */
  failoverDetector: boolean;
}

/** Defaults of {@link ClientOptions}. */
export const CLIENT_DEFAULTS: ClientOptions = {
  retryDelayMs: 5,
  sentinelRetryDelayMs: 5,
  commandTimeoutMs: 1000,
  connectTimeoutMs: 500,
  failoverDetector: true,
};

/**
 * ioredis's failover detector opens sentinel connections without an error listener, so every
 * failed connect to a dead sentinel prints "[ioredis] Unhandled error event". Give them one.
 */
class QuietSentinelConnector extends SentinelConnector {
  constructor(...args: ConstructorParameters<typeof SentinelConnector>) {
    super(...args);
    const self = this as unknown as { connectToSentinel: (...a: unknown[]) => Redis };
    const open = self.connectToSentinel.bind(this);
    self.connectToSentinel = (...a: unknown[]) => open(...a).on('error', () => {});
  }
}

/** A Sentinel-aware client as an application would configure it, tuned to notice a failover promptly. */
export function sentinelClient(opts: {
  sentinels: readonly Endpoint[];
  masterName: string;
  password: string;
  client?: Partial<ClientOptions>;
  /**
   * Source address of the connection to the master, placing the client on one side of a partition.
   * ioredis passes what natMap returns to net.createConnection, so localAddress travels with it.
   */
  localAddress?: string;
  /** Login options over the harness's own (an application's ACL user, its db and client certificate). */
  login?: Pick<RedisOptions, 'username' | 'db' | 'tls' | 'sentinelTLS'>;
}): Redis {
  const o = { ...CLIENT_DEFAULTS, ...opts.client };
  const options: RedisOptions = {
    sentinels: opts.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: opts.masterName,
    role: 'master',
    password: opts.password,
    failoverDetector: o.failoverDetector,
    retryStrategy: () => o.retryDelayMs,
    sentinelRetryStrategy: () => o.sentinelRetryDelayMs,
    sentinelReconnectStrategy: () => o.sentinelRetryDelayMs,
    Connector: QuietSentinelConnector as unknown as RedisOptions['Connector'],
    ...(opts.localAddress
      ? {
          natMap: (key: string) => {
            const i = key.lastIndexOf(':');
            return { host: key.slice(0, i), port: Number(key.slice(i + 1)), localAddress: opts.localAddress };
          },
        }
      : {}),
    ...sentinelClientLogin(),
    ...opts.login,
    connectTimeout: o.connectTimeoutMs,
    // Never give up on queued commands: the workload's command timeout classifies them, and a late reply still counts as the server's ack.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    // A demoted master answers READONLY: reconnect through the sentinels, but do not resend (the
    // write was refused, and the history records it as failed).
    reconnectOnError: (err) => readonlyReconnect(err, client.stream),
  };
  const client = new Redis(options);
  client.on('error', () => {});
  keepReconnecting(client, o.retryDelayMs);
  return client;
}

/**
 * reconnectOnError for a Sentinel client: READONLY (a demoted master) asks for a reconnect once per connection.
 * Each ask makes ioredis end the socket and add a 'close' listener and a timer to it, and a master demoted
 * under load answers READONLY to every write in flight (the coordinated hand-over releases all the writes
 * its pause held): one listener per reply piled up on the socket (MaxListenersExceededWarning). Once the
 * socket is ending, a reconnect is under way: a later READONLY is a failed write and nothing more.
 */
export function readonlyReconnect(err: Error, stream: { writableEnded: boolean; destroyed: boolean } | undefined): 1 | false {
  if (!err.message.startsWith('READONLY')) return false;
  return stream && (stream.writableEnded || stream.destroyed) ? false : 1;
}

/**
 * ioredis 5 ends a Sentinel client for good when its failover detector disconnects it while it is
 * still asking a sentinel for the master (the connector then throws "Connection is closed." and the
 * client goes to status end). An application would reconnect; so does the workload, unless it closed
 * the client itself.
 */
function keepReconnecting(client: Redis, delayMs: number): void {
  let closedByUs = false;
  const disconnect = client.disconnect.bind(client);
  const quit = client.quit.bind(client);
  client.disconnect = (reconnect = false) => {
    if (!reconnect) closedByUs = true;
    disconnect(reconnect);
  };
  client.quit = ((...args: Parameters<Redis['quit']>) => {
    closedByUs = true;
    return quit(...args);
  }) as Redis['quit'];
  client.on('end', () => {
    if (closedByUs) return;
    setTimeout(() => {
      if (!closedByUs && client.status === 'end') client.connect().catch(() => {});
    }, delayMs).unref();
  });
}

/** A plain client pinned to one node, as an application on the isolated side of a partition would keep using it. */
export function directClient(node: Endpoint, password: string, client?: Partial<ClientOptions>): Redis {
  const o = { ...CLIENT_DEFAULTS, ...client };
  const c = new Redis({
    host: node.host,
    port: node.port,
    password,
    ...redisLogin(),
    retryStrategy: () => o.retryDelayMs,
    connectTimeout: o.connectTimeoutMs,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    reconnectOnError: () => false,
  });
  c.on('error', () => {});
  return c;
}

/** The client's options as report fields. */
export function describeClient(o: Partial<ClientOptions> = {}): Record<string, string | number | boolean> {
  const c = { ...CLIENT_DEFAULTS, ...o };
  return {
    library: 'ioredis',
    mode: 'sentinel (role master)',
    retry_strategy: `constant ${c.retryDelayMs} ms`,
    sentinel_retry_strategy: `constant ${c.sentinelRetryDelayMs} ms`,
    command_timeout_ms: c.commandTimeoutMs,
    command_timeout_handling: 'reported as info at the timeout; a later reply is recorded as a late ok',
    connect_timeout_ms: c.connectTimeoutMs,
    failover_detector: c.failoverDetector,
    max_retries_per_request: 'unlimited',
    reconnect_on_error: 'READONLY: reconnect, no resend',
    on_end: 'reconnect (ioredis can end a Sentinel client mid-failover)',
  };
}
