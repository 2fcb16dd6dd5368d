// Peer conformance: Sentinel's own test suite (redis/redis tests/sentinel/tests/*.tcl) replayed on this
// deployment, where it applies. Each unit mirrors one upstream file; each check names the upstream test.
// Units run in order on the same deployment; after each one the deployment must converge again (strict:
// sentinels agree, replicas online, CKQUORUM OK) before the next starts.
import { HarnessError, isHarnessError } from '../errors.ts';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { pairs, parseInfo, withProbe } from '../redis/clients.ts';
import { waitForConvergence, type Topology } from '../targets/convergence.ts';
import { addr, hasPause, type Pod, type StartedDeployment } from '../targets/target.ts';
import type { FaultContext, InjectedFault } from '../faults/fault.ts';
import type { FaultSpec } from '../faults/index.ts';
import { conformanceFaultContext, HealStack, injectStep } from './disruption.ts';
import type { ConformanceCheck, ConformanceContext, ConformanceFigures, DisruptiveStep } from './types.ts';

const UPSTREAM_DIR = 'tests/sentinel/tests';

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface Outcome {
  valid: boolean | 'skipped';
  reason?: string;
  expected: string;
  observed: string;
  explanation: string;
  figures?: ConformanceFigures;
}

/** A failed step ends its unit: later steps depend on it. */
/** Poll `probe` until it returns a value (errors count as "not yet"); the last error or value says why not. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, pollMs = 100): Promise<{ value: T | undefined; ms: number; last: string }> {
  const start = performance.now();
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return { value: v, ms: Math.round(performance.now() - start), last };
    } catch (e) {
      last = errText(e);
    }
    if (performance.now() - start > timeoutMs) return { value: undefined, ms: Math.round(performance.now() - start), last };
    await sleep(pollMs);
  }
}

/** Talks to the deployment's sentinels and nodes; reads the password at each call (a unit changes it). */
class Peers {
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
    return i.role === 'slave' && i.master_link_status === 'up' && Number(i.master_port) === master.redis.port && (i.master_host === master.redis.host || (i.master_host ?? '').startsWith(`${master.name}.`));
  }
  async describeReplication(p: Pod): Promise<string> {
    const i = await this.replication(p).catch((e: Error) => ({ error: e.message }) as Record<string, string>);
    return i.error ? `${p.name}: (${i.error})` : `${p.name}: role ${i.role}${i.role === 'slave' ? ` of ${i.master_host}:${i.master_port} link ${i.master_link_status}` : ''}`;
  }
}

export interface UnitSpec {
  id: string;
  /** Upstream file name, e.g. 00-base.tcl. */
  file: string;
  /** Check name → upstream test title (or [file, title] when from another file), in the order the unit records them. */
  checks: Record<string, string | readonly [string, string]>;
  body(u: UnitRun): Promise<void>;
}

function upstreamOf(spec: UnitSpec, name: string): string {
  const t = spec.checks[name] ?? '?';
  const [file, title] = typeof t === 'string' ? [spec.file, t] : t;
  return `${UPSTREAM_DIR}/${file}: "${title}"`;
}

export class UnitRun {
  readonly spec: UnitSpec;
  readonly out: ConformanceCheck[];
  readonly p: Peers;
  readonly d: StartedDeployment;
  readonly topology: Topology;
  readonly ctx: ConformanceContext;
  /** The scenarios' fault context, for the steps that are scenario faults (the master kill, the pause). */
  readonly faultCtx: FaultContext;
  /** Undo actions, run last-in first-out whatever happens, each once, also on SIGINT (each one's failure is reported, not fatal). */
  readonly heals: HealStack;
  constructor(spec: UnitSpec, out: ConformanceCheck[], p: Peers, topology: Topology, ctx: ConformanceContext) {
    this.spec = spec;
    this.out = out;
    this.p = p;
    this.d = p.d;
    this.topology = topology;
    this.ctx = ctx;
    this.faultCtx = conformanceFaultContext(this.d, topology);
    this.heals = new HealStack(this.faultCtx);
  }
  /**
   * Bound for waiting on a failover: detection, election, promotion, and room for a second election,
   * which Sentinel starts 2 × failover-timeout after a split vote (sentinels that reach ODOWN together).
   */
  get failoverWaitMs(): number {
    return this.d.downAfterMs * 4 + this.d.model.failoverTimeoutMs * 2 + 10_000;
  }
  /** Push the undo of `what` on the heal stack; returns it (once-only) for a step that heals early. */
  onRestore(what: string, fn: () => Promise<unknown>): () => Promise<void> {
    return this.heals.push(what, fn);
  }
  /** Inject a scenario fault (FaultSpec) as a step; its heal goes on the heal stack. */
  inject(spec: FaultSpec, opts: { restart: boolean }): Promise<InjectedFault> {
    return injectStep(this.faultCtx, this.heals, spec, opts);
  }
  upstream(name: string): string {
    return upstreamOf(this.spec, name);
  }
  /** Record one check; a failed check ends the unit unless `keepGoing`. */
  async check(name: string, fn: () => Promise<Outcome>, opts: { keepGoing?: boolean } = {}): Promise<Outcome> {
    if (!(name in this.spec.checks)) throw new HarnessError('INTERNAL', `peer check ${name} is not declared by unit ${this.spec.id}`);
    const started = performance.now();
    let o: Outcome;
    try {
      o = await fn();
    } catch (e) {
      o = { valid: false, expected: 'the step to complete', observed: `error: ${errText(e)}`, explanation: 'The step could not be carried out.' };
    }
    this.out.push({
      name,
      group: 'peer',
      valid: o.valid,
      ...(o.reason !== undefined ? { reason: o.reason } : {}),
      expected: o.expected,
      observed: o.observed,
      explanation: o.explanation,
      upstream: this.upstream(name),
      ...(o.figures ? { figures: o.figures } : {}),
      durationMs: Math.round(performance.now() - started),
    });
    if (o.valid === false && !opts.keepGoing) throw new HarnessError('STEP_FAILED', name);
    return o;
  }
}

/** Sentinels whose pod is not `except`. */
const others = (pods: readonly Pod[], ...except: Pod[]): Pod[] => pods.filter((p) => !except.includes(p));

