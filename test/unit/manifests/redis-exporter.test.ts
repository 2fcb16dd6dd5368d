// redis-exporter.sh's decisions (the --monitoring sidecars), run in sh against a stub redis_exporter that logs how it was started.
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, scriptSandbox, type Sandbox, type ScriptResult } from '../../support/script-sandbox.ts';

/**
 * Logs one line per start ("start <ppid> pw=<REDIS_PASSWORD> file=<REDIS_PASSWORD_FILE> user=<REDIS_USER> args=<argv>") and per
 * SIGTERM ("stop"); with EXPORTER_EXIT set it exits with that status at once, as a redis_exporter that fails would.
 */
const EXPORTER_STUB = `#!/bin/sh
printf 'start %s pw=%s file=%s user=%s args=%s\\n' "$PPID" "\${REDIS_PASSWORD:-}" "\${REDIS_PASSWORD_FILE:-}" "\${REDIS_USER:-}" "$*" >> "$EXPORTER_LOG"
if [ -n "\${EXPORTER_EXIT:-}" ]; then exit "$EXPORTER_EXIT"; fi
trap 'echo stop >> "$EXPORTER_LOG"; exit 0' TERM
while :; do sleep 0.05; done
`;

const ROTATED = 'rotated-secret-51ad';
let sb: Sandbox;
const open: Sandbox[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s[Symbol.asyncDispose]();
});

interface Setup {
  env: Record<string, string>;
  secretFile: string;
  lines(): Promise<string[]>;
  starts(): Promise<Array<{ ppid: number; pw: string; file: string; user: string; args: string }>>;
  /** Replace the Secret's file as the kubelet does: a new file renamed over it. */
  rotate(password: string): Promise<void>;
}

