// A Prometheus (Debian's `prometheus`) the harness starts for a run, on a loopback address, with a temporary
// storage dir, 1 s scrape and evaluation intervals, the repo's alert rules, scraping every pod's exporters.
import { spawn, type ChildProcess } from 'node:child_process';
import dns from 'node:dns';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EXPORTERS } from '../config/monitoring.ts';
import { HarnessError } from '../errors.ts';
import { onInterrupt } from '../process/interrupt.ts';
import { wildcardListeners } from '../process/listeners.ts';
import type { StartedDeployment } from '../targets/target.ts';

/** The alert rules shipped with the repo. */
export const ALERT_RULES_FILE = fileURLToPath(new URL('../../monitoring/alerts.yaml', import.meta.url));

/**
 * Port 19090, not Prometheus's usual 9090: Debian's `prometheus` package starts a system service on *:9090 on a
 * systemd machine, and a listener on every address makes a bind of the same port on a loopback address fail.
 */
export const PROMETHEUS_DEFAULTS = { binary: 'prometheus', port: 19090, intervalS: 1, startTimeoutMs: 20_000, refreshMs: 250 } as const;

/** The Debian services that listen on every address on the ports monitoring needs, when installed on a systemd machine. */
const SYSTEM_SERVICE_OF_PORT: Record<number, string> = { 9090: 'prometheus', 9121: 'prometheus-redis-exporter' };

/**
 * Before the exporter sidecars and the harness's Prometheus listen on loopback addresses: none of their ports may
 * be held on every address (a bind of the same port on one address would fail). PORT_BUSY naming the service.
 */
export async function assertMonitoringPortsFree(prometheusPort: number = PROMETHEUS_DEFAULTS.port): Promise<void> {
  const wanted = [...EXPORTERS.map((e) => ({ port: e.port, what: `the ${e.name} sidecars` })), { port: prometheusPort, what: "the harness's Prometheus" }];
  const held = await wildcardListeners(wanted.map((w) => w.port));
  if (held.length === 0) return;
  const lines = wanted
    .filter((w) => held.includes(w.port))
    .map((w) => {
      const service = SYSTEM_SERVICE_OF_PORT[w.port];
      return `port ${w.port} (${w.what}) is held on every address by another process${service ? ` (on a systemd machine, Debian's ${service} service, started when the package was installed; stop it: sudo systemctl disable --now ${service})` : ''}`;
    });
  throw new HarnessError('PORT_BUSY', `--monitoring: ${lines.join('; ')}`);
}

export interface ScrapeJob {
  job: string;
  /** host:port of every exporter of the job (static_configs). */
  targets: string[];
  /** Instead of `targets`: a file_sd JSON file the harness keeps current (file_sd_configs; Prometheus watches it). */
  file?: string;
}

export interface PrometheusOptions {
  /** Loopback address to listen on, e.g. 127.0.<subnet>.230. */
  host: string;
  port?: number;
  rulesFile: string;
  jobs: readonly ScrapeJob[];
  binary?: string;
  intervalS?: number;
  /**
   * The jobs' targets now. Given, the targets reach Prometheus through file_sd files (in its temp dir) that are
   * re-written from it every `refreshMs` when they changed: pods that move to new addresses stay scraped.
   */
  refresh?: () => Promise<readonly ScrapeJob[]>;
  refreshMs?: number;
}

/** One alert as /api/v1/alerts reports it. */
export interface ActiveAlert {
  name: string;
  state: 'pending' | 'firing' | string;
  labels: Record<string, string>;
}

export interface TargetHealth {
  job: string;
  instance: string;
  health: string;
  lastError: string;
}

export interface RunningPrometheus {
  url: string;
  alerts(): Promise<ActiveAlert[]>;
  targets(): Promise<TargetHealth[]>;
  /** Kill it and remove its storage dir (idempotent). */
  stop(): Promise<void>;
}

/** prometheus.yml for the jobs: one static target list per job, the rules file, 1 s intervals. */
export function prometheusConfig(o: Pick<PrometheusOptions, 'rulesFile' | 'jobs' | 'intervalS'>): string {
  const i = `${o.intervalS ?? PROMETHEUS_DEFAULTS.intervalS}s`;
  const jobs = o.jobs
    .map((j) =>
      j.file
        ? `  - job_name: ${JSON.stringify(j.job)}\n    file_sd_configs:\n      - files: [${JSON.stringify(j.file)}]\n        refresh_interval: ${i}`
        : `  - job_name: ${JSON.stringify(j.job)}\n    static_configs:\n      - targets: ${JSON.stringify(j.targets)}`,
    )
    .join('\n');
  return `global:\n  scrape_interval: ${i}\n  scrape_timeout: ${i}\n  evaluation_interval: ${i}\nrule_files:\n  - ${JSON.stringify(o.rulesFile)}\nscrape_configs:\n${jobs}\n`;
}

async function getJson(url: string): Promise<unknown> {
  const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!r.ok) throw new HarnessError('PROCESS_FAILED', `${url}: HTTP ${r.status}`);
  return r.json();
}

