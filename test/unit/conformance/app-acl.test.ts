// The app-paths group's ACL checks (src/conformance/app-acl.ts) judge ACL LOG replies as Redis 7.0 gives them and the drivers' refused operations.
import { describe, expect, it } from 'vitest';
import { aclDenialsIn, appAclChecks, mergeAclLogs, type AclClient } from '../../../src/conformance/app-acl.ts';
import { exporterAclCheck } from '../../../src/conformance/monitoring.ts';
import { EXPORTER_PROBE_NAME } from '../../../src/conformance/security/live-checks.ts';
import type { DriverOp } from '../../../src/workload/drivers/protocol.ts';

/** An ACL LOG entry as redis 7.0.15 answers it (`ACL LOG 128`, RESP2 as ioredis returns it). */
const entry = (username: string, reason: string, object: string, count = 1, name = ''): unknown[] => [
  'count',
  count,
  'reason',
  reason,
  'context',
  'toplevel',
  'object',
  object,
  'username',
  username,
  'age-seconds',
  '1.25',
  'client-info',
  `id=12 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=9 name=${name} age=1 idle=0 flags=N db=1 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1800 events=r cmd=info user=livekit redir=-1 resp=2`,
];

const ok = (key: string): DriverOp => ({ process: 'x', type: 'ok', f: 'write', key, ns: 2 }) as DriverOp;
const fail = (key: string, error: string): DriverOp => ({ process: 'x', type: 'fail', f: 'write', key, ns: 3, error }) as DriverOp;
const client = (name: string, user: AclClient['user'], ops: DriverOp[]): AclClient => ({ name, library: 'lib 1.0', user, db: 1, ops });
const USERS = new Set(['synapse', 'livekit', 'django']);

describe('ACL LOG entries of the application users', () => {
  it("keeps the application users' entries with their reason and object, drops the others'", () => {
    const reply = [entry('livekit', 'command', 'info', 3), entry('admin', 'command', 'x'), entry('synapse', 'channel', 'other:ch')];
    expect(aclDenialsIn('redis-0', reply, USERS)).toEqual([
      { node: 'redis-0', username: 'livekit', reason: 'command', context: 'toplevel', object: 'info', count: 3, clientName: '' },
      { node: 'redis-0', username: 'synapse', reason: 'channel', context: 'toplevel', object: 'other:ch', count: 1, clientName: '' },
    ]);
    expect(aclDenialsIn('redis-0', null, USERS)).toEqual([]);
  });
});

describe('appAclChecks', () => {
  const clean = { denials: [], unread: [], read: ['redis-0', 'redis-1', 'redis-2'] };
  const clients = [client('ioredis-sentinel', 'livekit', [ok('livekit:a')]), client('redis-py-sentinel', 'synapse', [ok('synapse:a')])];

  it('passes each user with no ACL LOG entry, no refused operation and an acknowledged write per client', () => {
    const checks = appAclChecks('app-paths', clients, clean);
    expect(checks.map((c) => [c.name, c.valid])).toEqual([
      ['acl.livekit', true],
      ['acl.synapse', true],
    ]);
    expect(checks[0]!.observed).toContain('0 entries of livekit');
  });

  it("fails the user whose library's command a node refused (a weakened ACL: livekit without INFO), naming node, command and count", () => {
    const logs = mergeAclLogs(clean, { denials: aclDenialsIn('redis-1', [entry('livekit', 'command', 'info', 2)], USERS), unread: [], read: [] });
    const [livekit, synapse] = appAclChecks('app-paths', clients, logs);
    expect(livekit!.valid).toBe(false);
    expect(livekit!.observed).toContain('redis-1: command `info` refused ×2');
    expect(livekit!.figures).toMatchObject({ acl_log_entries: 2 });
    expect(synapse!.valid).toBe(true);
  });

  it('fails on an operation refused NOPERM (or as redis-py words it) even without a log entry, and on a client with nothing acknowledged', () => {
    const refused = appAclChecks(
      'app-paths',
      [client('redis-py', 'synapse', [ok('synapse:a'), fail('synapse:b', 'NoPermissionError: no permissions to access a key')])],
      clean,
    );
    expect(refused[0]!.valid).toBe(false);
    expect(refused[0]!.observed).toContain('1 operations refused');
    const idle = appAclChecks(
      'app-paths',
      [client('ruby', 'livekit', [fail('livekit:a', 'NOPERM this user has no permissions to run the set command')])],
      clean,
    );
    expect(idle[0]!.valid).toBe(false);
    expect(idle[0]!.observed).toContain('ruby 0 on db 1');
  });

  it('is unknown, not passed, when a node could not be read', () => {
    const [c] = appAclChecks('app-paths', [clients[0]!], { ...clean, unread: ['redis-2 (127.0.0.3:6379): connect ECONNREFUSED'] });
    expect(c!.valid).toBe('unknown');
    expect(c!.observed).toContain('not read: redis-2');
  });
});

describe("the monitoring group's exporter ACL check", () => {
  const read = ['redis-0', 'redis-1', 'redis-2'];
  const logsOf = (node: string, ...entries: unknown[][]) => ({ denials: aclDenialsIn(node, entries, new Set(['exporter', 'pod'])), unread: [], read });

  it('passes when the exporters log in as exporter and no node logged a refusal of it', () => {
    const c = exporterAclCheck({ denials: [], unread: [], read }, 'exporter');
    expect([c.name, c.valid, c.figures]).toEqual(['acl.exporter', true, { acl_log_entries: 0, acl_nodes_read: 3 }]);
  });

  it("fails on the sidecar's refusals, named by node, command and count; not on the security probe's, which names its connection", () => {
    const logs = logsOf(
      'redis-1',
      entry('exporter', 'command', 'config|get', 40, 'redis_exporter'),
      entry('exporter', 'command', 'get', 1, EXPORTER_PROBE_NAME),
    );
    expect(logs.denials.map((d) => d.clientName)).toEqual(['redis_exporter', EXPORTER_PROBE_NAME]);
    const c = exporterAclCheck(logs, 'exporter');
    expect(c.valid).toBe(false);
    expect(c.observed).toContain('40 refusals of exporter: redis-1: command `config|get` ×40');
    expect(c.figures).toMatchObject({ acl_log_entries: 40 });
    expect(exporterAclCheck(logsOf('redis-1', entry('exporter', 'command', 'get', 1, EXPORTER_PROBE_NAME)), 'exporter').valid).toBe(true);
  });

  it("fails when the exporters log in as another user (the pods' user before): its refusals counted", () => {
    const c = exporterAclCheck(logsOf('redis-0', entry('pod', 'command', 'client|setname', 87)), 'pod');
    expect(c.valid).toBe(false);
    expect(c.observed).toMatch(/^they log in as pod; .*87 refusals of pod: redis-0: command `client\|setname` ×87/);
    expect(exporterAclCheck({ denials: [], unread: [], read }, 'pod').valid).toBe(false);
  });

  it('unknown when a node could not be read', () => {
    expect(exporterAclCheck({ denials: [], unread: ['redis-2 (127.0.0.1:6379): timeout'], read: read.slice(0, 2) }, 'exporter').valid).toBe('unknown');
  });
});
