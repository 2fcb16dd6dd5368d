// The pub/sub workload's history: the publisher's PUBLISH operations and each subscriber's deliveries and (re)subscriptions, on the run clock.

/**
 * `publish` (publisher): invoke / ok (with `receivers`, what PUBLISH returned) / fail / info, key = message id.
 * `receive` (subscriber): an ok per message delivered, key = message id.
 * `subscribed` / `connected` / `disconnected` (subscriber): info lines about its connection, key = channel.
 */
export interface PubSubOp {
  /** The publisher's or the subscriber's name. */
  process: string;
  type: 'invoke' | 'ok' | 'fail' | 'info';
  f: string;
  key: string;
  /** Monotonic nanoseconds on the run clock. */
  ns: number;
  /** host:port of the server (a subscription's server, when the client exposes it). */
  node?: string;
  error?: string;
  /** ok of a publish: the number of subscribers PUBLISH reported. */
  receivers?: number;
}

export interface PubSubHistory {
  /** The publisher's name in `ops`. */
  publisher: string;
  /** Each subscriber's name and how it reaches redis ("service" or "sentinel"), with its library. */
  subscribers: readonly { name: string; path: 'service' | 'sentinel'; library: string }[];
  ops: readonly PubSubOp[];
}
