// The container target's images: built here from Debian's packages (mmdebstrap ► docker import), since no
// registry can be pulled from. One catalogue; a label holds a hash of each recipe, so a build runs only
// when the recipe changed and a cache hit costs one `docker image inspect`.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from '../../errors.ts';

const run = promisify(execFile);

export interface ImageRecipe {
  /** Catalogue name, also the first half of `--image NAME:VERSION`. */
  name: 'redis' | 'valkey';
  /** The upstream version the packages must report (`redis-server --version` → `v=VERSION`). */
  version: string;
  /** The Debian release that ships that version. */
  suite: 'bookworm' | 'trixie';
  /** Debian packages beyond the Essential set (sh, coreutils' timeout, sed, grep come with it). */
  packages: readonly string[];
  /** Symlinks made in /usr/local/bin (name ► target): the manifests' scripts call redis-server, redis-sentinel, redis-cli. */
  links: Readonly<Record<string, string>>;
  /** The local tag. */
  tag: string;
}

/**
 * What every image needs besides the server: curl (role-labeller), awk (the scripts), and Debian's
 * redis_exporter for the --monitoring sidecars (redis-exporter.sh runs `prometheus-redis-exporter`).
 */
const COMMON = ['curl', 'mawk', 'ca-certificates', 'prometheus-redis-exporter'] as const;

/**
 * Valkey's packages in Debian ship only valkey-* names and no redis-compat package; upstream's
 * `make install` makes the redis-* symlinks, and so does this recipe. Valkey picks sentinel mode from
 * argv[0] containing `redis-sentinel` as well as `valkey-sentinel`.
 */
const VALKEY_LINKS = { 'redis-server': '/usr/bin/valkey-server', 'redis-sentinel': '/usr/bin/valkey-sentinel', 'redis-cli': '/usr/bin/valkey-cli' };

export const IMAGE_CATALOGUE: readonly ImageRecipe[] = [
  {
    name: 'redis',
    version: '7.0.15',
    suite: 'bookworm',
    packages: ['redis-server', 'redis-sentinel', 'redis-tools', ...COMMON],
    links: {},
    tag: 'sentinel-chaos/redis:7.0.15',
  },
  {
    name: 'redis',
    version: '8.0.2',
    suite: 'trixie',
    packages: ['redis-server', 'redis-sentinel', 'redis-tools', ...COMMON],
    links: {},
    tag: 'sentinel-chaos/redis:8.0.2',
  },
  {
    name: 'valkey',
    version: '8.1.1',
    suite: 'trixie',
    packages: ['valkey-server', 'valkey-sentinel', 'valkey-tools', ...COMMON],
    links: VALKEY_LINKS,
    tag: 'sentinel-chaos/valkey:8.1.1',
  },
];

/** How every image is made; part of each recipe's hash, so changing it rebuilds them all. */
const BUILD = {
  variant: 'essential',
  // No docs, man pages, translations: the image only runs servers and scripts.
  pathExcludes: ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*'],
  env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  format: 1,
} as const;

export const LABEL_RECIPE = 'sentinel-chaos.recipe';
export const LABEL_VERSION = 'sentinel-chaos.version';

/** sha256 (hex, first 16) of what decides the image's contents: the recipe and the build settings. */
export function recipeHash(r: ImageRecipe): string {
  const json = JSON.stringify({ name: r.name, version: r.version, suite: r.suite, packages: [...r.packages].sort(), links: r.links, build: BUILD });
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

/** `redis:7.0.15-alpine`, `docker.io/library/redis:7.0.15`, `valkey/valkey:8.1.1`, `redis:8.0.2` ► the catalogue's name and version. */
export function parseImageRef(ref: string): { name: string; version: string } | null {
  const m = /^(?:.*\/)?([a-z0-9._-]+):v?(\d+\.\d+\.\d+)(?:[-.][A-Za-z0-9._-]*)?$/.exec(ref.trim());
  return m ? { name: m[1]!, version: m[2]! } : null;
}

/**
 * The local image for the manifest's `image:` (or for an `--image NAME:VERSION` override, which wins).
 * Throws USAGE (exit 2) naming the images the catalogue has.
 */
export function imageFor(manifestImage: string, override?: string): ImageRecipe {
  const ref = override ?? manifestImage;
  const parsed = parseImageRef(ref);
  const hit = parsed && IMAGE_CATALOGUE.find((r) => r.name === parsed.name && r.version === parsed.version);
  if (!hit) {
    const known = IMAGE_CATALOGUE.map((r) => `${r.name}:${r.version}`).join(', ');
    throw new HarnessError('USAGE', `no local image for "${ref}": pass --image with one of ${known}`);
  }
  return hit;
}

export interface ImageStatus {
  recipe: ImageRecipe;
  present: boolean;
  /** Present and built from this recipe (its label matches {@link recipeHash}). */
  current: boolean;
  sizeBytes: number | null;
}

async function inspect(tag: string): Promise<{ labels: Record<string, string>; size: number } | null> {
  try {
    const { stdout } = await run('docker', ['image', 'inspect', tag, '--format', '{{json .Config.Labels}}\t{{.Size}}'], { timeout: 15_000 });
    const [labels, size] = stdout.trim().split('\t');
    return { labels: (JSON.parse(labels!) as Record<string, string> | null) ?? {}, size: Number(size) };
  } catch {
    return null;
  }
}

/** The catalogue and what of it the engine has (for doctor). */
export async function listImages(recipes: readonly ImageRecipe[] = IMAGE_CATALOGUE): Promise<ImageStatus[]> {
  return Promise.all(
    recipes.map(async (recipe) => {
      const found = await inspect(recipe.tag);
      return { recipe, present: found !== null, current: found?.labels[LABEL_RECIPE] === recipeHash(recipe), sizeBytes: found?.size ?? null };
    }),
  );
}

/** Catalogue entries by tag or by `name:version` (`redis:7.0.15`); all when `names` is empty. */
export function selectRecipes(names: readonly string[]): ImageRecipe[] {
  if (names.length === 0) return [...IMAGE_CATALOGUE];
  return names.map((n) => IMAGE_CATALOGUE.find((r) => r.tag === n || `${r.name}:${r.version}` === n) ?? imageFor(n));
}

/**
 * The Debian mirror this machine's apt already uses (first `.../debian` URI in /etc/apt/sources.list*),
 * unless SENTINEL_CHAOS_DEBIAN_MIRROR names one.
 */
export async function debianMirror(env: NodeJS.ProcessEnv = process.env, aptDir = '/etc/apt'): Promise<string> {
  if (env.SENTINEL_CHAOS_DEBIAN_MIRROR) return env.SENTINEL_CHAOS_DEBIAN_MIRROR;
  const files = [path.join(aptDir, 'sources.list')];
  const d = path.join(aptDir, 'sources.list.d');
  for (const f of (await readdir(d).catch(() => [] as string[])).sort()) files.push(path.join(d, f));
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (line.trim().startsWith('#')) continue;
      for (const m of line.matchAll(/\b(https?:\/\/\S+?\/debian)\/?(?=\s|$)/g)) return m[1]!;
    }
  }
  throw new HarnessError('BINARY_MISSING', 'no Debian mirror in /etc/apt/sources.list*: set SENTINEL_CHAOS_DEBIAN_MIRROR=http://MIRROR/debian');
}

