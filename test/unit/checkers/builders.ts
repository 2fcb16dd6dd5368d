// Hand-built histories, Sentinel events and trial inputs for the checker tests; times are given in ms.
import type { TrialInput } from '../../../src/model/check.ts';
import type { TrialEvent } from '../../../src/model/events.ts';
import type { Op, ReadBack } from '../../../src/model/history.ts';

export const OLD = { ip: '10.0.0.1', port: 6379, addr: '10.0.0.1:6379' };
export const NEW = { ip: '10.0.0.2', port: 6379, addr: '10.0.0.2:6379' };
export const FAULT_MS = 10_000;

export const ns = (ms: number): number => Math.round(ms * 1e6);

export interface WriteSpec {
  key: string;
  /** invoke time, ms. */
  at: number;
  /** completion time, ms; omitted with outcome null. */
  done?: number;
  /** null: invoked and never completed. */
  outcome?: 'ok' | 'fail' | 'info' | null;
  node?: string;
  error?: string;
}

/** Invoke + completion ops for each write, sorted by time. */
export function history(...writes: WriteSpec[]): Op[] {
  const ops: Op[] = [];
  for (const w of writes) {
    ops.push({ process: 'c1', type: 'invoke', f: 'write', key: w.key, ns: ns(w.at) });
    const outcome = w.outcome === undefined ? 'ok' : w.outcome;
    if (outcome === null) continue;
    const op: Op = { process: 'c1', type: outcome, f: 'write', key: w.key, ns: ns(w.done ?? w.at + 1) };
    if (outcome === 'ok') op.node = w.node ?? OLD.addr;
    else op.error = w.error ?? (outcome === 'fail' ? 'READONLY' : 'timeout');
    ops.push(op);
  }
  return ops.sort((a, b) => a.ns - b.ns);
}

/** One acked write every stepMs over [fromMs, toMs), to the given node. */
export function steadyWrites(prefix: string, fromMs: number, toMs: number, stepMs: number, node: string): WriteSpec[] {
  const out: WriteSpec[] = [];
  for (let t = fromMs, i = 0; t < toMs; t += stepMs, i++) out.push({ key: `${prefix}${i}`, at: t, node });
  return out;
}

export function sentinel(atMs: number, type: string, detail: string, source = 'sentinel-1'): TrialEvent {
  return { ns: ns(atMs), kind: 'sentinel', source, type, detail };
}

export const masterDetail = (name = 'mymaster', m = OLD): string => `master ${name} ${m.ip} ${m.port}`;
export const replicaDetail = (name = 'mymaster', r = NEW, m = OLD): string => `slave ${r.addr} ${r.ip} ${r.port} @ ${name} ${m.ip} ${m.port}`;
export const sentinelDetail = (id: string, name = 'mymaster', m = OLD): string => `sentinel ${id} 10.0.0.9 26379 @ ${name} ${m.ip} ${m.port}`;
export const switchDetail = (name = 'mymaster', from = OLD, to = NEW): string => `${name} ${from.ip} ${from.port} ${to.ip} ${to.port}`;

export interface FailoverTimes {
  sdown?: number;
  odown?: number;
  tryFailover?: number;
  elected?: number;
  promoted?: number;
  switched?: number;
}

/** A normal failover as the sentinels announce it; a phase left out is not emitted. Times are ms from the fault. */
export function failoverEvents(t: FailoverTimes, name = 'mymaster'): TrialEvent[] {
  const at = (ms: number): number => FAULT_MS + ms;
  const events: TrialEvent[] = [];
  if (t.sdown !== undefined) events.push(sentinel(at(t.sdown), '+sdown', masterDetail(name)));
  if (t.odown !== undefined) events.push(sentinel(at(t.odown), '+odown', `${masterDetail(name)} #quorum 2/2`));
  if (t.tryFailover !== undefined) events.push(sentinel(at(t.tryFailover), '+try-failover', masterDetail(name)));
  if (t.elected !== undefined) events.push(sentinel(at(t.elected), '+elected-leader', masterDetail(name)));
  if (t.promoted !== undefined) events.push(sentinel(at(t.promoted), '+promoted-slave', replicaDetail(name)));
  if (t.switched !== undefined) events.push(sentinel(at(t.switched), '+switch-master', switchDetail(name)));
  return events;
}

export function readBack(keys: Iterable<string>, node = NEW.addr): ReadBack {
  return { ns: ns(FAULT_MS + 60_000), present: new Set(keys), node };
}

/** A trial input with a fault at FAULT_MS on OLD, master "mymaster", and no read-back unless given. */
export function trial(partial: Partial<TrialInput> = {}): TrialInput {
  return {
    history: [],
    events: [],
    readBack: null,
    faultNs: ns(FAULT_MS),
    oldMaster: OLD.addr,
    masterName: 'mymaster',
    ...partial,
  };
}
