// --upgrade-to-image IMAGE: the rolling-upgrade scenario with a real version change on the docker, kind and
// kube targets (the local target keeps --upgrade-to PATH). Validated up front: bad input is one line, exit 2.
import { HarnessError } from '../errors.ts';
import type { Scenario } from '../runner/scenario.ts';
import { IMAGE_CATALOGUE, imageFor, listImages, type ImageRecipe } from '../targets/docker/images.ts';
import type { TargetName } from '../targets/start.ts';

export interface UpgradeImageFlags {
  upgradeToImage?: string;
  upgradeTo?: string;
  target: TargetName;
}

/**
 * The scenarios with every rolling-upgrade fault set to the image, the master restarted last. On docker
 * the image must be one of the catalogue (normalised to its NAME:VERSION) and built.
 */
export async function applyUpgradeImage(scenarios: Scenario[], o: UpgradeImageFlags, opts: { checkBuilt?: boolean } = {}): Promise<Scenario[]> {
  const image = o.upgradeToImage?.trim();
  if (o.upgradeToImage === undefined) return scenarios;
  if (!image || /\s/.test(image)) throw new HarnessError('USAGE', `--upgrade-to-image needs one image reference (e.g. redis:8.0.2), got "${o.upgradeToImage}"`);
  if (o.upgradeTo)
    throw new HarnessError(
      'USAGE',
      '--upgrade-to and --upgrade-to-image both name the upgrade: keep --upgrade-to PATH for --target local, --upgrade-to-image IMAGE for docker, kind and kube',
    );
  if (o.target === 'local')
    throw new HarnessError(
      'USAGE',
      '--upgrade-to-image applies to --target docker, kind or kube: on the local target pass --upgrade-to PATH (a redis-server binary)',
    );
  if (!scenarios.some((s) => s.fault.kind === 'rolling-upgrade')) {
    throw new HarnessError(
      'USAGE',
      '--upgrade-to-image applies only to a rolling-upgrade scenario: add rolling-upgrade to --scenario, or drop --upgrade-to-image',
    );
  }
  let resolved = image;
  if (o.target === 'docker') {
    let recipe: ImageRecipe;
    try {
      recipe = imageFor(image);
    } catch {
      throw new HarnessError(
        'USAGE',
        `--upgrade-to-image ${image}: no local image for it: pass one of ${IMAGE_CATALOGUE.map((r) => `${r.name}:${r.version}`).join(', ')}`,
      );
    }
    resolved = `${recipe.name}:${recipe.version}`;
    if (opts.checkBuilt !== false) {
      const [status] = await listImages([recipe]);
      if (!status?.present)
        throw new HarnessError(
          'TARGET_UNAVAILABLE',
          `--upgrade-to-image ${image}: image ${recipe.tag} is not built: run \`node scripts/build-images.ts ${resolved}\``,
        );
    }
  }
  return scenarios.map((s) => (s.fault.kind === 'rolling-upgrade' ? { ...s, fault: { ...s.fault, image: resolved, order: 'master-last' as const } } : s));
}