/** Wait until every sentinel in `sentinels` names a master other than `old`; the new master's pod. */
async function waitNewMaster(u: UnitRun, sentinels: readonly Pod[], old: Pod): Promise<{ master: Pod | undefined; ms: number; observed: string }> {
  let seen: string[] = [];
  const r = await until(async () => {
    seen = await Promise.all(sentinels.map(async (s) => `${s.name}: ${await u.p.masterAddr(s).catch((e: Error) => `(${e.message})`)}`));
    const addrs = new Set(seen.map((x) => x.slice(x.indexOf(': ') + 2)));
    if (addrs.size !== 1) return undefined;
    const pod = u.p.podAt([...addrs][0]!);
    return pod && pod !== old ? pod : undefined;
  }, u.failoverWaitMs);
  return { master: r.value, ms: r.ms, observed: seen.join('; ') };
}

function roleCheck(u: UnitRun, master: Pod): Promise<Outcome> {
  return u.p.replication(master).then((i) => ({
    valid: i.role === 'master',
    expected: `role:master on ${master.name}`,
    observed: `role:${i.role}`,
    explanation: 'The node the sentinels advertise must really be a master, or clients write to a read-only replica.',
  }));
}

async function followCheck(u: UnitRun, replicas: readonly Pod[], master: Pod, why: string): Promise<Outcome> {
  const r = await until(async () => ((await Promise.all(replicas.map((p) => u.p.follows(p, master)))).every(Boolean) ? true : undefined), u.failoverWaitMs, 200);
  return {
    valid: r.value === true,
    expected: `${replicas.map((p) => p.name).join(', ')} replicate from ${master.name} (${addr(master.redis)}) with the link up`,
    observed: (await Promise.all(replicas.map((p) => u.p.describeReplication(p)))).join('; ') + (r.value ? ` after ${r.ms} ms` : ` (waited ${r.ms} ms)`),
    explanation: why,
    figures: { wait_ms: r.ms },
  };
}

/** Flags every sentinel in `sentinels` reports for the master (or for `replica`) until `want` holds for all (or any). */
async function waitFlags(u: UnitRun, sentinels: readonly Pod[], want: (flags: string) => boolean, opts: { replica?: Pod; any?: boolean; timeoutMs: number; pollMs?: number }): Promise<{ ok: boolean; ms: number; observed: string; matched: string[] }> {
  let seen: { pod: string; flags: string }[] = [];
  const r = await until(async () => {
    seen = await Promise.all(
      sentinels.map(async (s) => ({
        pod: s.name,
        flags: await (opts.replica ? u.p.replicaState(s, opts.replica).then((x) => x?.flags ?? '(unknown replica)') : u.p.masterState(s).then((m) => m.flags ?? '?')).catch((e: Error) => `(${e.message})`),
      })),
    );
    const hits = seen.filter((x) => want(x.flags));
    return (opts.any ? hits.length > 0 : hits.length === seen.length) ? hits.map((h) => h.pod) : undefined;
  }, opts.timeoutMs, opts.pollMs ?? 50);
  return { ok: r.value !== undefined, ms: r.ms, observed: seen.map((x) => `${x.pod}: ${x.flags}`).join('; '), matched: r.value ?? [] };
}

const sdown = (f: string) => /(^|,)s_down(,|$)/.test(f);
const upMaster = (f: string) => f === 'master';

// ─────────────────────────────────────────── units ───────────────────────────────────────────

