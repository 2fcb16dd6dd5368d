// startDriver on small exec drivers (no redis): the hello, ops on the run clock, malformed lines, stop and crash handling.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import { DriverProtocolError } from '../../../src/workload/drivers/protocol.ts';
import { driverArgv, startDriver, withResolvConf, type DriverConfig, type ExecDriver, type StartedDriver } from '../../../src/workload/drivers/driver.ts';

const PASSWORD = 'pw-not-to-be-seen-7f3a';
const CONFIG: DriverConfig = {
  sentinels: [{ host: '127.0.103.1', port: 26379 }],
  masterName: 'mymaster',
  password: PASSWORD,
  db: 0,
  rateHz: 50,
  durationMs: 5000,
  keyPrefix: 'unit',
  timeoutMs: 200,
};
const py = (code: string): ExecDriver => ({ kind: 'py-fake', command: ['/usr/bin/python3', '-c', code] });
const PRELUDE = 'import json, os, sys, time\nout = lambda o: print(json.dumps(o), flush=True)\n';
const alive = (pid: number | undefined) => pid !== undefined && existsSync(`/proc/${pid}`) && !/\) Z /.test(safeStat(pid));
const safeStat = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
};

async function withDriver<T>(d: Promise<StartedDriver>, fn: (d: StartedDriver) => Promise<T>): Promise<T> {
  const started = await d;
  try {
    return await fn(started);
  } finally {
    await started.stop().catch(() => {});
    if (started.pid) {
      try {
        process.kill(started.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

describe('startDriver', () => {
  it("puts a driver's CLOCK_MONOTONIC readings on the run clock and records its hello", async () => {
    const clock = createClock();
    const before = clock.nowNs();
    const code = `${PRELUDE}out({"hello": {"client": "fake", "version": "1.2"}})
for n in range(3):
    k = os.environ["KEY_PREFIX"] + ":" + str(n)
    out({"type": "invoke", "f": "write", "key": k, "ns": time.monotonic_ns()})
    out({"type": "ok", "f": "write", "key": k, "ns": time.monotonic_ns(), "node": "127.0.103.1:6379"})
out({"type": "invoke", "f": "read", "key": "unit:0", "ns": time.monotonic_ns()})
out({"bye": {"skipped": 0}})
sys.stdin.read()`;
    await withDriver(startDriver(py(code), CONFIG, clock), async (d) => {
      await d.stop();
      const after = clock.nowNs();
      expect(d.info).toEqual({ client: 'fake', version: '1.2' });
      expect(d.bye()).toEqual({ skipped: 0 });
      expect(d.ops().map((o) => `${o.type} ${o.key}`)).toEqual(['invoke unit:0', 'ok unit:0', 'invoke unit:1', 'ok unit:1', 'invoke unit:2', 'ok unit:2']);
      expect(d.allOps()).toHaveLength(7);
      for (const o of d.allOps()) {
        expect(o.ns).toBeGreaterThan(before);
        expect(o.ns).toBeLessThan(after);
        expect(o.process).toBe('py-fake');
      }
    });
  });

  it('gives the driver its config in the environment, the password included, and nothing in argv', async () => {
    const code = `${PRELUDE}e = os.environ
out({"hello": {"client": "env", "version": "0", "sentinels": e["SENTINELS"], "db": e["DB"], "rate": e["RATE"], "timeout": e["TIMEOUT_MS"], "has_pw": e["REDIS_PASSWORD"] == ${JSON.stringify(PASSWORD)}, "argv": sys.argv, "home": "HOME" in e, "secret_env": [k for k in e if k.startswith("npm_")]}})
sys.stdin.read()`;
    await withDriver(startDriver(py(code), CONFIG, createClock()), async (d) => {
      expect(d.info).toMatchObject({
        sentinels: '127.0.103.1:26379',
        db: '0',
        rate: '50',
        timeout: '200',
        has_pw: true,
        argv: ['-c'],
        secret_env: [],
      });
    });
  });

  it('rejects a malformed line naming the driver and the line, and kills the driver', async () => {
    const code = `${PRELUDE}out({"hello": {"client": "bad", "version": "0"}})
time.sleep(0.3)
print("SET ok ${PASSWORD}", flush=True)
time.sleep(30)`;
    const d = await startDriver(py(code), { ...CONFIG, name: 'bad-driver' }, createClock());
    const err = await d.stop().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DriverProtocolError);
    expect((err as Error).message).toMatch(/^driver "bad-driver" line 2: not JSON: SET ok \*\*\*$/);
    expect((err as Error).message).not.toContain(PASSWORD);
    expect(alive(d.pid)).toBe(false);
    // A bad line before start returned fails the start itself.
    const early = `${PRELUDE}print("hello", flush=True)\ntime.sleep(30)`;
    await expect(startDriver(py(early), { ...CONFIG, name: 'early' }, createClock())).rejects.toThrow(/^driver "early" line 1: not JSON: hello$/);
  });

  it('stops a driver that ignores stdin with SIGTERM, within its grace', async () => {
    const code = `${PRELUDE}import signal
out({"hello": {"client": "stubborn", "version": "0"}})
signal.signal(signal.SIGTERM, lambda *a: (out({"bye": {"skipped": 0}}), sys.exit(0)))
while True: time.sleep(0.05)`;
    const d = await startDriver(py(code), { ...CONFIG, timeoutMs: 100 }, createClock());
    const t0 = Date.now();
    expect(await d.stop()).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(d.bye()).toEqual({ skipped: 0 });
    expect(alive(d.pid)).toBe(false);
  }, 15_000);

  it('reports a driver that crashes with its exit code and stderr tail, the password masked', async () => {
    const code = `${PRELUDE}out({"hello": {"client": "crash", "version": "0"}})
sys.stderr.write("Traceback: AuthenticationError for " + os.environ["REDIS_PASSWORD"] + "\\n")
sys.exit(3)`;
    const d = await startDriver(py(code), CONFIG, createClock());
    const err = (await d.stop().catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/driver "py-fake" .* failed \(exit code 3, signal null\); stderr: Traceback: AuthenticationError for \*\*\*/s);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('fails start when the command does not exist or writes nothing', async () => {
    await expect(startDriver({ kind: 'missing', command: ['/nonexistent/driver'] }, CONFIG, createClock())).rejects.toThrow(
      /driver "missing" .*exited before writing a line.*ENOENT/s,
    );
    await expect(startDriver(py('import time; time.sleep(30)'), { ...CONFIG, startTimeoutMs: 300 }, createClock())).rejects.toThrow(
      /wrote no line within 300 ms/,
    );
  });
});

describe('a driver that resolves through the cluster DNS (resolvConf)', () => {
  it('runs its command in a private mount namespace with the file bind-mounted on /etc/resolv.conf; none asked, none used', () => {
    expect(driverArgv('d', ['/usr/bin/python3', 'w.py'], undefined)).toEqual(['/usr/bin/python3', 'w.py']);
    const argv = withResolvConf(['/usr/bin/python3', 'w.py'], '/run/x/resolv.conf');
    // A private mount namespace, the file bound over /etc/resolv.conf inside it, then exec of the command itself (its pid stays the driver's).
    expect(argv.slice(0, 4)).toEqual(['unshare', '--mount', '--propagation', 'private']);
    expect(argv.slice(-3)).toEqual(['/run/x/resolv.conf', '/usr/bin/python3', 'w.py']);
    expect(argv.find((a) => a.includes('mount --bind'))).toBe('mount --bind "$1" /etc/resolv.conf && shift && exec "$@"');
  });

  it('without root: one clear error naming what to change, nothing spawned', () => {
    const spy = vi.spyOn(process, 'getuid').mockReturnValue(1000);
    try {
      expect(() => driverArgv('redis-py', ['py'], '/x/resolv.conf')).toThrow(/driver "redis-py" must resolve pod names .* run the harness as root/);
    } finally {
      spy.mockRestore();
    }
  });

  it.runIf(process.getuid?.() === 0)('(root) the driver reads the given resolv.conf, its pid is the driver, and the host file is untouched', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sc-resolv-'));
    try {
      const file = path.join(dir, 'resolv.conf');
      writeFileSync(file, 'nameserver 127.0.171.99\n');
      const host = readFileSync('/etc/resolv.conf', 'utf8');
      const code = `${PRELUDE}ns = open("/etc/resolv.conf").read().split()[1]
out({"hello": {"client": "resolv", "version": ns}})
sys.stdin.read()
out({"bye": {"skipped": 0}})`;
      const d = await startDriver(py(code), { ...CONFIG, resolvConf: file }, createClock());
      expect(d.info.version).toBe('127.0.171.99');
      expect(readFileSync(`/proc/${d.pid}/cmdline`, 'utf8').split('\0')[0]).toBe('/usr/bin/python3');
      expect(readFileSync('/etc/resolv.conf', 'utf8')).toBe(host);
      expect(await d.stop()).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
