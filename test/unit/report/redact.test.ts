// Redaction of secrets in text and JSON-like values, in every encoding reports may carry them.
import { describe, expect, it } from 'vitest';
import { createRedactor, redactOutput, registerSecret } from '../../../src/process/redact.ts';

const PW = 'hunter2-S3cret';

describe('createRedactor', () => {
  it('replaces every occurrence in text', () => {
    expect(createRedactor([PW]).text(`AUTH ${PW} then ${PW}!`)).toBe('AUTH *** then ***!');
  });

  it('redacts strings at any depth and object keys, without touching the input or other values', () => {
    const input = {
      url: `redis://default:${PW}@127.0.0.1:6379`,
      nested: { list: ['ok', `x${PW}x`, 3, null, true, { [PW]: `${PW}` }] },
      [`key-${PW}`]: 42,
    };
    const before = structuredClone(input);
    const out = createRedactor([PW]).value(input);
    expect(out).toEqual({
      url: 'redis://default:***@127.0.0.1:6379',
      nested: { list: ['ok', 'x***x', 3, null, true, { '***': '***' }] },
      'key-***': 42,
    });
    expect(input).toEqual(before);
    expect(out.nested).not.toBe(input.nested);
  });

  it('keeps a "__proto__" key as data', () => {
    const input: unknown = JSON.parse(`{"__proto__": {"p": "${PW}"}}`);
    const out = createRedactor([PW]).value(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ p: '***' });
  });

  it('redacts the base64 encoding, padded or not', () => {
    const b64 = Buffer.from(PW).toString('base64');
    expect(b64).toMatch(/=$/);
    const r = createRedactor([PW]);
    expect(r.text(`password: ${b64}\n`)).toBe('password: ***\n');
    expect(r.text(`token=${b64.replace(/=+$/, '')};`)).toBe('token=***;');
  });

  it('redacts URL-encoded forms', () => {
    const pw = 'p@ss/w:rd !x';
    const r = createRedactor([pw]);
    expect(r.text(`redis://default:${encodeURIComponent(pw)}@host:6379`)).toBe('redis://default:***@host:6379');
    expect(r.text(`?auth=${new URLSearchParams({ a: pw }).toString().slice(2)}&db=0`)).toBe('?auth=***&db=0');
  });

  it('redacts the JSON-escaped form found in JSON-lines text', () => {
    const pw = 'quo"te\\pw';
    expect(createRedactor([pw]).text(JSON.stringify({ error: `bad ${pw}` }))).toBe('{"error":"bad ***"}');
  });

  it('ignores empty and short secrets', () => {
    const r = createRedactor(['', 'abc', PW]);
    expect(r.text('abc 0 1 2 3')).toBe('abc 0 1 2 3');
    expect(r.text(PW)).toBe('***');
    expect(createRedactor(['abc']).value({ abc: 'abc' })).toEqual({ abc: 'abc' });
  });

  it('masks the longer of overlapping secrets whole', () => {
    expect(createRedactor(['secret', 'secret-longer']).text('a secret-longer b secret')).toBe('a *** b ***');
  });
});

describe('redactOutput (stdout and stderr)', () => {
  it('masks only what was registered, from the moment it was registered, in every encoding', () => {
    const first = 'first-Output-Secret-1';
    const second = 'second-Output-Secret-2';
    expect(redactOutput(`error: WRONGPASS ${first}`)).toBe(`error: WRONGPASS ${first}`);
    registerSecret(first);
    registerSecret(first);
    expect(redactOutput(`error: WRONGPASS ${first}`)).toBe('error: WRONGPASS ***');
    expect(redactOutput(`uri redis://:${encodeURIComponent(second)}@h`)).toContain(second);
    registerSecret(second);
    expect(redactOutput(`${first} ${second} ${Buffer.from(second).toString('base64')}`)).toBe('*** *** ***');
  });
});
