// App-path session reads: each reading client's sessions judged by the reads checker (a read-your-writes violation on the master path fails; stale replica reads are counted).
import { checkReads, type ReadsFault } from '../checkers/reads.ts';
import { READ_FS, type ReadOp } from '../model/reads.ts';
import type { DriverOp } from '../workload/drivers/protocol.ts';
import type { ConformanceCheck } from './types.ts';

/**
 * How a client's driver reads back what it wrote: `sessions` (READS=1: SETEX then GET on the master path, and a
 * GET from a replica where the library reads from replicas), `django` (the session store's own create and read
 * back), or null (the driver does not read: its check is not made).
 */
export type AppReads = 'sessions' | 'django' | null;

/**
 * Django's "session not found": the driver read back (through the cache, as SessionStore.load() does, but with errors
 * reported rather than swallowed into an empty session) a session it created and saw acknowledged, and the cache did not hold it.
 */
const DJANGO_MISSING = /session not found/;

/**
 * The Django driver's history as session operations the reads checker judges: a session created (f "write", its
 * key the session's cache key) is a value-carrying write of "1"; a read back that found it (ok) read "1", one that
 * did not ("session not found") read nothing (null). Other failures stay failures; updates are not judged.
 */
export function djangoSessionReadOps(ops: readonly DriverOp[]): ReadOp[] {
  const out: ReadOp[] = [];
  for (const o of ops) {
    if (o.f === 'write') {
      out.push({ ...o, f: READ_FS.write, ...(o.type === 'invoke' ? { value: '1' } : {}) });
    } else if (o.f === 'read') {
      if (o.type === 'ok') out.push({ ...o, f: READ_FS.read, value: '1' });
      else if (o.type === 'fail' && DJANGO_MISSING.test(o.error ?? '')) {
        const { error: _missing, ...rest } = o;
        out.push({ ...rest, type: 'ok', f: READ_FS.read, value: null });
      } else out.push({ ...o, f: READ_FS.read });
    }
  }
  return out;
}

/** The operations of a client's history the reads checker judges, by how its driver reads. */
export function readOpsOf(mode: Exclude<AppReads, null>, ops: readonly DriverOp[]): ReadOp[] {
  if (mode === 'django') return djangoSessionReadOps(ops);
  return ops.filter((o) => o.f === READ_FS.write || o.f === READ_FS.read || o.f === READ_FS.replicaRead);
}

/**
 * `<client>.reads`: every read on the master path must see its session's latest acknowledged write (fails
 * otherwise); reads from replicas that missed it are counted, not judged (replication is asynchronous). A write
 * acknowledged before the master's kill and missing after it (across the fault) is reported and accepted, as the
 * lost-writes check accepts the writes the killed master took with it.
 */
export function appReadsCheck(
  client: { name: string; library: string; how: string; mode: Exclude<AppReads, null> },
  ops: readonly DriverOp[],
  fault: ReadsFault,
): ConformanceCheck & { group: 'app-paths' } {
  const c = checkReads(readOpsOf(client.mode, ops), fault, { acceptAcrossFault: true });
  const f = c.figures;
  const n = (k: string): number => (typeof f[k] === 'number' ? (f[k] as number) : 0);
  const replica = n('replica_reads') > 0 ? `; replicas: ${n('stale_replica_reads')} stale of ${n('replica_reads')} (counted)` : '';
  return {
    name: `${client.name}.reads`,
    group: 'app-paths',
    valid: c.valid,
    expected: 'every read on the master path sees its session’s latest acknowledged write (read-your-writes), across the master kill too',
    observed: `${client.library}: ${n('ryw_violations')} read-your-writes violation(s) (${n('ryw_violations_across_fault')} across the fault) of ${
      n('master_reads') - n('master_reads_unconstrained')
    } judged master-path reads, ${n('master_reads_failed')} failed${replica}. ${c.explanation}`,
    explanation: `${client.how}. ${
      client.mode === 'django'
        ? 'Django sessions: a session created and acknowledged is read back 5 ticks later; "session not found" is a read of nothing.'
        : 'Sessions: SETEX key then GET on the master path and, where the library reads from replicas, GET from a replica.'
    } Stale replica reads are counted (asynchronous replication), not failed.`,
    figures: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === 'number' ? v : null])),
  };
}
