// A real run with a steady-state probe and a safeguard: an exec probe checks for a file; the test deletes it
// once the partition is in place; haltOn that probe heals at once, stops the remaining trials and scenarios,
// exits 3 with run.halted in the journal, leaves the partial report and nothing running.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/report/journal.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
const PASSWORD = 'probe-halt-secret-T4mWq9';
const SUBNET = 117;
const WAIT_MS = 60_000;

let tmp: string;
let stateDir: string;
let reportDir: string;
let manifests: string;
let child: ReturnType<typeof spawn> | null = null;
const runIds = new Set<string>();

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-probes-'));
  stateDir = path.join(tmp, 'state');
  mkdirSync('/tmp/reports-probes', { recursive: true });
  reportDir = mkdtempSync('/tmp/reports-probes/halt-');
  manifests = path.join(tmp, 'manifests');
  cpSync(path.join(ROOT, 'manifests'), manifests, { recursive: true });
  const secret = path.join(manifests, '01-secret.yaml');
  writeFileSync(secret, readFileSync(secret, 'utf8').replace('REPLACE_WITH_OPENSSL_RAND_BASE64_32', PASSWORD));
});

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  for (const pid of processesUnder(stateDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const t of ourTables()) spawnSync('nft', ['delete', 'table', 'inet', t]);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(reportDir, { recursive: true, force: true });
});

function ourTables(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  const prefixes = [...runIds].map((id) => `sentinel_chaos_${id.replace(/[^A-Za-z0-9]/g, '_')}_`);
  return [...r.stdout.matchAll(/^table inet (\S+)$/gm)].map((m) => m[1]!).filter((t) => prefixes.some((p) => t.startsWith(p)));
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.isFile() ? [path.join(dir, e.name)] : [],
  );
}

interface Harness {
  child: ReturnType<typeof spawn>;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; at: number }>;
}

function harness(scenarios: string): Harness {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, SENTINEL_CHAOS_STATE_DIR: stateDir };
  delete env.NODE_OPTIONS;
  const args = [
    '--scenario',
    scenarios,
    '--trials',
    '2',
    '--subnet',
    String(SUBNET),
    '--report-dir',
    reportDir,
    '--manifests',
    manifests,
    '--set',
    'sentinel.down-after-milliseconds=1500',
    '--conformance',
    'none',
  ];
  const c = (child = spawn('node', ['src/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  c.stderr!.on('data', (b: Buffer) => {
    err += b.toString();
    for (const m of err.matchAll(/event=run_start run=(\S+)/g)) runIds.add(m[1]!);
  });
  const exited = new Promise<{ code: number | null; at: number }>((r) => c.on('exit', (code) => r({ code, at: performance.now() })));
  return { child: c, out: () => out, err: () => err, exited };
}

function latestJournal(): Journal {
  const j = JSON.parse(readFileSync(path.join(reportDir, 'latest', 'result.json'), 'utf8')) as Journal;
  runIds.add(j.run.id);
  return j;
}

/** No process of the run, no run dir, no nft table; the password on no output and in no report file. */
function assertNothingLeftAndNoPassword(h: Harness): void {
  expect(processesUnder(stateDir)).toEqual([]);
  expect(entriesIn(stateDir)).toEqual([]);
  expect(ourTables()).toEqual([]);
  expect(spawnSync('pgrep', ['-af', `127\\.0\\.${SUBNET}\\.[0-9]`], { encoding: 'utf8' }).stdout).toBe('');
  for (const f of [PASSWORD, Buffer.from(PASSWORD).toString('base64')]) {
    expect(h.out().includes(f) || h.err().includes(f), 'password on stdout/stderr').toBe(false);
    for (const file of walk(reportDir)) expect(readFileSync(file, 'utf8').includes(f), `password in ${file}`).toBe(false);
  }
}

