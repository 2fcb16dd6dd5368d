// Builds the container target's images from Debian's packages when missing or stale (recipe hash label).
//   node scripts/build-images.ts [redis:7.0.15 | sentinel-chaos/valkey:8.1.1 ...]   (all when none named)
import { isHarnessError } from '../src/errors.ts';
import { ensureImages } from '../src/targets/docker/images.ts';

const verbose = process.env.SENTINEL_CHAOS_BUILD_VERBOSE === '1';
try {
  const results = await ensureImages(process.argv.slice(2), { log: (l) => verbose && process.stderr.write(`  ${l}\n`) });
  for (const r of results) {
    const mb = r.sizeBytes === null ? '?' : (r.sizeBytes / 1e6).toFixed(0);
    console.log(`${r.tag}: ${r.built ? `built in ${(r.ms / 1000).toFixed(1)} s` : 'up to date'}, ${mb} MB`);
  }
} catch (e) {
  console.error(isHarnessError(e) ? e.message : String(e instanceof Error ? e.message : e));
  process.exit(isHarnessError(e) ? e.exitCode : 1);
}