/** The file_sd files of `refresh`'s jobs in `dir`: written at once, then re-written (atomically, when changed) every `everyMs` until stop(). */
function fileDiscovery(dir: string, refresh: () => Promise<readonly ScrapeJob[]>, everyMs: number) {
  const fileOf = (job: string) => path.join(dir, `targets-${job}.json`);
  const written = new Map<string, string>();
  const write = async (jobs: readonly ScrapeJob[]) => {
    for (const j of jobs) {
      const text = JSON.stringify([{ targets: j.targets }]);
      if (written.get(j.job) === text) continue;
      // Prometheus watches the file: a rename gives it the whole list at once.
      await writeFile(`${fileOf(j.job)}.tmp`, text, { mode: 0o600 });
      await rename(`${fileOf(j.job)}.tmp`, fileOf(j.job));
      written.set(j.job, text);
    }
  };
  let stopped = false;
  let loop: Promise<void> | null = null;
  return {
    fileOf,
    write,
    start() {
      loop ??= (async () => {
        while (!stopped) {
          await sleep(everyMs);
          // A failed refresh keeps the previous targets.
          if (!stopped) await refresh().then(write, () => undefined);
        }
      })().catch(() => undefined);
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Start Prometheus and wait until it answers ready; it and its temp dir go on stop(), on SIGINT and on a failed start. */
export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  const port = o.port ?? PROMETHEUS_DEFAULTS.port;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sc-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  const discovery = o.refresh ? fileDiscovery(dir, o.refresh, o.refreshMs ?? PROMETHEUS_DEFAULTS.refreshMs) : null;
  const jobs = discovery ? o.jobs.map((j) => ({ ...j, file: discovery.fileOf(j.job) })) : o.jobs;
  if (discovery) await discovery.write(o.jobs);
  await writeFile(configFile, prometheusConfig({ ...o, jobs }), { mode: 0o600 });
  const url = `http://${o.host}:${port}`;
  let child: ChildProcess | undefined;
  let log = '';
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    unregister();
    await discovery?.stop();
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await Promise.race([gone, sleep(3000)]);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const unregister = onInterrupt(stop);
  try {
    child = spawn(
      o.binary ?? PROMETHEUS_DEFAULTS.binary,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=${o.host}:${port}`,
        '--storage.tsdb.retention.time=1h',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
    discovery?.start();
    const spawnError = new Promise<Error>((resolve) => child!.once('error', resolve));
    const deadline = performance.now() + PROMETHEUS_DEFAULTS.startTimeoutMs;
    for (;;) {
      const err = await Promise.race([spawnError, sleep(100).then(() => null)]);
      if (err) throw new HarnessError('BINARY_MISSING', `prometheus could not be started (${err.message}): install it with scripts/setup.sh (apt: prometheus)`);
      if (child.exitCode !== null)
        throw new HarnessError('PROCESS_FAILED', `prometheus exited at start-up (${child.exitCode}): ${log.split('\n').filter(Boolean).slice(-3).join(' | ')}`);
      try {
        if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline)
        throw new HarnessError('TIMEOUT', `prometheus did not answer ready on ${url} within ${PROMETHEUS_DEFAULTS.startTimeoutMs} ms`);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    async alerts() {
      const body = (await getJson(`${url}/api/v1/alerts`)) as { data?: { alerts?: { labels?: Record<string, string>; state?: string }[] } };
      return (body.data?.alerts ?? []).map((a) => ({ name: a.labels?.alertname ?? '?', state: a.state ?? '?', labels: a.labels ?? {} }));
    },
    async targets() {
      const body = (await getJson(`${url}/api/v1/targets?state=active`)) as {
        data?: { activeTargets?: { labels?: Record<string, string>; health?: string; lastError?: string }[] };
      };
      return (body.data?.activeTargets ?? []).map((t) => ({
        job: t.labels?.job ?? '?',
        instance: t.labels?.instance ?? '?',
        health: t.health ?? '?',
        lastError: t.lastError ?? '',
      }));
    },
    stop,
  };
}

/**
 * Where a pod's name leads this process now: its address on the local target; on docker the pod IP of the moment
 * (the address book's hook on dns.lookup, updated before a moved pod's containers start).
 */
export function currentAddress(host: string): Promise<string> {
  return new Promise((resolve, reject) => dns.lookup(host, { family: 4 }, (e, a) => (e ? reject(e) : resolve(a))));
}

/** The targets whose pods the harness's Prometheus can scrape: each pod's exporters listen on a loopback address of this host. */
export const SCRAPABLE_TARGETS: readonly string[] = ['local', 'docker'];

/** An address of the harness beside the pods (same /24, last octet `octet`): where its Prometheus listens. */
export async function besidePods(d: Pick<StartedDeployment, 'pods'>, octet: number): Promise<string> {
  return (await currentAddress(d.pods[0]!.redis.host)).replace(/\.\d+$/, `.${octet}`);
}

/**
 * A Prometheus for a deployment's pods: one job per exporter kind (redis :9121, sentinel :9355), every pod's
 * current address, kept current as pods move (file_sd; a pod whose name does not resolve keeps its last address).
 */
export async function startDeploymentPrometheus(
  d: Pick<StartedDeployment, 'pods'>,
  o: { host: string; port?: number; rulesFile: string; binary?: string },
): Promise<RunningPrometheus> {
  const known = new Map<string, string>();
  const jobsNow = async (): Promise<ScrapeJob[]> => {
    for (const p of d.pods) {
      const a = await currentAddress(p.redis.host).catch(() => null);
      if (a !== null) known.set(p.name, a);
    }
    const addresses = d.pods.flatMap((p) => known.get(p.name) ?? []);
    return EXPORTERS.map((e) => ({ job: e.of, targets: addresses.map((a) => `${a}:${e.port}`) }));
  };
  return startPrometheus({ ...o, jobs: await jobsNow(), refresh: jobsNow });
}

/** Poll the scrape targets until `want` of them are up (or `timeoutMs` passed); the last answer and how long it took. */
export async function waitForTargets(p: RunningPrometheus, want: number, timeoutMs: number): Promise<{ targets: TargetHealth[]; waitedMs: number }> {
  const t0 = performance.now();
  let targets = await p.targets().catch(() => []);
  while (!(targets.length === want && targets.every((t) => t.health === 'up')) && performance.now() - t0 < timeoutMs) {
    await sleep(250);
    targets = await p.targets().catch(() => []);
  }
  return { targets, waitedMs: Math.round(performance.now() - t0) };
}
