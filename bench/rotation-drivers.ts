// Figures of a rotation run with real-client drivers attached (examples/secure-drivers-acl-rotation.yaml,
// examples/secure-drivers-cert-rotation.yaml): per workload, its writes during the rotation (from the fault's inject
// to the master's kill) and after the kill, acknowledged / failed / indeterminate, the refused logins, and the most
// frequent errors. Reads a run directory (result.json and the trials' histories); runs nothing.
// Usage: node bench/rotation-drivers.ts RUN_DIR [RUN_DIR...]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Op } from '../src/model/history.ts';

interface Event {
  ns: number;
  kind?: string;
  type?: string;
  detail?: string;
}

export interface PhaseCounts {
  ok: number;
  fail: number;
  info: number;
}

export interface DriverRotationRow {
  process: string;
  rotation: PhaseCounts;
  afterKill: PhaseCounts;
  /** Writes refused WRONGPASS / NOAUTH / NOPERM (a login with a password no longer valid), from the rotation on. */
  refusedLogins: number;
  /** Error texts from the rotation on, digits masked, most frequent first. */
  errors: [string, number][];
}

/** The fault's marks: the rotation starts at its first inject, the kill at the inject naming kill-pod (absent: no kill). */
export function rotationBounds(events: readonly Event[]): { startNs: number; killNs: number } {
  const injects = events.filter((e) => e.kind === 'fault' && e.type === 'inject');
  if (!injects[0]) throw new RangeError('no fault inject mark in the trial');
  const kill = injects.find((e) => /kill-pod/.test(e.detail ?? ''));
  return { startNs: injects[0].ns, killNs: kill?.ns ?? Infinity };
}

/** Per process, the write outcomes during the rotation and after the kill (writes before the rotation are left out). */
export function driverRotationRows(ops: readonly Op[], events: readonly Event[]): DriverRotationRow[] {
  const { startNs, killNs } = rotationBounds(events);
  const rows = new Map<string, DriverRotationRow & { errs: Map<string, number> }>();
  for (const o of ops) {
    if (o.f !== 'write' || o.type === 'invoke' || o.ns < startNs) continue;
    let r = rows.get(o.process);
    if (!r) {
      r = { process: o.process, rotation: { ok: 0, fail: 0, info: 0 }, afterKill: { ok: 0, fail: 0, info: 0 }, refusedLogins: 0, errors: [], errs: new Map() };
      rows.set(o.process, r);
    }
    (o.ns < killNs ? r.rotation : r.afterKill)[o.type as keyof PhaseCounts]++;
    if (o.error) {
      if (/\b(WRONGPASS|NOAUTH|NOPERM)\b/.test(o.error)) r.refusedLogins++;
      const e = o.error.replace(/\d+/g, 'N').slice(0, 90);
      r.errs.set(e, (r.errs.get(e) ?? 0) + 1);
    }
  }
  return [...rows.values()]
    .map(({ errs, ...r }) => ({ ...r, errors: [...errs].sort((a, b) => b[1] - a[1]) }))
    .sort((a, b) => a.process.localeCompare(b.process));
}

function main(dirs: string[]): void {
  const c = (p: PhaseCounts) => `${p.ok} / ${p.fail} / ${p.info}`;
  for (const dir of dirs) {
    const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as {
      scenarios: { name: string; trials: { index: number; verdict: string; events: Event[]; historyFile?: string }[] }[];
    };
    for (const s of result.scenarios)
      for (const t of s.trials) {
        const file = path.join(dir, t.historyFile ?? `history/${s.name}-${t.index}.jsonl`);
        const ops = readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Op);
        console.log(`\n${dir}: ${s.name} trial ${t.index} (${t.verdict})\n`);
        console.log(
          '| workload | during the rotation: ok / failed / indeterminate | after the kill: ok / failed / indeterminate | refused logins | most frequent errors |',
        );
        console.log('| --- | --: | --: | --: | --- |');
        for (const r of driverRotationRows(ops, t.events))
          console.log(
            `| ${r.process} | ${c(r.rotation)} | ${c(r.afterKill)} | ${r.refusedLogins} | ${r.errors
              .slice(0, 2)
              .map(([e, n]) => `${e} ×${n}`)
              .join('; ')} |`,
          );
      }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.length < 3) {
    console.error('usage: node bench/rotation-drivers.ts RUN_DIR [RUN_DIR...]');
    process.exit(2);
  }
  main(process.argv.slice(2));
}
