// Runs the manifests' pod scripts (redis-scripts ConfigMap) under sh against a stub redis-cli answering from a fixture table.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readManifestObjects } from '../../src/config/manifests.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const PODS = ['redis-0', 'redis-1', 'redis-2'] as const;
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
/** The stubs log whether REDISCLI_AUTH was set, never its value; tests check it never reaches output. */
export const PASSWORD = 'sandbox-secret-9f3c';

/**
 * The stub redis-cli: parses -h/-p, drops --raw/--no-auth-warning, logs "<auth|noauth> <host> <port> <args>"
 * (and, in `logins`, "<tls|plain> user=<--user> <--cacert/--cert/--key files> <host> <port>")
 * and answers from answers/<key> (key = "host port args", spaces as "_"): <key> is printed (exit 0),
 * <key>.fail printed to stderr (exit 1), <key>.hang sleeps until `timeout` kills it; no fixture: refused.
 * With -r N -i S (redis-cli's repeat mode: one connection, N queries, N < 0 until it ends) it answers from the
 * fixture as it is at each query, so a test changes the reply mid-connection; <key>.close (one-shot) and a
 * fixture removed mid-connection end it as a server that closed it. One line in calls per connection.
 * Without a command it reads commands from stdin, one per line (as redis-cli on a pipe): a line in calls and the
 * fixture's answer (or nothing) for each.
 */
const REDIS_CLI_STUB = `#!/bin/sh
h=127.0.0.1 p=6379
while [ $# -gt 0 ]; do
  case "$1" in
    -h) h=$2; shift 2 ;;
    -p) p=$2; shift 2 ;;
    --raw|--no-auth-warning|--csv) shift ;;
    -r) repeat=$2; shift 2 ;;
    -i) interval=$2; shift 2 ;;
    --tls) tls=tls; shift ;;
    --cacert|--cert|--key) tlsfiles="\${tlsfiles:-}$1=$2 "; shift 2 ;;
    --user) user=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ -n "\${REDISCLI_AUTH:-}" ]; then a=auth; else a=noauth; fi
printf '%s user=%s %s %s %s\\n' "\${tls:-plain}" "\${user:-}" "\${tlsfiles:-}" "$h" "$p" >> "$STUB_DIR/logins"
if [ $# -eq 0 ]; then
  while IFS= read -r line; do
    printf '%s %s %s %s\\n' "$a" "$h" "$p" "$line" >> "$STUB_DIR/calls"
    g="$STUB_DIR/answers/$(printf '%s %s %s' "$h" "$p" "$line" | tr ' /' '_%')"
    if [ -f "$g" ]; then cat "$g"; fi
  done
  exit 0
fi
printf '%s %s %s %s\\n' "$a" "$h" "$p" "$*" >> "$STUB_DIR/calls"
f="$STUB_DIR/answers/$(printf '%s %s %s' "$h" "$p" "$*" | tr ' /' '_%')"
if [ -n "\${repeat:-}" ]; then
  echo $$ >> "$STUB_DIR/repeating"
  n=0
  while [ "$repeat" -lt 0 ] || [ "$n" -lt "$repeat" ]; do
    if [ -f "$f.close" ]; then rm -f "$f.close"; echo "Error: Server closed the connection" >&2; exit 1; fi
    if [ -f "$f.hang" ]; then exec sleep 30; fi
    if [ -f "$f.fail" ]; then cat "$f.fail" >&2; exit 1; fi
    if [ -f "$f" ]; then cat "$f"
    elif [ "$n" = 0 ]; then echo "Could not connect to Redis at $h:$p: Connection refused" >&2; exit 1
    else echo "Error: Server closed the connection" >&2; exit 1
    fi
    n=$((n + 1))
    sleep "\${interval:-1}"
  done
  exit 0
fi
if [ -f "$f.hang" ]; then exec sleep 30; fi
if [ -f "$f.fail" ]; then cat "$f.fail" >&2; exit 1; fi
if [ -f "$f" ]; then cat "$f"; exit 0; fi
echo "Could not connect to Redis at $h:$p: Connection refused" >&2
exit 1
`;

/** Stub redis-server / redis-sentinel: keep the config they were started with, then exit. */
const SERVER_STUB = (name: string) => `#!/bin/sh
cp "$1" "$STUB_DIR/${name}.conf"
echo started >> "$STUB_DIR/${name}.started"
`;

/** How long a test waits for a script's log line (the scripts' own loops poll every 0.5 s). */
const WAIT_MS = 10_000;

export type Answer = string | { fail: string } | 'hang';

