// `render`: the variant written where --manifests can use it (scaled, a profile, the exporter sidecars), its static checks, the exit codes
// (0 ok, 1 a check failed, 2 usage); `render --report` re-renders a run directory's reports.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadDeployment } from '../../src/config/manifests.ts';
import { hasMonitoring } from '../../src/config/monitoring.ts';
import { createRedactor } from '../../src/process/redact.ts';
import { writeReports } from '../../src/report/write-reports.ts';
import { sampleJournal } from '../unit/report/sample-journal.ts';

const MAIN = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
const MANIFESTS = path.resolve(import.meta.dirname, '../../manifests');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function render(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, 'render', ...args], { encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('render', () => {
  it('writes the 5-pod variant and exits 0 when every check holds', async () => {
    const out = path.join(tmp, 'five');
    const r = await render('--replicas', '5', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rendered 9 files to .*five; \d+ checks, 0 failed/);
    // manifests/secure/ holds the secure profile's extra objects, rendered only with --profile secure.
    expect(readdirSync(out).sort()).toEqual(
      readdirSync(MANIFESTS)
        .filter((f) => f.endsWith('.yaml'))
        .sort(),
    );
    expect(readFileSync(path.join(out, '05-statefulset.yaml'), 'utf8')).toContain('replicas: 5');
  });

  it('prints every check with expected and observed as JSON', async () => {
    const r = await render('--replicas', '5', '--profile', 'hardened', '--out', path.join(tmp, 'json'), '--json');
    const checks = JSON.parse(r.stdout) as { name: string; valid: boolean; expected: string; observed: string; group: string }[];
    expect(r.code).toBe(0);
    expect(checks.find((c) => c.name === 'scaling-5.sentinel.quorum')).toMatchObject({ valid: true, expected: '3', observed: '3' });
    expect(checks.find((c) => c.name === 'profile-hardened.redis.min-replicas-to-write')).toMatchObject({ group: 'profile', valid: true, observed: '1' });
  });

  it('exits 1 naming the failed check when the source manifests break the design', async () => {
    const src = path.join(tmp, 'broken-src');
    cpSync(MANIFESTS, src, { recursive: true });
    const sts = path.join(src, '05-statefulset.yaml');
    writeFileSync(sts, readFileSync(sts, 'utf8').replace('storageClassName: standard', 'storageClassName: fast'));
    const r = await render('--manifests', src, '--replicas', '5', '--out', path.join(tmp, 'broken'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL scaling/scaling-5.storage.class');
    expect(r.stdout).toContain('expected standard, observed fast');
  });

  it('exits 2 on bad usage, with one line naming the flag', async () => {
    expect((await render('--replicas', '0', '--out', path.join(tmp, 'x'))).code).toBe(2);
    const same = await render('--manifests', MANIFESTS, '--out', MANIFESTS);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('is the manifests directory itself');
  });

  it("--monitoring: the StatefulSet gets both exporter sidecars with the redis container's env, every check still holds, and a run loads it", async () => {
    const out = path.join(tmp, 'monitoring');
    const r = await render('--monitoring', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rendered 9 files to .*monitoring; \d+ checks, 0 failed/);
    const sts = readFileSync(path.join(out, '05-statefulset.yaml'), 'utf8');
    for (const name of ['redis-exporter', 'sentinel-exporter']) expect(sts).toContain(`name: ${name}`);
    expect(sts).toContain('containerPort: 9355');
    expect(hasMonitoring(await loadDeployment(out))).toBe(true);
  });

  it("--report RUN_DIR: the run's reports rendered again, alert rows drawn from its alert events; manifest flags beside it are exit 2", async () => {
    const j = sampleJournal();
    const t = j.scenarios[0]!.trials[0]!;
    t.events.push(
      { ns: 3_040_000_000, kind: 'alert', source: 'alert/RedisDown', type: 'firing', detail: '127.0.0.1:9121' },
      { ns: 8_051_000_000, kind: 'alert', source: 'alert/RedisDown', type: 'resolved', detail: '' },
    );
    const { runDir } = await writeReports({ reportDir: path.join(tmp, 'reports'), journal: j, histories: new Map(), redactor: createRedactor([]) });
    const out = path.join(tmp, 'rerendered');
    const r = await render('--report', runDir, '--out', out);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['index.html', 'junit.xml', 'metrics.prom', 'summary.md']);
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('<title>RedisDown: fired 1040 ms after the fault, cleared 6051 ms after the fault');
    const mixed = await render('--report', runDir, '--replicas', '5', '--out', path.join(tmp, 'y'));
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trim()).toBe("sentinel-chaos: render --report renders a run's reports, not manifests: drop --replicas");
    const none = await render('--report', path.join(tmp, 'nope'), '--out', path.join(tmp, 'z'));
    expect(none.code).toBe(2);
  });
});
