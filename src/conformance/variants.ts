// Conformance of the manifest variants (issue #4, items 5 and 6): the seed's "scale to 5, quorum 3" and the
// hardened profile, statically (rendered and held to the design they claim) and live (from a run's journal).
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ManifestObject } from '../config/manifests.ts';
import { PROFILES, type ProfileName } from '../config/profiles.ts';
import { lastDirective } from '../config/redis-conf.ts';
import { majorityQuorum, overlayManifestFiles, readManifestFiles, scaleManifestFiles, type ManifestFile } from '../config/scale.ts';
import type { Journal } from '../report/journal.ts';
import { SEED_DESIGN, staticChecksOfObjects, type SeedDesign, type StaticCheck } from './static.ts';

/** A check of a variant: the static check shape, in the conformance group it belongs to. */
export type VariantCheck = Omit<StaticCheck, 'group'> & {
  group: 'scaling' | 'profile';
  figures?: Record<string, number | null>;
};

/** The seed design scaled to `replicas` pods: quorum the majority of the sentinels, the PDB keeping it. */
export function scaledDesign(replicas: number, seed: Readonly<SeedDesign> = SEED_DESIGN): SeedDesign {
  const quorum = majorityQuorum(replicas);
  return { ...seed, replicas, quorum, pdbMinAvailable: quorum };
}

/** The design a deployment is held to: the seed's, or the seed's own "scale to N" variant of it. */
export function designFor(model: { replicas: number }, seed: Readonly<SeedDesign> = SEED_DESIGN): Readonly<SeedDesign> {
  return model.replicas === seed.replicas ? seed : scaledDesign(model.replicas, seed);
}

/** Rendered files as manifest objects, located under `dir` (where they would be written). */
export function objectsOf(files: readonly ManifestFile[], dir: string): ManifestObject[] {
  return files.flatMap((f) =>
    parseAllDocuments(f.text)
      .map((d) => d.toJS({ maxAliasCount: 100 }) as ManifestObject | null)
      .filter((o): o is ManifestObject => o !== null && typeof o === 'object')
      .map((o) => ({ ...o, __file: path.join(dir, f.name) })),
  );
}

const inGroup =
  (group: VariantCheck['group'], prefix: string) =>
  (c: StaticCheck): VariantCheck => ({ ...c, group, name: `${prefix}.${c.name}` });

/**
 * Static checks of the manifests scaled to `replicas` (the seed's "scale to 5, quorum 3"), against the
 * scaled design, plus the quorum arithmetic stated on its own. `dir` names where the variant is (or would be) rendered.
 */
export function scalingChecks(
  files: readonly ManifestFile[],
  replicas: number,
  dir = `(rendered for ${replicas} pods)`,
  base: Readonly<SeedDesign> = SEED_DESIGN,
): VariantCheck[] {
  const scaled = scaleManifestFiles(files, { replicas });
  const design = scaledDesign(replicas, base);
  const objects = objectsOf(scaled, dir);
  const checks = staticChecksOfObjects(objects, design, dir).map(inGroup('scaling', `scaling-${replicas}`));
  const sentinelCm = objects.find(
    (o) =>
      o.kind === 'ConfigMap' &&
      Object.values((o as { data?: Record<string, unknown> }).data ?? {}).some((v) => typeof v === 'string' && /^\s*sentinel\s+monitor\s/m.test(v)),
  );
  const conf = Object.entries((sentinelCm as { data?: Record<string, string> } | undefined)?.data ?? {}).find(([, v]) => /^\s*sentinel\s+monitor\s/m.test(v));
  const quorum = Number(conf ? lastDirective(conf[1], ['sentinel', 'monitor'])?.[3] : NaN);
  checks.push({
    group: 'scaling',
    name: `scaling-${replicas}.quorum-formula`,
    valid: quorum === majorityQuorum(replicas),
    expected: `quorum ${majorityQuorum(replicas)} = floor(${replicas} sentinels / 2) + 1`,
    observed: Number.isNaN(quorum) ? '(no sentinel monitor line)' : `quorum ${quorum}`,
    file: sentinelCm?.__file ?? dir,
    object: sentinelCm ? `ConfigMap/${sentinelCm.metadata.name}` : 'ConfigMap/(none)',
    field: conf ? `data["${conf[0]}"]: sentinel monitor <quorum>` : 'data',
    explanation:
      'The seed\'s scaling procedure: "Quorum should be (N/2) + 1, e.g., for 5 instances: quorum=3"; the PDB keeps that many pods (minAvailable = quorum).',
  });
  return checks;
}

/**
 * Static checks of a profile's rendered manifests: every seed check must still hold (the profile changes
 * nothing the seed fixes), and the profile's own directives are reported, for the hardened profile as the
 * intended deviation from the seed, for the seed as their absence. With a certified design (`--design`), the
 * rendered manifests are held to it as they stand, as the static group does.
 */
