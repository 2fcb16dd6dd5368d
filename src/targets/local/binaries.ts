// Locate the redis binaries the local target runs, and say how to install them when missing.
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from '../../errors.ts';

const run = promisify(execFile);

export interface Binaries {
  redisServer: string;
  redisSentinel: string;
  redisCli: string;
}

export const DEFAULT_BINARIES: Binaries = { redisServer: 'redis-server', redisSentinel: 'redis-sentinel', redisCli: 'redis-cli' };

const FLAG: Record<keyof Binaries, string> = { redisServer: '--redis-server', redisSentinel: '--redis-sentinel', redisCli: '--redis-cli' };

async function resolveOne(name: string): Promise<string | null> {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '')
        .split(':')
        .filter(Boolean)
        .map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return path.resolve(c);
    } catch {
      // try the next PATH entry
    }
  }
  return null;
}

/** Resolve each binary to an absolute path, or fail with the install command and the flag to override it. */
export async function resolveBinaries(wanted: Binaries): Promise<Binaries> {
  const out = { ...wanted };
  for (const key of Object.keys(FLAG) as (keyof Binaries)[]) {
    const found = await resolveOne(wanted[key]);
    if (!found) {
      throw new HarnessError(
        'BINARY_MISSING',
        `${wanted[key]} not found: install it with \`sudo apt-get install -y redis-server redis-sentinel\` or pass ${FLAG[key]} PATH`,
      );
    }
    out[key] = found;
  }
  for (const tool of ['sh', 'timeout']) {
    if (!(await resolveOne(tool)))
      throw new HarnessError('BINARY_MISSING', `${tool} not found on PATH: the pods' start-up scripts need it (install coreutils)`);
  }
  return out;
}

/** "7.0.15" from `redis-server --version`. */
export async function redisVersion(redisServer: string): Promise<string> {
  const { stdout } = await run(redisServer, ['--version']);
  return /v=(\S+)/.exec(stdout)?.[1] ?? stdout.trim();
}
