#!/usr/bin/env node
// The command line: parse argv, call the library, map the outcome to an exit code (0 pass, 1 check failed, 2 usage or environment).
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadDesign, loadSeedDesign, type Design } from '../config/design.ts';
import { scenarioUnderDesign } from '../runner/design-scenarios.ts';
import { HarnessError, isHarnessError } from '../errors.ts';
import { checkPushUrl, METRICS_FILE, pushMetrics, pushUrl } from '../report/metrics.ts';
import { addHistoryCommands } from './history.ts';
import { DEFAULT_GATE_STAT, GATE_STATS, type GateStat } from '../report/gate.ts';
import { createProgress } from '../report/progress.ts';
import { redactOutput } from '../process/redact.ts';
import { ensureReportDir } from '../report/report-dir.ts';
import { runInterruptCleanups } from '../process/interrupt.ts';
import { doctor, formatDoctor, localReady } from './doctor.ts';
import { CONFORMANCE_DEFAULTS, runConformance, selectGroups } from '../conformance/run.ts';
import { DEFAULT_SUITE_GROUPS } from '../conformance/groups.ts';
import { formatConformanceCheck } from '../conformance/types.ts';
import { addKubeOptions, checkMaxDisruption, conformanceDryRunText, dryRunText, kubeFlags, type KubeCliFlags } from './kube-options.ts';
import { up, upPlan } from './up.ts';
import { KUBE_FLAG_DEFAULTS, TARGET_NAMES, type TargetName } from '../targets/start.ts';
import { loadDeployment } from '../config/manifests.ts';
import { RUN_DEFAULTS, runSuite } from '../runner/run.ts';
import { listScenarios, resolveScenarios, type Scenario } from '../runner/scenario.ts';
import { execWorkloadFromCli, workloadNames } from '../workload/registry.ts';
import { parseDatasetFlag } from '../workload/dataset.ts';
import { parseProfiles, type ProfileName } from '../config/profiles.ts';
import { runProfiles } from '../runner/profile-run.ts';
import { addVariantCommands } from './render.ts';
import { addSoakCommand, soakProgress, type SoakFlags } from './soak.ts';
import { applyUpgradeImage } from './upgrade-image.ts';
import type { ConfigOverrides } from '../targets/local/local-target.ts';
import type { Journal } from '../report/journal.ts';
import { listStates, orphanedStates, removeDeployment, splitByOwner, type Removed, type LocalState } from '../targets/local/state.ts';
import { resolveBinaries } from '../targets/local/binaries.ts';
import { commaList } from './options.ts';
import { nftUnavailableReason } from '../targets/local/network.ts';

const err = (line: string) => process.stderr.write(`${line}\n`);

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

function collectOverride(v: string, prev: ConfigOverrides): ConfigOverrides {
  const m = /^(sentinel|redis)\.([a-z0-9-]+)=(\S+)$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected sentinel.<param>=<value> or redis.<directive>=<value>, e.g. sentinel.down-after-milliseconds=1500');
  const [, kind, key, value] = m as unknown as [string, 'sentinel' | 'redis', string, string];
  return { ...prev, [kind]: { ...prev[kind], [key]: value } };
}

interface TargetFlags {
  manifests: string;
  subnet?: number;
  redisServer?: string;
  redisSentinel?: string;
  redisCli?: string;
  set: ConfigOverrides;
  design?: string;
  image?: string;
  stableAddresses?: boolean;
  monitoring?: boolean;
  alertRules?: string;
}

const alertRulesOption = () =>
  new Option(
    '--alert-rules <file>',
    'with --monitoring: the alert rules Prometheus evaluates instead of monitoring/alerts.yaml (a copy with your changes; the monitoring group holds them to the same expectations)',
  );

/** The --alert-rules file, absolute, once it is known to be readable and asked for with --monitoring; bad input is exit 2. */
async function alertRulesOf(o: TargetFlags): Promise<{ alertRules?: string }> {
  if (o.alertRules === undefined) return {};
  if (!o.monitoring) throw new HarnessError('USAGE', '--alert-rules needs --monitoring (the rules are evaluated over the exporter sidecars): add --monitoring');
  const file = path.resolve(o.alertRules);
  await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new HarnessError('USAGE', `--alert-rules ${o.alertRules}: cannot read it (${e.code ?? e.message})`);
  });
  return { alertRules: file };
}