const ckquorum: UnitSpec = {
  id: 'ckquorum',
  file: '06-ckquorum.tcl',
  checks: {
    'ckquorum.ok': 'CKQUORUM reports OK and the right amount of Sentinels',
    'ckquorum.detects-unreachable-quorum': 'CKQUORUM detects quorum cannot be reached',
    'ckquorum.detects-no-failover-authorization': 'CKQUORUM detects failover authorization cannot be reached',
  },
  async body(u) {
    const pods = u.d.pods;
    const n = pods.length;
    await u.check('ckquorum.ok', async () => {
      const replies = await Promise.all(pods.map(async (s) => `${s.name}: ${String(await u.p.sentinelCmd(s, 'ckquorum', u.p.masterName).catch(errText))}`));
      return {
        valid: replies.every((r) => r.includes(`OK ${n} usable`)),
        expected: `"OK ${n} usable Sentinels…" from every sentinel`,
        observed: replies.join('; '),
        explanation: 'Every sentinel must see all its peers as usable, and count enough of them for quorum and for a majority.',
      };
    });
    const s0 = pods[0]!;
    const quorum = Number((await u.p.masterState(s0)).quorum);
    u.onRestore(`quorum ${quorum} on ${s0.name}/sentinel`, () => u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', quorum));
    await u.check('ckquorum.detects-unreachable-quorum', async () => {
      await u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', n + 1);
      const reply = await u.p.sentinelCmd(s0, 'ckquorum', u.p.masterName).then(String, errText);
      await u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', quorum);
      return {
        valid: reply.includes('NOQUORUM'),
        expected: `NOQUORUM from ${s0.name}/sentinel with quorum ${n + 1} of ${n} sentinels`,
        observed: reply,
        explanation: 'CKQUORUM must say when the configured quorum can never be reached, or a misconfiguration goes unnoticed until a failover is needed.',
      };
    });
    const victims = pods.slice(1, 1 + Math.floor(n / 2) + 1).filter((p) => p !== s0);
    await u.check('ckquorum.detects-no-failover-authorization', async () => {
      await u.p.sentinelCmd(s0, 'set', u.p.masterName, 'quorum', 1);
      for (const v of victims) {
        u.onRestore(`start ${v.name}/sentinel`, () => u.d.podControl.startContainer(v.name, 'sentinel'));
        await u.d.podControl.killContainer(v.name, 'sentinel');
      }
      const r = await until(async () => {
        const reply = await u.p.sentinelCmd(s0, 'ckquorum', u.p.masterName).then(String, errText);
        return reply.includes('NOQUORUM') ? reply : undefined;
      }, u.d.downAfterMs * 3 + 5000, 100);
      return {
        valid: r.value !== undefined,
        expected: `NOQUORUM from ${s0.name}/sentinel (quorum 1) once ${victims.map((v) => `${v.name}/sentinel`).join(' and ')} are down: no majority to authorize a failover`,
        observed: r.value ?? `still "${r.last}" after ${r.ms} ms`,
        explanation: 'Quorum alone is not enough: a failover needs a majority of all sentinels to vote; CKQUORUM must report when that majority is gone.',
        figures: { detect_ms: r.ms },
      };
    });
  },
};

/** 03-runtime-reconf's auth-pass test: a runtime password change every sentinel must follow, and its undo on the heal stack. */
async function authPassChange(u: UnitRun, m: string): Promise<void> {
  // The password change (the seed's "Password Rotation" done at runtime, as upstream does it): every node
  // gets the new requirepass and masterauth, the Secret changes, the running sentinels get SENTINEL SET
  // auth-pass, one sentinel is down during the change and restarts from the Secret. Then the nodes drop
  // every client connection so each sentinel must authenticate afresh.
  const pods = u.d.pods;
  const restarted = pods[0]!;
  const original = u.d.password;
  let next = randomBytes(18).toString('base64url');
  while (next === original) next = randomBytes(18).toString('base64url');
  const setEverywhere = async (pw: string, authWith: readonly string[]): Promise<void> => {
    for (const p of pods) {
      let done = false;
      let last = '';
      for (const a of authWith) {
        try {
          await u.p.redis(p, async (c) => {
            await c.call('CONFIG', 'SET', 'masterauth', pw);
            await c.call('CONFIG', 'SET', 'requirepass', pw);
          }, a);
          done = true;
          break;
        } catch (e) {
          last = errText(e);
        }
      }
      if (!done) throw new HarnessError('FAULT_FAILED', `${p.name}/redis: could not set the password (${last.replace(pw, '***')})`);
    }
  };
  const dropClients = () => Promise.all(pods.map((p) => u.p.redis(p, async (c) => {
    await c.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    await c.call('CLIENT', 'KILL', 'TYPE', 'pubsub', 'SKIPME', 'yes');
  })));
  const sentinelsConnected = () => until(async () => {
    const states = await Promise.all(pods.map(async (s) => {
      const mm = await u.p.masterState(s);
      const reps = ((await u.p.sentinelCmd(s, 'replicas', m)) as unknown[]).map(pairs);
      return mm.flags === 'master' && Number(mm['last-ok-ping-reply']) < u.d.downAfterMs && reps.length === pods.length - 1 && reps.every((r) => r.flags === 'slave' && Number(r['last-ok-ping-reply']) < u.d.downAfterMs);
    }));
    return states.every(Boolean) ? true : undefined;
  }, u.d.downAfterMs * 4 + 15_000, 200);
  u.onRestore('the original password everywhere', async () => {
    await u.d.setPassword(original);
    await setEverywhere(original, [next, original]);
    await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'auth-pass', original).catch(() => undefined)));
    await dropClients();
    await sentinelsConnected();
  });
  u.onRestore(`start ${restarted.name}/sentinel`, async () => {
    if (!(await u.p.sentinel(restarted, (c) => c.ping()).then(() => true, () => false))) await u.d.podControl.startContainer(restarted.name, 'sentinel');
  });
  await u.check('runtime-reconf.auth-pass', async () => {
    await u.d.podControl.killContainer(restarted.name, 'sentinel');
    // The Secret first: from here on the deployment's redaction covers the new password.
    await u.d.setPassword(next);
    await setEverywhere(next, [original]);
    await Promise.all(others(pods, restarted).map((s) => u.p.sentinelCmd(s, 'set', m, 'auth-pass', next)));
    await dropClients();
    await u.d.podControl.startContainer(restarted.name, 'sentinel');
    const r = await sentinelsConnected();
    const refusesOld = await Promise.all(pods.map((p) => withProbe(p.redis, {}, (c) => c.call('AUTH', original)).then(() => 'accepted', errText)));
    const acceptsNew = await Promise.all(pods.map((p) => withProbe(p.redis, {}, (c) => c.call('AUTH', next)).then(String, errText)));
    const oldRefused = refusesOld.every((x) => x.startsWith('WRONGPASS'));
    const newAccepted = acceptsNew.every((x) => x === 'OK');
    return {
      valid: r.value === true && oldRefused && newAccepted,
      expected: `every sentinel (${restarted.name}'s restarted from the Secret, the others after SENTINEL SET auth-pass) reconnects to the master and replicas with the new password; the old password refused`,
      observed: `${r.value ? `all sentinels connected again after ${r.ms} ms` : `not all sentinels connected after ${r.ms} ms${r.last ? ` (${r.last})` : ''}`}; old password ${oldRefused ? 'refused (WRONGPASS)' : 'still accepted somewhere'}; new password ${newAccepted ? 'accepted' : 'refused somewhere'}`,
      explanation: 'A sentinel that cannot authenticate sees the master as down (or cannot promote a replica): a password change must reach every sentinel, also one restarted during the change.',
      figures: { reconnect_ms: r.ms },
    };
  });
}

const runtimeReconf: UnitSpec = {
  id: 'runtime-reconf',
  file: '03-runtime-reconf.tcl',
  checks: {
    'runtime-reconf.set-parameters': 'Set parameters in normal case',
    'runtime-reconf.set-bad-format': 'Set parameters in normal case with bad format',
    'runtime-reconf.auth-pass': 'Sentinels (re)connection following SENTINEL SET mymaster auth-pass',
  },
  async body(u) {
    const s0 = u.d.pods[0]!;
    const m = u.p.masterName;
    const orig = await u.p.masterState(s0);
    const q = Number(orig.quorum);
    const da = Number(orig['down-after-milliseconds']);
    u.onRestore(`quorum and down-after on ${s0.name}/sentinel`, async () => {
      await u.p.sentinelCmd(s0, 'set', m, 'quorum', q);
      await u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', da);
    });
    await u.check('runtime-reconf.set-parameters', async () => {
      await u.p.sentinelCmd(s0, 'set', m, 'quorum', q + 1);
      await u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', da + 1000);
      const changed = await u.p.masterState(s0);
      await u.p.sentinelCmd(s0, 'set', m, 'quorum', q);
      await u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', da);
      const restored = await u.p.masterState(s0);
      return {
        valid: Number(changed.quorum) === q + 1 && Number(changed['down-after-milliseconds']) === da + 1000 && Number(restored.quorum) === q && Number(restored['down-after-milliseconds']) === da,
        expected: `quorum ${q + 1}, down-after ${da + 1000} after SENTINEL SET; ${q}, ${da} after restoring`,
        observed: `quorum ${changed.quorum}, down-after ${changed['down-after-milliseconds']}; then ${restored.quorum}, ${restored['down-after-milliseconds']}`,
        explanation: 'Operators tune a running sentinel with SENTINEL SET (the seed\'s scaling guide changes the quorum); it must take effect at once and be reversible.',
      };
    });
    await u.check('runtime-reconf.set-bad-format', async () => {
      const replies = await Promise.all(['-20', 'abc'].map((v) => u.p.sentinelCmd(s0, 'set', m, 'down-after-milliseconds', v).then((r) => `accepted (${String(r)})`, errText)));
      const after = Number((await u.p.masterState(s0))['down-after-milliseconds']);
      return {
        valid: replies.every((r) => r.startsWith("ERR Invalid argument")) && after === da,
        expected: `"ERR Invalid argument …" for down-after-milliseconds -20 and abc; down-after still ${da}`,
        observed: `${replies.join('; ')}; down-after ${after}`,
        explanation: 'A malformed value must be refused, not silently turned into 0 (an instant failover on every hiccup).',
      };
    });
    await authPassChange(u, m);
  },
};

