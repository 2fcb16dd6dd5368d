// The report's colours: event categories (detect, elect, promote, switch …) and write outcomes, and which event falls in which category.

type Category = 'detect' | 'elect' | 'promote' | 'switch' | 'abort' | 'fault' | 'harness' | 'other';

export const COLOR: Record<Category, string> = {
  detect: '#ea580c',
  elect: '#7c3aed',
  promote: '#2563eb',
  switch: '#0d9488',
  abort: '#dc2626',
  fault: '#b91c1c',
  harness: '#475569',
  other: '#64748b',
};

export const CATEGORY_LABEL: [Category, string][] = [
  ['detect', 'failure detection (±sdown, ±odown)'],
  ['elect', 'election (+try-failover, +vote-for-leader, +elected-leader)'],
  ['promote', 'promotion (+selected-slave, +promoted-slave, role change)'],
  ['switch', 'reconfiguration (+switch-master, +slave-reconf-*, +failover-end)'],
  ['abort', 'abort / tilt (-failover-abort-*, +tilt)'],
  ['other', 'other'],
];

export type WriteClass = 'ok' | 'info' | 'fail' | 'lost';
export const WRITE_COLOR: Record<WriteClass, string> = { ok: '#16a34a', info: '#f59e0b', fail: '#dc2626', lost: '#111827' };
export const WRITE_RANK: Record<WriteClass, number> = { ok: 0, info: 1, fail: 2, lost: 3 };
export const WRITE_LABEL: Record<WriteClass, string> = {
  ok: 'acknowledged',
  info: 'indeterminate (timed out / late ack)',
  fail: 'failed',
  lost: 'acknowledged but lost',
};
export const LATE_ACK_COLOR = '#d97706';

const DETECT = new Set(['+sdown', '-sdown', '+odown', '-odown']);
const ELECT = new Set(['+new-epoch', '+try-failover', '+vote-for-leader', '+elected-leader', '+failover-state-select-slave']);
const PROMOTE = new Set([
  '+selected-slave',
  '+failover-state-send-slaveof-noone',
  '+failover-state-wait-promotion',
  '+promoted-slave',
  '+failover-state-reconf-slaves',
  '-role-change',
  '+role-change',
]);
const SWITCH = new Set([
  '+switch-master',
  '+config-update-from',
  '+slave-reconf-sent',
  '+slave-reconf-inprog',
  '+slave-reconf-done',
  '+failover-end',
  '+convert-to-slave',
  '+fix-slave-config',
]);
export const KEY_EVENTS = new Set(['+sdown', '+odown', '+try-failover', '+elected-leader', '+promoted-slave', '+switch-master', '+failover-end', '+tilt']);

export function sentinelCategory(type: string): Category {
  if (type.startsWith('-failover-abort') || type === '+tilt' || type === '-tilt' || type === '+failover-end-for-timeout') return 'abort';
  if (DETECT.has(type)) return 'detect';
  if (ELECT.has(type)) return 'elect';
  if (PROMOTE.has(type)) return 'promote';
  if (SWITCH.has(type)) return 'switch';
  return 'other';
}

export function phaseCategory(name: string): Category {
  if (name === 'first-ack') return 'switch';
  return sentinelCategory(name);
}