/** The design named by --design (validated: bad input is exit 2 naming file:line:col and field), or undefined. */
async function designOf(o: TargetFlags): Promise<Design | undefined> {
  return o.design === undefined ? undefined : loadDesign(o.design);
}

function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--manifests <dir>', 'manifests of the deployment to certify', RUN_DEFAULTS.manifestsDir)
    .option('--subnet <n>', 'local / docker target: pods listen on 127.0.<n>.<ordinal+1> (default 83; docker 84)', positiveInt('--subnet'))
    .option(
      '--image <name:version>',
      "docker target: run this image of the catalogue (redis:7.0.15, redis:8.0.2, valkey:8.1.1) instead of the manifests' image",
    )
    .option('--stable-addresses', 'docker target: a recreated pod keeps its address (by default it moves, as a pod IP does)')
    .option('--redis-server <path>', 'local target: redis-server binary')
    .option('--redis-sentinel <path>', 'local target: redis-sentinel binary')
    .option('--redis-cli <path>', "local target: redis-cli binary (used by the pods' start-up scripts)")
    .option(
      '--monitoring',
      'run each pod with the redis_exporter sidecars (redis :9121, sentinel :9355; src/config/monitoring.ts); the monitoring conformance group needs them',
    )
    .option(
      '--set <key=value>',
      'override a config parameter, recorded in the report (repeatable), e.g. sentinel.down-after-milliseconds=1500',
      collectOverride,
      {},
    );
}

const targetOption = () => new Option('--target <target>', 'where the deployment runs').choices([...TARGET_NAMES]).default('local');

function dockerFlags(o: TargetFlags & { target: TargetName }) {
  if (o.target !== 'docker' && (o.image || o.stableAddresses))
    throw new HarnessError('USAGE', `${o.image ? '--image' : '--stable-addresses'} applies to --target docker only: add --target docker, or drop it`);
  return { ...(o.image ? { image: o.image } : {}), ...(o.stableAddresses ? { stableAddresses: true } : {}) };
}

const binaries = (o: TargetFlags) => ({
  ...(o.redisServer ? { redisServer: o.redisServer } : {}),
  ...(o.redisSentinel ? { redisSentinel: o.redisSentinel } : {}),
  ...(o.redisCli ? { redisCli: o.redisCli } : {}),
});

/** Bytes a run's reports need at least (histories run to megabytes); a probe of this size is written up front. */
const REPORT_SPACE_PROBE_BYTES = 1 << 20;

/** Fail before anything starts, not after the run, when the reports cannot be written: unwritable, or no space. */
async function assertWritableDir(dir: string): Promise<void> {
  await ensureReportDir(dir);
  const probe = path.join(dir, `.space-probe-${process.pid}`);
  try {
    await writeFile(probe, Buffer.alloc(REPORT_SPACE_PROBE_BYTES));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new HarnessError(
      'REPORT_DIR_UNWRITABLE',
      code === 'ENOSPC' || code === 'EDQUOT'
        ? `report directory ${dir} has no space left for the reports (free some space, or pass --report-dir DIR on another filesystem)`
        : `report directory ${dir} is not writable: ${(e as Error).message} (pass --report-dir DIR)`,
    );
  } finally {
    await rm(probe, { force: true });
  }
}

/** --push: the run's metrics.prom to the Pushgateway; a failure is a warning (the reports are written). */
async function pushRunMetrics(url: string, runId: string, runDir: string): Promise<void> {
  const warning = await pushMetrics(url, runId, await readFile(path.join(runDir, METRICS_FILE), 'utf8'));
  err(warning ? `sentinel-chaos: warning: ${warning}` : `metrics pushed to ${pushUrl(url, runId)}`);
}

const haltedLine = (h: NonNullable<Journal['run']['halted']>) =>
  `sentinel-chaos: halted by ${h.by} in ${h.scenario} trial ${h.trial}: ${h.reason}; everything healed, the rest not run (exit 3)`;

function describeRemoved(r: Removed): string {
  const parts = [r.processes.length ? `processes ${r.processes.join(', ')}` : 'no running processes'];
  if (r.nftTables.length) parts.push(`nft tables ${r.nftTables.join(', ')}`);
  parts.push(`deleted ${r.dir}`);
  return parts.join('; ');
}

