// `render`: write a manifest variant (scaled to N pods, and/or a config profile) to a directory that
// `--manifests` can point at, and hold it to the design it claims (static checks; exit 1 when one fails).
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { monitoringManifestFiles } from '../config/monitoring.ts';
import { PROFILES, renderProfileFiles, type ProfileName } from '../config/profiles.ts';
import { HarnessError } from '../errors.ts';
import { rerenderRun as rerenderReports } from '../report/rerender.ts';
import { deploymentOf, manifestObjectsOf } from '../config/manifests.ts';
import { overlayManifestFiles, readManifestFiles, scaleManifestFiles, writeManifestFiles } from '../config/scale.ts';
import { profileChecks, profileDirectiveChecks, scalingChecks, type VariantCheck } from '../conformance/variants.ts';
import { RUN_DEFAULTS } from '../runner/run.ts';
import { securityStaticChecks } from '../conformance/security/static-checks.ts';

function formatCheck(c: VariantCheck): string {
  return `${c.valid ? 'ok  ' : 'FAIL'} ${c.group}/${c.name}: ${c.file} ${c.object} ${c.field}: expected ${c.expected}, observed ${c.observed}. ${c.explanation}`;
}

interface RenderFlags {
  manifests: string;
  replicas?: number;
  profile: ProfileName;
  monitoring?: boolean;
  report?: string;
  out: string;
  json?: boolean;
}

/** `render --report RUN_DIR --out DIR`: the manifest options do not apply (exit 2 naming them). */
async function renderReport(o: RenderFlags, cmd: Command): Promise<void> {
  const manifestOnly = ['manifests', 'replicas', 'profile', 'monitoring', 'json'].filter((k) => cmd.getOptionValueSource(k) === 'cli');
  if (manifestOnly.length)
    throw new HarnessError('USAGE', `render --report renders a run's reports, not manifests: drop ${manifestOnly.map((k) => `--${k}`).join(', ')}`);
  const files = await rerenderReports(path.resolve(o.report!), path.resolve(o.out));
  process.stdout.write(`rendered ${files.length} reports of ${o.report} to ${path.resolve(o.out)}\n`);
}

export function addVariantCommands(program: Command): void {
  program
    .command('render')
    .description(
      "write a variant of the manifests (--replicas N: the seed's scaling procedure; --profile hardened; --monitoring: the exporter sidecars) to --out DIR and check it statically; or --report RUN_DIR: that run's reports rendered again into --out DIR",
    )
    .option('--manifests <dir>', 'manifests to start from', RUN_DEFAULTS.manifestsDir)
    .option('--replicas <n>', 'pods: StatefulSet replicas, sentinel quorum floor(N/2)+1, PDB minAvailable = quorum, SENTINEL_HOSTS', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 99) throw new InvalidArgumentError('--replicas must be an integer from 1 to 99');
      return n;
    })
    .addOption(new Option('--profile <profile>', 'config profile to apply').choices(['seed', 'hardened', 'secure']).default('seed'))
    .option('--monitoring', 'add the redis_exporter sidecars to the StatefulSet (redis :9121, sentinel :9355), as --monitoring runs them')
    .option(
      '--report <run-dir>',
      "instead of manifests: render a run directory's index.html, summary.md, junit.xml and metrics.prom again, from its result.json",
    )
    .requiredOption('--out <dir>', 'directory to write the rendered manifests (or reports) to')
    .option('--json', 'print the checks as one JSON array instead of text')
    .action(async (o: RenderFlags, cmd: Command) => {
      if (o.report !== undefined) return renderReport(o, cmd);
      const source = path.resolve(o.manifests);
      const out = path.resolve(o.out);
      const original = await readManifestFiles(source);
      const profiled =
        o.profile === 'secure'
          ? await renderProfileFiles(source, original, 'secure')
          : o.profile === 'seed'
            ? original
            : overlayManifestFiles(original, PROFILES[o.profile].overlay);
      const scaled = o.replicas === undefined ? profiled : scaleManifestFiles(profiled, { replicas: o.replicas });
      const rendered = o.monitoring ? monitoringManifestFiles(scaled) : scaled;
      await writeManifestFiles(rendered, out, source);
      // Scaled: held to the scaled design (the profile changes nothing it fixes); else to the seed's.
      // Secure: held to its own TLS / ACL / NetworkPolicy settings (the security group's static checks).
      const checks =
        o.profile === 'secure'
          ? securityStaticChecks(deploymentOf(manifestObjectsOf(rendered, out), out)).map((c): VariantCheck => ({
              ...c,
              group: 'profile',
              name: `profile-secure.${c.name}`,
              valid: c.valid === true,
              file: c.file ?? out,
              object: c.object ?? '',
              field: c.field ?? '',
            }))
          : o.replicas === undefined
            ? profileChecks(original, o.profile, out)
            : [...scalingChecks(profiled, o.replicas, out), ...profileDirectiveChecks(rendered, o.profile, out)];
      const failed = checks.filter((c) => !c.valid);
      if (o.json) process.stdout.write(`${JSON.stringify(checks)}\n`);
      else {
        for (const c of failed) process.stdout.write(`${formatCheck(c)}\n`);
        process.stdout.write(`rendered ${rendered.length} files to ${out}; ${checks.length} checks, ${failed.length} failed\n`);
      }
      process.exitCode = failed.length > 0 ? 1 : 0;
    });
}
