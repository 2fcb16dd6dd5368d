import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { parseDatasetSize } from '../../../src/model/quantity.ts';
import { RUN_DEFAULTS } from '../../../src/runner/run.ts';
import { assertDatasetFits, datasetBound, datasetEntry, parseDatasetFlag, VALUE_MIX } from '../../../src/workload/dataset.ts';

describe('--dataset SIZE', () => {
  it.each([
    ['100mb', 100 * 2 ** 20],
    ['1.5gb', 1.5 * 2 ** 30],
    ['512MiB', 512 * 2 ** 20],
    ['2097152', 2 ** 21],
    [' 64kb ', 64 * 1024],
  ])('%s is %d bytes', (v, n) => expect(parseDatasetSize(v)).toBe(n));

  it.each(['abc', '1.5tb', '-1mb', 'mb', ''])('"%s" is not a size', (v) => expect(parseDatasetSize(v)).toBeNull());

  it('bad sizes are USAGE errors naming the flag and an example', () => {
    expect(() => parseDatasetFlag('lots')).toThrow(/--dataset "lots" is not a size: write it like 100mb/);
    expect(() => parseDatasetFlag('512kb')).toThrow(/below 1mb/);
    const thrown = (() => {
      try {
        parseDatasetFlag('x');
        return null;
      } catch (e) {
        return e as { code?: string };
      }
    })();
    expect(thrown?.code).toBe('USAGE');
  });

  it('is bounded by 90% of the bundled maxmemory (2gb), or of an override, or of the memory limit when maxmemory is 0', async () => {
    const model = await loadDeployment(RUN_DEFAULTS.manifestsDir);
    expect(datasetBound(model)).toBe(Math.floor(2 * 2 ** 30 * 0.9));
    expect(datasetBound(model, '1gb')).toBe(Math.floor(2 ** 30 * 0.9));
    expect(datasetBound(model, '0')).toBe(Math.floor(2560 * 2 ** 20 * 0.9));
    expect(() => assertDatasetFits(1.5 * 2 ** 30, model)).not.toThrow();
    expect(() => assertDatasetFits(1.9 * 2 ** 30, model)).toThrow(/does not fit: .* at most 1.8 GiB/);
  });
});

describe('the value mix', () => {
  it('is counters, session blobs and payloads in the stated shares and sizes, the same on every run', () => {
    const seeded = (seed: number) => {
      let a = seed;
      return () => ((a = (a * 16807) % 2147483647) - 1) / 2147483646;
    };
    const pool = Buffer.alloc(1 << 20, 1);
    const rnd = seeded(7);
    const count: Record<string, number> = {};
    const sizes: Record<string, number[]> = {};
    for (let i = 0; i < 20_000; i++) {
      const { key, value } = datasetEntry(i, rnd, pool);
      const kind = key.split(':')[1]!;
      count[kind] = (count[kind] ?? 0) + 1;
      (sizes[kind] ??= []).push(value.length);
    }
    for (const m of VALUE_MIX) {
      const kind = m.kind === 'counter' ? 'ctr' : m.kind;
      expect(count[kind]! / 20_000).toBeGreaterThan(m.share - 0.02);
      expect(count[kind]! / 20_000).toBeLessThan(m.share + 0.02);
      expect(Math.min(...sizes[kind]!)).toBeGreaterThanOrEqual(m.minBytes);
      expect(Math.max(...sizes[kind]!)).toBeLessThanOrEqual(m.maxBytes);
    }
    const again = seeded(7);
    expect(datasetEntry(0, again, pool)).toEqual(datasetEntry(0, seeded(7), pool));
  });
});