/** What each down-conditions step works with. */
interface DownStep {
  u: UnitRun;
  pods: readonly Pod[];
  m: string;
  master: Pod;
  replica: Pod;
  waitMs: number;
  backUp: (what: string) => Promise<void>;
}

async function pausedInstance(x: DownStep): Promise<Outcome> {
  const { u, pods, master, waitMs, backUp } = x;
  const d = u.d;
  if (!hasPause(d)) return { valid: 'skipped', reason: `the ${d.target} target cannot pause processes`, expected: 's_down', observed: 'not run', explanation: '' };
  const paused = await u.inject(PAUSE_MASTER, { restart: false });
  const r = await waitFlags(u, pods, sdown, { timeoutMs: waitMs });
  await paused.heal();
  await backUp('SIGCONT');
  return {
    valid: r.ok,
    expected: `every sentinel flags ${master.name} s_down within ${waitMs} ms of SIGSTOP (down-after ${u.d.downAfterMs} ms)`,
    observed: `${r.observed} after ${r.ms} ms`,
    explanation: 'A frozen master (GC pause, stopped VM) accepts connections but never answers: Sentinel must judge it by its replies, not by the TCP connection.',
    figures: { sdown_ms: r.ms },
  };
}

async function crashedInstance(x: DownStep): Promise<Outcome> {
  const { u, pods, replica, waitMs } = x;
  u.onRestore(`start ${replica.name}/redis`, async () => {
    if (!(await u.p.redis(replica, (c) => c.ping()).then(() => true, () => false))) await u.d.podControl.startContainer(replica.name, 'redis');
  });
  await u.d.podControl.killContainer(replica.name, 'redis');
  const r = await waitFlags(u, pods, sdown, { replica, timeoutMs: waitMs });
  await u.d.podControl.startContainer(replica.name, 'redis');
  const back = await waitFlags(u, pods, (f) => f === 'slave', { replica, timeoutMs: waitMs });
  return {
    valid: r.ok && back.ok,
    expected: `every sentinel flags ${replica.name} (a replica) s_down once its redis is killed, and slave again once it is restarted`,
    observed: `${r.observed} after ${r.ms} ms; restarted: ${back.observed}`,
    explanation:
      'Upstream crashes the master; this deployment crashes a replica instead, because its start-up script (rightly) refuses to bring a pod back as master while the sentinels report it down, and with failovers prevented that wait lasts 60 s.',
    figures: { sdown_ms: r.ms },
  };
}

async function masterAdvertisingAsReplica(x: DownStep): Promise<Outcome> {
  const { u, pods, master, waitMs, backUp } = x;
  // Sentinel calls a master that reports role:slave down after down-after + 2 INFO periods (10 s
  // each by default); upstream shortens the period with SENTINEL DEBUG info-period, so does this.
  const periods = await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'debug', 'info-period', 1000).then(() => true, (e: Error) => e.message)));
  if (periods.some((x) => x !== true)) {
    return { valid: 'skipped', reason: `SENTINEL DEBUG info-period is not available: ${periods.find((x) => x !== true)}`, expected: 's_down', observed: 'not run', explanation: '' };
  }
  u.onRestore('the default INFO period on every sentinel', () => Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'debug', 'info-period', 10_000))));
  u.onRestore(`REPLICAOF NO ONE on ${master.name}`, () => u.p.redis(master, (c) => c.call('REPLICAOF', 'NO', 'ONE')));
  await u.p.redis(master, (c) => c.call('REPLICAOF', master.redis.host, '1'));
  const r = await waitFlags(u, pods, sdown, { timeoutMs: waitMs + 3000 });
  await u.p.redis(master, (c) => c.call('REPLICAOF', 'NO', 'ONE'));
  await backUp('REPLICAOF NO ONE');
  await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'debug', 'info-period', 10_000)));
  return {
    valid: r.ok,
    expected: `every sentinel flags ${master.name} s_down while it reports role:slave`,
    observed: `${r.observed} after ${r.ms} ms`,
    explanation: 'A master that turned itself into a replica (a stray REPLICAOF, a restarted pod following the wrong node) accepts no writes: Sentinel must treat it as down.',
    figures: { sdown_ms: r.ms },
  };
}

async function replyingWithErrors(x: DownStep): Promise<Outcome> {
  const { u, pods, master, waitMs, backUp } = x;
  // Upstream makes the master answer PING with MISCONF (a failing BGSAVE); here a busy script makes it
  // answer BUSY, which changes nothing on disk. Sentinel should flag it down and then send SCRIPT KILL.
  const threshold = await u.p.redis(master, (c) => c.call('CONFIG', 'GET', 'busy-reply-threshold')).then((r) => (r as string[])[1] ?? '5000');
  u.onRestore(`busy-reply-threshold on ${master.name}`, () => u.p.redis(master, (c) => c.call('CONFIG', 'SET', 'busy-reply-threshold', threshold)));
  await u.p.redis(master, (c) => c.call('CONFIG', 'SET', 'busy-reply-threshold', '100'));
  const script = withProbe(master.redis, { password: u.d.password, connectTimeoutMs: 500, commandTimeoutMs: waitMs * 2 }, (c) => c.call('EVAL', 'while true do end', '0')).then(
    () => 'returned',
    (e: Error) => e.message,
  );
  u.onRestore(`SCRIPT KILL on ${master.name}`, () => u.p.redis(master, (c) => c.call('SCRIPT', 'KILL')).catch(() => undefined));
  const r = await waitFlags(u, pods, sdown, { timeoutMs: waitMs, any: true, pollMs: 25 });
  const ended = await Promise.race([script, sleep(u.d.downAfterMs * 2 + 5000).then(() => null)]);
  if (ended === null) await u.p.redis(master, (c) => c.call('SCRIPT', 'KILL')).catch(() => undefined);
  await u.p.redis(master, (c) => c.call('CONFIG', 'SET', 'busy-reply-threshold', threshold));
  await backUp('the script ended');
  return {
    valid: r.ok,
    expected: `a sentinel flags ${master.name} s_down while it answers PING with BUSY`,
    observed: `${r.observed} after ${r.ms} ms (s_down seen on ${r.matched.join(', ') || 'none'}); the script ${ended === null ? 'was not killed by a sentinel (killed by the harness)' : `ended: ${ended}`}`,
    explanation: 'An instance that answers every command with an error is as unusable as a dead one: only PONG, LOADING and MASTERDOWN count as alive.',
    figures: { sdown_ms: r.ms },
  };
}

