// redis.conf / sentinel.conf text: tokenizing, reading the effective directive, overriding one.
import { describe, expect, it } from 'vitest';
import { lastDirective, parseDirectives, setDirective, tokenize } from '../../../src/config/redis-conf.ts';

describe('tokenize', () => {
  it('splits on any run of whitespace and ignores leading/trailing blanks', () => {
    expect(tokenize('  sentinel   monitor\tmymaster  10.0.0.1 6379 2  ')).toEqual(['sentinel', 'monitor', 'mymaster', '10.0.0.1', '6379', '2']);
  });

  it('keeps a double-quoted argument as one token without its quotes', () => {
    expect(tokenize('requirepass "two words"')).toEqual(['requirepass', 'two words']);
    expect(tokenize('appendfilename "appendonly.aof"')).toEqual(['appendfilename', 'appendonly.aof']);
  });

  it('reads "" as one empty token (save "" disables snapshots)', () => {
    expect(tokenize('save ""')).toEqual(['save', '']);
  });

  it('unescapes \\" and \\\\ inside quotes and does not end the token at an escaped quote', () => {
    expect(tokenize('requirepass "a\\"b c"')).toEqual(['requirepass', 'a"b c']);
    expect(tokenize('requirepass "back\\\\slash" next')).toEqual(['requirepass', 'back\\slash', 'next']);
  });

  it('returns no tokens for a blank line', () => {
    expect(tokenize('   ')).toEqual([]);
    expect(tokenize('')).toEqual([]);
  });
});

describe('parseDirectives', () => {
  it('drops comments (also indented ones) and blank lines, keeps file order', () => {
    const text = '# header\nport 6379\n\n   # indented comment\n  appendonly yes\n';
    expect(parseDirectives(text)).toEqual([
      ['port', '6379'],
      ['appendonly', 'yes'],
    ]);
  });
});

describe('lastDirective', () => {
  it('returns the arguments after the prefix', () => {
    const text = 'sentinel monitor mymaster redis-0 6379 2\nsentinel down-after-milliseconds mymaster 5000\n';
    expect(lastDirective(text, ['sentinel', 'down-after-milliseconds', 'mymaster'])).toEqual(['5000']);
    expect(lastDirective(text, ['sentinel', 'monitor'])).toEqual(['mymaster', 'redis-0', '6379', '2']);
  });

  it('lets the last occurrence win, as redis does', () => {
    expect(lastDirective('maxmemory 1gb\nport 1\nmaxmemory 2gb\nport 2\n', ['maxmemory'])).toEqual(['2gb']);
  });

  it('matches the prefix case-insensitively', () => {
    const text = 'SENTINEL Down-After-Milliseconds MyMaster 777\n';
    expect(lastDirective(text, ['sentinel', 'down-after-milliseconds', 'mymaster'])).toEqual(['777']);
    expect(lastDirective('AppendOnly yes\n', ['appendonly'])).toEqual(['yes']);
  });

  it('ignores commented-out directives, even after the real one', () => {
    const text = 'maxmemory 2gb\n# maxmemory 9gb\n   # maxmemory 8gb\n';
    expect(lastDirective(text, ['maxmemory'])).toEqual(['2gb']);
    expect(lastDirective('# appendonly yes\n', ['appendonly'])).toBeUndefined();
  });

  it('compares whole tokens: a longer directive name or another master does not match', () => {
    const text = 'maxmemory-policy allkeys-lru\nsentinel down-after-milliseconds other 1\n';
    expect(lastDirective(text, ['maxmemory'])).toBeUndefined();
    expect(lastDirective(text, ['sentinel', 'down-after-milliseconds', 'mymaster'])).toBeUndefined();
  });

  it('returns an empty array for a directive with no arguments and undefined when absent', () => {
    expect(lastDirective('flag\n', ['flag'])).toEqual([]);
    expect(lastDirective('port 6379\n', ['bind'])).toBeUndefined();
  });

  it('reads quoted arguments through tokenize', () => {
    expect(lastDirective('save ""\n', ['save'])).toEqual(['']);
  });
});

describe('setDirective', () => {
  it('replaces every matching line (case-insensitively) and leaves every other line byte-identical', () => {
    const lines = [
      '# maxmemory 9gb is only a comment',
      'bind 0.0.0.0   ',
      'maxmemory 1gb',
      '\tport 6379',
      'maxmemory-policy allkeys-lru',
      '  MAXMEMORY 3gb',
      'requirepass "a b"',
      '',
    ];
    const out = setDirective(lines.join('\n'), ['maxmemory'], '512mb').split('\n');
    expect(out).toHaveLength(lines.length);
    expect(out[2]).toBe('maxmemory 512mb');
    expect(out[5]).toBe('maxmemory 512mb');
    for (const i of [0, 1, 3, 4, 6, 7]) expect(out[i], `line ${i}`).toBe(lines[i]);
    expect(lastDirective(out.join('\n'), ['maxmemory'])).toEqual(['512mb']);
  });

  it('leaves commented-out directives alone', () => {
    const text = '# maxmemory 9gb\n  # maxmemory 8gb\nport 6379\n';
    const out = setDirective(text, ['maxmemory'], '1gb');
    expect(out.startsWith('# maxmemory 9gb\n  # maxmemory 8gb\nport 6379\n')).toBe(true);
    expect(out).toBe('# maxmemory 9gb\n  # maxmemory 8gb\nport 6379\nmaxmemory 1gb\n');
  });

  it('appends the directive when absent, keeping the original text as an exact prefix', () => {
    const text = 'port 6379\nappendonly yes\n';
    expect(setDirective(text, ['maxmemory'], '1gb')).toBe('port 6379\nappendonly yes\nmaxmemory 1gb\n');
    // No trailing newline in the input: a newline is inserted before the appended line.
    expect(setDirective('port 6379', ['maxmemory'], '1gb')).toBe('port 6379\nmaxmemory 1gb\n');
    expect(setDirective('', ['maxmemory'], '1gb')).toBe('maxmemory 1gb\n');
  });

  it('replaces a multi-token sentinel prefix for that master only', () => {
    const text = [
      'sentinel monitor mymaster redis-0 6379 2',
      'sentinel down-after-milliseconds mymaster 5000',
      'sentinel down-after-milliseconds other 5000',
      'sentinel failover-timeout mymaster 10000',
      '',
    ].join('\n');
    const out = setDirective(text, ['sentinel', 'down-after-milliseconds', 'mymaster'], '1000');
    expect(out).toBe(
      [
        'sentinel monitor mymaster redis-0 6379 2',
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel down-after-milliseconds other 5000',
        'sentinel failover-timeout mymaster 10000',
        '',
      ].join('\n'),
    );
    expect(lastDirective(out, ['sentinel', 'down-after-milliseconds', 'mymaster'])).toEqual(['1000']);
  });

  it('does not touch a longer directive that merely starts with the same characters', () => {
    const text = 'maxmemory-policy allkeys-lru\n';
    expect(setDirective(text, ['maxmemory'], '1gb')).toBe('maxmemory-policy allkeys-lru\nmaxmemory 1gb\n');
  });
});
