// The harness's own files: the state file and the Secrets' files are mode 0600 even where a file of another mode was
// there before, and `down` trusts only a state file this user wrote, about its own directory.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePrivateFile } from '../../../../src/targets/local/private-file.ts';
import { invalidStateReason, listStates, writeState, type LocalState } from '../../../../src/targets/local/state.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'sc-private-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mode = (f: string) => statSync(f).mode & 0o777;
const state = (runId: string, over: Partial<LocalState> = {}): LocalState => ({
  runId,
  runDir: path.join(root, runId),
  ownerPid: 4242,
  detached: false,
  pods: [],
  processes: { 'redis-0/redis': 4243 },
  nftTables: [],
  ...over,
});

describe('private files', () => {
  it('writes mode 0600, also over a file of another mode and a leftover temporary file', async () => {
    const f = path.join(root, 'secret');
    writeFileSync(f, 'old', { mode: 0o644 });
    writeFileSync(`${f}.tmp`, 'stale', { mode: 0o666 });
    chmodSync(`${f}.tmp`, 0o666);
    await writePrivateFile(f, 'new');
    expect(readFileSync(f, 'utf8')).toBe('new');
    expect(mode(f).toString(8)).toBe('600');
  });

  it('writes the state file mode 0600 and reads it back', async () => {
    const s = state('run-a');
    mkdirSync(s.runDir);
    writeFileSync(path.join(s.runDir, 'state.json.tmp'), '{}', { mode: 0o644 });
    await writeState(s);
    expect(mode(path.join(s.runDir, 'state.json')).toString(8)).toBe('600');
    expect(await listStates(root)).toEqual([s]);
  });
});

describe('state files down trusts', () => {
  it.each([
    ['another directory as runDir', { runDir: '/' }, /runDir is not/],
    ['a non-numeric process', { processes: { x: 'sh' as unknown as number } }, /processes/],
    ['process 0', { processes: { x: 0 } }, /processes/],
    ['no runId', { runId: '' }, /no runId/],
    ['a negative owner', { ownerPid: -1 }, /ownerPid/],
  ])('leaves out a state with %s, saying why', async (_what, over, why) => {
    const good = state('good');
    const bad = { ...state('bad'), ...over };
    for (const [dir, s] of [
      ['good', good],
      ['bad', bad],
    ] as const) {
      mkdirSync(path.join(root, dir));
      writeFileSync(path.join(root, dir, 'state.json'), JSON.stringify(s), { mode: 0o600 });
    }
    const ignored: string[] = [];
    expect(await listStates(root, (f, w) => ignored.push(`${path.basename(path.dirname(f))}: ${w}`))).toEqual([good]);
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatch(/^bad: /);
    expect(ignored[0]).toMatch(why);
  });

  it('leaves out a state file others may write', async () => {
    const s = state('open');
    mkdirSync(s.runDir);
    writeFileSync(path.join(s.runDir, 'state.json'), JSON.stringify(s));
    chmodSync(path.join(s.runDir, 'state.json'), 0o666);
    const ignored: string[] = [];
    expect(await listStates(root, (_f, w) => ignored.push(w))).toEqual([]);
    expect(ignored[0]).toMatch(/writable by others \(mode 666\)/);
  });

  it('rejects malformed JSON values with a reason, never a throw', () => {
    for (const v of [null, 7, 'x', [], {}, { runId: 'r' }, { runId: 'r', runDir: root }]) expect(invalidStateReason(v, root)).toEqual(expect.any(String));
  });
});
