// The kind cluster (kind-config.yaml) and its nodes' shells: kind and docker have no API the harness
// can call, so these shell out (zx).
import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';
import { $ } from 'zx';
import { parse as parseYaml } from 'yaml';
import { HarnessError } from '../../errors.ts';
import type { ExecResult, NodeShell } from './api.ts';

export interface ClusterProvider {
  /** Why this provider cannot work here (with the command that fixes it), or null. */
  unavailableReason(): Promise<string | null>;
  exists(name: string): Promise<boolean>;
  create(name: string, configFile: string): Promise<void>;
  delete(name: string): Promise<void>;
  /** The kubeconfig of the cluster (kind get kubeconfig). */
  kubeconfig(name: string): Promise<string>;
}

const quiet = $({ quiet: true, nothrow: true });

async function tool(cmd: string, args: string[]): Promise<ExecResult | null> {
  try {
    const r = await quiet`${cmd} ${args}`;
    return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  } catch {
    return null;
  }
}

/** Whether an executable of this name is on PATH. */
export async function onPath(cmd: string, PATH = process.env.PATH ?? ''): Promise<boolean> {
  for (const dir of PATH.split(path.delimiter).filter(Boolean)) {
    try {
      await access(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

export const kindProvider: ClusterProvider = {
  async unavailableReason() {
    if (!(await onPath('docker'))) return 'no docker binary on PATH: install Docker Engine (https://docs.docker.com/engine/install/), or use --target local';
    const engine = await tool('docker', ['info', '--format', '{{.ServerVersion}}']);
    if (engine === null || engine.code !== 0) return 'the Docker engine is not reachable: start it (sudo systemctl start docker), or use --target local';
    if (!(await onPath('kind')))
      return 'no kind binary on PATH: install kind (go install sigs.k8s.io/kind@v0.25.0, or https://kind.sigs.k8s.io/docs/user/quick-start/#installation), or use --target local';
    const kind = await tool('kind', ['version']);
    if (kind === null || kind.code !== 0)
      return `kind version failed (${(kind?.stderr ?? '').trim()}): reinstall kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)`;
    return null;
  },
  async exists(name) {
    const r = await tool('kind', ['get', 'clusters']);
    return (r?.stdout ?? '')
      .split('\n')
      .map((l) => l.trim())
      .includes(name);
  },
  async create(name, configFile) {
    const r = await tool('kind', ['create', 'cluster', '--name', name, '--config', configFile, '--wait', '120s']);
    if (r?.code !== 0)
      throw new HarnessError(
        'TARGET_UNAVAILABLE',
        `kind create cluster --name ${name} --config ${configFile} failed: ${(r?.stderr ?? '').trim().split('\n').pop()}`,
      );
  },
  async delete(name) {
    await tool('kind', ['delete', 'cluster', '--name', name]);
  },
  async kubeconfig(name) {
    const r = await tool('kind', ['get', 'kubeconfig', '--name', name]);
    if (r?.code !== 0) throw new HarnessError('TARGET_UNAVAILABLE', `kind get kubeconfig --name ${name} failed: ${(r?.stderr ?? '').trim()}`);
    return r.stdout;
  },
};

/** kind nodes are docker containers named like the nodes: their shell is `docker exec`. */
export const dockerNodeShell: NodeShell = {
  async exec(node, argv) {
    return (await tool('docker', ['exec', node, ...argv])) ?? { code: 127, stdout: '', stderr: 'docker not found' };
  },
};

/** The cluster name of a kind config file (its `name:`; kind's default is "kind"). */
export async function kindClusterName(configFile: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(configFile, 'utf8');
  } catch {
    throw new HarnessError('USAGE', `cannot read ${configFile}: run from the project directory or pass --kind-config FILE`);
  }
  const doc = parseYaml(text) as { kind?: string; name?: string } | null;
  if (doc?.kind !== 'Cluster') throw new HarnessError('MANIFEST_INVALID', `${configFile}: not a kind Cluster config (kind: Cluster)`);
  return doc.name ?? 'kind';
}
