import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commaList } from '../../../src/cli/options.ts';

/** What commander hands the action for `args`, with the option declared as the run command declares --scenario / --conformance. */
function parse(args: string[], fallback?: string): string | undefined {
  const cmd = new Command().exitOverride().option('--scenario <names>', 'names', commaList(), fallback);
  cmd.parse(['node', 'x', ...args]);
  return cmd.opts<{ scenario?: string }>().scenario;
}

describe('commaList', () => {
  it('keeps every value of a repeated option, in order (commander alone keeps only the last)', () => {
    expect(parse(['--scenario', 'cert-rotation', '--scenario', 'cert-expiry,acl-rotation'])).toBe('cert-rotation,cert-expiry,acl-rotation');
    const plain = new Command().exitOverride().option('--scenario <names>', 'names');
    plain.parse(['node', 'x', '--scenario', 'a', '--scenario', 'b']);
    expect(plain.opts<{ scenario: string }>().scenario).toBe('b');
  });

  it('the first value given replaces the default; no value keeps it', () => {
    expect(parse(['--scenario', 'none'], 'static,live')).toBe('none');
    expect(parse(['--scenario', 'static', '--scenario', 'live'], 'static,live,app-paths')).toBe('static,live');
    expect(parse([], 'static,live')).toBe('static,live');
    expect(parse([])).toBeUndefined();
  });
});