/** Remove a deployment's state, processes and directory; a docker one's labelled containers and DNS server first. */
async function removeAny(s: LocalState): Promise<Removed> {
  // Loaded only for docker states: testcontainers is slow to import and the local target never needs it.
  const extra = s.runtime === 'docker' ? await (await import('../targets/docker/leftovers.ts')).removeDockerLeftovers(s) : [];
  const r = await removeDeployment(s);
  return { ...r, processes: [...extra, ...r.processes] };
}

async function cleanOrphans(): Promise<void> {
  for (const s of await orphanedStates()) {
    const r = await removeAny(s);
    err(`removed leftovers of an interrupted run ${r.runId}: ${describeRemoved(r)}`);
  }
}

type RunFlags = TargetFlags &
  KubeCliFlags & {
    scenario?: string;
    trials: number;
    target: 'local' | 'docker' | 'kind' | 'kube';
    reportDir: string;
    upgradeTo?: string;
    upgradeToImage?: string;
    gate: GateStat;
    conformance: string;
    profile?: string;
    push?: string;
    workloadExec?: string[];
    dataset?: string;
  };

/** The run command's scenarios: named or built-in, under the design, with --workload-exec and --upgrade-to applied; bad combinations exit 2. */
async function scenariosFor(o: RunFlags, design: Design | undefined): Promise<Scenario[]> {
  let scenarios = await resolveScenarios(
    o.scenario
      ? o.scenario
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [],
  );
  if (design) {
    const seed = await loadSeedDesign();
    scenarios = scenarios.map((s) => scenarioUnderDesign(s, design, seed));
  }
  if (o.workloadExec?.length) {
    const extra = o.workloadExec.map(execWorkloadFromCli);
    scenarios = scenarios.map((s) => ({ ...s, workloads: [...(s.workloads ?? []), ...extra] }));
    for (const s of scenarios) workloadNames(s.workloads!);
  }
  scenarios = await applyUpgradeImage(scenarios, o, { checkBuilt: !o.dryRun });
  if (o.upgradeTo && !scenarios.some((s) => s.fault.kind === 'rolling-upgrade')) {
    throw new HarnessError('USAGE', '--upgrade-to applies only to a rolling-upgrade scenario: add rolling-upgrade to --scenario, or drop --upgrade-to');
  }
  // Named explicitly, a partition that cannot happen is an environment error; in the whole suite it is a skip.
  if (o.scenario && (o.target === 'local' || o.target === 'docker')) {
    const partition = scenarios.find((s) => s.fault.kind === 'partition');
    const reason = partition ? await nftUnavailableReason() : null;
    if (partition && reason) {
      throw new HarnessError(
        'PRIVILEGE_MISSING',
        `--scenario ${partition.name} cuts the network with nftables, but ${reason}; run as root (sudo), or leave ${partition.name} out of --scenario`,
      );
    }
  }
  if (o.upgradeTo) {
    const [binary] = Object.values(
      await resolveBinaries({ redisServer: o.upgradeTo, redisSentinel: 'redis-sentinel', redisCli: 'redis-cli' }).catch(() => {
        throw new HarnessError('BINARY_MISSING', `--upgrade-to ${o.upgradeTo}: no executable there (pass the path of a redis-server binary)`);
      }),
    );
    scenarios = scenarios.map((s) => (s.fault.kind === 'rolling-upgrade' ? { ...s, fault: { ...s.fault, binary: binary! } } : s));
  }
  return scenarios;
}

