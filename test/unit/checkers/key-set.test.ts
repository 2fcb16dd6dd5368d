import { describe, expect, it } from 'vitest';
import { CompactKeySet } from '../../../src/model/key-set.ts';

describe('CompactKeySet', () => {
  it('is a set of strings: numbered keys as bits, others as strings, each counted once', () => {
    const keys = [
      'sc:run:soak:1:sentinel-client:0',
      'sc:run:soak:1:sentinel-client:7',
      'sc:run:soak:1:sentinel-client:100000',
      'plain',
      'x:007',
      'x:',
      'y:99999999999',
    ];
    const s = new CompactKeySet([...keys, ...keys]);
    expect(s.size).toBe(keys.length);
    for (const k of keys) expect(s.has(k)).toBe(true);
    expect(s.has('sc:run:soak:1:sentinel-client:1')).toBe(false);
    expect(s.has('x:7')).toBe(false);
    expect([...s].sort()).toEqual([...keys].sort());
    expect([...s.keys()]).toEqual([...s]);
    let n = 0;
    s.forEach(() => n++);
    expect(n).toBe(keys.length);
  });

  it('holds a million numbered keys in bits', () => {
    const s = new CompactKeySet();
    for (let i = 0; i < 1_000_000; i += 2) s.add(`p:c:${i}`);
    expect(s.size).toBe(500_000);
    expect(s.has('p:c:999998')).toBe(true);
    expect(s.has('p:c:999999')).toBe(false);
    expect(s.bytes()).toBeLessThan(300_000);
  });

  it('a number far beyond the bitmap goes to the strings, and is found either way', () => {
    const s = new CompactKeySet(['p:1', 'p:900000000']);
    expect(s.has('p:900000000')).toBe(true);
    s.add('p:900000000');
    expect(s.size).toBe(2);
  });
});
