// Driver kinds by name: the real client libraries' drivers and the command line that runs each.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppName } from '../../config/secure.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Debian's python3 with python3-redis / python3-django(-redis); a pyenv python first on PATH has none of them. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const SYSTEM_RUBY = '/usr/bin/ruby';

export interface DriverKind {
  kind: string;
  /** The library, as an application would name it. */
  client: string;
  /** How it reaches redis: through Sentinel (SENTINELS, MASTER_NAME) or the `redis` Service (SERVICE). */
  path: 'sentinel' | 'service';
  description: string;
  /** argv; the driver's config goes in its environment, never here. */
  command: readonly string[];
  /** Extra environment (not secret). */
  env?: Readonly<Record<string, string>>;
  /** A command that exits 0 when the library is installed; its failure is the reason to skip. */
  probe: readonly string[];
  /** What installs it. */
  install: string;
  /**
   * The application it stands for (the seed's: Synapse is Python on redis-py, key_vault Django on django-redis;
   * LiveKit, Go, has no driver here, so the Node and Ruby clients stand in for it): under the secure profile it
   * logs in as that application's ACL user, on its db and keys, with its client certificate.
   */
  app: AppName;
  /** It speaks TLS with a client certificate and an ACL user (REDIS_USER, TLS_CA / TLS_CERT / TLS_KEY); without, the secure profile skips it. */
  secure: boolean;
}

const py = (file: string): string[] => [SYSTEM_PYTHON, path.join(HERE, 'python', file)];
const nodeDriver = (file: string): string[] => [process.execPath, path.join(HERE, file)];

export const DRIVER_KINDS: Readonly<Record<string, DriverKind>> = {
  'redis-py': {
    kind: 'redis-py',
    client: 'redis-py',
    path: 'sentinel',
    description: "redis.sentinel.Sentinel(sentinels, password=…).master_for(MASTER_NAME, password=…), as the seed's Python example",
    command: py('redis_py.py'),
    probe: [SYSTEM_PYTHON, '-c', 'import redis.sentinel'],
    install: 'apt-get install python3-redis',
    app: 'synapse',
    secure: true,
  },
  'redis-py-service': {
    kind: 'redis-py-service',
    client: 'redis-py',
    path: 'service',
    description: 'redis.Redis(host=SERVICE, port, password, db): a plain redis-py client through the redis Service',
    command: py('redis_py_service.py'),
    probe: [SYSTEM_PYTHON, '-c', 'import redis'],
    install: 'apt-get install python3-redis',
    app: 'synapse',
    secure: true,
  },
  'django-service': {
    kind: 'django-service',
    client: 'django-redis',
    path: 'service',
    description: "Django cache-backed sessions on django-redis, LOCATION redis://SERVICE/DB (the seed's settings.py)",
    command: py('django_sessions.py'),
    env: { DJANGO_REDIS_MODE: 'service' },
    probe: [SYSTEM_PYTHON, '-c', 'import django, django_redis'],
    install: 'apt-get install python3-django python3-django-redis',
    app: 'django',
    secure: true,
  },
  'django-sentinel': {
    kind: 'django-sentinel',
    client: 'django-redis',
    path: 'sentinel',
    description: 'Django cache-backed sessions on django-redis SentinelClient + SentinelConnectionFactory, LOCATION redis://MASTER_NAME/DB',
    command: py('django_sessions.py'),
    env: { DJANGO_REDIS_MODE: 'sentinel' },
    // django_redis.client reads settings at import: configure empty ones first.
    probe: [SYSTEM_PYTHON, '-c', 'from django.conf import settings; settings.configure(); import django_redis.client.sentinel'],
    install: 'apt-get install python3-django python3-django-redis',
    app: 'django',
    secure: true,
  },
  'node-redis': {
    kind: 'node-redis',
    client: 'node-redis',
    path: 'sentinel',
    description: 'createSentinel({ name, sentinelRootNodes, nodeClientOptions: { password } }) from npm redis',
    command: nodeDriver('node-redis.ts'),
    probe: [process.execPath, '-e', "import('redis').then(m => { if (!m.createSentinel) process.exit(1) })"],
    install: 'npm ci (dependency redis)',
    app: 'livekit',
    secure: true,
  },
  'node-redis-service': {
    kind: 'node-redis-service',
    client: 'node-redis',
    path: 'service',
    description: 'createClient({ socket: { host, port }, password, database }) from npm redis: a plain client through the redis Service',
    command: nodeDriver('node-redis-service.ts'),
    probe: [process.execPath, '-e', "import('redis').then(m => { if (!m.createClient) process.exit(1) })"],
    install: 'npm ci (dependency redis)',
    app: 'livekit',
    secure: true,
  },
  ioredis: {
    kind: 'ioredis',
    client: 'ioredis',
    path: 'sentinel',
    description: "new Redis({ sentinels, name, password }) (failoverDetector off, ioredis's default)",
    command: nodeDriver('ioredis.ts'),
    probe: [process.execPath, '-e', "import('ioredis')"],
    install: 'npm ci (dependency ioredis)',
    app: 'livekit',
    secure: true,
  },
  'ruby-redis': {
    kind: 'ruby-redis',
    client: 'redis-rb',
    path: 'sentinel',
    description: 'Redis.new(url: "redis://MASTER_NAME", sentinels: […], role: :master, password: …) from the redis gem 4.x (4.x ignores name:)',
    command: [SYSTEM_RUBY, path.join(HERE, 'ruby', 'redis_rb.rb')],
    probe: [SYSTEM_RUBY, '-e', 'require "redis"'],
    install: 'apt-get install ruby-redis',
    app: 'livekit',
    secure: true,
  },
};

/** The kind registered under `name`; throws with the known names. */
export function driverKind(name: string): DriverKind {
  const k = DRIVER_KINDS[name];
  if (!k) throw new RangeError(`unknown driver kind "${name}"; known: ${Object.keys(DRIVER_KINDS).join(', ')}`);
  return k;
}

/** Why `kind` cannot run here (its library is missing), or null when it can. */
export function driverUnavailable(kind: DriverKind, timeoutMs = 20_000): Promise<string | null> {
  const [file, ...args] = kind.probe;
  return new Promise((resolve) => {
    execFile(file!, args, { timeout: timeoutMs, cwd: HERE, env: { PATH: process.env.PATH ?? '' } }, (err) =>
      resolve(err ? `${kind.client} is not installed for ${file} (${kind.install})` : null),
    );
  });
}