function addRunCommand(program: Command): void {
  addKubeOptions(
    addTargetOptions(
      program
        .command('run', { isDefault: true })
        .description('run scenarios against the deployment and write JUnit + JSON reports (the default command)')
        .option('--scenario <names>', 'comma-separated scenario names or scenario files, repeatable (default: every built-in scenario)', commaList())
        .option('--trials <n>', 'trials per scenario', positiveInt('--trials'), RUN_DEFAULTS.trials)
        .option(
          '--workload-exec <command>',
          'also run this command as a workload beside the harness\'s client in every trial (split on spaces; it speaks the driver protocol, README "Bring your own workload"); repeatable',
          (v: string, prev: string[] = []) => [...prev, v],
        )
        .addOption(targetOption())
        .option('--report-dir <dir>', 'where reports/<run-id>/ is written', RUN_DEFAULTS.reportDir)
        .option('--upgrade-to <path>', 'rolling-upgrade: the redis-server binary to upgrade to (default: the same binary)')
        .option(
          '--upgrade-to-image <image>',
          'rolling-upgrade on docker / kind / kube: the image to upgrade to (docker: redis:8.0.2, valkey:8.1.1, …); replicas first, the master last, then every pod must report its version',
        )
        .addOption(
          new Option('--gate <stat>', 'which statistic over the trials must meet the failover SLO').choices([...GATE_STATS]).default(DEFAULT_GATE_STAT),
        )
        .option(
          '--conformance <groups>',
          'conformance groups to run before the scenarios, or none (comma-separated, repeatable)',
          commaList(),
          DEFAULT_SUITE_GROUPS.join(','),
        )
        .option(
          '--dataset <size>',
          'fill the master with a realistic dataset of this used_memory (100mb, 1.5gb; at most 90% of maxmemory) once the deployment converged, before the scenarios',
        )
        .addOption(
          new Option(
            '--design <file>',
            'design file to certify (default: the seed, designs/seed.yaml); every value differing from the seed must be listed under its deviations',
          ),
        )
        .addOption(alertRulesOption())
        .option(
          '--push <url>',
          "also PUT the run's metrics.prom to this Prometheus Pushgateway (URL/metrics/job/sentinel-chaos/run_id/<id>); a failed push is a warning",
        )
        .addOption(
          new Option(
            '--profile <profile>',
            "deployment profile: the seed's settings, hardened (min-replicas-to-write), secure (TLS, ACL users, NetworkPolicy), both (seed and hardened side by side), or a list (seed,secure)",
          ).choices(['seed', 'hardened', 'secure', 'both', 'seed,secure', 'seed,hardened', 'hardened,secure', 'seed,hardened,secure']),
        ),
    ),
  ).action(async (o: RunFlags) => {
    const badPush = o.push === undefined ? null : checkPushUrl(o.push);
    if (badPush) throw new HarnessError('USAGE', badPush);
    const design = await designOf(o);
    const rules = await alertRulesOf(o);
    const dataset = o.dataset === undefined ? undefined : parseDatasetFlag(o.dataset);
    const scenarios = await scenariosFor(o, design);
    if (o.target !== 'local' && !o.dryRun) checkMaxDisruption(scenarios, o.maxDisruption);
    if (o.dryRun) {
      process.stdout.write(`${dryRunText(o.target, o, scenarios, o.trials)}\n`);
      return;
    }
    await assertWritableDir(o.reportDir);
    await cleanOrphans();
    const run = o.profile ? (opts: Parameters<typeof runSuite>[0]) => runProfiles(opts, parseProfiles(o.profile!)) : runSuite;
    const r = await run({
      scenarios,
      trials: o.trials,
      target: o.target,
      manifestsDir: path.resolve(o.manifests),
      reportDir: o.reportDir,
      overrides: o.set,
      subnet: o.subnet,
      docker: dockerFlags(o),
      binaries: binaries(o),
      argv: process.argv.slice(2),
      gate: o.gate,
      conformance:
        o.conformance === 'none'
          ? []
          : o.conformance
              .split(',')
              .map((g) => g.trim())
              .filter(Boolean),
      ...(design ? { design } : {}),
      ...(o.monitoring ? { monitoring: true } : {}),
      ...rules,
      ...(dataset !== undefined ? { dataset } : {}),
      kube: kubeFlags(o),
      progress: createProgress({ stream: process.stderr, isTTY: process.stderr.isTTY === true }),
    });
    process.exitCode = r.exitCode;
    if (r.journal.run.halted) err(haltedLine(r.journal.run.halted));
    if (o.push) await pushRunMetrics(o.push, r.journal.run.id, r.runDir);
  });
}

