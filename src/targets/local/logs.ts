// The pods' container logs: kept (redacted) after a run, and read for why a container died at start-up.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ConfText } from '../../config/manifests.ts';

const redact = (text: string, passwords: readonly string[]) => passwords.reduce((t, p) => t.replaceAll(p, '***'), text);

/** Copy pods/<pod>/<container>.log to `dest/<pod>/`, with the password replaced. */
export async function keepLogs(runDir: string, dest: string, passwords: readonly string[]): Promise<void> {
  const podsDir = path.join(runDir, 'pods');
  for (const pod of await readdir(podsDir)) {
    for (const f of (await readdir(path.join(podsDir, pod))).filter((n) => n.endsWith('.log'))) {
      await mkdir(path.join(dest, pod), { recursive: true });
      const text = await readFile(path.join(podsDir, pod, f), 'utf8');
      await writeFile(path.join(dest, pod, f), redact(text, passwords));
    }
  }
}

/**
 * Why a container died at start-up, from its log (which goes with the run dir): Redis's own verdict on
 * its config file names the directive and the ConfigMap to fix; otherwise the log's last line.
 */
export async function startFailure(logFile: string, conf: ConfText, passwords: readonly string[]): Promise<string> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const lines = redact(log, passwords)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const fatal = lines.findIndex((l) => l.includes('FATAL CONFIG FILE ERROR'));
  if (fatal >= 0) {
    const directive = lines
      .slice(fatal)
      .find((l) => l.startsWith('>>>'))
      ?.slice(3)
      .trim();
    const reason = lines[lines.findIndex((l, i) => i > fatal && l.startsWith('>>>')) + 1] ?? 'rejected';
    return `its ${conf.key} was rejected (${reason.replace(/\.$/, '')}${directive ? ` at ${directive}` : ''}): fix ConfigMap ${conf.configMap} in ${conf.file} (or pass --manifests DIR)`;
  }
  return lines.length ? `its log ends with: ${lines.at(-1)!.slice(0, 300)}` : 'it wrote no log';
}
