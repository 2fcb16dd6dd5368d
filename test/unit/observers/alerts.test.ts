// The alert watcher's transitions (firing, firing on more instances, resolved, failed polls) and the check that no
// listener on every address holds a port monitoring needs (Debian's services on a systemd machine would).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClock } from '../../../src/clock.ts';
import { isHarnessError } from '../../../src/errors.ts';
import { AlertWatcher } from '../../../src/observers/alerts.ts';
import { assertMonitoringPortsFree, type ActiveAlert } from '../../../src/observers/prometheus.ts';
import { wildcardListenPorts } from '../../../src/process/listeners.ts';

const firing = (name: string, instance?: string): ActiveAlert => ({ name, state: 'firing', labels: instance ? { instance } : {} });

describe('AlertWatcher', () => {
  it('records firing once, again when more instances fire, resolved when it stops; pending and failed polls counted', async () => {
    const answers: (ActiveAlert[] | Error)[] = [
      [{ name: 'RedisDown', state: 'pending', labels: {} }],
      [firing('RedisDown', 'a:9121')],
      [firing('RedisDown', 'a:9121')],
      [firing('RedisDown', 'a:9121'), firing('RedisDown', 'b:9121')],
      new Error('connection refused'),
      [],
    ];
    let i = 0;
    const w = new AlertWatcher(
      {
        alerts: async () => {
          const a = answers[i++]!;
          if (a instanceof Error) throw a;
          return a;
        },
      },
      createClock(),
      10,
    );
    for (let n = 0; n < answers.length; n++) await w.pollOnce();
    expect(w.events.map((e) => [e.source, e.type, e.detail])).toEqual([
      ['alert/RedisDown', 'firing', 'a:9121'],
      ['alert/RedisDown', 'firing', 'a:9121, b:9121'],
      ['alert/RedisDown', 'resolved', ''],
    ]);
    expect([...w.pending]).toEqual(['RedisDown']);
    expect(w.failedPolls()).toBe(1);
    expect(w.span('RedisDown')).toMatchObject({ clearedNs: w.events[2]!.ns, instances: new Set(['a:9121', 'b:9121']) });
    expect(w.firingNow()).toEqual([]);
    expect(await w.quiet(0, 0)).toBe(true);
  });
});

describe('ports held on every address', () => {
  it('reads LISTEN sockets on 0.0.0.0 and [::] from /proc/net/tcp text, not those on one address or not listening', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 00000000:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 01007F7F:23A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1',
      '   2: 00000000:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3 1',
    ].join('\n');
    expect([...wildcardListenPorts(tcp)]).toEqual([0x2382]);
    const tcp6 = '  sl  local_address header\n   0: 00000000000000000000000000000000:23A1 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 0\n';
    expect([...wildcardListenPorts(tcp6)]).toEqual([9121]);
  });

  it('a listener on every address at the Prometheus port: PORT_BUSY naming the port, exit 2', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '::', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      const e: unknown = await assertMonitoringPortsFree(port).catch((x: unknown) => x);
      expect(isHarnessError(e) && e.code).toBe('PORT_BUSY');
      expect((e as Error).message).toContain(`port ${port} (the harness's Prometheus) is held on every address by another process`);
      expect(isHarnessError(e) && e.exitCode).toBe(2);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
