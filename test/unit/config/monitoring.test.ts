// The monitoring variant (--monitoring / exporter sidecars), the Prometheus config, and the shipped alert rules under promtool.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadDeployment } from '../../../src/config/manifests.ts';
import { applyMonitoring, EXPORTER_ACL_VOLUME, EXPORTERS, hasMonitoring, monitoringManifestFiles } from '../../../src/config/monitoring.ts';
import { loadProfiledDeployment, renderProfileFiles } from '../../../src/config/profiles.ts';
import { readManifestFiles } from '../../../src/config/scale.ts';
import { ACL_MOUNT, EXPORTER_USER, TLS_MOUNT } from '../../../src/config/secure.ts';
import { findGroup } from '../../../src/conformance/groups.ts';
import { MASTER_KILL_ALERTS } from '../../../src/conformance/monitoring.ts';
import { ALERT_RULES_FILE, besidePods, currentAddress, prometheusConfig } from '../../../src/observers/prometheus.ts';
import { AddressBook, installResolver } from '../../../src/targets/kube/address-book.ts';
import { RUN_DEFAULTS } from '../../../src/runner/run.ts';

const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('monitoring variant', () => {
  it('is off by default and adds one exporter sidecar for redis and one for the sentinel when asked', async () => {
    const model = await loadDeployment(RUN_DEFAULTS.manifestsDir);
    expect(hasMonitoring(model)).toBe(false);
    expect(applyMonitoring(model, false)).toBe(model);
    const on = applyMonitoring(model, true);
    expect(hasMonitoring(on)).toBe(true);
    const sidecars = on.sidecars.filter((c) => EXPORTERS.some((e) => e.name === c.name));
    expect(sidecars.map((c) => c.command.join(' '))).toEqual(['sh /scripts/redis-exporter.sh redis', 'sh /scripts/redis-exporter.sh sentinel']);
    // The password reaches the exporter through the Secret's env var, never argv.
    for (const c of sidecars) expect(c.env.some((e) => e.name === 'REDIS_PASSWORD' && e.valueFrom?.secretKeyRef)).toBe(true);
  });

  it('renders the StatefulSet with the sidecars; every other file verbatim', async () => {
    const files = await readManifestFiles(RUN_DEFAULTS.manifestsDir);
    const out = monitoringManifestFiles(files);
    for (const f of out) {
      const before = files.find((x) => x.name === f.name)!;
      if (!f.text.includes('kind: StatefulSet')) expect(f.text).toBe(before.text);
    }
    const sts = out.find((f) => f.text.includes('kind: StatefulSet'))!;
    const containers = (
      parseAllDocuments(sts.text)[0]!.toJS() as {
        spec: { template: { spec: { containers: { name: string; ports?: { containerPort: number }[]; command: string[] }[] } } };
      }
    ).spec.template.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['redis', 'sentinel', 'role-labeller', 'redis-exporter', 'sentinel-exporter']);
    expect(containers.find((c) => c.name === 'sentinel-exporter')?.ports?.[0]?.containerPort).toBe(9355);
    // Rendering twice adds nothing.
    expect(monitoringManifestFiles(out).find((f) => f.name === sts.name)!.text).toBe(sts.text);
  });

  it('under the secure profile the redis exporter logs in as the exporter user with its own password; the sentinel exporter gets none', async () => {
    const on = applyMonitoring(await loadProfiledDeployment(RUN_DEFAULTS.manifestsDir, 'secure'), true);
    const env = (name: string) => Object.fromEntries(on.sidecars.find((c) => c.name === name)!.env.map((e) => [e.name, e.value ?? e.valueFrom]));
    const redis = env('redis-exporter');
    expect(redis.REDIS_USER).toBe(EXPORTER_USER);
    expect(redis.REDIS_PASSWORD).toEqual({ secretKeyRef: { name: 'redis-acl', key: EXPORTER_USER } });
    expect(redis).toMatchObject({ TLS_DIR: TLS_MOUNT, ACL_DIR: ACL_MOUNT });
    // Not the admin password's file either: common.sh points REDIS_PASSWORD_FILE at ACL_DIR/REDIS_USER.
    expect(redis.REDIS_PASSWORD_FILE).toBeUndefined();
    const sentinel = env('sentinel-exporter');
    expect(sentinel).toMatchObject({ TLS_DIR: TLS_MOUNT });
    for (const k of ['REDIS_USER', 'REDIS_PASSWORD', 'REDIS_PASSWORD_FILE', 'ACL_DIR']) expect(sentinel[k]).toBeUndefined();
    // The pods' own containers keep the pod user.
    expect(on.redis.env.find((e) => e.name === 'REDIS_USER')?.value).toBe('pod');
  });

  it('renders the secure profile with the sidecars: TLS mounted in both, only the exporter password for the redis exporter, modes still 0400', async () => {
    const dir = RUN_DEFAULTS.manifestsDir;
    const out = monitoringManifestFiles(await renderProfileFiles(dir, await readManifestFiles(dir), 'secure'));
    const sts = out.find((f) => f.text.includes('kind: StatefulSet'))!;
    type Mount = { name: string; mountPath: string };
    type Container = { name: string; volumeMounts: Mount[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }> };
    const spec = (
      parseAllDocuments(sts.text, { version: '1.1' })[0]!.toJS() as {
        spec: {
          template: {
            spec: { containers: Container[]; volumes: Array<{ name: string; secret?: { secretName: string; defaultMode: number; items?: unknown } }> };
          };
        };
      }
    ).spec.template.spec;
    const c = (name: string) => spec.containers.find((x) => x.name === name)!;
    expect(c('redis-exporter').volumeMounts.map((m) => `${m.name}:${m.mountPath}`)).toEqual([
      'scripts:/scripts',
      `tls:${TLS_MOUNT}`,
      `${EXPORTER_ACL_VOLUME}:${ACL_MOUNT}`,
    ]);
    expect(c('sentinel-exporter').volumeMounts.map((m) => `${m.name}:${m.mountPath}`)).toEqual(['scripts:/scripts', `tls:${TLS_MOUNT}`]);
    expect(c('redis-exporter').env).toContainEqual({ name: 'REDIS_USER', value: EXPORTER_USER });
    expect(c('redis-exporter').env).toContainEqual({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-acl', key: EXPORTER_USER } } });
    expect(c('sentinel-exporter').env.map((e) => e.name)).not.toContain('REDIS_PASSWORD');
    const vol = spec.volumes.find((v) => v.name === EXPORTER_ACL_VOLUME)!;
    expect(vol.secret).toEqual({ secretName: 'redis-acl', defaultMode: 0o400, items: [{ key: EXPORTER_USER, path: EXPORTER_USER }] });
    // YAML 1.1 octal kept: every Secret volume still 0400 (was rewritten as decimal 400 = 0620 before).
    for (const v of spec.volumes.filter((x) => x.secret)) expect(v.secret!.defaultMode).toBe(0o400);
    expect(sts.text).not.toMatch(/defaultMode: 400\b/);
    // The redis-acl Secret has the exporter's key: a run generates its password like the others'.
    const acl = out.find((f) => f.text.includes('name: redis-acl') && f.text.includes('kind: Secret'))!;
    expect(acl.text).toMatch(/^ {2}exporter: REPLACE_WITH_OPENSSL_RAND_BASE64_32$/m);
    expect(monitoringManifestFiles(out).find((f) => f.name === sts.name)!.text).toBe(sts.text);
  });

  it('registers the monitoring group as disruptive, with the master kill as its step', () => {
    const g = findGroup('monitoring');
    expect(g?.needsDeployment).toBe(true);
    expect(g?.disruptive?.[0]?.fault).toMatchObject({ kind: 'kill-pod', target: 'master' });
  });

  it('writes a 1 s scrape / evaluation config scraping every exporter with the rules file', () => {
    const text = prometheusConfig({ rulesFile: '/r/alerts.yaml', jobs: [{ job: 'redis', targets: ['127.0.115.1:9121'] }] });
    const cfg = parseAllDocuments(text)[0]!.toJS() as {
      global: Record<string, string>;
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(cfg.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(cfg.rule_files).toEqual(['/r/alerts.yaml']);
    expect(cfg.scrape_configs[0]).toEqual({ job_name: 'redis', static_configs: [{ targets: ['127.0.115.1:9121'] }] });
  });
});

describe("the harness's Prometheus follows pods that move", () => {
  it('a job with a file_sd file instead of static targets', () => {
    const text = prometheusConfig({ rulesFile: '/r/alerts.yaml', jobs: [{ job: 'sentinel', targets: [], file: '/tmp/p/targets-sentinel.json' }] });
    const cfg = parseAllDocuments(text)[0]!.toJS() as { scrape_configs: unknown[] };
    expect(cfg.scrape_configs[0]).toEqual({ job_name: 'sentinel', file_sd_configs: [{ files: ['/tmp/p/targets-sentinel.json'], refresh_interval: '1s' }] });
  });

  it("resolves a pod's name as the harness's clients do: an address as such, a docker pod's FQDN to its address of the moment", async () => {
    expect(await currentAddress('127.0.115.3')).toBe('127.0.115.3');
    const fqdn = 'redis-1.redis-headless.matrix.svc.cluster.local';
    const book = new AddressBook();
    book.set({ pod: 'redis-1', names: [fqdn], local: '127.0.194.2' });
    const uninstall = installResolver(book);
    try {
      expect(await currentAddress(fqdn)).toBe('127.0.194.2');
      expect(
        await besidePods({ pods: [{ name: 'redis-1', ordinal: 1, node: 'n', redis: { host: fqdn, port: 6379 }, sentinel: { host: fqdn, port: 26379 } }] }, 231),
      ).toBe('127.0.194.231');
      // Recreated: the docker target sets the new address before the pod's containers start.
      book.set({ pod: 'redis-1', names: [fqdn], local: '127.0.194.12' });
      expect(await currentAddress(fqdn)).toBe('127.0.194.12');
    } finally {
      uninstall();
    }
  });
});

describe('monitoring/alerts.yaml', () => {
  it.skipIf(!promtool)('passes promtool check rules (promtool missing: run scripts/setup.sh, apt prometheus)', () => {
    const out = execFileSync('promtool', ['check', 'rules', ALERT_RULES_FILE], { encoding: 'utf8' });
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!promtool)('promtool refuses a broken copy', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sc-rules-'));
    try {
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: A\n        expr: redis_up ==\n');
      expect(spawnSync('promtool', ['check', 'rules', bad]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every alert the monitoring group expects, and only those', async () => {
    const rules = (
      parseAllDocuments((await import('node:fs')).readFileSync(ALERT_RULES_FILE, 'utf8'))[0]!.toJS() as { groups: { rules: { alert: string }[] }[] }
    ).groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect([...rules].sort()).toEqual([...MASTER_KILL_ALERTS.must, ...MASTER_KILL_ALERTS.may, ...MASTER_KILL_ALERTS.mustNot].sort());
  });
});

describe('alert windows in the HTML conformance section', () => {
  it('draws one bar per fired alert from its fire to its clear event, nothing without events', async () => {
    const { alertWindowsSvg } = await import('../../../src/report/conformance-section.ts');
    const esc = (v: unknown) => String(v).replace(/[<>&"]/g, '');
    const base = { group: 'monitoring' as const, valid: true as const, expected: 'e', observed: 'o', explanation: 'x' };
    const g = {
      group: 'monitoring' as const,
      verdict: 'pass' as const,
      durationMs: 1,
      checks: [
        {
          ...base,
          name: 'alert.RedisDown',
          events: [
            { kind: 'alert' as const, type: 'fire' as const, name: 'RedisDown', atMs: 1200, detail: '' },
            { kind: 'alert' as const, type: 'clear' as const, name: 'RedisDown', atMs: 9000, detail: '' },
          ],
        },
        { ...base, name: 'steady-state.silent' },
      ],
    };
    const svg = alertWindowsSvg(g, esc);
    expect(svg.match(/<rect /g)).toHaveLength(1);
    expect(svg).toContain('RedisDown: fired 1200 ms, cleared 9000 ms after the fault');
    expect(alertWindowsSvg({ ...g, checks: [g.checks[1]!] }, esc)).toBe('');
  });
});
