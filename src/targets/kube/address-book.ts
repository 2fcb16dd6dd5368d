// Pod names as Sentinel announces them (announce-hostnames yes) resolve, inside the harness, to the
// loopback address where that pod's port-forward listens on the same ports as in the cluster.
import dns from 'node:dns';

export interface PodAddress {
  pod: string;
  /** Every name the pod is known by: FQDN, pod.service, and its current pod IP. */
  names: string[];
  /** The loopback address of its forward (same port numbers as in the pod). */
  local: string;
}

/** Pure mapping from what Sentinel and INFO report (names, pod IPs) to where the harness connects, and back. */
export class AddressBook {
  private readonly map = new Map<string, string>();
  /** Every address an entry was ever reached at ► its first name (kept when a pod moves, so old records still name it). */
  private readonly identities = new Map<string, string>();

  set(entry: PodAddress): void {
    for (const n of entry.names) this.map.set(n.toLowerCase(), entry.local);
    const first = entry.names[0];
    if (first !== undefined) this.identities.set(entry.local, first);
  }

  /** A pod's IP changes when it is recreated; both the old and the new IP keep mapping to its forward. */
  addName(name: string, local: string): void {
    this.map.set(name.toLowerCase(), local);
  }

  resolve(host: string): string | null {
    return this.map.get(host.toLowerCase().replace(/\.$/, '')) ?? null;
  }

  /**
   * The reverse of {@link resolve} for a `host:port` a client's socket reached: the entry's first name
   * (the pod's FQDN, its identity in the topology) with the same port; anything the book never mapped
   * passes through unchanged.
   */
  identify(node: string): string {
    const i = node.lastIndexOf(':');
    const name = i > 0 ? this.identities.get(node.slice(0, i)) : undefined;
    return name === undefined ? node : `${name}${node.slice(i)}`;
  }

  /** An ioredis natMap: `host:port` as a sentinel reports it to the forward's address. */
  natMap(key: string): { host: string; port: number } {
    const i = key.lastIndexOf(':');
    const host = key.slice(0, i);
    const port = Number(key.slice(i + 1));
    return { host: this.resolve(host) ?? host, port };
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * Make every connection of this process (the workload's ioredis clients, probes, observers) resolve
 * the book's names to their forwards. Node's net module calls dns.lookup for each connect, so this
 * covers clients that have no natMap option; names the book does not know resolve as before.
 * Returns the uninstaller.
 */
export function installResolver(book: AddressBook): () => void {
  const original = dns.lookup;
  const hooked = function (this: unknown, host: string, opts: unknown, cb?: unknown) {
    const callback = (typeof opts === 'function' ? opts : cb) as LookupCallback;
    const options = (typeof opts === 'object' && opts !== null ? opts : {}) as { all?: boolean };
    const local = book.resolve(host);
    if (local === null) return (original as (...a: unknown[]) => unknown).call(this, host, opts, cb);
    process.nextTick(() => (options.all ? callback(null, [{ address: local, family: 4 }]) : callback(null, local, 4)));
    return {};
  };
  (dns as { lookup: unknown }).lookup = hooked;
  return () => {
    if (dns.lookup === (hooked as unknown)) (dns as { lookup: unknown }).lookup = original;
  };
}