async function setup(secret: string | null = PASSWORD): Promise<Setup> {
  sb = await scriptSandbox('redis-1');
  open.push(sb);
  const bin = await sb.dir('bin');
  const secretDir = await sb.dir('secret');
  const log = path.join(bin, 'exporter.log');
  await writeFile(path.join(bin, 'redis_exporter'), EXPORTER_STUB);
  await chmod(path.join(bin, 'redis_exporter'), 0o755);
  const secretFile = path.join(secretDir, 'password');
  if (secret !== null) await writeFile(secretFile, secret);
  const lines = async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return {
    env: { REDIS_EXPORTER: path.join(bin, 'redis_exporter'), EXPORTER_LOG: log, REDIS_PASSWORD_FILE: secretFile, EXPORTER_SECRET_INTERVAL: '0.1' },
    secretFile,
    lines,
    async starts() {
      return (await lines())
        .map((l) => /^start (\d+) pw=(.*) file=(.*) user=(.*) args=(.*)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => ({ ppid: Number(m[1]), pw: m[2]!, file: m[3]!, user: m[4]!, args: m[5]! }));
    },
    async rotate(password: string) {
      await writeFile(`${secretFile}.tmp`, password);
      await rename(`${secretFile}.tmp`, secretFile);
    },
  };
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

/** No password of the test in what the script prints. */
function quiet(r: ScriptResult): ScriptResult {
  for (const pw of [PASSWORD, ROTATED]) expect(r.stdout + r.stderr).not.toContain(pw);
  return r;
}

describe('redis-exporter.sh', () => {
  it("sentinel: exec'd (PID 1 is the exporter) on :9355 for the sentinel, with no password and no password file", async () => {
    const s = await setup();
    const run = sb.start('redis-exporter.sh', ['sentinel'], s.env);
    await until('the exporter started', async () => (await s.starts()).length === 1);
    const [start] = await s.starts();
    expect(start).toMatchObject({ ppid: process.pid, pw: '', file: '' });
    expect(start!.args).toBe('-redis.addr redis://127.0.0.1:26379 -web.listen-address 127.0.0.1:9355 -redis-only-metrics -connection-timeout 1s');
    run.signal('SIGTERM');
    expect(quiet(await run.done).status).toBe(0);
  });

  it("redis: the Secret file's password in the exporter's environment, never in argv, and the file's path not passed on", async () => {
    const s = await setup(ROTATED);
    const run = sb.start('redis-exporter.sh', ['redis'], s.env);
    await until('the exporter started', async () => (await s.starts()).length === 1);
    const [start] = await s.starts();
    // The start-time environment holds PASSWORD; the mounted Secret (what the kubelet keeps current) wins.
    expect(start).toMatchObject({ pw: ROTATED, file: '' });
    expect(start!.ppid).not.toBe(process.pid);
    expect(start!.args).toBe('-redis.addr redis://127.0.0.1:6379 -web.listen-address 127.0.0.1:9121 -redis-only-metrics -connection-timeout 1s');
    run.signal('SIGTERM');
    expect(quiet(await run.done).status).toBe(0);
    // The SIGTERM reached the exporter before the shell exited.
    expect(await s.lines()).toContain('stop');
  });

  it('redis without a readable Secret file: the start-time environment', async () => {
    const s = await setup(null);
    const run = sb.start('redis-exporter.sh', ['redis'], s.env);
    await until('the exporter started', async () => (await s.starts()).length === 1);
    expect((await s.starts())[0]!.pw).toBe(PASSWORD);
    run.signal('SIGTERM');
    expect(quiet(await run.done).status).toBe(0);
  });

  it('a rotated Secret restarts the exporter with the new password, once; an unchanged or emptied one changes nothing', async () => {
    const s = await setup();
    const run = sb.start('redis-exporter.sh', ['redis'], s.env);
    await until('the exporter started', async () => (await s.starts()).length === 1);
    // Ten intervals of an unchanged Secret, then an empty one (never a password): still the first exporter.
    await sleep(1000);
    await s.rotate('');
    await sleep(500);
    expect(await s.lines()).toEqual([expect.stringMatching(/^start /)]);
    await s.rotate(ROTATED);
    await run.stderrContains("the Secret's password changed: restarting redis_exporter with it");
    await until('the second exporter started', async () => (await s.starts()).length === 2);
    const lines = await s.lines();
    // The old one stopped before the new one started (they share the port).
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['start', 'stop', 'start']);
    expect((await s.starts()).map((x) => x.pw)).toEqual([PASSWORD, ROTATED]);
    await sleep(500);
    expect((await s.starts()).length).toBe(2);
    run.signal('SIGTERM');
    expect(quiet(await run.done).status).toBe(0);
  });

  it('an exporter that exits on its own ends the container with its status', async () => {
    const s = await setup();
    const r = quiet(await sb.start('redis-exporter.sh', ['redis'], { ...s.env, EXPORTER_EXIT: '3' }).done);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain('redis_exporter exited (status 3)');
    expect((await s.starts()).length).toBe(1);
  });

  it("under TLS and ACLs (secure profile): the pod's name over rediss:// with its certificate; the redis exporter as REDIS_USER with that user's password, without CONFIG", async () => {
    const s = await setup();
    const acl = await sb.dir('acl');
    await writeFile(path.join(acl, 'exporter'), ROTATED);
    const secure = { ...s.env, TLS_DIR: '/etc/redis-tls', ACL_DIR: acl, REDIS_USER: 'exporter', POD_NAME: 'redis-1' };
    const tls = '-tls-ca-cert-file /etc/redis-tls/ca.crt -tls-client-cert-file /etc/redis-tls/redis-1.crt -tls-client-key-file /etc/redis-tls/redis-1.key';
    const redis = sb.start('redis-exporter.sh', ['redis'], secure);
    await until('the redis exporter started', async () => (await s.starts()).length === 1);
    expect((await s.starts())[0]).toMatchObject({
      pw: ROTATED,
      file: '',
      user: 'exporter',
      // CONFIG GET * would return masterauth: the exporter user is refused CONFIG, so the exporter does not ask.
      args: `-redis.addr rediss://redis-1:6379 ${tls} -web.listen-address 127.0.0.1:9121 -redis-only-metrics -connection-timeout 1s -config-command -`,
    });
    // The ACL user's password is rotated in its own file: followed the same way.
    await writeFile(path.join(acl, 'exporter.tmp'), PASSWORD);
    await rename(path.join(acl, 'exporter.tmp'), path.join(acl, 'exporter'));
    await until('restarted with the new password', async () => (await s.starts()).at(-1)?.pw === PASSWORD);
    redis.signal('SIGTERM');
    expect(quiet(await redis.done).status).toBe(0);
    const sentinel = sb.start('redis-exporter.sh', ['sentinel'], secure);
    await until('the sentinel exporter started', async () => (await s.starts()).length === 3);
    expect((await s.starts())[2]).toMatchObject({
      pw: '',
      user: '',
      args: `-redis.addr rediss://redis-1:26379 ${tls} -web.listen-address 127.0.0.1:9355 -redis-only-metrics -connection-timeout 1s`,
    });
    sentinel.signal('SIGTERM');
    expect(quiet(await sentinel.done).status).toBe(0);
  });

  it('anything but redis or sentinel: usage, exit 2, no exporter', async () => {
    const s = await setup();
    const r = quiet(await sb.start('redis-exporter.sh', ['redis-0'], s.env).done);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: redis-exporter.sh redis|sentinel');
    expect(await s.starts()).toEqual([]);
  });
});
