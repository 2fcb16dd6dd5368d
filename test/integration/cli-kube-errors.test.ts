// The real CLI on bad input for the kind and kube targets: exit 2, one line naming the fix, nothing
// created. No cluster exists on this machine; the unreachable case is a real connection attempt.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
let tmp: string;
let kubeconfig: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'sentinel-chaos-kube-cli-'));
  await mkdir(path.join(tmp, 'state'));
  kubeconfig = path.join(tmp, 'kubeconfig');
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: dead
  cluster: {server: 'https://127.0.0.1:59997', insecure-skip-tls-verify: true}
contexts:
- name: kind-dead
  context: {cluster: dead, user: u}
- name: staging
  context: {cluster: dead, user: u}
users:
- name: u
  user: {token: t}
current-context: kind-dead
`,
  );
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function cli(env: Record<string, string>, ...args: string[]) {
  const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, SENTINEL_CHAOS_STATE_DIR: path.join(tmp, 'state'), ...env };
  delete e.NODE_OPTIONS;
  const r = spawnSync('node', ['src/cli/main.ts', ...args, '--report-dir', path.join(tmp, 'reports'), '--scenario', 'master-kill'], {
    cwd: ROOT,
    env: e,
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.error) throw r.error;
  const lines = r.stderr.trim().split('\n');
  return { status: r.status, stdout: r.stdout, line: lines.at(-1) ?? '', lines };
}

describe('kube target bad input', () => {
  it('no kubeconfig', () => {
    const r = cli({ KUBECONFIG: path.join(tmp, 'absent') }, '--target', 'kube', '--context', 'kind-x');
    expect(r.status).toBe(2);
    expect(r.line).toBe(
      `sentinel-chaos: no kubeconfig at ${path.join(tmp, 'absent')}: set KUBECONFIG=FILE or pass --kubeconfig FILE (for a kind cluster: kind get kubeconfig --name NAME > FILE)`,
    );
  });

  it('no --context, and a forbidden context', () => {
    const none = cli({ KUBECONFIG: kubeconfig }, '--target', 'kube');
    expect(none.status).toBe(2);
    expect(none.line).toContain('--target kube needs --context NAME (contexts in');
    const forbidden = cli({ KUBECONFIG: kubeconfig }, '--target', 'kube', '--context', 'staging');
    expect(forbidden.status).toBe(2);
    expect(forbidden.line).toContain('context staging is not allow-listed for fault injection');
    expect(forbidden.line).toContain('pass --allow-context staging');
  });

  it('an unreachable API server: a real connection attempt, exit 2 naming the server', () => {
    const r = cli({ KUBECONFIG: kubeconfig }, '--target', 'kube', '--context', 'staging', '--allow-context', 'staging');
    expect(r.status).toBe(2);
    expect(r.line).toContain('cannot reach the API server of context staging at https://127.0.0.1:59997');
    expect(r.line).toContain('kubectl --context staging cluster-info');
  });

  it("--dry-run prints the plan and the guard's verdict without contacting anything", () => {
    const r = cli({ KUBECONFIG: path.join(tmp, 'absent') }, '--target', 'kube', '--context', 'prod', '--dry-run');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('context guard: would refuse: context prod is not allow-listed');
    expect(r.stdout).toContain('master-kill (kill-pod, victim: master)');
    expect(r.stdout).toContain('dry run: nothing was applied, injected or deleted.');
  });
});

describe('kind target bad input', () => {
  it('without a usable Docker or kind: exit 2 with the install or start command, and no report or state left', async () => {
    // An empty PATH apart from node: neither docker nor kind can be found.
    const nodeDir = path.dirname(process.execPath);
    const r = cli({ PATH: `${BIN}:${nodeDir}` }, '--target', 'kind');
    expect(r.status).toBe(2);
    expect(r.line).toMatch(/^sentinel-chaos: no docker binary on PATH: install Docker Engine .*, or use --target local$/);
    expect(await readdir(path.join(tmp, 'state'))).toEqual([]);
  });
});

describe('down --target kube', () => {
  const down = (env: Record<string, string>, ...args: string[]) => {
    const e: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, SENTINEL_CHAOS_STATE_DIR: path.join(tmp, 'state'), ...env };
    delete e.NODE_OPTIONS;
    const r = spawnSync('node', ['src/cli/main.ts', 'down', ...args], { cwd: ROOT, env: e, encoding: 'utf8', timeout: 20_000 });
    if (r.error) throw r.error;
    return { status: r.status, line: r.stderr.trim().split('\n').at(-1) ?? '' };
  };

  it('an unreachable API server: a real connection attempt, exit 2 naming the server; no context guard (it only removes its own labels)', () => {
    const r = down({ KUBECONFIG: kubeconfig }, '--target', 'kube', '--context', 'staging');
    expect(r.status).toBe(2);
    expect(r.line).toContain('cannot reach the API server of context staging at https://127.0.0.1:59997');
  });

  it('--context without --target kind|kube: exit 2 naming the fix, no local state touched', async () => {
    const r = down({}, '--context', 'staging');
    expect(r.status).toBe(2);
    expect(r.line).toBe('sentinel-chaos: --context, --kubeconfig and --run apply to down --target kind|kube: add --target kube, or drop them');
    expect(await readdir(path.join(tmp, 'state'))).toEqual([]);
  });
});
