// `doctor`: for each target, what is present and what is missing, with the command that fixes each.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { nftUnavailableReason } from '../targets/local/network.ts';
import { IMAGE_CATALOGUE, LABEL_RECIPE, recipeHash } from '../targets/docker/images.ts';

const run = promisify(execFile);

export interface DoctorCheck {
  target: 'local' | 'docker' | 'kind' | 'kube' | 'tests';
  what: string;
  ok: boolean;
  /** What was found (a version, a path, a count). */
  found: string;
  /** The command or flag that fixes it; empty when ok. */
  fix: string;
}

/** What doctor asks the machine; injectable so the report logic is testable without the machine. */
export interface Probes {
  version(cmd: string, args: string[]): Promise<string | null>;
  nftReason(): Promise<string | null>;
  kubeconfig(): Promise<string | null>;
}

const firstLine = (s: string) =>
  s
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trim() ?? '';

export const machineProbes: Probes = {
  async version(cmd, args) {
    try {
      const { stdout, stderr } = await run(cmd, args, { timeout: 5000 });
      return firstLine(stdout || stderr);
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : firstLine(String((e as { stdout?: string }).stdout ?? '')) || null;
    }
  },
  nftReason: nftUnavailableReason,
  async kubeconfig() {
    const file = (process.env.KUBECONFIG ?? path.join(os.homedir(), '.kube', 'config')).split(':')[0]!;
    return readFile(file, 'utf8').catch(() => null);
  },
};

const APT = 'sudo apt-get install -y';

export async function doctor(p: Probes = machineProbes): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const tool = async (target: DoctorCheck['target'], what: string, cmd: string, args: string[], fix: string) => {
    const v = await p.version(cmd, args);
    checks.push({ target, what, ok: v !== null, found: v ?? 'not found', fix: v === null ? fix : '' });
  };
  await tool('local', 'redis-server', 'redis-server', ['--version'], `${APT} redis-server (or --redis-server PATH)`);
  await tool('local', 'redis-sentinel', 'redis-sentinel', ['--version'], `${APT} redis-sentinel (or --redis-sentinel PATH)`);
  await tool('local', "redis-cli (the pods' scripts use it)", 'redis-cli', ['--version'], `${APT} redis-tools (or --redis-cli PATH)`);
  await tool('local', 'timeout (coreutils)', 'timeout', ['--version'], `${APT} coreutils`);
  await tool('local', 'curl (the role-labeller sidecar patches its pod label with it)', 'curl', ['--version'], `${APT} curl`);
  const nft = await p.nftReason();
  checks.push({
    target: 'local',
    what: 'nftables with CAP_NET_ADMIN (partition scenarios; skipped without)',
    ok: nft === null,
    found: nft ?? 'nft works',
    fix: nft === null ? '' : /CAP_NET_ADMIN/.test(nft) ? 'run as root, or grant CAP_NET_ADMIN' : `${APT} nftables`,
  });
  await tool('tests', 'chromium (the report test renders index.html)', 'chromium', ['--version'], `${APT} chromium`);
  await tool('kind', 'docker client', 'docker', ['--version'], 'install Docker Engine');
  // The client alone proves nothing: kind needs a running engine.
  const engine = await p.version('docker', ['info', '--format', '{{.ServerVersion}}']);
  const engineOk = engine !== null && /^\d+\.\d+/.test(engine);
  checks.push({
    target: 'kind',
    what: 'docker engine',
    ok: engineOk,
    found: engineOk ? `server ${engine}` : 'not reachable',
    fix: engineOk ? '' : 'start the Docker engine (sudo systemctl start docker)',
  });
  await dockerChecks(p, checks);
  await tool('docker', 'stress-ng (fault kind stress: CPU / memory pressure inside a container)', 'stress-ng', ['--version'], `${APT} stress-ng`);
  await tool('kind', 'kind', 'kind', ['version'], "install kind v0.25.0 (the version kind-config.yaml's node image is built for; https://kind.sigs.k8s.io)");
  // The harness talks to the API itself; kubectl only runs the commands its messages suggest.
  await tool('kube', 'kubectl (optional: for the commands error messages suggest)', 'kubectl', ['version', '--client'], 'install kubectl');
  const config = await p.kubeconfig();
  let contexts: string[];
  try {
    const doc = config ? (parseYaml(config) as { contexts?: Array<{ name?: string }> } | null) : null;
    contexts = (doc?.contexts ?? []).map((c) => String(c.name ?? '')).filter(Boolean);
  } catch {
    contexts = [];
  }
  checks.push({
    target: 'kube',
    what: 'kubeconfig contexts',
    ok: contexts.length > 0,
    found: contexts.length ? contexts.join(', ') : config === null ? 'no kubeconfig' : 'kubeconfig has no context',
    fix: contexts.length ? '' : 'set KUBECONFIG, or create a cluster with kind',
  });
  return checks;
}

/** The container target (--target docker): the engine, then each image of the catalogue and the version inside it. */
async function dockerChecks(p: Probes, checks: DoctorCheck[]): Promise<void> {
  const info = await p.version('docker', ['info', '--format', 'engine {{.ServerVersion}}, storage {{.Driver}}, cgroup v{{.CgroupVersion}}']);
  const up = info !== null && /^engine \d/.test(info);
  checks.push({
    target: 'docker',
    what: 'docker engine',
    ok: up,
    found: up ? info : 'not reachable',
    fix: up ? '' : 'scripts/docker-engine.sh start (as root; or scripts/setup.sh)',
  });
  for (const r of IMAGE_CATALOGUE) {
    const build = `node_modules/.bin/node scripts/build-images.ts ${r.name}:${r.version}`;
    const label = up ? await p.version('docker', ['image', 'inspect', r.tag, '--format', `{{index .Config.Labels "${LABEL_RECIPE}"}}`]) : null;
    const present = label !== null && label !== '';
    const inside = present ? await p.version('docker', ['run', '--rm', '--network', 'host', r.tag, 'redis-server', '--version']) : null;
    const version = /v=(\d+\.\d+\.\d+)/.exec(inside ?? '')?.[1];
    const ok = present && label === recipeHash(r) && version === r.version;
    const found = !up
      ? 'engine not reachable'
      : !present
        ? 'not built'
        : `${r.tag}, ${version ? `${r.name} ${version} inside` : 'redis-server does not run'}${label === recipeHash(r) ? '' : ', recipe changed'}`;
    checks.push({ target: 'docker', what: `image ${r.name}:${r.version}`, ok, found, fix: ok ? '' : up ? build : 'start the engine first' });
  }
}

/** One line per check, grouped by target, then whether the local target (the default) can run. */
export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  for (const target of ['local', 'tests', 'docker', 'kind', 'kube'] as const) {
    const mine = checks.filter((c) => c.target === target);
    if (mine.length === 0) continue;
    lines.push(`${target}:`);
    for (const c of mine) lines.push(`  ${c.ok ? 'ok     ' : 'MISSING'} ${c.what}: ${c.found}${c.fix ? `  → ${c.fix}` : ''}`);
  }
  lines.push(localReady(checks) ? 'the local target can run.' : 'the local target cannot run: fix the MISSING lines under local.');
  return lines.join('\n');
}

/** The local target needs its binaries; nftables only for the partition scenarios (skipped without). */
export const localReady = (checks: readonly DoctorCheck[]): boolean =>
  checks.filter((c) => c.target === 'local' && !c.what.startsWith('nftables')).every((c) => c.ok);
