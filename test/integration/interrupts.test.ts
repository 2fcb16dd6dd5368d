// A real harness process interrupted (SIGINT, SIGTERM) or killed (SIGKILL) at several points of a real run:
// nothing of the run may remain, an interrupted run leaves a partial report, and the password never shows.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Journal } from '../../src/report/journal.ts';
import { entriesIn, processesUnder } from '../support/leftovers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
const PASSWORD = 'interrupt-secret-Q7vLx2';
/** The harness promises to be gone within 5 s of SIGINT / SIGTERM (its cleanups get 4 s). */
const EXIT_WITHIN_MS = 5_000;
/** Ceiling for any one wait on the harness's progress; a run reaching a phase takes a few seconds. */
const WAIT_MS = 40_000;

let tmp: string;
let stateDir: string;
let reportDir: string;
let manifests: string;
const running: Harness[] = [];

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-int-'));
  stateDir = path.join(tmp, 'state');
  reportDir = path.join(tmp, 'reports');
  manifests = path.join(tmp, 'manifests');
  cpSync(path.join(ROOT, 'manifests'), manifests, { recursive: true });
  const secret = path.join(manifests, '01-secret.yaml');
  writeFileSync(secret, readFileSync(secret, 'utf8').replace('REPLACE_WITH_OPENSSL_RAND_BASE64_32', PASSWORD));
});

