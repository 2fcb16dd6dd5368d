// A set of keys held compactly: the workload's `prefix:n` keys as bits per prefix, any other key as a string.
// A read-back of millions of keys then costs bits per key, not a string and a hash entry each.

/** A decimal suffix without leading zeros, below 2^31; -1 otherwise. */
export function numericSuffix(key: string, from: number): number {
  const len = key.length - from;
  if (len < 1 || len > 10 || (len > 1 && key.charCodeAt(from) === 48)) return -1;
  let n = 0;
  for (let i = from; i < key.length; i++) {
    const d = key.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n < 2 ** 31 ? n : -1;
}

/** Dense numbering only: a suffix further than this beyond a prefix's bitmap goes to the string set. */
const MAX_JUMP = 1 << 20;

export class CompactKeySet implements ReadonlySet<string> {
  private readonly bits = new Map<string, Uint8Array>();
  private readonly strings = new Set<string>();
  private count = 0;

  constructor(keys: Iterable<string> = []) {
    for (const k of keys) this.add(k);
  }

  get size(): number {
    return this.count;
  }

  add(key: string): this {
    if (this.strings.has(key)) return this;
    const colon = key.lastIndexOf(':');
    const n = colon > 0 ? numericSuffix(key, colon + 1) : -1;
    if (n >= 0) {
      const prefix = key.slice(0, colon);
      let b = this.bits.get(prefix);
      const byte = n >> 3;
      if (b === undefined ? byte < MAX_JUMP : byte < b.length + MAX_JUMP) {
        if (b === undefined || byte >= b.length) {
          const grown = new Uint8Array(Math.max(1024, (b?.length ?? 0) * 2, byte + 1));
          if (b) grown.set(b);
          this.bits.set(prefix, (b = grown));
        }
        const mask = 1 << (n & 7);
        if ((b[byte]! & mask) === 0) {
          b[byte]! |= mask;
          this.count++;
        }
        return this;
      }
    }
    if (!this.strings.has(key) && !this.hasBit(key)) {
      this.strings.add(key);
      this.count++;
    }
    return this;
  }

  private hasBit(key: string): boolean {
    const colon = key.lastIndexOf(':');
    const n = colon > 0 ? numericSuffix(key, colon + 1) : -1;
    if (n < 0) return false;
    const b = this.bits.get(key.slice(0, colon));
    return b !== undefined && n >> 3 < b.length && (b[n >> 3]! & (1 << (n & 7))) !== 0;
  }

  has(key: string): boolean {
    return this.hasBit(key) || this.strings.has(key);
  }

  *[Symbol.iterator](): SetIterator<string> {
    for (const [prefix, b] of this.bits)
      for (let byte = 0; byte < b.length; byte++) {
        const v = b[byte]!;
        if (v === 0) continue;
        for (let bit = 0; bit < 8; bit++) if ((v & (1 << bit)) !== 0) yield `${prefix}:${byte * 8 + bit}`;
      }
    yield* this.strings;
  }

  keys(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  values(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  *entries(): SetIterator<[string, string]> {
    for (const k of this) yield [k, k];
  }

  forEach(cb: (value: string, value2: string, set: ReadonlySet<string>) => void): void {
    for (const k of this) cb(k, k, this);
  }

  /** Bytes of the bitmaps (the string set not counted). */
  bytes(): number {
    let n = 0;
    for (const b of this.bits.values()) n += b.length;
    return n;
  }
}