async function pingRenamed(x: DownStep): Promise<Outcome> {
  const { u, pods, m, master, waitMs } = x;
  const s = pods.find((p) => p !== master) ?? pods[0]!;
  u.onRestore(`rename-command PING PING on ${s.name}/sentinel`, () => u.p.sentinelCmd(s, 'set', m, 'rename-command', 'PING', 'PING'));
  await u.p.sentinelCmd(s, 'set', m, 'rename-command', 'PING', 'PONG');
  const r = await waitFlags(u, [s], sdown, { timeoutMs: waitMs });
  await u.p.sentinelCmd(s, 'set', m, 'rename-command', 'PING', 'PING');
  const back = await waitFlags(u, [s], upMaster, { timeoutMs: waitMs });
  return {
    valid: r.ok && back.ok,
    expected: `${s.name}/sentinel flags ${master.name} s_down while it sends PONG (an unknown command) instead of PING, and up again once restored`,
    observed: `${r.observed} after ${r.ms} ms; restored: ${back.observed}`,
    explanation: 'Sentinel\'s rename-command support (for deployments that rename commands) works, and an error reply to its PING counts as down.',
    figures: { sdown_ms: r.ms },
  };
}

const downConditions: UnitSpec = {
  id: 'down-conditions',
  file: '07-down-conditions.tcl',
  checks: {
    'down.paused-instance': 'SDOWN is triggered by non-responding but not crashed instance',
    'down.crashed-instance': 'SDOWN is triggered by crashed instance',
    'down.master-advertising-as-replica': 'SDOWN is triggered by masters advertising as slaves',
    'down.replying-with-errors': 'SDOWN is triggered by misconfigured instance replying with errors',
    'down.ping-renamed': 'SDOWN is triggered if we rename PING to PONG',
  },
  async body(u) {
    const pods = u.d.pods;
    const m = u.p.masterName;
    const master = u.topology.master;
    const replica = u.topology.replicas[0]!;
    const waitMs = u.d.downAfterMs * 3 + 10_000;
    // Upstream crashes a majority of sentinels so that no failover follows the SDOWNs; here every
    // sentinel stays up with a quorum no count of them can reach (quorum alone stops ODOWN, hence failover).
    const quorums = await Promise.all(pods.map(async (s) => Number((await u.p.masterState(s)).quorum)));
    u.onRestore('the quorum on every sentinel', () => Promise.all(pods.map((s, i) => u.p.sentinelCmd(s, 'set', m, 'quorum', quorums[i]!))));
    await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'quorum', pods.length + 1)));
    const backUp = async (what: string): Promise<void> => {
      const r = await waitFlags(u, pods, upMaster, { timeoutMs: waitMs });
      if (!r.ok) throw new HarnessError('FAULT_FAILED', `the master did not come back up after ${what}: ${r.observed}`);
    };
    const x: DownStep = { u, pods, m, master, replica, waitMs, backUp };

    await u.check('down.paused-instance', () => pausedInstance(x), { keepGoing: true });

    await u.check('down.crashed-instance', () => crashedInstance(x), { keepGoing: true });

    await u.check('down.master-advertising-as-replica', () => masterAdvertisingAsReplica(x), { keepGoing: true });

    await u.check('down.replying-with-errors', () => replyingWithErrors(x), { keepGoing: true });

    await u.check('down.ping-renamed', () => pingRenamed(x), { keepGoing: true });
  },
};

const manual: UnitSpec = {
  id: 'manual',
  file: '05-manual.tcl',
  checks: {
    'manual.failover': 'Manual failover works',
    'manual.second-call-inprog': 'Manual failover works',
    'manual.new-master-role': 'New master [join $addr {:}] role matches',
    'manual.replicas-follow-new-master': 'All the other slaves now point to the new master',
    'manual.old-master-reconfigured': 'The old master eventually gets reconfigured as a slave',
  },
  async body(u) {
    const old = u.topology.master;
    const s0 = u.d.pods[0]!;
    let second = '';
    let newMaster: Pod | undefined;
    await u.check('manual.failover', async () => {
      const first = await until(async () => {
        const r = await u.p.sentinelCmd(s0, 'failover', u.p.masterName).then(String, errText);
        if (r === 'OK') {
          second = await u.p.sentinelCmd(s0, 'failover', u.p.masterName).then(String, errText);
          return r;
        }
        if (!r.includes('NOGOODSLAVE')) return `refused: ${r}`;
        return undefined;
      }, 15_000, 200);
      if (first.value !== 'OK') {
        return { valid: false, expected: 'OK to SENTINEL FAILOVER', observed: first.value ?? `NOGOODSLAVE for ${first.ms} ms`, explanation: 'A requested failover must be accepted when replicas are healthy.' };
      }
      const r = await waitNewMaster(u, u.d.pods, old);
      newMaster = r.master;
      return {
        valid: r.master !== undefined,
        expected: `OK, then every sentinel names a new master instead of ${old.name}`,
        observed: `OK; ${r.observed} after ${r.ms} ms`,
        explanation: 'SENTINEL FAILOVER (the seed\'s "Test Failover") hands the master role over without waiting for agreement from the other sentinels.',
        figures: { failover_ms: r.ms },
      };
    });
    await u.check('manual.second-call-inprog', async () => ({
      valid: second.includes('INPROG'),
      expected: 'INPROG to a second SENTINEL FAILOVER while the first is in progress',
      observed: second,
      explanation: 'A second request must not start a second failover on top of the first.',
    }), { keepGoing: true });
    const nm = newMaster!;
    await u.check('manual.new-master-role', () => roleCheck(u, nm));
    await u.check('manual.replicas-follow-new-master', () => followCheck(u, others(u.d.pods, nm, old), nm, 'Sentinel reconfigures every other replica to the new master.'));
    await u.check('manual.old-master-reconfigured', () => followCheck(u, [old], nm, 'The old master (still running) is turned into a replica of the new one.'));
  },
};

