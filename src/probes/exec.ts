// Probe kind `exec`: run a command (argv, no shell); exit 0 is ok. The password reaches it only as env REDIS_PASSWORD, when asked.
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { clientSecurity } from '../redis/security.ts';
import { onInterrupt } from '../process/interrupt.ts';
import { createRedactor, redactOutput } from '../process/redact.ts';
import { defineProbe } from './probe.ts';

/** How much of the command's output a sample keeps, characters. */
const OUTPUT_TAIL = 200;

export const execProbe = defineProbe({
  kind: 'exec',
  fields: {
    /** The command and its arguments, run without a shell. */
    command: z.array(z.string().min(1)).min(1),
    /** Pass the deployment's password as env REDIS_PASSWORD (never in argv). */
    passwordEnv: z.boolean().default(false),
  },
  sample(spec, ctx) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.REDIS_PASSWORD;
    if (spec.passwordEnv && ctx.password) env.REDIS_PASSWORD = ctx.password;
    // The secure profile: with the password, the ACL user and the harness's client certificate (paths) a redis-cli needs.
    const login = clientSecurity();
    if (spec.passwordEnv && login.username) env.REDIS_USER = login.username;
    if (spec.passwordEnv && login.files) Object.assign(env, { TLS_CA: login.files.ca, TLS_CERT: login.files.cert, TLS_KEY: login.files.key });
    const redact = createRedactor(ctx.password ? [ctx.password] : []);
    return new Promise((resolve) => {
      let out = '';
      let ended: string | null = null;
      // Its own process group, so that a timeout or a stop kills whatever the command started too.
      const child = spawn(spec.command[0]!, spec.command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      const kill = (why: string) => {
        ended ??= why;
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => kill(`no exit within ${spec.timeoutMs} ms`), spec.timeoutMs);
      const onAbort = () => kill('abandoned');
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const unregister = onInterrupt(async () => kill('interrupted'));
      const keep = (b: Buffer) => (out = (out + b.toString()).slice(-OUTPUT_TAIL * 4));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const finish = (sample: { ok: boolean; detail: string }) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', onAbort);
        unregister();
        resolve({ ok: sample.ok, detail: redactOutput(redact.text(sample.detail)) });
      };
      child.on('error', (e) => finish({ ok: false, detail: `${spec.command[0]}: ${e.message}` }));
      child.on('close', (code, signal) => {
        const tail = out.trim().slice(-OUTPUT_TAIL);
        const how = ended ?? (code === 0 ? 'exit 0' : code !== null ? `exit ${code}` : `killed by ${signal}`);
        finish({ ok: ended === null && code === 0, detail: tail ? `${how}: ${tail}` : how });
      });
    });
  },
});