function addConformanceCommand(program: Command): void {
  addKubeOptions(
    addTargetOptions(
      program
        .command('conformance')
        .description(
          "check the deployment against the seed design: static (manifests, no cluster), live (the running deployment), peer (Sentinel's own tests); exit 1 when a check fails",
        )
        .option('--group <groups>', 'comma-separated groups to run, repeatable', commaList(), CONFORMANCE_DEFAULTS.groups.join(','))
        .addOption(targetOption())
        .addOption(
          new Option(
            '--design <file>',
            'design file to certify (default: the seed, designs/seed.yaml); every value differing from the seed must be listed under its deviations',
          ),
        )
        .addOption(alertRulesOption())
        .addOption(new Option('--profile <profile>', 'deployment profile (the security group tests secure live)').choices(['seed', 'hardened', 'secure']))
        .option('--report-dir <dir>', 'where reports/<run-id>/ is written', RUN_DEFAULTS.reportDir),
    ),
  ).action(async (o: TargetFlags & KubeCliFlags & { group: string; target: TargetName; reportDir: string; profile?: ProfileName }) => {
    const groups = o.group
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    if (o.dryRun) {
      process.stdout.write(`${conformanceDryRunText(o.target, o, selectGroups(groups))}\n`);
      return;
    }
    const design = await designOf(o);
    const rules = await alertRulesOf(o);
    await assertWritableDir(o.reportDir);
    await cleanOrphans();
    const r = await runConformance({
      groups,
      target: o.target,
      kube: kubeFlags(o),
      manifestsDir: path.resolve(o.manifests),
      reportDir: o.reportDir,
      overrides: o.set,
      subnet: o.subnet,
      docker: dockerFlags(o),
      binaries: binaries(o),
      argv: process.argv.slice(2),
      log: err,
      ...(design ? { design } : {}),
      ...(o.monitoring ? { monitoring: true } : {}),
      ...rules,
      ...(o.profile ? { profile: o.profile } : {}),
    });
    for (const g of r.journal.conformance ?? []) for (const c of g.checks) if (c.valid !== true) err(formatConformanceCheck(c));
    err(`conformance ${r.journal.verdict}: reports in ${r.runDir}`);
    process.exitCode = r.exitCode;
  });
}

function addUpDownCommands(program: Command): void {
  addKubeOptions(
    addTargetOptions(
      program
        .command('up')
        .description('start the deployment and leave it running; prints how to reach it (never the password)')
        .addOption(targetOption())
        .addOption(
          new Option('--profile <profile>', 'deployment profile (secure: TLS only, ACL users; prints where the CA and client certificates are)').choices([
            'seed',
            'hardened',
            'secure',
          ]),
        )
        .option('--json', 'print one JSON object instead of text'),
    ),
  ).action(async (o: TargetFlags & KubeCliFlags & { target: TargetName; json?: boolean; profile?: ProfileName }) => {
    if (o.dryRun) {
      process.stdout.write(`${upPlan(o.target, kubeFlags(o))}\n`);
      return;
    }
    if (o.target === 'local' || o.target === 'docker') await cleanOrphans();
    const text = await up({
      target: o.target,
      kube: kubeFlags(o),
      docker: dockerFlags(o),
      manifestsDir: o.manifests,
      subnet: o.subnet,
      binaries: binaries(o),
      overrides: o.set,
      json: o.json === true,
      ...(o.profile ? { profile: o.profile } : {}),
    });
    await new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
    // The docker runtime's log streams and exit watchers hold sockets to the engine; the containers and DNS server live on without this process.
    if (o.target === 'docker') process.exit(0);
  });

  program
    .command('down')
    .description(
      'remove every local or docker deployment left running (by `up` or by a killed harness); with --target kind|kube: the Chaos Mesh objects a killed harness left in the cluster',
    )
    .addOption(new Option('--target <target>', 'kind / kube: clean the cluster instead of the local and docker deployments').choices([...TARGET_NAMES]))
    .option('--context <name>', 'kube: the kubeconfig context of the cluster')
    .option('--kubeconfig <file>', 'kube: kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option('--kind-config <file>', 'kind: cluster config', KUBE_FLAG_DEFAULTS.kindConfig)
    .option('--manifests <dir>', 'kind / kube: the manifests whose namespace the run used', RUN_DEFAULTS.manifestsDir)
    .option('--run <id>', "kind / kube: only this run's objects (default: every object labelled app.kubernetes.io/managed-by=sentinel-chaos)")
    .option('--force', 'local / docker: also remove deployments whose harness is still running')
    .action(async (o: { target?: TargetName; context?: string; kubeconfig?: string; kindConfig: string; manifests: string; run?: string; force?: boolean }) => {
      if (o.target === 'kind' || o.target === 'kube') {
        const { namespace } = await loadDeployment(path.resolve(o.manifests));
        const kube = await import('../targets/kube/start-kube.ts');
        const r = await kube.downKubeTarget(
          {
            target: o.target,
            namespace,
            kube: { kindConfig: o.kindConfig, ...(o.context ? { context: o.context } : {}), ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) },
            ...(o.run ? { runId: o.run } : {}),
          },
          kube.machineDeps,
        );
        for (const line of r.lines) err(line);
        if (!r.ok) process.exitCode = 1;
        return;
      }
      if (o.context || o.kubeconfig || o.run)
        throw new HarnessError('USAGE', '--context, --kubeconfig and --run apply to down --target kind|kube: add --target kube, or drop them');
      const states = await listStates(undefined, (file, why) => err(`ignored ${file}: ${why}`));
      const { removable, running } = splitByOwner(states, o.force === true);
      for (const s of running) err(`left ${s.runId}: its harness (pid ${s.ownerPid}) is still running; stop that run (Ctrl-C), or pass --force`);
      if (removable.length === 0 && running.length === 0) err('nothing to remove');
      for (const s of removable) {
        const r = await removeAny(s);
        err(`removed ${r.runId}: ${describeRemoved(r)}`);
      }
    });
}