/** Runs a command with its output going to `log`; rejects with the tail of it on failure. */
async function step(cmd: string, args: string[], log: (line: string) => void, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let tail = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      const s = b.toString();
      tail = (tail + s).slice(-2000);
      for (const l of s.split('\n')) if (l.trim()) log(l);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else
        reject(
          new HarnessError('PROCESS_FAILED', `${cmd} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${tail.trim().split('\n').slice(-3).join(' | ')}`, {
            exitCode: 1,
          }),
        );
    });
  });
}

export interface BuildResult {
  tag: string;
  built: boolean;
  ms: number;
  sizeBytes: number | null;
}

/** Builds one image from its recipe: a rootfs tarball by mmdebstrap, then `docker import` with its labels; proves the version inside. */
export async function buildImage(r: ImageRecipe, opts: { mirror?: string; log?: (line: string) => void } = {}): Promise<BuildResult> {
  const log = opts.log ?? (() => undefined);
  const t0 = performance.now();
  const mirror = opts.mirror ?? (await debianMirror());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sentinel-chaos-image-'));
  try {
    const tar = path.join(dir, 'rootfs.tar');
    const links = Object.entries(r.links).map(([name, target]) => `mkdir -p "$1/usr/local/bin" && ln -sf ${target} "$1/usr/local/bin/${name}"`);
    const args = [
      `--variant=${BUILD.variant}`,
      `--include=${r.packages.join(',')}`,
      '--aptopt=Acquire::Languages "none"',
      ...BUILD.pathExcludes.map((p) => `--dpkgopt=path-exclude=${p}`),
      ...links.map((l) => `--customize-hook=${l}`),
      r.suite,
      tar,
      mirror,
    ];
    await step('mmdebstrap', args, log, 15 * 60_000).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new HarnessError('BINARY_MISSING', 'mmdebstrap not found: apt-get install mmdebstrap (or run scripts/setup.sh)');
      throw e;
    });
    const changes = [`LABEL ${LABEL_RECIPE}=${recipeHash(r)}`, `LABEL ${LABEL_VERSION}=${r.name}-${r.version}`, ...BUILD.env.map((e) => `ENV ${e}`)];
    await step('docker', ['import', ...changes.flatMap((c) => ['--change', c]), tar, r.tag], log, 5 * 60_000);
    const { stdout } = await run('docker', ['run', '--rm', '--network', 'host', r.tag, 'redis-server', '--version'], { timeout: 30_000 });
    if (!stdout.includes(`v=${r.version} `)) {
      await run('docker', ['rmi', r.tag]).catch(() => undefined);
      throw new HarnessError(
        'PROCESS_FAILED',
        `${r.tag}: the ${r.suite} packages give "${stdout.trim()}", not ${r.version}; update the catalogue in src/targets/docker/images.ts`,
        { exitCode: 1 },
      );
    }
    return { tag: r.tag, built: true, ms: Math.round(performance.now() - t0), sizeBytes: (await inspect(r.tag))?.size ?? null };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Builds what is missing or stale among `names` (all when empty); a cache hit is one inspect per image. */
export async function ensureImages(names: readonly string[] = [], opts: { log?: (line: string) => void } = {}): Promise<BuildResult[]> {
  const results: BuildResult[] = [];
  for (const s of await listImages(selectRecipes(names))) {
    const t0 = performance.now();
    if (s.current) results.push({ tag: s.recipe.tag, built: false, ms: Math.round(performance.now() - t0), sizeBytes: s.sizeBytes });
    else results.push(await buildImage(s.recipe, opts));
  }
  return results;
}