const base: UnitSpec = {
  id: 'base',
  file: '00-base.tcl',
  checks: {
    'base.failover-master-down': 'Basic failover works if the master is down',
    'base.new-master-role': 'New master [join $addr {:}] role matches',
    'base.replicas-follow-new-master': 'All the other slaves now point to the new master',
    'base.old-master-rejoins-as-replica': 'The old master eventually gets reconfigured as a slave',
  },
  async body(u) {
    const old = u.topology.master;
    let nm: Pod | undefined;
    let restart = async () => {};
    await u.check('base.failover-master-down', async () => {
      restart = (await u.inject(KILL_MASTER, { restart: true })).heal;
      const r = await waitNewMaster(u, others(u.d.pods, old), old);
      nm = r.master;
      return {
        valid: r.master !== undefined,
        expected: `the surviving sentinels name a new master instead of ${old.name} (pod killed)`,
        observed: `${r.observed} after ${r.ms} ms`,
        explanation: 'The seed\'s promise: automatic failover when the master pod dies.',
        figures: { failover_ms: r.ms },
      };
    });
    await u.check('base.new-master-role', () => roleCheck(u, nm!));
    await u.check('base.replicas-follow-new-master', () => followCheck(u, others(u.d.pods, nm!, old), nm!, 'Sentinel reconfigures the remaining replica to the new master.'));
    await u.check('base.old-master-rejoins-as-replica', async () => {
      await restart();
      return followCheck(u, [old], nm!, 'The restarted old master must rejoin as a replica of the new master, never as a second master.');
    });
  },
};

/** Upstream counts on a dead master staying failed-over-free for a while: two down-afters and two seconds. */
const quietMs = (u: UnitRun) => u.d.downAfterMs * 2 + 2000;

/** Over quietMs, whether any sentinel in `sentinels` named another master or flagged o_down; and whether each saw s_down. */
async function watchNoFailover(u: UnitRun, sentinels: readonly Pod[], old: Pod): Promise<{ moved: string[]; odown: string[]; sdown: Set<string>; last: string }> {
  const moved: string[] = [];
  const odown: string[] = [];
  const sd = new Set<string>();
  let last = '';
  const end = performance.now() + quietMs(u);
  while (performance.now() < end) {
    const seen = await Promise.all(
      sentinels.map(async (s) => {
        const a = await u.p.masterAddr(s).catch(() => '(no answer)');
        const f = await u.p.masterState(s).then((m) => m.flags ?? '?', () => '(no answer)');
        if (a !== addr(old.redis) && a !== '(no answer)') moved.push(`${s.name}: ${a}`);
        if (/o_down/.test(f)) odown.push(s.name);
        if (sdown(f)) sd.add(s.name);
        return `${s.name}: ${a} ${f}`;
      }),
    );
    last = seen.join('; ');
    await sleep(200);
  }
  return { moved, odown, sdown: sd, last };
}

const agreementQuorum: UnitSpec = {
  id: 'agreement-quorum',
  file: '00-base.tcl',
  checks: {
    'base.no-odown-without-quorum': 'ODOWN is not possible without N (quorum) Sentinels reports',
    'base.failover-absolute-agreement': 'Failover works if we configure for absolute agreement',
  },
  async body(u) {
    const pods = u.d.pods;
    const m = u.p.masterName;
    const old = u.topology.master;
    const quorums = await Promise.all(pods.map(async (s) => Number((await u.p.masterState(s)).quorum)));
    u.onRestore(`start ${old.name}/redis`, async () => {
      if (!(await u.p.redis(old, (c) => c.ping()).then(() => true, () => false))) await u.d.podControl.startContainer(old.name, 'redis');
    });
    u.onRestore('the quorum on every sentinel', () => Promise.all(pods.map((s, i) => u.p.sentinelCmd(s, 'set', m, 'quorum', quorums[i]!))));
    await u.check('base.no-odown-without-quorum', async () => {
      await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'quorum', pods.length + 1)));
      await u.d.podControl.killContainer(old.name, 'redis');
      const w = await watchNoFailover(u, pods, old);
      return {
        valid: w.moved.length === 0 && w.odown.length === 0 && w.sdown.size === pods.length,
        expected: `with quorum ${pods.length + 1} of ${pods.length} sentinels and ${old.name}/redis killed: every sentinel flags it s_down, none o_down, none names another master for ${quietMs(u)} ms`,
        observed: `s_down on ${[...w.sdown].join(', ') || 'none'}; o_down on ${[...new Set(w.odown)].join(', ') || 'none'}; other master named: ${w.moved.length ? [...new Set(w.moved)].join(', ') : 'never'}; last: ${w.last}`,
        explanation: 'ODOWN (and so a failover) needs quorum sentinels to agree the master is down; fewer must never fail it over.',
      };
    });
    await u.check('base.failover-absolute-agreement', async () => {
      await Promise.all(pods.map((s) => u.p.sentinelCmd(s, 'set', m, 'quorum', pods.length)));
      const r = await waitNewMaster(u, pods, old);
      return {
        valid: r.master !== undefined,
        expected: `with quorum ${pods.length} (every sentinel must agree), the master still down: the sentinels fail it over`,
        observed: `${r.observed} after ${r.ms} ms`,
        explanation: 'Absolute agreement is allowed: with every sentinel up, a quorum equal to their number still fails over.',
        figures: { failover_ms: r.ms },
      };
    });
  },
};

