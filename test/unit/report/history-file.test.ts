import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Op } from '../../../src/model/history.ts';
import { foldHistoryFile, HistoryLog } from '../../../src/report/history-file.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const op = (i: number): Op => ({ process: 'c', type: 'ok', f: 'write', key: `k:${i}`, ns: i, error: i === 1 ? 'NOAUTH secret-pw' : undefined });

describe('HistoryLog', () => {
  it('is readable while the run goes (a crash loses at most the last flush interval) and skips a torn last line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hist-'));
    dirs.push(dir);
    const file = path.join(dir, 'history', 't-1.jsonl');
    const log = new HistoryLog(file, { flushMs: 20, redact: (t) => t.replaceAll('secret-pw', '***') });
    for (let i = 0; i < 100; i++) log.append(op(i));
    await new Promise((r) => setTimeout(r, 80)); // not closed: as a SIGKILLed harness leaves it
    appendFileSync(file, '{"process":"c","type":"ok","f":"wri'); // torn by the crash
    const seen: Op[] = [];
    expect(await foldHistoryFile(file, (o) => seen.push(o))).toBe(100);
    expect(seen.map((o) => o.ns)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(readFileSync(file, 'utf8')).not.toContain('secret-pw');
    expect(log.ops).toBe(100);
    log.close();
    log.append(op(200)); // ignored after close
    expect(await foldHistoryFile(file, () => {})).toBe(100);
  });

  it('writes a full buffer at once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hist-'));
    dirs.push(dir);
    const file = path.join(dir, 'h.jsonl');
    const log = new HistoryLog(file, { flushMs: 60_000, maxBufferBytes: 500 });
    for (let i = 0; i < 20; i++) log.append(op(i));
    expect(log.bytes).toBeGreaterThan(0);
    expect(await foldHistoryFile(file, () => {})).toBeGreaterThan(0);
    log.close();
    expect(await foldHistoryFile(file, () => {})).toBe(20);
  });
});