export interface ScriptResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface Running {
  /** Resolves when the script ends. */
  done: Promise<ScriptResult>;
  /** Resolves once stderr contains `text` (rejects if the script ends first). */
  stderrContains(text: string): Promise<void>;
  /** Send a signal to the script's shell (not its group), as the kubelet does to a container's PID 1. */
  signal(sig: NodeJS.Signals): void;
}

export interface Sandbox {
  dataDir: string;
  configDir: string;
  /** Set (or with `undefined`, remove) the answer to `command` sent to host:port. */
  answer(host: string, port: number, command: string, reply: Answer | undefined): Promise<void>;
  /** A sentinel's view: SENTINEL master (flat --raw reply) and get-master-addr-by-name. */
  sentinel(host: string, view: { ip: string; epoch: number | string; flags?: string; advertises?: string } | undefined): Promise<void>;
  /** Source common.sh and call one shell function (`fn` may carry arguments). */
  call(fn: string, env?: Record<string, string>): Promise<ScriptResult>;
  /** Run one of the scripts (start-redis.sh, probe.sh, …) with `args`. */
  start(script: string, args?: string[], env?: Record<string, string>): Running;
  /** The stub redis-cli's calls so far, "<auth|noauth> <host> <port> <command>". */
  calls(): Promise<string[]>;
  /** How each call logged in: "<tls|plain> user=<name> <--cacert=… --cert=… --key=… > <host> <port>". */
  logins(): Promise<string[]>;
  /** Ends the open repeat-mode connections asking `command` of host:port once, as a server closing them (CLIENT KILL). */
  close(host: string, port: number, command: string): Promise<void>;
  /** The PIDs of repeat-mode stub redis-clis (-r) still running. */
  repeating(): Promise<number[]>;
  /** A directory in the sandbox (created), e.g. for a Secret's files. */
  dir(name: string): Promise<string>;
  /** The config the stub server of that name was exec'd with, or null if it was not started. */
  startedWith(server: 'redis-server' | 'redis-sentinel'): Promise<string | null>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function manifestScripts(): Promise<{ scripts: Record<string, string>; sentinelConf: string; redisConf: string }> {
  const objects = await readManifestObjects(path.join(ROOT, 'manifests'));
  const data = (name: string) =>
    (objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as { data?: Record<string, string> } | undefined)?.data ?? {};
  return { scripts: data('redis-scripts'), sentinelConf: data('sentinel-config')['sentinel.conf'] ?? '', redisConf: data('redis-config')['redis.conf'] ?? '' };
}

/** A fresh sandbox: scripts at scripts/, stubs at stub/, empty data and config dirs; as pod `podHost`. */
export async function scriptSandbox(podHost: string = PODS[0]): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'script-sandbox-'));
  const scriptsDir = path.join(root, 'scripts');
  const stubDir = path.join(root, 'stub');
  const dataDir = path.join(root, 'data');
  const configDir = path.join(root, 'config');
  for (const d of [scriptsDir, path.join(stubDir, 'answers'), dataDir, configDir]) await mkdir(d, { recursive: true });
  const { scripts, sentinelConf, redisConf } = await manifestScripts();
  for (const [name, text] of Object.entries(scripts)) await writeFile(path.join(scriptsDir, name), text);
  await writeFile(path.join(configDir, 'sentinel.conf'), sentinelConf);
  await writeFile(path.join(configDir, 'redis.conf'), redisConf);
  for (const [name, text] of [
    ['redis-cli', REDIS_CLI_STUB],
    ['redis-server', SERVER_STUB('redis-server')],
    ['redis-sentinel', SERVER_STUB('redis-sentinel')],
  ] as const) {
    await writeFile(path.join(stubDir, name), text);
    await chmod(path.join(stubDir, name), 0o755);
  }
  const children = new Set<number>();

  const baseEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    STUB_DIR: stubDir,
    REDIS_CLI: path.join(stubDir, 'redis-cli'),
    REDIS_SERVER: path.join(stubDir, 'redis-server'),
    REDIS_SENTINEL: path.join(stubDir, 'redis-sentinel'),
    POD_HOST: podHost,
    SENTINEL_HOSTS: PODS.join(' '),
    INITIAL_MASTER_HOST: PODS[0],
    DATA_DIR: dataDir,
    CONFIG_DIR: configDir,
    BIND_ADDR: '127.0.0.1',
    REDIS_PASSWORD: PASSWORD,
    ...extra,
  });

  function run(args: string[], env: Record<string, string>): Running {
    // Its own process group, so that whatever it started (sleep, timeout) can be killed with it.
    const child = spawn('sh', args, { cwd: root, env: baseEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child.pid!);
    let stdout = '';
    let stderr = '';
    const waiters: Array<{ text: string; resolve: () => void; reject: (e: Error) => void }> = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      for (const w of waiters.splice(0)) (stderr.includes(w.text) ? w.resolve : () => waiters.push(w))();
    });
    const done = new Promise<ScriptResult>((resolve) => {
      child.on('close', (status) => {
        children.delete(child.pid!);
        for (const w of waiters.splice(0)) w.reject(new Error(`script ended before stderr said ${JSON.stringify(w.text)}; stderr:\n${stderr}`));
        resolve({ status, stdout, stderr });
      });
    });
    const stderrContains = (text: string) =>
      stderr.includes(text)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`stderr did not say ${JSON.stringify(text)} within ${WAIT_MS} ms; stderr:\n${stderr}`)), WAIT_MS);
            const settle = (f: () => void) => () => {
              clearTimeout(timer);
              f();
            };
            waiters.push({ text, resolve: settle(resolve), reject: (e) => settle(() => reject(e))() });
          });
    return { done, stderrContains, signal: (sig) => void child.kill(sig) };
  }

  const key = (host: string, port: number, command: string) =>
    path.join(stubDir, 'answers', `${host} ${port} ${command}`.replaceAll(' ', '_').replaceAll('/', '%'));

  const sandbox: Sandbox = {
    dataDir,
    configDir,
    async answer(host, port, command, reply) {
      const f = key(host, port, command);
      const suffixes = ['', '.fail', '.hang'];
      if (reply === undefined) {
        for (const suffix of suffixes) await rm(f + suffix, { force: true });
        return;
      }
      // Swapped without a moment with no fixture: a repeat-mode stub reads it between two queries.
      const [to, text] =
        reply === 'hang'
          ? ['.hang', '']
          : typeof reply === 'string'
            ? ['', reply.endsWith('\n') || reply === '' ? reply : `${reply}\n`]
            : ['.fail', `${reply.fail}\n`];
      if (to === '') for (const suffix of ['.fail', '.hang']) await rm(f + suffix, { force: true });
      await writeFile(`${f}${to}.tmp`, text);
      await rename(`${f}${to}.tmp`, f + to);
      for (const suffix of suffixes) if (suffix !== to) await rm(f + suffix, { force: true });
    },
    async sentinel(host, view) {
      const master = `SENTINEL master mymaster`;
      const addr = `SENTINEL get-master-addr-by-name mymaster`;
      if (!view) {
        await sandbox.answer(host, SENTINEL_PORT, master, undefined);
        await sandbox.answer(host, SENTINEL_PORT, addr, undefined);
        return;
      }
      const fields = [
        'name',
        'mymaster',
        'ip',
        view.ip,
        'port',
        String(REDIS_PORT),
        'runid',
        'x',
        'flags',
        view.flags ?? 'master',
        'config-epoch',
        String(view.epoch),
        'quorum',
        '2',
      ];
      await sandbox.answer(host, SENTINEL_PORT, master, fields.join('\n'));
      await sandbox.answer(host, SENTINEL_PORT, addr, `${view.advertises ?? view.ip}\n${REDIS_PORT}`);
    },
    call(fn, env = {}) {
      return run(['-c', `. ./scripts/common.sh; ${fn}`], env).done;
    },
    start(script, args = [], env = {}) {
      return run([path.join(scriptsDir, script), ...args], env);
    },
    async calls() {
      return (await readFile(path.join(stubDir, 'calls'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    },
    async logins() {
      return (await readFile(path.join(stubDir, 'logins'), 'utf8').catch(() => '')).split('\n').filter(Boolean);
    },
    async close(host, port, command) {
      await writeFile(`${key(host, port, command)}.close`, '');
    },
    async repeating() {
      const pids = (await readFile(path.join(stubDir, 'repeating'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number);
      const running = await Promise.all(
        pids.map((pid) =>
          readFile(`/proc/${pid}/stat`, 'utf8').then(
            (st) => !/^\d+ \(.*\) Z/.test(st),
            () => false,
          ),
        ),
      );
      return pids.filter((_, i) => running[i]);
    },
    async dir(name) {
      const d = path.join(root, name);
      await mkdir(d, { recursive: true });
      return d;
    },
    async startedWith(server) {
      return readFile(path.join(stubDir, `${server}.conf`), 'utf8').catch(() => null);
    },
    async [Symbol.asyncDispose]() {
      for (const pid of children) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await rm(root, { recursive: true, force: true });
    },
  };
  return sandbox;
}
