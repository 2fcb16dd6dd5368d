// A deployment with no processes behind it, and the trial IO over it: sentinels, clients and read-back
// simulated in memory, so the trial's phases can be unit-tested without redis.
import type { Clock } from '../../src/clock.ts';
import type { DeploymentModel } from '../../src/config/manifests.ts';
import type { TrialEvent } from '../../src/model/events.ts';
import type { RoleSource, SentinelEventSource, TrialIo, WorkloadClient } from '../../src/runner/trial-io.ts';
import { addr, type Pod, type PodControl, type StartedDeployment } from '../../src/targets/target.ts';

/** The address a client's socket sees for pod i. */
const podIp = (i: number) => `127.0.9.${i + 1}`;

/** Pod i, known by its IP (the local target) or, `named`, by a DNS name whose IP only the sockets see (docker). */
const pod = (i: number, named: boolean): Pod => {
  const host = named ? `redis-${i}.redis-headless.fake.svc.cluster.local` : podIp(i);
  return { name: `redis-${i}`, ordinal: i, node: `node-${i}`, redis: { host, port: 6379 }, sentinel: { host, port: 26379 } };
};

/** What a test can make a pod operation do: succeed (default), throw, or resolve only when released. */
export type Behaviour = 'ok' | { throws: string } | { after: Promise<void> };

/**
 * The simulated deployment: who is master, which pods run, which keys the master holds. Killing the master
 * fails over to the next pod after `failoverAfterMs` (never when null), with Sentinel's events.
 */
export class FakeWorld {
  readonly named: boolean;
  readonly pods: Pod[];
  master: Pod | null;
  readonly running: Set<string>;
  readonly keys = new Set<string>();
  readonly sentinelEvents: TrialEvent[] = [];
  /** What a ROLE sampler would record: each pod's role whenever it changes. */
  readonly roleEvents: TrialEvent[] = [];
  failoverAfterMs: number | null = 30;
  /** The failover discards what the old master acknowledged from the kill's call on (as one without replicas in sync would). */
  loseUnreplicated = false;
  /** Which pod acknowledged each key, and when. */
  readonly acked = new Map<string, { pod: Pod; ns: number }>();
  private killCalledNs = Infinity;
  /** Calls made to the pods, in order ("kill redis-0", "start redis-0"). */
  readonly calls: string[] = [];
  /** What the workload clients' PING does. */
  ping: Behaviour = 'ok';
  kill: Behaviour = 'ok';
  start: Behaviour = 'ok';
  /** Set by the trial IO: when each recorder was stopped and clients closed. */
  readonly closed = { observer: false, sampler: false, clients: 0 };
  private clock: Clock;

  /** `named`: pods are known by DNS names, the clients' sockets see their IPs (the docker target's situation). */
  constructor(clock: Clock, opts: { named?: boolean } = {}) {
    this.clock = clock;
    this.named = opts.named === true;
    this.pods = [0, 1, 2].map((i) => pod(i, this.named));
    this.master = this.pods[0]!;
    this.running = new Set(this.pods.map((p) => p.name));
  }

  /** The socket's `remoteAddress` for a pod. */
  socketHost(p: Pod): string {
    return podIp(p.ordinal);
  }

  /** Record an acknowledgement by `p`. */
  ack(key: string, p: Pod): void {
    this.keys.add(key);
    this.acked.set(key, { pod: p, ns: this.clock.nowNs() });
  }

  private sentinel(type: string, detail: string): void {
    this.sentinelEvents.push({ ns: this.clock.nowNs(), kind: 'sentinel', source: 'redis-1/sentinel', type, detail });
  }

  role(p: Pod, type: 'master' | 'slave' | 'unreachable'): void {
    this.roleEvents.push({ ns: this.clock.nowNs(), kind: 'role', source: addr(p.redis), type, detail: '' });
  }

  private masterDown(old: Pod): void {
    this.master = null;
    const after = this.failoverAfterMs;
    if (after === null) return;
    const next = this.pods.find((p) => p !== old && this.running.has(p.name))!;
    const m = `master mymaster ${old.redis.host} ${old.redis.port}`;
    setTimeout(() => {
      if (this.loseUnreplicated) for (const [k, a] of this.acked) if (a.pod === old && a.ns >= this.killCalledNs) this.keys.delete(k);
      this.sentinel('+sdown', m);
      this.sentinel('+odown', `${m} #quorum 2/2`);
      this.sentinel('+elected-leader', m);
      this.sentinel('+promoted-slave', `slave ${addr(next.redis)} ${next.redis.host} ${next.redis.port} @ mymaster ${old.redis.host} ${old.redis.port}`);
      this.master = next;
      this.role(next, 'master');
      // Sentinel reconfigures every other running pod (one restarted meanwhile as master included) as a replica.
      for (const p of this.pods) if (p !== next && this.running.has(p.name)) this.role(p, 'slave');
      this.sentinel('+switch-master', `mymaster ${old.redis.host} ${old.redis.port} ${next.redis.host} ${next.redis.port}`);
    }, after);
  }

