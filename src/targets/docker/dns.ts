// The container target's cluster DNS: Debian's dnsmasq on one loopback address, answering only from a
// hosts file this module writes (no upstream servers, no /etc/hosts, nothing on 0.0.0.0). Records follow
// a pod that moves: rewrite the file, SIGHUP, and prove the change with a query.
import { spawn, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HarnessError } from '../../errors.ts';
import type { DnsControl } from '../target.ts';

export interface DnsServerOptions {
  /** Loopback address dnsmasq listens on (127.0.0.0/8 only). */
  address: string;
  /** UDP/TCP port; docker's --dns can only name port 53. */
  port?: number;
  /** Directory for the hosts file, pid file and log. */
  runDir: string;
  /** How long a change may take to show in answers before it throws TIMEOUT. Default 3000. */
  proveTimeoutMs?: number;
  /** The dnsmasq binary. Default `dnsmasq` (with /usr/sbin searched). */
  binary?: string;
  /** Outlive this process (`up`): no parent-death signal; a later `down` kills it by the pid in the run's state. */
  detached?: boolean;
}

const DEFAULT_PROVE_MS = 3000;
const START_TIMEOUT_MS = 5000;

/**
 * The names a Kubernetes resolver would find a FQDN under from inside the namespace: `a.b.ns.svc.cluster.local`
 * ► itself, `a.b.ns.svc`, `a.b.ns`, `a.b` (the search list `ns.svc.cluster.local svc.cluster.local cluster.local`).
 * Node's resolver and `redis-cli -h` do not search, so the short forms are served as names of their own.
 */
export function namesFor(fqdn: string, clusterDomain = 'cluster.local'): string[] {
  const suffix = `.svc.${clusterDomain}`;
  if (!fqdn.endsWith(suffix)) return [fqdn];
  const stem = fqdn.slice(0, -suffix.length); // a.b.ns  or  svc.ns
  const labels = stem.split('.');
  const names = [fqdn, `${stem}.svc`, stem];
  if (labels.length >= 3) names.push(labels.slice(0, -1).join('.'));
  if (labels.length === 2) names.push(labels[0]!);
  return names;
}

/** `redis-0.redis-headless.matrix.svc.cluster.local` for a StatefulSet pod behind its headless Service. */
export const podFqdn = (pod: string, service: string, namespace: string, clusterDomain = 'cluster.local') =>
  `${pod}.${service}.${namespace}.svc.${clusterDomain}`;
/** `redis.matrix.svc.cluster.local` for a Service. */
export const serviceFqdn = (service: string, namespace: string, clusterDomain = 'cluster.local') => `${service}.${namespace}.svc.${clusterDomain}`;

const isLoopback = (a: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
const isIpv4 = (a: string) => /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);

function findBinary(name: string): string {
  if (name.includes('/')) return name;
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin']) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  throw new HarnessError('BINARY_MISSING', `${name} not found: apt-get install dnsmasq-base (or run scripts/setup.sh)`);
}

/** A running dnsmasq; `await using dns = await DnsServer.start(…)` stops it on scope exit. */
export class DnsServer implements AsyncDisposable {
  readonly address: string;
  readonly port: number;
  readonly hostsFile: string;
  readonly logFile: string;
  /**
   * A resolv.conf naming this server (null when it is not on port 53, which resolv.conf cannot name): what
   * processes of the harness that must resolve as the pods do (the drivers) see as /etc/resolv.conf.
   */
  readonly resolvConf: string | null;
  private readonly records = new Map<string, string[]>();
  private readonly proveTimeoutMs: number;
  private paused = false;
  private readonly child: ChildProcess;
  private readonly exitedP: Promise<void>;

