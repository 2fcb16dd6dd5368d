// The alerts a Prometheus reports (/api/v1/alerts), polled in the background and recorded as trial events on the
// run clock: "firing" when an alert starts firing (or fires on more instances), "resolved" when it stops.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import { alertSource } from '../model/alerts.ts';
import type { TrialEvent } from '../model/events.ts';
import type { ActiveAlert } from './prometheus.ts';

/** What the watcher polls: a running Prometheus, or a test's scripted answers. */
export interface AlertSource {
  alerts(): Promise<ActiveAlert[]>;
}

/** One alert's first firing and, when it no longer fires, its last clear (run clock). */
export interface AlertSpan {
  firstFiringNs: number;
  clearedNs: number | null;
  instances: Set<string>;
}

export class AlertWatcher {
  readonly events: TrialEvent[] = [];
  /** Every alert seen pending (not yet firing). */
  readonly pending = new Set<string>();
  private readonly firing = new Map<string, Set<string>>();
  private readonly spans = new Map<string, AlertSpan>();
  private errors = 0;
  private lastPoll = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  private readonly source: AlertSource;
  private readonly clock: Clock;
  private readonly pollMs: number;

  constructor(source: AlertSource, clock: Clock, pollMs: number) {
    this.source = source;
    this.clock = clock;
    this.pollMs = pollMs;
  }

  start(): this {
    this.loop ??= (async () => {
      while (!this.stopped) {
        await this.pollOnce();
        if (!this.stopped) await sleep(this.pollMs);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** One poll (also what start() repeats): record the transitions since the previous one. */
  async pollOnce(): Promise<void> {
    let alerts: ActiveAlert[];
    try {
      alerts = await this.source.alerts();
    } catch {
      this.errors++;
      return;
    }
    const now = this.clock.nowNs();
    this.lastPoll = now;
    const firingNow = new Map<string, Set<string>>();
    for (const a of alerts) {
      if (a.state === 'pending') this.pending.add(a.name);
      if (a.state !== 'firing') continue;
      const set = firingNow.get(a.name) ?? new Set<string>();
      if (a.labels.instance) set.add(a.labels.instance);
      firingNow.set(a.name, set);
    }
    for (const [name, instances] of firingNow) {
      const before = this.firing.get(name);
      const grown = before !== undefined && [...instances].some((i) => !before.has(i));
      if (before === undefined || grown)
        this.events.push({ ns: now, kind: 'alert', source: alertSource(name), type: 'firing', detail: [...instances].join(', ') });
      const span = this.spans.get(name) ?? { firstFiringNs: now, clearedNs: null, instances: new Set<string>() };
      span.clearedNs = null;
      for (const i of instances) span.instances.add(i);
      this.spans.set(name, span);
      this.firing.set(name, new Set([...(before ?? []), ...instances]));
    }
    for (const name of [...this.firing.keys()].filter((n) => !firingNow.has(n))) {
      this.events.push({ ns: now, kind: 'alert', source: alertSource(name), type: 'resolved', detail: '' });
      this.spans.get(name)!.clearedNs = now;
      this.firing.delete(name);
    }
  }

  /** Each alert that fired: its first firing and its last clear. */
  span(name: string): AlertSpan | undefined {
    return this.spans.get(name);
  }

  /** Names of every alert that fired at some point. */
  fired(): string[] {
    return [...this.spans.keys()];
  }

  firingNow(): string[] {
    return [...this.firing.keys()];
  }

  failedPolls(): number {
    return this.errors;
  }

  /** Run-clock ns of the last answered poll (0: none yet). */
  lastPollNs(): number {
    return this.lastPoll;
  }

  /** Wait (at most `timeoutMs`) until a poll answered after `sinceNs` finds nothing firing; whether it did. */
  async quiet(sinceNs: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (this.lastPoll > sinceNs && this.firing.size === 0) return true;
      if (performance.now() >= deadline || signal?.aborted) return false;
      await sleep(Math.min(this.pollMs, 100));
    }
  }
}

/**
 * Until nothing is firing or pending (at most `ms`): a freshly started Prometheus can evaluate a rule before the
 * first scrape of every series it reads (absent() is true then).
 */
export async function settleAlerts(source: AlertSource, ms: number, pollMs: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until && (await source.alerts().catch(() => [])).length > 0) await sleep(pollMs);
}