// 00-base's "no failover without majority" runs here: it leaves the master down with two sentinels
// crashed, and restarting one of them is exactly 01-conf-update's "failover with Sentinel 1 crashed".
const confUpdate: UnitSpec = {
  id: 'conf-update',
  file: '01-conf-update.tcl',
  checks: {
    'base.no-failover-without-majority': ['00-base.tcl', 'Failover is not possible without majority agreement'],
    'conf-update.failover-with-sentinel-crashed': 'We can failover with Sentinel 1 crashed',
    'conf-update.restarted-sentinel-updated': 'After Sentinel 1 is restarted, its config gets updated',
    'conf-update.new-master-role': 'New master [join $addr {:}] role matches',
  },
  async body(u) {
    const old = u.topology.master;
    const crashed = u.topology.replicas[0]!;
    const alive = u.topology.replicas[1]!;
    let nm: Pod | undefined;
    u.onRestore(`start ${old.name}/redis`, async () => {
      if (!(await u.p.redis(old, (c) => c.ping()).then(() => true, () => false))) await u.d.podControl.startContainer(old.name, 'redis');
    });
    for (const s of [crashed, old]) {
      u.onRestore(`start ${s.name}/sentinel`, async () => {
        if (!(await u.p.sentinel(s, (c) => c.ping()).then(() => true, () => false))) await u.d.podControl.startContainer(s.name, 'sentinel');
      });
    }
    await u.check('base.no-failover-without-majority', async () => {
      await u.d.podControl.killContainer(crashed.name, 'sentinel');
      await u.d.podControl.killContainer(old.name, 'sentinel');
      await u.d.podControl.killContainer(old.name, 'redis');
      const w = await watchNoFailover(u, [alive], old);
      return {
        valid: w.moved.length === 0 && w.sdown.has(alive.name),
        expected: `with ${crashed.name}/sentinel and ${old.name}/sentinel crashed and ${old.name}/redis killed, ${alive.name}/sentinel flags the master s_down but names no other master for ${quietMs(u)} ms`,
        observed: `s_down ${w.sdown.has(alive.name) ? 'seen' : 'not seen'}; other master named: ${w.moved.length ? [...new Set(w.moved)].join(', ') : 'never'}; last: ${w.last}`,
        explanation: 'One sentinel of three is no majority: it must not promote a replica on its own, whatever it sees.',
      };
    });
    await u.check('conf-update.failover-with-sentinel-crashed', async () => {
      await u.d.podControl.startContainer(old.name, 'sentinel');
      const r = await waitNewMaster(u, [old, alive], old);
      nm = r.master;
      return {
        valid: r.master !== undefined,
        expected: `with ${crashed.name}/sentinel still crashed, the other two sentinels fail ${old.name} (redis down) over`,
        observed: `${r.observed} after ${r.ms} ms (from ${old.name}/sentinel's restart)`,
        explanation: 'Quorum 2 of 3: the deployment must survive one sentinel down and still fail over.',
        figures: { failover_ms: r.ms },
      };
    });
    await u.check('conf-update.restarted-sentinel-updated', async () => {
      await u.d.podControl.startContainer(crashed.name, 'sentinel');
      const r = await until(async () => ((await u.p.masterAddr(crashed)) === addr(nm!.redis) ? true : undefined), u.failoverWaitMs, 100);
      return {
        valid: r.value === true,
        expected: `${crashed.name}/sentinel, restarted, names ${nm!.name} (${addr(nm!.redis)}) as master`,
        observed: `${await u.p.masterAddr(crashed).catch(errText)} after ${r.ms} ms`,
        explanation: 'A sentinel that was down during a failover must learn the new master (from its peers\' hellos, and here also from the start-up script asking them), or it sends clients to the old one.',
        figures: { update_ms: r.ms },
      };
    });
    await u.check('conf-update.new-master-role', () => roleCheck(u, nm!));
  },
};

const slavesReconf: UnitSpec = {
  id: 'slaves-reconf',
  file: '02-slaves-reconf.tcl',
  checks: {
    'slaves-reconf.replicas-replicate': 'Check that slaves replicate from current master',
    'slaves-reconf.failover-with-replica-down': 'Crash the master and force a failover',
    'slaves-reconf.failover-ends': 'Wait for failover to end',
    'slaves-reconf.restarted-replica-reconfigured': 'Restart killed slave and test replication of slaves again...',
  },
  async body(u) {
    const old = u.topology.master;
    const [killed, survivor] = u.topology.replicas as [Pod, Pod];
    await u.check('slaves-reconf.replicas-replicate', () => followCheck(u, u.topology.replicas, old, 'Every replica replicates from the master the sentinels name.'));
    for (const p of [killed, old]) {
      u.onRestore(`start ${p.name}/redis`, async () => {
        if (!(await u.p.redis(p, (c) => c.ping()).then(() => true, () => false))) await u.d.podControl.startContainer(p.name, 'redis');
      });
    }
    await u.check('slaves-reconf.failover-with-replica-down', async () => {
      await u.d.podControl.killContainer(killed.name, 'redis');
      await u.d.podControl.killContainer(old.name, 'redis');
      const r = await waitNewMaster(u, u.d.pods, old);
      return {
        valid: r.master === survivor,
        expected: `with ${killed.name}/redis down, the sentinels fail ${old.name} over to ${survivor.name}, the only replica left`,
        observed: `${r.observed} after ${r.ms} ms`,
        explanation: 'A failover must succeed with a replica down.',
        figures: { failover_ms: r.ms },
      };
    });
    await u.check('slaves-reconf.failover-ends', async () => {
      let states: string[] = [];
      const r = await until(async () => {
        const ms = await Promise.all(u.d.pods.map((s) => u.p.masterState(s)));
        states = ms.map((x, i) => `${u.d.pods[i]!.name}: ${x['failover-state'] ?? 'none'}`);
        return ms.every((x) => x['failover-state'] === undefined && !/failover_in_progress/.test(x.flags ?? '')) ? true : undefined;
      }, u.d.model.failoverTimeoutMs * 2 + u.d.downAfterMs * 2 + 10_000, 200);
      return {
        valid: r.value === true,
        expected: 'no sentinel in a failover state (the unreachable replica\'s reconfiguration given up after failover-timeout)',
        observed: `${states.join('; ')} after ${r.ms} ms`,
        explanation: 'A failover with a replica down must end (by failover-timeout at the latest) rather than hang.',
        figures: { end_ms: r.ms },
      };
    });
    await u.check('slaves-reconf.restarted-replica-reconfigured', async () => {
      await u.d.podControl.startContainer(killed.name, 'redis');
      await u.d.podControl.startContainer(old.name, 'redis');
      return followCheck(u, [killed, old], survivor, 'A replica that was down during the failover must replicate from the new master once it returns, even though the failover has ended.');
    });
  },
};

const masterReboot: UnitSpec = {
  id: 'master-reboot',
  file: '12-master-reboot.tcl',
  checks: { 'master-reboot.loading': 'Master reboot in very short time' },
  async body(u) {
    await u.check('master-reboot.loading', async () => ({
      valid: 'skipped',
      reason:
        'upstream restarts the master with key-load-delay (set by CONFIG SET and CONFIG REWRITE) so that it answers LOADING for seconds and the sentinels fail it over under master-reboot-down-after-period; ' +
        'here the start-up script rebuilds redis.conf from the ConfigMap at every start, so a rewritten key-load-delay does not survive the restart, and DEBUG (for DEBUG POPULATE / RELOAD) is disabled (the Redis 7 default): ' +
        'reproducing it would mean changing the deployment under test',
      expected: 'a failover when the master reboots and stays LOADING',
      observed: 'not run',
      explanation: '',
    }));
  },
};

