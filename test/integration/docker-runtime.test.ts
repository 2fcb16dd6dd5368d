// The docker runtime against a real engine and the image built from Debian's packages: a redis-server
// container on a loopback address with a read-only config mount and a memory limit, reached from the host,
// exec'd into, frozen and thawed (docker pause, proven by inspect), SIGKILLed, and removed by label.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../src/targets/docker/docker-runtime.ts';
import { ensureImages, IMAGE_CATALOGUE } from '../../src/targets/docker/images.ts';
import type { RunningContainer } from '../../src/targets/runtime/runtime.ts';

const ADDR = '127.0.102.1';
const PORT = 6379;
const IMAGE = IMAGE_CATALOGUE[0]!; // redis 7.0.15, the manifests' version
const RUN = `itest-${randomBytes(4).toString('hex')}`;
const LABELS = { 'sentinel-chaos.run': RUN };

function engineAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
const ENGINE = engineAnswers();
if (!ENGINE) console.warn('docker-runtime test skipped: no docker engine answers (scripts/docker-engine.sh start)');

/** One RESP command over a fresh socket; the first reply line. */
function redis(cmd: string[], timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ADDR, port: PORT });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('timeout'));
    }, timeoutMs);
    s.on('connect', () => s.write(`*${cmd.length}\r\n${cmd.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    s.on('data', (b) => {
      clearTimeout(timer);
      s.destroy();
      resolve(b.toString().split('\r\n')[0]!);
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', timeout: 15_000 }).trim();

describe.skipIf(!ENGINE)('docker runtime (real engine)', () => {
  let tmp: string;
  const runtime = new DockerRuntime();
  let c: RunningContainer;

  beforeAll(async () => {
    await ensureImages([IMAGE.tag]);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-docker-'));
    mkdirSync(path.join(tmp, 'conf'));
    writeFileSync(path.join(tmp, 'conf', 'redis.conf'), `bind ${ADDR}\nport ${PORT}\nsave ""\nappendonly no\ndir /data\n`);
  }, 600_000);

  afterAll(async () => {
    await runtime.removeLabelled(LABELS);
    expect(docker('ps', '-aq', '--filter', `label=sentinel-chaos.run=${RUN}`)).toBe('');
    expect(docker('volume', 'ls', '-q', '--filter', `label=sentinel-chaos.run=${RUN}`)).toBe('');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('starts redis-server with a read-only config mount, a data volume and a memory limit, reachable from the host', async () => {
    const vol = await runtime.ensureVolume(`sc-${RUN}-data-redis-0`, LABELS);
    const t0 = performance.now();
    c = await runtime.start({
      pod: 'redis-0',
      container: 'redis',
      image: IMAGE.tag,
      argv: ['redis-server', '/etc/redis/redis.conf'],
      env: { POD_NAME: 'redis-0' },
      mounts: [
        { hostPath: path.join(tmp, 'conf'), containerPath: '/etc/redis', readOnly: true },
        { hostPath: vol.name, containerPath: '/data', readOnly: false },
      ],
      podAddress: ADDR,
      workingDir: '/',
      limits: { memoryBytes: 64 * 1024 * 1024 },
      labels: LABELS,
      logFile: path.join(tmp, 'redis.log'),
    });
    let pong = '';
    for (let i = 0; i < 50 && pong !== '+PONG'; i++) pong = await redis(['PING']).catch(async () => (await new Promise((r) => setTimeout(r, 100)), ''));
    console.log(`container start to PING: ${Math.round(performance.now() - t0)} ms`);
    expect(pong).toBe('+PONG');
    expect(c.pid).toBeGreaterThan(0);
    expect(docker('inspect', c.id, '--format', '{{.HostConfig.Memory}} {{.HostConfig.NetworkMode}}')).toBe(`${64 * 1024 * 1024} host`);
    expect(readFileSync(path.join(tmp, 'redis.log'), 'utf8')).toMatch(/Ready to accept connections/);
  });

  it('execs inside with the given environment; the config mount is read-only', async () => {
    const r = await c.exec(['sh', '-c', 'echo "$GREETING"; redis-cli -h "$ADDR" -p 6379 PING'], { env: { GREETING: 'hello', ADDR }, timeoutMs: 5000 });
    expect(r).toMatchObject({ exitCode: 0 });
    expect(r.stdout.split('\n').map((l) => l.trim())).toEqual(expect.arrayContaining(['hello', 'PONG']));
    const w = await c.exec(['sh', '-c', 'echo x > /etc/redis/redis.conf'], { env: {}, timeoutMs: 5000 });
    expect(w.exitCode).not.toBe(0);
    const slow = await c.exec(['sleep', '30'], { env: {}, timeoutMs: 1000 });
    expect(slow.exitCode).not.toBe(0);
  });

  it('freeze pauses every process (inspect State.Paused, no replies); thaw brings it back', async () => {
    await c.freeze();
    expect(docker('inspect', c.id, '--format', '{{.State.Paused}}')).toBe('true');
    expect(await c.isFrozen()).toBe(true);
    await expect(redis(['PING'], 500)).rejects.toThrow('timeout');
    await c.thaw();
    expect(docker('inspect', c.id, '--format', '{{.State.Paused}}')).toBe('false');
    expect(await redis(['PING'])).toBe('+PONG');
  });

  it('SIGKILL ends it; exited reports the signal; the volume survives the container', async () => {
    await c.signal('SIGKILL');
    const exit = await c.exited;
    expect(exit).toEqual({ exitCode: null, signal: 'SIGKILL', oomKilled: false });
    expect(c.isRunning()).toBe(false);
    await c.remove();
    expect(docker('volume', 'ls', '-q', '--filter', `label=sentinel-chaos.run=${RUN}`)).toBe(`sc-${RUN}-data-redis-0`);
  });

  it('removeLabelled removes containers and volumes carrying the run label', async () => {
    const again = await runtime.start({
      pod: 'redis-0',
      container: 'sleeper',
      image: IMAGE.tag,
      argv: ['sleep', '300'],
      env: {},
      mounts: [{ hostPath: `sc-${RUN}-data-redis-0`, containerPath: '/data', readOnly: false }],
      podAddress: ADDR,
      workingDir: '/',
      labels: LABELS,
      logFile: path.join(tmp, 'sleeper.log'),
    });
    const removed = await runtime.removeLabelled(LABELS);
    expect(removed).toEqual(expect.arrayContaining([expect.stringMatching(/^container sc-redis-0-sleeper-/), `volume sc-${RUN}-data-redis-0`]));
    expect((await again.exited).signal ?? again.isRunning()).toBeTruthy();
    expect(docker('ps', '-aq', '--filter', `label=sentinel-chaos.run=${RUN}`)).toBe('');
  });
});
