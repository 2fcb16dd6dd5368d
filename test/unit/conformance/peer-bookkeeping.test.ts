// How the peer suite runs its units (without Redis: the units here touch nothing, convergence is stubbed):
// a failed step ends its unit and the rest is "not reached", restores run last-in first-out whatever
// happens, a deployment that does not converge after a unit fails that unit and skips all that follow,
// and no password of the deployment survives in a check.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { PEER_CHECK_NAMES, PEER_UNITS, peerChecks, type UnitSpec } from '../../../src/conformance/peer.ts';
import type { Topology } from '../../../src/targets/convergence.ts';
import type { Pod, StartedDeployment } from '../../../src/targets/target.ts';

const BUNDLED = path.resolve(import.meta.dirname, '../../../manifests');
const SECRET = 'p4ssw0rd-of-the-deployment';
const pods: Pod[] = [0, 1, 2].map((i) => ({
  name: `redis-${i}`,
  ordinal: i,
  node: 'n',
  redis: { host: `127.0.9.${i + 1}`, port: 6379 },
  sentinel: { host: `127.0.9.${i + 1}`, port: 26379 },
}));
const topology: Topology = { master: pods[0]!, replicas: [pods[1]!, pods[2]!] };

async function fakeDeployment(): Promise<StartedDeployment> {
  const model = await loadDeployment(BUNDLED);
  // Only what peerChecks reads before a unit talks to Redis; these units never do.
  return { target: 'fake', model, pods, password: SECRET, passwords: [SECRET], downAfterMs: 1500 } as unknown as StartedDeployment;
}

const pass =
  (observed = 'fine') =>
  async () => ({ valid: true as const, expected: 'e', observed, explanation: 'x' });
const fail = async () => ({ valid: false as const, expected: 'e', observed: `broke with ${SECRET}`, explanation: 'x' });

describe('peerChecks bookkeeping', () => {
  it('declares every upstream test it mirrors, under unique names', () => {
    expect(new Set(PEER_CHECK_NAMES).size).toBe(PEER_CHECK_NAMES.length);
    expect(PEER_UNITS.map((u) => u.file)).toEqual([
      '06-ckquorum.tcl',
      '03-runtime-reconf.tcl',
      '07-down-conditions.tcl',
      '05-manual.tcl',
      '00-base.tcl',
      '00-base.tcl',
      '01-conf-update.tcl',
      '02-slaves-reconf.tcl',
      '12-master-reboot.tcl',
    ]);
  });

  it('stops a unit at its first failed step, restores in reverse, skips what follows only when the deployment does not converge', async () => {
    const d = await fakeDeployment();
    const restored: string[] = [];
    let converges = 0;
    const units: UnitSpec[] = [
      {
        id: 'a',
        file: '00-base.tcl',
        checks: { 'a.one': 'One', 'a.two': 'Two', 'a.three': 'Three' },
        async body(u) {
          u.onRestore('first', async () => void restored.push('a-first'));
          await u.check('a.one', pass());
          u.onRestore('second', async () => {
            restored.push('a-second');
            throw new Error('restore failed');
          });
          await u.check('a.two', fail);
          await u.check('a.three', pass());
        },
      },
      {
        id: 'b',
        file: '05-manual.tcl',
        checks: { 'b.one': 'One', 'b.two': ['00-base.tcl', 'Elsewhere'] },
        async body(u) {
          u.onRestore('only', async () => void restored.push('b'));
          await u.check('b.one', fail, { keepGoing: true });
          await u.check('b.two', async () => {
            throw new Error('no answer');
          });
        },
      },
      {
        id: 'c',
        file: '02-slaves-reconf.tcl',
        checks: { 'c.one': 'One' },
        async body(u) {
          await u.check('c.one', pass());
        },
      },
    ];
    const checks = await peerChecks({ model: d.model, deployment: d, convergeTimeoutMs: 10 }, units, async () => {
      converges++;
      if (converges === 3) throw new Error('still two masters');
      return topology;
    });
    expect(checks.map((c) => [c.name, c.valid])).toEqual([
      ['a.one', true],
      ['a.two', false],
      ['a.three', 'skipped'],
      ['b.one', false],
      ['b.two', false],
      ['b.converged-after', false],
      ['c.one', 'skipped'],
    ]);
    expect(restored).toEqual(['a-second', 'a-first', 'b']);
    expect(checks.find((c) => c.name === 'a.three')?.reason).toBe('not reached: an earlier step of this unit failed');
    expect(checks.find((c) => c.name === 'b.two')?.observed).toBe('error: no answer');
    expect(checks.find((c) => c.name === 'b.two')?.upstream).toBe('tests/sentinel/tests/00-base.tcl: "Elsewhere"');
    expect(checks.find((c) => c.name === 'a.one')?.upstream).toBe('tests/sentinel/tests/00-base.tcl: "One"');
    expect(checks.find((c) => c.name === 'b.converged-after')?.observed).toBe('still two masters');
    expect(checks.find((c) => c.name === 'c.one')?.reason).toBe('the deployment did not converge after 05-manual.tcl: still two masters');
    expect(JSON.stringify(checks)).not.toContain(SECRET);
    expect(checks.find((c) => c.name === 'a.two')?.observed).toBe('broke with ***');
  });

  it('a restore that fails is reported when the deployment then does not converge', async () => {
    const d = await fakeDeployment();
    const units: UnitSpec[] = [
      {
        id: 'a',
        file: '00-base.tcl',
        checks: { 'a.one': 'One' },
        async body(u) {
          u.onRestore('start redis-1', async () => {
            throw new Error('exec failed');
          });
          await u.check('a.one', pass());
        },
      },
    ];
    let n = 0;
    const checks = await peerChecks({ model: d.model, deployment: d, convergeTimeoutMs: 10 }, units, async () => {
      if (n++ > 0) throw new Error('redis-1 down');
      return topology;
    });
    expect(checks.find((c) => c.name === 'a.converged-after')?.observed).toBe('redis-1 down; restoring failed: start redis-1: exec failed');
  });

  it('skips every check, with the reason, when the deployment had not converged to begin with', async () => {
    const d = await fakeDeployment();
    const checks = await peerChecks({ model: d.model, deployment: d, convergeTimeoutMs: 10 }, PEER_UNITS, async () => {
      throw new Error('no quorum');
    });
    expect(checks.map((c) => c.name)).toEqual(PEER_CHECK_NAMES);
    expect(new Set(checks.map((c) => `${c.valid} ${c.reason}`))).toEqual(
      new Set(['skipped the deployment had not converged before the peer checks: no quorum']),
    );
  });
});
