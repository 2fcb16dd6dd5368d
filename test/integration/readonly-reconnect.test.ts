// The workload's Sentinel client against a master demoted under load, as the coordinated hand-over does it (writes
// held by CLIENT PAUSE WRITE, REPLICAOF, unpause): every held write is answered READONLY at once. The client must
// ask for one reconnect on that connection, not one per reply: each ask adds a 'close' listener to the socket
// (the harness printed MaxListenersExceededWarning for "11 close listeners added to [Socket]" in bench:planned).
// A lone redis-server and redis-sentinel on 127.0.226.x, no deployment: well under a second.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sentinelClient } from '../../src/workload/sentinel-client.ts';
import { processesUnder } from '../support/leftovers.ts';
import { untilPing } from '../support/until-ping.ts';

const SUBNET = 226;
const master = { host: `127.0.${SUBNET}.10`, port: 6390 };
const sentinel = { host: `127.0.${SUBNET}.11`, port: 26390 };
/** Nothing listens here: the demoted master stays a replica that answers READONLY. */
const nowhere = { host: `127.0.${SUBNET}.12`, port: 6391 };
const HELD_WRITES = 30;

describe('the Sentinel client on a master demoted with writes in flight', () => {
  let dir: string;
  const procs: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sc-it-readonly-'));
    const base = ['--save', '', '--appendonly', 'no', '--dir', dir];
    procs.push(spawn('redis-server', ['--bind', master.host, '--port', String(master.port), ...base], { cwd: dir, stdio: 'ignore' }));
    const conf = path.join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `bind ${sentinel.host}`,
        `port ${sentinel.port}`,
        `dir ${dir}`,
        `sentinel monitor leak ${master.host} ${master.port} 1`,
        // No failover while the test runs: the sentinel only names the master.
        'sentinel down-after-milliseconds leak 60000',
        '',
      ].join('\n'),
    );
    procs.push(spawn('redis-sentinel', [conf], { cwd: dir, stdio: 'ignore' }));
    await Promise.all([untilPing(master), untilPing(sentinel)]);
  });

  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails every held write with READONLY and adds one close listener to the socket, not one per reply', async () => {
    const client = sentinelClient({ sentinels: [sentinel], masterName: 'leak', password: '' });
    const admin = new Redis(master);
    try {
      await client.set('leak:ready', '1');
      const socket = client.stream;
      const before = socket.listenerCount('close');
      await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE');
      const writes = Array.from({ length: HELD_WRITES }, (_, i) =>
        client.set(`leak:${i}`, '1').then(
          () => 'ok',
          (e: Error) => e.message,
        ),
      );
      // The writes reach the server and wait there (the pause holds them), then the master steps down and lets them go.
      for (let i = 0; i < 100 && Number((await admin.info('clients')).match(/blocked_clients:(\d+)/)?.[1]) === 0; i++) await sleep(10);
      await admin.replicaof(nowhere.host, nowhere.port);
      await admin.call('CLIENT', 'UNPAUSE');
      const results = await Promise.all(writes);
      expect(
        results.every((r) => r.startsWith('READONLY')),
        results.join('; '),
      ).toBe(true);
      // The same socket: one listener from the one reconnect asked for (without the fix: one per READONLY, 30).
      expect(socket.listenerCount('close') - before).toBe(1);
    } finally {
      client.disconnect();
      admin.disconnect();
    }
  });

  it('leaves nothing running', async () => {
    for (const p of procs) p.kill('SIGKILL');
    await sleep(100);
    expect(processesUnder(dir)).toEqual([]);
  });
});
