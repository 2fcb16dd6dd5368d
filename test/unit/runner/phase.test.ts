// The phase machinery: a phase's own limit, the phase named in its failure, cleanups that all run.
import { describe, expect, it } from 'vitest';
import { CleanupStack, PhaseFailed, runPhase, until } from '../../../src/runner/phase.ts';

describe('runPhase', () => {
  it('announces the phase and returns its result', async () => {
    const entered: string[] = [];
    expect(
      await runPhase(
        'heal',
        1000,
        (n) => entered.push(n),
        async () => 42,
      ),
    ).toBe(42);
    expect(entered).toEqual(['heal']);
  });

  it('names the phase when it throws, keeping the cause', async () => {
    const cause = new Error('spawn ELOOP');
    const err = await runPhase('heal', 1000, undefined, () => Promise.reject(cause)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhaseFailed);
    expect(err).toMatchObject({ phase: 'heal', cause, message: 'heal: spawn ELOOP' });
  });

  it('fails a phase that outlasts its limit', async () => {
    const err = (await runPhase('read back', 20, undefined, () => new Promise(() => {})).catch((e: unknown) => e)) as PhaseFailed;
    expect(err.phase).toBe('read back');
    expect((err.cause as Error).message).toBe('read back did not finish within 20 ms');
  });

  it('treats a limit beyond what a timer can hold as none', async () => {
    expect(await runPhase('inject', Number.MAX_SAFE_INTEGER, undefined, async () => 'ok')).toBe('ok');
  });
});

describe('until', () => {
  it('is true once the condition holds and false when the wait runs out', async () => {
    let n = 0;
    expect(await until(() => ++n >= 3, 1000, 1)).toBe(true);
    expect(await until(() => false, 20, 1)).toBe(false);
  });
});

describe('CleanupStack', () => {
  it('runs every step newest first, past one that throws, once', async () => {
    const ran: string[] = [];
    const stack = new CleanupStack();
    stack.defer(() => ran.push('ticker'));
    stack.defer(() => {
      ran.push('observer');
      throw new Error('boom');
    });
    stack.defer(async () => ran.push('heal'));
    await stack.run();
    await stack.run();
    expect(ran).toEqual(['heal', 'observer', 'ticker']);
  });
});
