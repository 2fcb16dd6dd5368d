// Which TCP ports something listens on for every address (0.0.0.0 or [::]), read from /proc/net/tcp{,6}
// without binding: such a listener makes any bind of the same port on a loopback address fail (EADDRINUSE),
// and binding a wildcard ourselves to find out would collide with other deployments' specific addresses.
import { readFile } from 'node:fs/promises';

const LISTEN = '0A';

/** Ports in LISTEN state on the wildcard address, from the text of /proc/net/tcp or /proc/net/tcp6. */
export function wildcardListenPorts(procNetTcp: string): Set<number> {
  const out = new Set<number>();
  for (const line of procNetTcp.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== LISTEN) continue;
    const [addr, port] = f[1]!.split(':');
    if (addr && port && /^0+$/.test(addr)) out.add(parseInt(port, 16));
  }
  return out;
}

/** The ports of `ports` that something on this machine listens on for every address (empty where /proc is not readable). */
export async function wildcardListeners(ports: readonly number[]): Promise<number[]> {
  const texts = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const held = new Set(texts.flatMap((t) => [...wildcardListenPorts(t)]));
  return ports.filter((p) => held.has(p));
}
