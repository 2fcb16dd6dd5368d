// `--profile seed|hardened|both`: run the scenarios under each deployment profile (the deployment brought
// up afresh per profile) and report them together, side by side.
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { PROFILES, profileSettings, type ProfileName } from '../config/profiles.ts';
import type { Journal, ProfileComparisonRow, ScenarioResult } from '../report/journal.ts';
import { createRedactor } from '../process/redact.ts';
import { newRunId } from '../report/run-id.ts';
import { writeReports } from '../report/write-reports.ts';
import { combine, runSuite, type RunOptions, type RunResult } from './run.ts';
import type { Scenario } from './scenario.ts';

/**
 * The scenario as it runs under `profile`: its per-profile expectations applied, and with `suffix` its
 * name marked with the profile (so reports, JUnit suites and histories of two profiles stay apart).
 */
export function scenarioForProfile(s: Scenario, profile: ProfileName, suffix: boolean): Scenario {
  const override = s.profiles?.[profile]?.expect ?? {};
  const set = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
  return { ...s, name: suffix ? `${s.name}@${profile}` : s.name, expect: { ...s.expect, ...set } };
}

/** The figure over a scenario's trials: the worst (max, or min for availability); null when never measured. */
function worst(s: ScenarioResult, figure: string): number | null {
  const values = s.trials.map((t) => t.figures[figure]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (values.length === 0) return null;
  return figure === 'availability' ? Math.min(...values) : Math.max(...values);
}

/** One row per scenario result that ran under a profile, in journal order. */
export function comparisonRows(scenarios: readonly ScenarioResult[]): ProfileComparisonRow[] {
  return scenarios
    .filter((s) => s.profile !== undefined)
    .map((s) => ({
      scenario: s.name.replace(/@[a-z]+$/, ''),
      profile: s.profile!,
      verdict: s.verdict,
      trials: s.trials.length,
      writes_acked: worst(s, 'writes_acked'),
      writes_lost: worst(s, 'writes_lost'),
      writes_lost_old_master: worst(s, 'writes_lost_old_master'),
      writes_lost_old_master_max: typeof s.slo.writes_lost_old_master_max === 'number' ? s.slo.writes_lost_old_master_max : null,
      outage_ms: worst(s, 'outage_ms'),
      availability: worst(s, 'availability'),
      failover_ms: worst(s, 'failover_ms'),
      split_brain_ms: worst(s, 'split_brain_ms'),
    }));
}

/** Deployment parameters merged over the profiles: equal values once, differing ones as "seed: a / hardened: b". */
function mergeDeployment(parts: { profile: ProfileName; journal: Journal }[]): Journal['deployment'] {
  const keys = [...new Set(parts.flatMap((p) => Object.keys(p.journal.deployment)))];
  const out: Journal['deployment'] = {};
  for (const k of keys) {
    const values = parts.map((p) => p.journal.deployment[k]);
    out[k] = values.every((v) => v === values[0]) ? values[0]! : parts.map((p, i) => `${p.profile}: ${String(values[i] ?? '(none)')}`).join(' / ');
  }
  return out;
}

/**
 * Run the suite under each profile in turn. One profile: the ordinary run with that profile's overlay
 * and expectations. Several: each brings its own deployment up and down; the journal holds every
 * scenario once per profile (named <scenario>@<profile>) plus the side-by-side comparison, written once.
 */
export async function runProfiles(opts: RunOptions, profiles: readonly ProfileName[]): Promise<RunResult> {
  if (profiles.length === 1) {
    const profile = profiles[0]!;
    return runSuite({ ...opts, profile, scenarios: opts.scenarios.map((s) => scenarioForProfile(s, profile, false)) });
  }
  const parts: { profile: ProfileName; journal: Journal; collected: NonNullable<RunResult['collected']> }[] = [];
  {
    for (const profile of profiles) {
      const r = await runSuite({ ...opts, profile, collect: true, scenarios: opts.scenarios.map((s) => scenarioForProfile(s, profile, true)) });
      parts.push({ profile, journal: r.journal, collected: r.collected! });
      // A safeguard halted the run: the next profile does not start.
      if (r.journal.run.halted) break;
    }
    const halted = parts.find((p) => p.journal.run.halted)?.journal.run.halted;
    const first = parts[0]!.journal;
    const last = parts[parts.length - 1]!.journal;
    const scenarios = parts.flatMap((p) => p.journal.scenarios);
    // Each profile's deployment ran the conformance groups; a check is named after its profile.
    const conformance = parts.flatMap((p) =>
      (p.journal.conformance ?? []).map((g) => ({ ...g, checks: g.checks.map((c) => ({ ...c, name: `${c.name}@${p.profile}` })) })),
    );
    const verdict = halted ? 'fail' : combine([...conformance.map((g) => g.verdict), ...scenarios.map((s) => s.verdict)]);
    const journal: Journal = {
      ...first,
      run: {
        ...first.run,
        // A new id: each profile's run id already names a directory (its container logs).
        id: newRunId(new Date(first.run.startedAt)),
        finishedAt: last.run.finishedAt,
        durationMs: parts.reduce((n, p) => n + p.journal.run.durationMs, 0),
        ...(halted ? { halted } : {}),
      },
      deployment: mergeDeployment(parts),
      verdict,
      scenarios,
      ...(conformance.length ? { conformance } : {}),
      profiles: profiles.map((p) => ({ name: p, description: PROFILES[p].description, settings: profileSettings(p) })),
      profileComparison: comparisonRows(scenarios),
    };
    const histories = new Map(parts.flatMap((p) => [...p.collected.histories]));
    const passwords = parts.flatMap((p) => p.collected.passwords);
    const { runDir } = await writeReports({ reportDir: opts.reportDir, journal, histories, redactor: createRedactor(passwords) });
    // Each profile's deployment left its (redacted) container logs under its own run id: gather them here.
    for (const p of parts) {
      const from = path.join(opts.reportDir, p.journal.run.id, 'logs');
      const to = path.join(runDir, 'logs', p.profile);
      await mkdir(path.dirname(to), { recursive: true });
      await rename(from, to).catch(() => {});
      await rm(path.join(opts.reportDir, p.journal.run.id), { recursive: true, force: true });
    }
    opts.progress?.runEnd(journal, runDir);
    return { journal, runDir, exitCode: halted ? 3 : verdict === 'pass' ? 0 : 1 };
  }
}
