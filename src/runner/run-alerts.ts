// With --monitoring: the run's own Prometheus (Debian's, on 127.0.<subnet>.231, beside the monitoring group's .230; local and docker targets)
// scraping every pod's exporters with the alert rules, so that every trial records which alerts fired and cleared.
import { EXPORTERS } from '../config/monitoring.ts';
import { settleAlerts, type AlertSource } from '../observers/alerts.ts';
import { ALERT_RULES_FILE, besidePods, SCRAPABLE_TARGETS, startDeploymentPrometheus, waitForTargets } from '../observers/prometheus.ts';
import type { StartedDeployment } from '../targets/target.ts';

export interface RunAlerts {
  /** What the trials poll; absent when the alerts cannot be watched on this target. */
  source?: AlertSource;
  /** For the journal's deployment section: the rules and where they were evaluated, or why not. */
  describe: Record<string, string>;
  stop(): Promise<void>;
}

export const RUN_ALERTS_DEFAULTS = { scrapeTimeoutMs: 20_000, settleMs: 15_000, pollMs: 200 };

/**
 * Start the run's Prometheus on the pods of the local or docker target (their exporters on loopback addresses, followed as
 * pods move), wait until it scrapes every exporter and nothing fires; elsewhere say why not.
 */
export async function startRunAlerts(d: StartedDeployment, rulesFile: string = ALERT_RULES_FILE, o = RUN_ALERTS_DEFAULTS): Promise<RunAlerts> {
  if (!SCRAPABLE_TARGETS.includes(d.target)) {
    const reason = `not watched: target ${d.target} gives the harness no address of each pod's exporters (only the ${SCRAPABLE_TARGETS.join(' and ')} targets do)`;
    return { describe: { alert_rules: rulesFile, alerts: reason }, stop: async () => {} };
  }
  const prom = await startDeploymentPrometheus(d, { host: await besidePods(d, 231), rulesFile });
  try {
    const want = EXPORTERS.length * d.pods.length;
    const { targets, waitedMs } = await waitForTargets(prom, want, o.scrapeTimeoutMs);
    const up = targets.filter((t) => t.health === 'up').length;
    await settleAlerts(prom, o.settleMs, o.pollMs);
    return {
      source: prom,
      describe: { alert_rules: rulesFile, alerts: `watched by the run's Prometheus (${up} of ${want} exporters scraped after ${waitedMs} ms)` },
      stop: () => prom.stop(),
    };
  } catch (e) {
    await prom.stop();
    throw e;
  }
}