  private constructor(child: ChildProcess, opts: DnsServerOptions, exitedP: Promise<void>) {
    this.child = child;
    this.exitedP = exitedP;
    this.address = opts.address;
    this.port = opts.port ?? 53;
    this.hostsFile = path.join(opts.runDir, 'dnsmasq.hosts');
    this.logFile = path.join(opts.runDir, 'dnsmasq.log');
    this.resolvConf = this.port === 53 ? path.join(opts.runDir, 'resolv.conf') : null;
    this.proveTimeoutMs = opts.proveTimeoutMs ?? DEFAULT_PROVE_MS;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** `addr` or `addr:port`, as docker's --dns and dns.Resolver#setServers take it. */
  get server(): string {
    return this.port === 53 ? this.address : `${this.address}:${this.port}`;
  }

  static async start(opts: DnsServerOptions): Promise<DnsServer> {
    if (!isLoopback(opts.address)) throw new HarnessError('USAGE', `DNS address ${opts.address} is not loopback: pick one in 127.0.0.0/8`);
    const bin = findBinary(opts.binary ?? 'dnsmasq');
    await mkdir(opts.runDir, { recursive: true });
    const hostsFile = path.join(opts.runDir, 'dnsmasq.hosts');
    await writeFile(hostsFile, '');
    const args = [
      `--listen-address=${opts.address}`,
      '--bind-interfaces',
      `--port=${opts.port ?? 53}`,
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hostsFile}`,
      // Everything not in the file is NXDOMAIN (no upstream to ask, and REFUSED would look like a fault).
      '--local=/#/',
      '--local-ttl=0',
      '--keep-in-foreground',
      // Stay the user that owns runDir, so a SIGHUP can re-read the file.
      `--user=${os.userInfo().username}`,
      `--pid-file=${path.join(opts.runDir, 'dnsmasq.pid')}`,
      `--log-facility=${path.join(opts.runDir, 'dnsmasq.log')}`,
      '--log-queries',
    ];
    // setpriv makes the kernel kill dnsmasq when the harness dies, however it dies.
    const setpriv = opts.detached ? undefined : ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
    const [cmd, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
    const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', opts.detached ? 'ignore' : 'pipe'], detached: opts.detached === true });
    if (opts.detached) child.unref();
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-1000)));
    const exitedP = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('error', () => undefined);
    const server = new DnsServer(child, opts, exitedP);
    // What docker writes into every container given --dns: the server and nothing else (glibc's default timeout and attempts).
    if (server.resolvConf) await writeFile(server.resolvConf, `# the cluster DNS of this sentinel-chaos run\nnameserver ${opts.address}\n`, { mode: 0o644 });
    // Ready once it answers (NXDOMAIN for a name it does not have); bounded.
    const deadline = performance.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new HarnessError(
          'PROCESS_FAILED',
          `dnsmasq on ${opts.address}:${server.port} exited: ${stderr.trim() || `code ${child.exitCode}`} (port busy? pick another --subnet)`,
          { exitCode: 1 },
        );
      }
      if ((await server.query('ready.invalid')) === 'ENOTFOUND') return server;
      if (performance.now() > deadline) {
        await server.stop();
        throw new HarnessError(
          'TIMEOUT',
          `dnsmasq on ${opts.address}:${server.port} did not answer within ${START_TIMEOUT_MS} ms; its log: ${server.logFile}`,
          { exitCode: 1 },
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** One A query at this server: the addresses, or the error code (ENOTFOUND, ETIMEOUT, ECONNREFUSED, …). */
  async query(name: string, timeoutMs = 300): Promise<string[] | string> {
    const r = new Resolver({ timeout: timeoutMs, tries: 1 });
    r.setServers([this.server]);
    try {
      return (await r.resolve4(name)).sort();
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? String(e);
    }
  }

  /** Points `name` (and its short forms) at `ips`; resolves once dnsmasq answers with them. */
  async set(name: string, ips: string | readonly string[]): Promise<void> {
    const list = (typeof ips === 'string' ? [ips] : [...ips]).sort();
    const bad = list.find((ip) => !isIpv4(ip));
    if (bad !== undefined || list.length === 0) throw new HarnessError('USAGE', `DNS record ${name}: "${bad ?? ''}" is not an IPv4 address`);
    this.records.set(name, list);
    await this.reload();
    await this.prove(name, (a) => Array.isArray(a) && a.join() === list.join(), list.join(','));
  }

  /** Removes `name` (and its short forms); resolves once dnsmasq answers NXDOMAIN for it. */
  async remove(name: string): Promise<void> {
    this.records.delete(name);
    await this.reload();
    await this.prove(name, (a) => a === 'ENOTFOUND', 'NXDOMAIN');
  }

  /** Current records (name ► addresses). */
  entries(): ReadonlyMap<string, readonly string[]> {
    return this.records;
  }

  /** SIGSTOP: queries then time out (the DNS fault family); proven by a query that times out. */
  async pause(): Promise<void> {
    this.child.kill('SIGSTOP');
    this.paused = true;
    const got = await this.query('paused.invalid', 300);
    if (got !== 'ETIMEOUT') throw new HarnessError('PROCESS_FAILED', `dnsmasq did not stop answering after SIGSTOP (got ${String(got)})`, { exitCode: 1 });
  }

  /** SIGCONT; resolves once it answers again. */
  async resume(): Promise<void> {
    this.child.kill('SIGCONT');
    this.paused = false;
    await this.prove('resumed.invalid', (a) => a === 'ENOTFOUND', 'NXDOMAIN');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.paused) this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exitedP;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** The log dnsmasq wrote (queries included); for a failing test's message. */
  async log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /** Reloads one at a time: pods started together set their records at once, and share the hosts file. */
  private reloading: Promise<void> = Promise.resolve();

  private reload(): Promise<void> {
    const next = this.reloading.then(() => this.writeHostsAndSignal());
    this.reloading = next.catch(() => {});
    return next;
  }

  private async writeHostsAndSignal(): Promise<void> {
    const lines: string[] = [];
    for (const [name, ips] of [...this.records].sort(([a], [b]) => a.localeCompare(b))) {
      for (const ip of ips) lines.push(`${ip} ${namesFor(name).join(' ')}`);
    }
    const tmp = `${this.hostsFile}.tmp`;
    await writeFile(tmp, lines.length ? `${lines.join('\n')}\n` : '');
    await rename(tmp, this.hostsFile);
    this.child.kill('SIGHUP');
  }

  private async prove(name: string, ok: (a: string[] | string) => boolean, want: string): Promise<void> {
    const deadline = performance.now() + this.proveTimeoutMs;
    let got: string[] | string = '';
    while (performance.now() < deadline) {
      got = await this.query(name);
      if (ok(got)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new HarnessError('TIMEOUT', `dnsmasq did not answer ${name} with ${want} within ${this.proveTimeoutMs} ms (got ${String(got)})`, { exitCode: 1 });
  }
}

/** The `dns` ability over a run's server: pause / resume it, drop one record (and put it back) with proof. */
export function dnsControl(server: DnsServer): DnsControl {
  return {
    pause: () => server.pause(),
    resume: () => server.resume(),
    async removeRecord(name) {
      const before = server.entries().get(name);
      if (before) await server.remove(name);
      else if ((await server.query(name)) !== 'ENOTFOUND')
        throw new HarnessError('PROCESS_FAILED', `${name} still resolves though it has no record`, { exitCode: 1 });
      return {
        async restore() {
          if (before && !server.entries().has(name)) await server.set(name, before);
        },
      };
    },
    query: (name, timeoutMs) => server.query(name, timeoutMs),
    ...(server.resolvConf ? { resolvConf: server.resolvConf } : {}),
  };
}
