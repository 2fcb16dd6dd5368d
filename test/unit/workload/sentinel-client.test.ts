// The Sentinel client's reconnectOnError decision; the real thing (a master demoted with 30 writes held): test/integration/readonly-reconnect.test.ts.
import { describe, expect, it } from 'vitest';
import { readonlyReconnect } from '../../../src/workload/sentinel-client.ts';

const open = { writableEnded: false, destroyed: false };
const readonly = new Error("READONLY You can't write against a read only replica.");

describe('readonlyReconnect', () => {
  it('asks for a reconnect on the first READONLY of a connection', () => {
    expect(readonlyReconnect(readonly, open)).toBe(1);
  });

  it('does not ask again while that connection is already ending or gone (a reconnect is under way)', () => {
    expect(readonlyReconnect(readonly, { writableEnded: true, destroyed: false })).toBe(false);
    expect(readonlyReconnect(readonly, { writableEnded: false, destroyed: true })).toBe(false);
  });

  it('leaves every other error to the command alone', () => {
    for (const m of ['ERR unknown command', 'LOADING Redis is loading', 'NOAUTH Authentication required.', 'MASTERDOWN Link with MASTER is down'])
      expect(readonlyReconnect(new Error(m), open)).toBe(false);
  });
});