describe('haltOn a probe in a real run', () => {
  it('the probe breaks mid-partition: healed at once, the rest not run, exit 3, partial report, nothing left', async () => {
    const flag = path.join(tmp, 'steady-state-ok');
    writeFileSync(flag, '');
    const scenarioFile = path.join(tmp, 'partition-with-probe.yaml');
    writeFileSync(
      scenarioFile,
      `name: partition-with-probe
description: partition the master for 60 s while a probe watches a file the test deletes
fault: { kind: partition, target: master, cut: all, durationMs: 60000, isolatedClient: true }
expect: { failover: true, acceptLossFromOldMaster: true, maxSplitBrainMs: 90000 }
timeouts: { failoverMs: 90000 }
probes:
  - { name: ready-file, kind: exec, mode: during, intervalMs: 100, timeoutMs: 1000, command: [test, -e, ${flag}] }
  - { name: gate, kind: exec, mode: before, command: ["true"] }
  - { name: has-password, kind: exec, mode: continuous, intervalMs: 200, passwordEnv: true, command: [sh, -c, 'test -n "$REDIS_PASSWORD" && echo "$REDIS_PASSWORD"'] }
haltOn: [ready-file]
`,
    );
    const h = harness(`${scenarioFile},replica-kill`);
    const c = h.child;

    const deadline = performance.now() + WAIT_MS;
    while (!/phase=failover/.test(h.err())) {
      if (c.exitCode !== null) throw new Error(`harness exited (${c.exitCode}) before the fault; stderr:\n${h.err()}`);
      if (performance.now() > deadline) throw new Error(`timed out waiting for the fault; stderr:\n${h.err()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ourTables().length, 'the partition table while the fault is in place').toBe(1);
    rmSync(flag);
    const deletedAt = performance.now();
    const exit = await h.exited;
    const err = h.err();

    expect(exit.code, err).toBe(3);
    // Healed at once: well before the partition's 60 s were up (the heal, the deployment's teardown, the report).
    expect(exit.at - deletedAt).toBeLessThan(20_000);
    expect(err).toMatch(/halted by probe\/ready-file in partition-with-probe trial 1: .*exit 1.*\(exit 3\)/);

    const j = latestJournal();
    expect(j.verdict).toBe('fail');
    expect(j.run.interrupted).toBe(false);
    expect(j.run.halted).toMatchObject({
      by: 'probe/ready-file',
      scenario: 'partition-with-probe',
      trial: 1,
      reason: expect.stringMatching(/^1 consecutive failed sample\(s\) \(tolerated 0\); last: exit 1/),
    });
    expect(
      j.scenarios.map((s) => s.name),
      'replica-kill and trial 2 not run',
    ).toEqual(['partition-with-probe']);
    const s = j.scenarios[0]!;
    expect(s.verdict).toBe('fail');
    expect(s.trials).toHaveLength(1);
    const t = s.trials[0]!;
    expect(t.verdict).toBe('fail');
    expect(t.message).toMatch(/^stopped in failover: halted by probe\/ready-file/);
    const probe = (n: string) => t.checks.find((x) => x.name === `probe/${n}`);
    expect(probe('ready-file')?.valid).toBe(false);
    expect(probe('gate')?.valid).toBe(true);
    expect(probe('has-password')?.valid).toBe(true);
    const samples = t.events.filter((e) => e.kind === 'probe' && e.source === 'probe/ready-file');
    expect(samples.map((e) => e.type)).toContain('ok');
    expect(samples.at(-1)!.type).toBe('broken');
    // The heal the safeguard brought is on the trial's timeline, after the halt.
    const halt = t.events.find((e) => e.kind === 'phase' && e.type === 'halted')!;
    expect(t.events.some((e) => e.kind === 'fault' && e.type === 'healed' && e.ns >= halt.ns)).toBe(true);
    const junit = readFileSync(path.join(reportDir, 'latest', 'junit.xml'), 'utf8');
    expect(junit).toContain('name="partition-with-probe #1 probe/ready-file"');
    expect(junit).toContain('name="partition-with-probe #1 probe/gate"');

    expect(spawnSync('pgrep', ['-af', `test -e ${flag}`], { encoding: 'utf8' }).stdout).toBe('');
    assertNothingLeftAndNoPassword(h);
  }, 180_000);

  it('every mode on a real run (exec, http on loopback), and a figure bound in haltOn that halts after trial 1', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 404).end('status: ok'));
    await new Promise<void>((r) => server.listen(0, `127.0.${SUBNET}.200`, r));
    try {
      const url = `http://127.0.${SUBNET}.200:${(server.address() as { port: number }).port}/healthz`;
      const scenarioFile = path.join(tmp, 'kill-with-probes.yaml');
      writeFileSync(
        scenarioFile,
        `name: kill-with-probes
description: kill the master, probes in every mode, halt once a trial has figures
fault: { kind: kill-pod, target: master }
expect: { failover: true, failoverMs: 10000, failoverBandMs: [0, 10000] }
probes:
  - { name: gate, kind: exec, mode: before, command: [sh, -c, 'test -n "$REDIS_PASSWORD"'], passwordEnv: true }
  - { name: health, kind: http, mode: continuous, url: "${url}", bodyContains: ok, intervalMs: 200 }
  - { name: during, kind: exec, mode: during, intervalMs: 200, command: ["true"] }
  - { name: after, kind: http, mode: after, url: "${url}" }
haltOn: ["trial_ms > 0"]
`,
      );
      const h = harness(scenarioFile);
      const exit = await h.exited;
      expect(exit.code, h.err()).toBe(3);
      const j = latestJournal();
      expect(j.run.halted).toMatchObject({
        by: 'trial_ms > 0',
        scenario: 'kill-with-probes',
        trial: 1,
        reason: expect.stringMatching(/^trial_ms = \d+/),
      });
      const t = j.scenarios[0]!.trials;
      expect(t, 'trial 2 not run').toHaveLength(1);
      expect(t[0]!.verdict, t[0]!.message).toBe('pass');
      for (const n of ['gate', 'health', 'during', 'after']) expect(t[0]!.checks.find((c) => c.name === `probe/${n}`)?.valid, n).toBe(true);
      expect(t[0]!.figures.probe_health_samples).toBeGreaterThan(3);
      expect(j.verdict).toBe('fail');
      assertNothingLeftAndNoPassword(h);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 180_000);
});
