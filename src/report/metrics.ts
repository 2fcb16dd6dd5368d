// Every trial's figures as OpenMetrics text (metrics.prom in the run directory), and pushing that text to a
// Prometheus Pushgateway (run --push URL). Dashboards: dashboards/sentinel-chaos.json.
import type { Journal } from './journal.ts';

export const METRICS_FILE = 'metrics.prom';
/** Prefix of every metric name. */
export const METRIC_PREFIX = 'sentinel_chaos_';
/** The Pushgateway job every run is pushed under (grouped further by run_id). */
export const PUSH_JOB = 'sentinel-chaos';

/** A figure name as a metric name: letters, digits and underscores, prefixed. */
export function metricName(figure: string): string {
  return `${METRIC_PREFIX}${figure.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^(\d)/, '_$1')}`;
}

/** A label value escaped as the text format wants it (backslash, double quote, newline). */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const HELP: Record<string, string> = {
  failover_ms: 'Client-observed failover time of the trial, ms (fault landing to the first acknowledged write on the new master)',
  sentinel_failover_ms: 'Sentinel-observed failover time of the trial, ms (fault landing to +switch-master)',
  outage_ms: 'Longest interval without an acknowledged write, ms',
  writes_lost: 'Acknowledged writes missing from the final read-back',
  availability: 'Share of the trial with writes acknowledged (0-1)',
  trial_passed: '1 when the trial passed, 0 when it failed or its outcome is unknown (skipped trials are left out)',
};

/**
 * One gauge family per figure, one sample per trial where the figure was measured, labelled scenario,
 * target, profile, redis_version, run_id and trial; plus trial_passed. OpenMetrics text, ending "# EOF"
 * (which the Prometheus text format reads as a comment, so a Pushgateway takes the same text).
 */
export function renderOpenMetrics(journal: Journal): string {
  const families = new Map<string, string[]>();
  const add = (figure: string, labels: Record<string, string>, value: number) => {
    const name = metricName(figure);
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${labelValue(v)}"`)
      .join(',');
    const list = families.get(name) ?? [];
    list.push(`${name}{${l}} ${Number.isInteger(value) ? value : String(value)}`);
    families.set(name, list);
  };
  for (const s of journal.scenarios) {
    const profile = s.profile ?? 'seed';
    const scenario = s.profile ? s.name.replace(new RegExp(`@${s.profile}$`), '') : s.name;
    for (const t of s.trials) {
      if (t.verdict === 'skipped') continue;
      const labels = {
        scenario,
        target: journal.target.name,
        profile,
        redis_version: journal.target.redisVersion ?? 'unknown',
        run_id: journal.run.id,
        trial: String(t.index),
      };
      for (const [figure, v] of Object.entries(t.figures).sort(([a], [b]) => a.localeCompare(b))) {
        if (typeof v === 'number' && Number.isFinite(v)) add(figure, labels, v);
      }
      add('trial_passed', labels, t.verdict === 'pass' ? 1 : 0);
    }
  }
  const out: string[] = [];
  for (const [name, samples] of [...families].sort(([a], [b]) => a.localeCompare(b))) {
    const figure = name.slice(METRIC_PREFIX.length);
    out.push(`# TYPE ${name} gauge`, `# HELP ${name} ${HELP[figure] ?? `Figure ${figure} of the trial (see the README, "What is measured")`}`, ...samples);
  }
  out.push('# EOF', '');
  return out.join('\n');
}

/** The Pushgateway URL of a run's group: URL/metrics/job/sentinel-chaos/run_id/<id>. */
export function pushUrl(base: string, runId: string): string {
  return `${base.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(PUSH_JOB)}/run_id/${encodeURIComponent(runId)}`;
}

/** Throws a message naming the flag when `url` is not an http(s) URL. */
export function checkPushUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : `--push ${url}: not an http(s) URL`;
  } catch {
    return `--push ${url}: not a URL (e.g. http://127.0.0.1:9091)`;
  }
}

/**
 * PUT `text` to the run's group on the Pushgateway at `base`. Never throws: returns null on success, or
 * a one-line warning (a push that fails must not fail the run, whose reports are already written).
 */
export async function pushMetrics(base: string, runId: string, text: string, timeoutMs = 10_000): Promise<string | null> {
  const url = pushUrl(base, runId);
  try {
    const res = await fetch(url, {
      method: 'PUT',
      // The Prometheus text format: what every Pushgateway version accepts.
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: text,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.ok) return null;
    const body = (await res.text().catch(() => '')).trim().split('\n')[0] ?? '';
    return `pushing metrics to ${url} failed: HTTP ${res.status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return `pushing metrics to ${url} failed: ${cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e))}`;
  }
}
