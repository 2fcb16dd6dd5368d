// An independent failover observer: only redis-cli processes polling every 10 ms, no sentinel-chaos code.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Sample {
  /** performance.now() when the line arrived. */
  t: number;
  line: string;
}

export interface Node {
  name: string;
  host: string;
  redisPort: number;
  sentinelPort: number;
}

/**
 * One `redis-cli -r -1 -i 0.01 …` loop with every output line timestamped on arrival. redis-cli exits
 * when the server drops the connection (Sentinel sends CLIENT KILL to every node it reconfigures),
 * so the loop starts it again, as a reconnecting client would.
 */
function loop(host: string, port: number, args: string[], password: string | null): { samples: Sample[]; stop: () => void } {
  const samples: Sample[] = [];
  const env = { ...process.env, ...(password ? { REDISCLI_AUTH: password } : {}) };
  let proc: ChildProcess | null = null;
  let stopped = false;
  const start = () => {
    // stdbuf: redis-cli writes to a pipe through stdio buffers; line-buffer them so lines arrive when written.
    const p = spawn('stdbuf', ['-oL', 'redis-cli', '-h', host, '-p', String(port), '--no-auth-warning', '-r', '-1', '-i', '0.01', ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [p.stdout!, p.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => samples.push({ t: performance.now(), line }));
    }
    p.once('exit', () => {
      if (!stopped) setTimeout(start, 10);
    });
    proc = p;
  };
  start();
  return {
    samples,
    stop: () => {
      stopped = true;
      proc?.kill('SIGKILL');
    },
  };
}

export interface Observation {
  killMs: number | null;
  /** First change of `SENTINEL MASTER`'s ip on any surviving sentinel: that sentinel's +switch-master. */
  switchMs: number | null;
  /** First time the first surviving sentinel (pod order, as a client's list) answers get-master-addr-by-name with the new master. */
  addrMs: number | null;
  /** First time any surviving sentinel answers get-master-addr-by-name with the new master. */
  addrAnyMs: number | null;
  /** First OK to SET on the new master at or after addrMs: what a client asking that one sentinel gets. */
  ackMs: number | null;
  /** First OK to SET on the new master at or after addrAnyMs: what a client asking every sentinel gets. */
  ackAnyMs: number | null;
  newMaster: string | null;
}

/**
 * Watches one failover of `master`: a PING loop on it (the kill is its first non-PONG line), sentinel
 * loops on every other pod, and a SET loop on every other pod.
 */
export class Observer {
  private readonly loops: Array<{ samples: Sample[]; stop: () => void }> = [];
  private ping!: Sample[];
  private masterInfo = new Map<string, Sample[]>();
  private masterAddr = new Map<string, Sample[]>();
  private sets = new Map<string, Sample[]>();
  private readonly nodes: Node[];
  private readonly master: Node;
  private readonly masterName: string;
  private readonly password: string;

  constructor(nodes: Node[], master: Node, masterName: string, password: string) {
    this.nodes = nodes;
    this.master = master;
    this.masterName = masterName;
    this.password = password;
  }

  start(): void {
    const add = (host: string, port: number, args: string[], pw: string | null) => {
      const l = loop(host, port, args, pw);
      this.loops.push(l);
      return l.samples;
    };
    this.ping = add(this.master.host, this.master.redisPort, ['PING'], this.password);
    for (const n of this.nodes.filter((x) => x !== this.master)) {
      this.masterInfo.set(n.name, add(n.host, n.sentinelPort, ['SENTINEL', 'master', this.masterName], null));
      this.masterAddr.set(n.name, add(n.host, n.sentinelPort, ['SENTINEL', 'get-master-addr-by-name', this.masterName], null));
      this.sets.set(n.name, add(n.host, n.redisPort, ['SET', 'bench:observer', 'x'], this.password));
    }
  }

  stop(): void {
    for (const l of this.loops) l.stop();
  }

  result(): Observation {
    const kill = this.ping.find((s) => s.line !== 'PONG')?.t ?? null;
    if (kill === null) return { killMs: null, switchMs: null, addrMs: null, addrAnyMs: null, ackMs: null, ackAnyMs: null, newMaster: null };
    const old = this.master.host;
    // SENTINEL MASTER in raw mode: alternating field / value lines; the value after "ip" is the address.
    const switches = [...this.masterInfo.values()].map((samples) => {
      for (let i = 0; i + 1 < samples.length; i++) {
        if (samples[i]!.line === 'ip' && samples[i + 1]!.t > kill && samples[i + 1]!.line !== old) return samples[i + 1]!;
      }
      return null;
    });
    const firstSwitch = switches.filter((s): s is Sample => s !== null).sort((a, b) => a.t - b.t)[0] ?? null;
    const isIp = (l: string) => /^\d+\.\d+\.\d+\.\d+$/.test(l);
    const addrChange = (samples: Sample[]) => samples.find((s) => s.t > kill && isIp(s.line) && s.line !== old) ?? null;
    const perSentinel = [...this.masterAddr.values()].map(addrChange);
    const first = perSentinel.find((x) => x !== null) ?? null;
    const addrOfFirstSurvivor = perSentinel[0] ?? null;
    const newMaster = firstSwitch?.line ?? first?.line ?? null;
    const newNode = this.nodes.find((n) => n.host === newMaster);
    const ackAfter = (from: Sample | null) => (newNode && from ? (this.sets.get(newNode.name)?.find((s) => s.t >= from.t && s.line === 'OK') ?? null) : null);
    const rel = (s: Sample | null) => (s ? s.t - kill : null);
    const anyAddr = perSentinel.filter((s): s is Sample => s !== null).sort((a, b) => a.t - b.t)[0] ?? null;
    return {
      killMs: 0,
      switchMs: rel(firstSwitch),
      addrMs: rel(addrOfFirstSurvivor),
      addrAnyMs: rel(anyAddr),
      ackMs: rel(ackAfter(addrOfFirstSurvivor)),
      ackAnyMs: rel(ackAfter(anyAddr)),
      newMaster,
    };
  }
}
