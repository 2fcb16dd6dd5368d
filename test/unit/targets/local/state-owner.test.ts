import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { splitByOwner, type LocalState } from '../../../../src/targets/local/state.ts';

// A pid that surely is not running: a child that has already exited and been reaped.
const deadPid = spawnSync('true').pid!;
const state = (runId: string, ownerPid: number, detached = false): LocalState => ({
  runId,
  runDir: `/nonexistent/${runId}`,
  ownerPid,
  detached,
  pods: [],
  processes: {},
  nftTables: [],
});

describe('down leaves a running harness its deployment', () => {
  // process.ppid stands for another harness that is alive (vitest's parent process).
  const live = state('live', process.ppid);
  const orphan = state('orphan', deadPid);
  const up = state('up', process.ppid, true);
  const mine = state('mine', process.pid);

  it('removes orphans, `up` deployments and its own; leaves one whose harness runs', () => {
    const { removable, running } = splitByOwner([live, orphan, up, mine], false);
    expect(running.map((s) => s.runId)).toEqual(['live']);
    expect(removable.map((s) => s.runId)).toEqual(['orphan', 'up', 'mine']);
  });

  it('--force removes all of them', () => {
    const { removable, running } = splitByOwner([live, orphan, up, mine], true);
    expect(running).toEqual([]);
    expect(removable).toHaveLength(4);
  });
});
