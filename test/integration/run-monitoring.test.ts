// run --monitoring through the CLI on real processes (subnet 175, down-after 1500): the run's own Prometheus with
// monitoring/alerts.yaml, a master kill, and every alert's fire / clear time in result.json, junit.xml, summary.md
// and index.html's timeline; nothing left (no pod process, no prometheus, no storage dir). --alert-rules bad input: exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KILL_ALERTS } from '../../src/conformance/monitoring.ts';
import type { Journal } from '../../src/report/journal.ts';
import { processesUnder } from '../support/leftovers.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** What killing the master's pod sets off at once, however soon the pod is back: its exporters gone, no master, replicas' link down. */
const IN_EVERY_MASTER_KILL = ['RedisDown', 'SentinelDown', 'RedisNoMaster', 'RedisReplicaLinkDown'];
let tmp: string;

function cli(timeoutMs: number, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, SENTINEL_CHAOS_STATE_DIR: path.join(tmp, 'state') };
  delete env.NODE_OPTIONS;
  const r = spawnSync('node', ['src/cli/main.ts', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw r.error;
  return r;
}

const prometheusProcesses = () =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('sc-prometheus-');
      } catch {
        return false;
      }
    });

describe('run --monitoring', () => {
  let status: number | null;
  let stderr: string;
  let runDir: string;
  let journal: Journal;

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sc-run-mon-'));
    const reports = path.join(tmp, 'reports');
    const r = cli(
      180_000,
      'run',
      '--scenario',
      'master-kill',
      '--conformance',
      'none',
      '--monitoring',
      '--subnet',
      '175',
      '--set',
      'sentinel.down-after-milliseconds=1500',
      '--report-dir',
      reports,
    );
    status = r.status;
    stderr = r.stderr;
    runDir = path.join(
      reports,
      readdirSync(reports).find((n) => /^\d{8}T/.test(n))!,
    );
    journal = JSON.parse(readFileSync(path.join(runDir, 'result.json'), 'utf8')) as Journal;
  }, 200_000);

  afterAll(() => {
    const left = processesUnder(path.join(tmp, 'state'));
    rmSync(tmp, { recursive: true, force: true });
    expect(left).toEqual([]);
  });

  it('passes, and the journal says the alerts were watched with the shipped rules', () => {
    expect(status, stderr).toBe(0);
    expect(journal.deployment.alert_rules).toBe(path.join(ROOT, 'monitoring/alerts.yaml'));
    expect(journal.deployment.alerts).toMatch(/^watched by the run's Prometheus \(6 of 6 exporters scraped after \d+ ms\)$/);
  });

  it('result.json: the alerts the kill itself sets off fired after the fault and cleared, each clear also measured from the heal', () => {
    const trial = journal.scenarios[0]!.trials[0]!;
    const alerts = trial.alerts!;
    for (const w of alerts) process.stderr.write(`${w.name} fired ${w.firedMs} cleared ${w.clearedMs} (heal ${w.clearedAfterHealMs})\n`);
    // Not every alert the monitoring group requires: a trial restarts the pod as soon as the failover is seen (as the
    // StatefulSet would), so the sentinels may never count the old master as a missing replica (SentinelReplicasMissing).
    for (const name of IN_EVERY_MASTER_KILL) {
      const w = alerts.find((a) => a.name === name);
      expect(w, name).toBeDefined();
      expect(w!.firedMs, name).toBeGreaterThanOrEqual(0);
      expect(w!.clearedMs, name).toBeGreaterThan(w!.firedMs);
      expect(w!.clearedAfterHealMs, name).toBeTypeOf('number');
    }
    expect(alerts.filter((w) => (MASTER_KILL_ALERTS.mustNot as readonly string[]).includes(w.name))).toEqual([]);
    expect(trial.events.find((e) => e.kind === 'phase' && e.type === 'alerts-clear')).toBeDefined();
  });

  it('junit.xml, summary.md and index.html carry the same times', () => {
    const w = journal.scenarios[0]!.trials[0]!.alerts!.find((a) => a.name === 'RedisDown')!;
    expect(readFileSync(path.join(runDir, 'junit.xml'), 'utf8')).toContain(`<property name="alert.RedisDown.fired_ms" value="${w.firedMs}"/>`);
    expect(readFileSync(path.join(runDir, 'summary.md'), 'utf8')).toMatch(/\| 1 \| RedisDown \| [\d.,]+ \| [\d.,]+ \| -?[\d.,]+ \|/);
    const html = readFileSync(path.join(runDir, 'index.html'), 'utf8');
    expect(html).toContain('<title>RedisDown: fired ');
    expect(html).toContain('<h3>Alerts (Prometheus, --monitoring)</h3>');
  });

  it('leaves no prometheus and no storage dir behind', () => {
    expect(prometheusProcesses()).toEqual([]);
    expect(readdirSync(os.tmpdir()).filter((n) => n.startsWith('sc-prometheus-'))).toEqual([]);
  });

  it('--alert-rules without --monitoring, or unreadable: exit 2 in one line naming what to change', () => {
    const a = cli(30_000, 'run', '--scenario', 'master-kill', '--alert-rules', 'monitoring/alerts.yaml', '--report-dir', path.join(tmp, 'r2'));
    expect(a.status).toBe(2);
    expect(a.stderr.trim()).toMatch(/^sentinel-chaos: --alert-rules needs --monitoring .*: add --monitoring$/);
    const b = cli(
      30_000,
      'conformance',
      '--group',
      'monitoring',
      '--monitoring',
      '--alert-rules',
      path.join(tmp, 'nope.yaml'),
      '--report-dir',
      path.join(tmp, 'r3'),
    );
    expect(b.status).toBe(2);
    expect(b.stderr.trim()).toMatch(/^sentinel-chaos: --alert-rules .*nope\.yaml: cannot read it \(ENOENT\)$/);
  });
});