afterEach(() => {
  // Safety net for a failed assertion: the harness, then whatever runs inside the state dir, then its tables.
  for (const h of running.splice(0)) if (h.child.exitCode === null) h.child.kill('SIGKILL');
  for (const pid of processesUnder(stateDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const t of ourTables()) spawnSync('nft', ['delete', 'table', 'inet', t]);
  runIds.clear();
  rmSync(tmp, { recursive: true, force: true });
});

interface Harness {
  child: ReturnType<typeof spawn>;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

function harness(...args: string[]): Harness {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, SENTINEL_CHAOS_STATE_DIR: stateDir };
  delete env.NODE_OPTIONS;
  const child = spawn('node', ['src/cli/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
    for (const m of err.matchAll(/event=run_start run=(\S+)/g)) runIds.add(m[1]!);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );
  const h = { child, stderr: () => err, stdout: () => out, exited };
  running.push(h);
  return h;
}

const runArgs = (subnet: number, scenario: string) => [
  '--scenario',
  scenario,
  '--subnet',
  String(subnet),
  '--report-dir',
  reportDir,
  '--manifests',
  manifests,
  '--set',
  'sentinel.down-after-milliseconds=1500',
  '--conformance',
  'none',
];

async function waitFor(what: string, cond: () => boolean, h?: Harness): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!cond()) {
    if (h && h.child.exitCode !== null) throw new Error(`harness exited (${h.child.exitCode}) before ${what}; stderr:\n${h.stderr()}`);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr:\n${h?.stderr() ?? ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const progressLine = (h: Harness, re: RegExp) => () => re.test(h.stderr());

/** Run ids of the harness runs this test started (other runs on this machine have tables of their own). */
const runIds = new Set<string>();

/** The nft tables of this test's runs (the harness names them sentinel_chaos_<run id>_<n>). */
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

/** Nothing of the run remains: no process inside the state dir, no run dir, no nft table of ours. */
function assertNothingLeft(subnet: number): void {
  expect(processesUnder(stateDir), 'processes running inside the state dir').toEqual([]);
  expect(entriesIn(stateDir), 'run dirs left in the state dir').toEqual([]);
  expect(ourTables(), 'nft tables left').toEqual([]);
  const p = spawnSync('pgrep', ['-af', `127\\.0\\.${subnet}\\.`], { encoding: 'utf8' });
  expect(p.stdout, `processes mentioning 127.0.${subnet}.`).toBe('');
}

/** The password appears nowhere: not on stdout or stderr, not in any file of the report dir (logs included). */
function assertPasswordNowhere(h: Harness): void {
  const forms = [PASSWORD, Buffer.from(PASSWORD).toString('base64')];
  const files = walk(reportDir);
  for (const f of forms) {
    expect(h.stdout().includes(f), 'password on stdout').toBe(false);
    expect(h.stderr().includes(f), 'password on stderr').toBe(false);
    for (const file of files) expect(readFileSync(file, 'utf8').includes(f), `password in ${path.relative(reportDir, file)}`).toBe(false);
  }
}

function latestJournal(): Journal {
  const j = JSON.parse(readFileSync(path.join(reportDir, 'latest', 'result.json'), 'utf8')) as Journal;
  runIds.add(j.run.id);
  return j;
}

/** Send `signal` and return the exit, asserting the 5 s promise. */
async function interrupt(h: Harness, signal: 'SIGINT' | 'SIGTERM') {
  const sentAt = performance.now();
  h.child.kill(signal);
  const exit = await h.exited;
  expect(exit.code, h.stderr()).toBe(signal === 'SIGINT' ? 130 : 143);
  expect(exit.at - sentAt, 'ms from the signal to the exit').toBeLessThan(EXIT_WITHIN_MS);
  expect(h.stderr()).toContain(`${signal}: cleaning up`);
  return exit;
}

describe('an interrupted harness heals, stops everything and writes a partial report', () => {
  it('SIGINT while the deployment comes up', async () => {
    const h = harness(...runArgs(172, 'replica-kill'));
    await waitFor('the first pod process', () => processesUnder(stateDir).length > 0, h);
    await interrupt(h, 'SIGINT');
    const j = latestJournal();
    expect(j.run.interrupted).toBe(true);
    expect(j.verdict).toBe('unknown');
    expect(j.scenarios).toEqual([]);
    assertNothingLeft(172);
    assertPasswordNowhere(h);
  });

  it('SIGINT during a network partition: the nft table goes, the trial is reported unfinished', async () => {
    const h = harness(...runArgs(173, 'network-partition'));
    await waitFor('the partition in place', progressLine(h, /phase=failover/), h);
    expect(ourTables().length, 'the partition table while the fault is in place').toBe(1);
    await interrupt(h, 'SIGINT');
    const j = latestJournal();
    expect(j.run.interrupted).toBe(true);
    const trial = j.scenarios[0]!.trials[0]!;
    expect(j.scenarios[0]!.name).toBe('network-partition');
    expect(trial.verdict).toBe('unknown');
    expect(trial.message).toMatch(/^interrupted during failover/);
    expect(readFileSync(path.join(reportDir, 'latest', 'junit.xml'), 'utf8')).toContain('network-partition');
    // The containers' logs are kept even so, redacted.
    expect(walk(path.join(reportDir, 'latest', 'logs')).length).toBeGreaterThan(0);
    assertNothingLeft(173);
    assertPasswordNowhere(h);
  });

  it('SIGTERM while the master is frozen (SIGSTOP): the stopped process is removed too', async () => {
    const h = harness(...runArgs(174, 'master-pause'));
    await waitFor('the pause in place', progressLine(h, /phase=failover/), h);
    await interrupt(h, 'SIGTERM');
    expect(latestJournal().run.interrupted).toBe(true);
    assertNothingLeft(174);
    assertPasswordNowhere(h);
  });

  it('SIGINT while the heal is converging', async () => {
    const h = harness(...runArgs(175, 'replica-kill'));
    await waitFor('the heal', progressLine(h, /phase=(heal|"converge after heal")/), h);
    await interrupt(h, 'SIGINT');
    const j = latestJournal();
    expect(j.run.interrupted).toBe(true);
    expect(j.scenarios[0]!.trials[0]!.message).toMatch(/^interrupted during (heal|converge after heal)/);
    assertNothingLeft(175);
    assertPasswordNowhere(h);
  });

  it('SIGINT as the last trial ends (reporting): a complete report or an interrupted one, never a broken one', async () => {
    const h = harness(...runArgs(176, 'replica-kill'));
    await waitFor('the end of the trial', progressLine(h, /event=trial_end/), h);
    h.child.kill('SIGINT');
    const exit = await h.exited;
    // The signal may land before, during or after the final report: each is a valid outcome.
    expect([0, 130]).toContain(exit.code);
    const j = latestJournal();
    if (exit.code === 0) expect(j.run.interrupted).toBe(false);
    if (j.run.interrupted) expect(j.verdict).toBe('unknown');
    else expect(j.verdict).toBe('pass');
    expect(j.scenarios[0]!.trials).toHaveLength(1);
    expect(j.scenarios[0]!.trials[0]!.verdict).toBe('pass');
    expect(existsSync(path.join(reportDir, 'latest', 'junit.xml'))).toBe(true);
    assertNothingLeft(176);
    assertPasswordNowhere(h);
  });
});

describe('a harness killed with SIGKILL leaves a state file that down (or the next run) cleans', () => {
  let decoyDir: string;
  let decoy: ReturnType<typeof spawn> | null = null;
  const DECOY_TABLE = 'sentinel_chaos_decoy_test';

  beforeEach(() => {
    decoyDir = mkdtempSync(path.join(os.tmpdir(), 'sc-decoy-'));
  });
  afterEach(() => {
    decoy?.kill('SIGKILL');
    decoy = null;
    spawnSync('nft', ['delete', 'table', 'inet', DECOY_TABLE]);
    rmSync(decoyDir, { recursive: true, force: true });
  });

  it('SIGKILL mid-partition, then `down`: removes the run and says what it removed; touches nothing else', async () => {
    const h = harness(...runArgs(177, 'network-partition'));
    await waitFor('the partition in place', progressLine(h, /phase=failover/), h);
    const runId = /event=run_start run=(\S+)/.exec(h.stderr())![1]!;
    h.child.kill('SIGKILL');
    await h.exited;
    expect(processesUnder(stateDir).length, 'the dead harness left its pods running').toBeGreaterThan(0);
    expect(ourTables().length, 'the dead harness left its partition in place').toBe(1);

    // What the harness did not create, though it looks like what it does: a redis-server and a table.
    decoy = spawn('redis-server', ['--bind', '127.0.177.50', '--port', '6399', '--save', '', '--appendonly', 'no'], { cwd: decoyDir, stdio: 'ignore' });
    spawnSync('nft', ['add', 'table', 'inet', DECOY_TABLE]);
    await waitFor('the decoy redis', () => spawnSync('redis-cli', ['-h', '127.0.177.50', '-p', '6399', 'PING'], { encoding: 'utf8' }).stdout.trim() === 'PONG');

    const down = harness('down');
    const exit = await down.exited;
    expect(exit.code, down.stderr()).toBe(0);
    expect(down.stderr()).toMatch(new RegExp(`^removed ${runId}: processes redis-0/redis \\(pid \\d+\\)`, 'm'));
    expect(down.stderr()).toMatch(/nft tables sentinel_chaos_\S+/);
    expect(down.stderr()).toContain(`deleted ${path.join(stateDir, runId)}`);
    expect(decoy.exitCode, 'the decoy redis-server is still running').toBeNull();
    decoy.kill('SIGKILL');
    await new Promise((r) => decoy!.once('exit', r));
    assertNothingLeft(177);
    expect(spawnSync('nft', ['list', 'table', 'inet', DECOY_TABLE]).status, 'the decoy table is still there').toBe(0);
  });

  it('SIGKILL during warm-up, then the next command cleans the leftovers before it starts', async () => {
    const h = harness(...runArgs(178, 'replica-kill'));
    await waitFor('the warm-up', progressLine(h, /phase=warm-up/), h);
    const runId = /event=run_start run=(\S+)/.exec(h.stderr())![1]!;
    h.child.kill('SIGKILL');
    await h.exited;
    expect(processesUnder(stateDir).length).toBeGreaterThan(0);

    const up = harness('up', '--subnet', '179', '--manifests', manifests);
    expect((await up.exited).code, up.stderr()).toBe(0);
    expect(up.stderr()).toMatch(new RegExp(`^removed leftovers of an interrupted run ${runId}: processes `, 'm'));
    expect(statSync(stateDir).isDirectory()).toBe(true);
    expect(entriesIn(stateDir).filter((e) => e.startsWith(runId))).toEqual([]);
    const down = harness('down');
    expect((await down.exited).code, down.stderr()).toBe(0);
    assertNothingLeft(178);
    assertNothingLeft(179);
    assertPasswordNowhere(up);
  });
});