export function profileChecks(
  files: readonly ManifestFile[],
  profile: ProfileName,
  dir = `(rendered with profile ${profile})`,
  certified?: Readonly<SeedDesign>,
): VariantCheck[] {
  const rendered = overlayManifestFiles(files, PROFILES[profile].overlay);
  const objects = objectsOf(rendered, dir);
  // A profile changes redis.conf only: hold the rest to the design of the deployment's size.
  const sts = objects.find((o) => o.kind === 'StatefulSet') as { spec?: { replicas?: unknown } } | undefined;
  const replicas = typeof sts?.spec?.replicas === 'number' ? sts.spec.replicas : SEED_DESIGN.replicas;
  const checks = staticChecksOfObjects(objects, certified ?? designFor({ replicas }), dir).map(inGroup('profile', `profile-${profile}`));
  return [...checks, ...profileDirectiveChecks(rendered, profile, dir)];
}

/**
 * The directives the profiles differ in, as found in already rendered files: under the hardened profile
 * its settings (the intended deviation from the seed), under the seed profile their absence.
 */
export function profileDirectiveChecks(rendered: readonly ManifestFile[], profile: ProfileName, dir: string): VariantCheck[] {
  const overlay = PROFILES[profile].overlay;
  const objects = objectsOf(rendered, dir);
  const checks: VariantCheck[] = [];
  const cm = objects.find(
    (o) =>
      o.kind === 'ConfigMap' &&
      Object.entries((o as { data?: Record<string, unknown> }).data ?? {}).some(
        ([k, v]) => k.endsWith('.conf') && typeof v === 'string' && /^\s*appendonly\s/m.test(v),
      ),
  );
  const [key, text] = Object.entries((cm as { data?: Record<string, string> } | undefined)?.data ?? {}).find(
    ([k, v]) => k.endsWith('.conf') && /^\s*appendonly\s/m.test(v),
  ) ?? ['redis.conf', ''];
  const hardened = PROFILES.hardened.overlay.redis;
  for (const directive of Object.keys(hardened)) {
    const observed = lastDirective(text, [directive])?.join(' ');
    const wanted = overlay.redis[directive];
    const valid = wanted === undefined ? observed === undefined || observed === '0' : observed === wanted;
    checks.push({
      group: 'profile',
      name: `profile-${profile}.redis.${directive}`,
      valid,
      expected: wanted === undefined ? '(absent or 0: the seed sets none)' : `${wanted} (intended deviation from the seed, which sets none)`,
      observed: observed ?? '(absent: Redis default 0 / 10)',
      file: cm?.__file ?? dir,
      object: cm ? `ConfigMap/${cm.metadata.name}` : 'ConfigMap/(none)',
      field: `data["${key}"]: ${directive}`,
      explanation:
        wanted === undefined
          ? 'The seed profile runs without min-replicas-to-write: an isolated or returning old master keeps acknowledging writes the failover discards (accepted, and counted, by the partition and pause scenarios).'
          : `The hardened profile: ${PROFILES.hardened.description}; it bounds the writes an isolated or returning old master acknowledges and then loses.`,
    });
  }
  return checks;
}

/** Both variants' static checks of the manifests in `dir` (the seed's scale-to-5 and each profile). */
export async function variantChecks(dir: string, replicas = 5): Promise<VariantCheck[]> {
  const files = await readManifestFiles(dir);
  return [...scalingChecks(files, replicas), ...profileChecks(files, 'seed'), ...profileChecks(files, 'hardened')];
}

/**
 * Live checks from a run's journal: each scenario's verdict as a check, with the figures that decided
 * it (failover, outage, writes lost and how many the old master acknowledged) and, under both profiles,
 * the hardened profile's old-master loss against the seed's.
 */
export function liveVariantChecks(journal: Journal, group: VariantCheck['group']): VariantCheck[] {
  const replicas = journal.deployment.replicas;
  const out: VariantCheck[] = journal.scenarios.map((s) => {
    const t = s.trials;
    const max = (f: string) => Math.max(...t.map((x) => x.figures[f]).filter((v): v is number => typeof v === 'number'));
    const fig = (f: string) => (t.some((x) => typeof x.figures[f] === 'number') ? max(f) : null);
    const figures = {
      failover_ms: fig('failover_ms'),
      outage_ms: fig('outage_ms'),
      writes_lost: fig('writes_lost'),
      writes_lost_old_master: fig('writes_lost_old_master'),
    };
    return {
      group,
      name: `${group}.live.${s.name}`,
      valid: s.verdict === 'pass',
      expected: `every trial passes: failover ≤ ${s.slo.failover_ms_max} ms, writes lost ≤ ${s.slo.writes_lost_max}${s.slo.writes_lost_old_master_max !== undefined ? ` (+ ≤ ${s.slo.writes_lost_old_master_max} by the old master)` : ''}`,
      observed: `${s.verdict} (${t.length} trial${t.length === 1 ? '' : 's'}, ${replicas} pods): failover ${figures.failover_ms ?? '–'} ms, outage ${figures.outage_ms ?? '–'} ms, writes lost ${figures.writes_lost ?? '–'} (old master ${figures.writes_lost_old_master ?? '–'})`,
      file: journal.deployment.manifests === undefined ? '.' : String(journal.deployment.manifests),
      object: `scenario/${s.name}`,
      field: 'verdict',
      explanation:
        t
          .map((x) => x.message)
          .filter(Boolean)
          .join('; ') || `${s.name} on ${replicas} pods${s.profile ? ` under the ${s.profile} profile` : ''}`,
      figures,
    };
  });
  return out;
}