  async act(b: Behaviour): Promise<void> {
    if (b === 'ok') return;
    if ('throws' in b) throw new Error(b.throws);
    await b.after;
  }

  readonly podControl: PodControl = {
    kill: async (name) => {
      this.calls.push(`kill ${name}`);
      this.killCalledNs = Math.min(this.killCalledNs, this.clock.nowNs());
      await this.act(this.kill);
      this.running.delete(name);
      this.role(
        this.pods.find((p) => p.name === name)!,
        'unreachable',
      );
      if (this.master?.name === name) this.masterDown(this.master);
    },
    start: async (name) => {
      this.calls.push(`start ${name}`);
      await this.act(this.start);
      this.running.add(name);
      // With no failover, the restarted pod is master again (what its sentinels still say).
      const p = this.pods.find((x) => x.name === name)!;
      if (this.master === null) this.master = p;
      this.role(p, this.master === p ? 'master' : 'slave');
    },
    isRunning: (name) => this.running.has(name),
    killContainer: async () => {},
    startContainer: async () => {},
    stop: async () => ({ preStopMs: 0 }),
    isReady: async () => true,
    setRedisImage: () => {},
    runPreStop: async () => false,
  };
}

/**
 * A deployment of three pods over the world; no optional ability (no network, pause, nodes, volumes, scale).
 * With named pods it maps the sockets' addresses to the pods' names, as the docker target does.
 */
export function fakeDeployment(world: FakeWorld): StartedDeployment {
  const byIp = new Map(world.pods.map((p) => [`${world.socketHost(p)}:${p.redis.port}`, addr(p.redis)]));
  return {
    ...(world.named ? { nodeIdentity: (n: string) => byIp.get(n) ?? n } : {}),
    target: 'fake',
    model: { masterName: 'mymaster', failoverTimeoutMs: 10_000 } as DeploymentModel,
    pods: world.pods,
    password: 'fake-password',
    passwords: ['fake-password'],
    setPassword: async () => {},
    downAfterMs: 100,
    podControl: world.podControl,
    redisVersion: 'fake',
    describe: () => ({}),
    down: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}

/** A client that writes to the world's master; with none (mid-failover), the write fails as a closed connection would. */
function fakeClient(world: FakeWorld, pinned: Pod | null): WorkloadClient {
  let acking: Pod | null = null;
  return {
    options: {},
    ping: async () => {
      await world.act(world.ping);
      return 'PONG';
    },
    disconnect: () => {
      world.closed.clients++;
    },
    get stream() {
      return acking ? { remoteAddress: world.socketHost(acking), remotePort: acking.redis.port } : undefined;
    },
    set: async (key: string) => {
      const m = pinned ?? world.master;
      if (!m || !world.running.has(m.name) || m !== world.master) throw new Error('Connection is closed.');
      world.ack(key, m);
      acking = m;
      return 'OK';
    },
  };
}

/** The trial's IO over the world: converged from the start, rejoin once a restarted pod is not the master. */
export function fakeTrialIo(world: FakeWorld): TrialIo {
  const observer = (): SentinelEventSource => ({
    events: world.sentinelEvents,
    start: async () => {},
    stop: async () => {
      world.closed.observer = true;
    },
  });
  const sampler = (): RoleSource => ({
    events: world.roleEvents,
    start: () => world.pods.forEach((p) => world.role(p, p === world.master ? 'master' : 'slave')),
    settle: async () => {},
    setPassword: () => {},
    stop: async () => {
      world.closed.sampler = true;
    },
  });
  return {
    converge: async () => ({ master: world.master!, replicas: world.pods.filter((p) => p !== world.master) }),
    inspect: async () => (world.master ? { ok: true } : { ok: false, reason: 'no master' }),
    replicationSnapshot: async () => ({ repl_offset_master_at_fault: 1000, repl_lag_bytes_at_fault: 0 }),
    hasRejoined: async (_d, p) => world.running.has(p.name) && world.master !== null && world.master !== p,
    readBack: async (_d, keys, clock) => ({
      ns: clock.nowNs(),
      present: new Set([...keys].filter((k) => world.keys.has(k))),
      node: world.master ? addr(world.master.redis) : 'none',
    }),
    sentinelEvents: observer,
    roleSampler: sampler,
    sentinelClient: () => fakeClient(world, null),
    directClient: (_d, p) => fakeClient(world, p),
    currentTopology: async (_d, fallback) => (world.master ? { master: world.master, replicas: world.pods.filter((p) => p !== world.master) } : fallback),
    sentinelMasters: async () => world.pods.map((p) => ({ sentinel: `${p.name}/sentinel`, master: world.master ? addr(world.master.redis) : null })),
  };
}