const KILL_MASTER: FaultSpec = { kind: 'kill-pod', target: 'master', holdMs: 0 };
/** Held until every sentinel flags s_down, at most 3 × down-after + 10 s (the unit's bound). */
const PAUSE_MASTER: FaultSpec = { kind: 'pause', target: 'master', durationMs: '3x+10000' };

/** For --dry-run: what each unit does to the deployment, and how it is undone (all on the heal stack, SIGINT included). */
export const PEER_STEPS: readonly DisruptiveStep[] = [
  { unit: '06-ckquorum.tcl', action: 'SENTINEL SET quorum 4, then 1, on one sentinel; SIGKILL the sentinel containers of two other pods', heal: 'restore the quorum; start the sentinel containers' },
  { unit: '03-runtime-reconf.tcl', action: 'SENTINEL SET quorum / down-after on one sentinel; a runtime password change (CONFIG SET requirepass and masterauth on every node, the Secret, SENTINEL SET auth-pass, CLIENT KILL) with one sentinel container killed meanwhile', heal: 'restore quorum and down-after; the original password the same way; start the sentinel container' },
  { unit: '07-down-conditions.tcl', action: 'SIGSTOP the master\'s redis', heal: 'SIGCONT', fault: PAUSE_MASTER },
  { unit: '07-down-conditions.tcl', action: 'quorum 4 on every sentinel (no failover throughout the unit); SIGKILL a replica\'s redis container; REPLICAOF on the master; a busy script on the master; rename-command PING PONG on one sentinel', heal: 'start the container; REPLICAOF NO ONE; SCRIPT KILL; restore every setting and the quorum' },
  { unit: '05-manual.tcl', action: 'SENTINEL FAILOVER (twice: the second must answer INPROG)', heal: 'none: the new master stays; convergence awaited' },
  { unit: '00-base.tcl', action: 'SIGKILL both containers of the master\'s pod', heal: 'start the pod again', fault: KILL_MASTER },
  { unit: '00-base.tcl', action: 'quorum 4, then 3, on every sentinel; SIGKILL the master\'s redis container', heal: 'restore the quorum; start the container' },
  { unit: '01-conf-update.tcl', action: 'SIGKILL two sentinel containers and the master\'s redis container', heal: 'start them again' },
  { unit: '02-slaves-reconf.tcl', action: 'SIGKILL a replica\'s and the master\'s redis containers', heal: 'start them again' },
];

/** The units in the order they run: the cheap, failover-free ones first. */
export const PEER_UNITS: readonly UnitSpec[] = [ckquorum, runtimeReconf, downConditions, manual, base, agreementQuorum, confUpdate, slavesReconf, masterReboot];

/** Names of every peer check, in order (for the README and the tests). */
export const PEER_CHECK_NAMES: readonly string[] = PEER_UNITS.flatMap((u) => Object.keys(u.checks));

/** The peer group. Each unit restores what it changed and the deployment must converge before the next. */
export async function peerChecks(
  ctx: ConformanceContext,
  units: readonly UnitSpec[] = PEER_UNITS,
  /** How convergence is awaited (tests replace it). */
  convergeWith: (d: StartedDeployment, timeoutMs: number) => Promise<Topology> = (d, timeoutMs) => waitForConvergence({ pods: d.pods, password: d.password, masterName: d.model.masterName }, { timeoutMs }),
): Promise<ConformanceCheck[]> {
  const d = ctx.deployment;
  if (!d) throw new HarnessError('INTERNAL', 'the peer conformance group needs a running deployment');
  const p = new Peers(d);
  const out: ConformanceCheck[] = [];
  const converge = () => convergeWith(d, ctx.convergeTimeoutMs);
  let broken: string | null = null;
  let topology: Topology | undefined;
  try {
    topology = await converge();
  } catch (e) {
    broken = `the deployment had not converged before the peer checks: ${errText(e)}`;
  }
  for (const spec of units) {
    if (broken !== null || topology === undefined) {
      for (const [name] of Object.entries(spec.checks)) {
        out.push({ name, group: 'peer', valid: 'skipped', reason: broken ?? 'no topology', expected: '-', observed: 'not run', explanation: '', upstream: upstreamOf(spec, name) });
      }
      continue;
    }
    ctx.log?.(`conformance: peer ${spec.file} …`);
    const u = new UnitRun(spec, out, p, topology, ctx);
    const before = out.length;
    try {
      await spec.body(u);
    } catch (e) {
      if (!(isHarnessError(e) && e.code === 'STEP_FAILED')) {
        out.push({ name: `${spec.id}.evaluation`, group: 'peer', valid: false, expected: 'the unit to run', observed: `error: ${errText(e)}`, explanation: 'The unit could not be carried out.', upstream: `${UPSTREAM_DIR}/${spec.file}` });
      }
    }
    const restoreErrors = await u.heals.unwind();
    const recorded = new Set(out.slice(before).map((c) => c.name));
    for (const name of Object.keys(spec.checks)) {
      if (!recorded.has(name)) out.push({ name, group: 'peer', valid: 'skipped', reason: 'not reached: an earlier step of this unit failed', expected: '-', observed: 'not run', explanation: '', upstream: upstreamOf(spec, name) });
    }
    try {
      topology = await converge();
    } catch (e) {
      broken = `the deployment did not converge after ${spec.file}: ${errText(e)}`;
      out.push({
        name: `${spec.id}.converged-after`,
        group: 'peer',
        valid: false,
        expected: `the deployment converged again within ${ctx.convergeTimeoutMs} ms`,
        observed: `${errText(e)}${restoreErrors.length ? `; restoring failed: ${restoreErrors.join('; ')}` : ''}`,
        explanation: 'After every peer check the deployment must heal on its own (with what the check changed restored); the remaining checks are skipped.',
        upstream: `${UPSTREAM_DIR}/${spec.file}`,
      });
    }
  }
  return out.map((c) => scrub(c, d.passwords));
}

/** Defence in depth: no password in any text of a check (they are redacted again when written). */
function scrub(c: ConformanceCheck, secrets: readonly string[]): ConformanceCheck {
  const t = (s: string) => secrets.reduce((acc, p) => (p.length >= 4 ? acc.replaceAll(p, '***') : acc), s);
  return { ...c, expected: t(c.expected), observed: t(c.observed), explanation: t(c.explanation), ...(c.reason !== undefined ? { reason: t(c.reason) } : {}) };
}
