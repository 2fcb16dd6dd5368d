// Polls ROLE on every node at a fixed period and records each change of what a node claims to be.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { addr, type Endpoint } from '../model/endpoint.ts';
import type { TrialEvent } from '../model/events.ts';
import { redisLogin } from '../redis/security.ts';

/** Defaults of the sampler. */
export const ROLE_SAMPLER_DEFAULTS = {
  /** The bound for split-brain resolution: every node at least every 100 ms. */
  periodMs: 50,
  /** A ROLE without a reply after this long counts as unreachable (a paused process). */
  timeoutMs: 150,
} as const;

/**
 * Role events: kind 'role', source = the node's host:port, type 'master' | 'slave' | 'sentinel' |
 * 'unreachable', detail = for a replica "of <host:port> <link state>".
 */
export class RoleSampler {
  readonly events: TrialEvent[] = [];
  /** Samples taken, for the report. */
  samples = 0;
  private stopped = false;
  private readonly answeredAt = new Map<string, number>();
  private readonly loops: Promise<void>[] = [];
  private readonly clients: Redis[] = [];
  private readonly nodes: readonly Endpoint[];
  private readonly password: string;
  private readonly clock: Clock;
  private readonly periodMs: number;

  constructor(nodes: readonly Endpoint[], password: string, clock: Clock, periodMs: number = ROLE_SAMPLER_DEFAULTS.periodMs) {
    this.nodes = nodes;
    this.password = password;
    this.clock = clock;
    this.periodMs = periodMs;
  }

  start(): void {
    for (const node of this.nodes) {
      const c = new Redis({
        host: node.host,
        port: node.port,
        password: this.password,
        ...redisLogin(),
        commandTimeout: ROLE_SAMPLER_DEFAULTS.timeoutMs,
        connectTimeout: ROLE_SAMPLER_DEFAULTS.timeoutMs,
        enableOfflineQueue: false,
        enableReadyCheck: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => this.periodMs,
      });
      c.on('error', () => {});
      this.clients.push(c);
      this.loops.push(this.loop(node, c));
    }
  }

  /**
   * Wait (at most `timeoutMs`) until every node has answered ROLE after `sinceNs`, so the last role
   * changes before a trial ends are recorded (Sentinel kills clients when it reconfigures a node).
   */
  async settle(sinceNs: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.nodes.some((n) => (this.answeredAt.get(addr(n)) ?? -1) <= sinceNs) && performance.now() < deadline) await sleep(10);
  }

  /** Use `password` for reconnections (after a rotation). */
  setPassword(password: string): void {
    for (const c of this.clients) c.options.password = password;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    for (const c of this.clients) c.disconnect();
  }

  /** The last role each node reported before `ns`. */
  roleAt(node: string, ns: number): string | null {
    let role: string | null = null;
    for (const e of this.events) if (e.source === node && e.ns <= ns) role = e.type;
    return role;
  }

  private async loop(node: Endpoint, c: Redis): Promise<void> {
    const source = addr(node);
    let last = '';
    while (!this.stopped) {
      const started = performance.now();
      let type = 'unreachable';
      let detail = '';
      try {
        const r = (await c.call('ROLE')) as unknown[];
        type = String(r[0]);
        if (type === 'slave') detail = `of ${r[1]}:${r[2]} ${r[3]}`;
        else if (type === 'master') detail = `${(r[2] as unknown[]).length} replicas`;
        this.answeredAt.set(source, this.clock.nowNs());
      } catch (e) {
        detail = (e as Error).message.slice(0, 80);
      }
      this.samples++;
      const key = `${type} ${type === 'slave' ? detail : ''}`;
      if (key !== last) {
        this.events.push({ ns: this.clock.nowNs(), kind: 'role', source, type, detail });
        last = key;
      }
      await sleep(Math.max(0, this.periodMs - (performance.now() - started)));
    }
  }
}