function addToolCommands(program: Command): void {
  program
    .command('doctor')
    .description('for each target, what is present and what is missing, with the command that fixes each')
    .action(async () => {
      const checks = await doctor();
      process.stdout.write(`${formatDoctor(checks)}\n`);
      process.exitCode = localReady(checks) ? 0 : 2;
    });

  program
    .command('list')
    .description('list the built-in scenarios')
    .action(async () => {
      for (const s of await listScenarios()) process.stdout.write(`${s.name.padEnd(34)} ${s.suite === 'extended' ? '[extended] ' : ''}${s.description}\n`);
    });
}

export function buildProgram(): Command {
  const program = new Command('sentinel-chaos')
    .description('Chaos and conformance harness for a Redis Sentinel deployment')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  addRunCommand(program);
  addConformanceCommand(program);
  addVariantCommands(program);

  addHistoryCommands(program);
  addSoakCommand(program, addTargetOptions, targetOption, async (o) => {
    const t = o as unknown as TargetFlags & SoakFlags;
    await assertWritableDir(t.reportDir);
    await cleanOrphans();
    return {
      target: t.target,
      manifestsDir: path.resolve(t.manifests),
      reportDir: t.reportDir,
      overrides: t.set,
      subnet: t.subnet,
      docker: dockerFlags(t),
      binaries: binaries(t),
      argv: process.argv.slice(2),
      ...(t.monitoring ? { monitoring: true } : {}),
      progress: soakProgress(),
    };
  });
  addUpDownCommands(program);
  addToolCommands(program);
  return program;
}

/** Mask every password the deployment uses in whatever reaches stdout and stderr, error text from redis included. */
function redactStandardStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redactOutput(chunk) : chunk, ...rest)) as typeof stream.write;
  }
}

/** A signal arrived: its handler runs the cleanups and exits (130 / 143), whatever main returns meanwhile. */
let interrupted = false;

export async function main(argv: string[]): Promise<number> {
  redactStandardStreams();
  // A reader that stops early (`| head`) closes the pipe: that ends the output, not the harness with a stack trace.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      process.exit(Number(process.exitCode ?? 0));
    });
  const debug = argv.includes('--debug');
  const args = argv.filter((a) => a !== '--debug');
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    err(`${sig}: cleaning up`);
    void runInterruptCleanups(4000).finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // ioredis starts promises nobody awaits (its failover detector's set-up on each reconnect). Dying
  // on one of them mid-fault would leave the fault in place: note it and carry on healing.
  process.on('unhandledRejection', (reason) => {
    err(`sentinel-chaos: warning: unhandled rejection ignored: ${reason instanceof Error ? reason.message : String(reason)}`);
  });
  try {
    await buildProgram().parseAsync(args, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (isHarnessError(e)) {
      err(`sentinel-chaos: ${e.message}`);
      if (debug && e.stack) err(e.stack);
      return e.exitCode;
    }
    err(`sentinel-chaos: internal error: ${(e as Error).message}${debug ? `\n${(e as Error).stack}` : ' (run with --debug for the stack trace)'}`);
    return 2;
  }
}

const code = await main(process.argv.slice(2));
// Exit explicitly once stdout and stderr have drained: a handle left open (seen once after a conformance
// run: node spinning in its exit-time handle cleanup at full CPU) must not keep a finished harness alive.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
if (!interrupted) process.exit(code);
