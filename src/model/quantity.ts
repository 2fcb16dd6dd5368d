// Byte sizes as Kubernetes (resource quantities) and Redis (maxmemory) write them, so they can be compared.

const K8S_SUFFIX: Record<string, number> = {
  '': 1,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A Kubernetes resource quantity ("10Gi", "2560Mi", "500M", "1e9", 3) as a number, or null when malformed. */
export function parseQuantity(q: unknown): number | null {
  if (typeof q === 'number') return Number.isFinite(q) ? q : null;
  if (typeof q !== 'string') return null;
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim());
  if (!m) return null;
  const n = Number(m[1]);
  if (m[2] !== undefined) return n * 10 ** Number(m[2].slice(1));
  return n * K8S_SUFFIX[m[3] ?? '']!;
}

const REDIS_UNIT: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1024, m: 1e6, mb: 1024 ** 2, g: 1e9, gb: 1024 ** 3 };

/** A Redis memory value ("2gb" = 2 GiB, "2g" = 2·10⁹, "2147483648") in bytes, or null when malformed. */
export function parseRedisMemory(v: string): number | null {
  const m = /^(\d+)([a-z]*)$/i.exec(v.trim());
  const unit = m ? REDIS_UNIT[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : null;
}

/** Bytes in the largest binary unit that divides them exactly, e.g. 2684354560 → "2560Mi". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}

const DATASET_UNIT: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A dataset size ("500mb", "1.5gb", "100MiB"; units are binary, as Redis reads kb/mb/gb) in bytes, or null when malformed. */
export function parseDatasetSize(v: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const unit = m ? DATASET_UNIT[m[2]!.toLowerCase()] : undefined;
  return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : null;
}

/** Bytes as a short human figure in binary units ("1.5 GiB", "512 MiB"). */
export function humanBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}
