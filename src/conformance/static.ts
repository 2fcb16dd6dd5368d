// Static conformance: the manifests against the seed design (issue #4, part 1), with no cluster.
import path from 'node:path';
import type { DeploymentModel, ManifestObject } from '../config/manifests.ts';
import { SEED_DESIGN, type SeedDesign } from './static/seed-design.ts';
import type { StaticCheck } from './static/static-check.ts';
import { StaticSuite } from './static/static-suite.ts';

export { SEED_DESIGN, type SeedDesign } from './static/seed-design.ts';
export type { StaticCheck } from './static/static-check.ts';

/** Every static check of the deployment model's objects against the seed design. Pure; never throws. */
export function staticChecks(model: DeploymentModel, seed: Readonly<SeedDesign> = SEED_DESIGN): StaticCheck[] {
  return staticChecksOfObjects(model.objects, seed, model.manifestsDir);
}

/**
 * The same checks over raw manifest objects (readManifestObjects), for manifests loadDeployment refuses,
 * e.g. a password given as a literal env value instead of a secretKeyRef.
 */
export function staticChecksOfObjects(
  objects: readonly ManifestObject[],
  seed: Readonly<SeedDesign> = SEED_DESIGN,
  manifestsDir: string = objects[0] ? path.dirname(objects[0].__file) : '.',
): StaticCheck[] {
  return new StaticSuite(objects, seed, manifestsDir).run();
}

/** True when every check passed. */
export function allValid(checks: readonly StaticCheck[]): boolean {
  return checks.every((c) => c.valid);
}

/** One line a human can act on: the verdict, where (file, object, field), expected vs observed, and why. */
export function formatStaticCheck(c: StaticCheck): string {
  return `${c.valid ? 'ok  ' : 'FAIL'} ${c.group}/${c.name}: ${c.file} ${c.object} ${c.field}: expected ${c.expected}, observed ${c.observed}. ${c.explanation}`;
}
