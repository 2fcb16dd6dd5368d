// Manifest variants rendered as YAML: the seed's "scale to N" (replicas, quorum, PDB, SENTINEL_HOSTS) and config profiles.
// Edits go through the YAML documents, so comments, block scalars and the env anchor survive and the
// rendered directory reads like the original.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, Scalar, type Document } from 'yaml';
import { HarnessError } from '../errors.ts';
import { setDirective } from './redis-conf.ts';

export interface ManifestFile {
  name: string;
  text: string;
}

/** Sentinel quorum for N sentinels (one per pod): a strict majority, the seed's "(N/2) + 1". */
export const majorityQuorum = (sentinels: number): number => Math.floor(sentinels / 2) + 1;

export interface ScaleOptions {
  replicas: number;
  /** Default majorityQuorum(replicas). */
  quorum?: number;
  /**
   * Default: the quorum. Every evicted pod takes a sentinel, so the budget must keep quorum (and the
   * majority that elects a leader) standing; any higher and fewer pods may be drained at once. It is the
   * seed's own rule: minAvailable 2 = quorum 2 for 3 pods.
   */
  pdbMinAvailable?: number;
}

export interface RedisOverlay {
  /** redis.conf directives set (replaced, or appended when absent). */
  redis: Record<string, string>;
}

type Doc = Document.Parsed;

function invalid(file: string, message: string): HarnessError {
  return new HarnessError('MANIFEST_INVALID', `${file}: ${message} (fix the manifest or pass --manifests DIR)`);
}

/** Parse the YAML files (order kept); each file's documents. */
function parseFiles(files: readonly ManifestFile[]): { file: ManifestFile; docs: Doc[] }[] {
  return files.map((file) => {
    // YAML 1.1, as Kubernetes reads manifests: `defaultMode: 0400` is octal and must render back as 0400.
    const docs = parseAllDocuments(file.text, { version: '1.1' }) as Doc[];
    const bad = docs.find((d) => d.errors.length > 0);
    if (bad) throw invalid(file.name, `YAML error: ${bad.errors[0]!.message.split('\n')[0]}`);
    return { file, docs };
  });
}

function docsOfKind(parsed: { file: ManifestFile; docs: Doc[] }[], kind: string): { file: string; doc: Doc }[] {
  return parsed.flatMap(({ file, docs }) => docs.filter((d) => d.get('kind') === kind).map((doc) => ({ file: file.name, doc })));
}

/** Replace a string value in place, keeping the scalar's style (block literal stays block literal). */
function setString(doc: Doc, pathKeys: (string | number)[], value: string): void {
  const node = doc.getIn(pathKeys, true);
  if (isScalar(node)) node.value = value;
  else doc.setIn(pathKeys, new Scalar(value));
}

/** Every ConfigMap key holding a config file that `pick` selects, as [doc, key, text]. */
function confKeys(parsed: { file: ManifestFile; docs: Doc[] }[], pick: (key: string, text: string) => boolean): { doc: Doc; key: string; text: string }[] {
  const out: { doc: Doc; key: string; text: string }[] = [];
  for (const { doc } of docsOfKind(parsed, 'ConfigMap')) {
    const data = doc.get('data', true);
    if (!isMap(data)) continue;
    for (const pair of data.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const value = isScalar(pair.value) ? pair.value.value : undefined;
      if (typeof value === 'string' && pick(key, value)) out.push({ doc, key, text: value });
    }
  }
  return out;
}

const isSentinelConf = (key: string, text: string) => key.endsWith('.conf') && /^\s*sentinel\s+monitor\s/m.test(text);
const isRedisConf = (key: string, text: string) => key.endsWith('.conf') && !/^\s*sentinel\s/m.test(text) && /^\s*appendonly\s/m.test(text);

/** Files with a changed document re-serialized, every other file byte for byte as it was. */
function render(parsed: { file: ManifestFile; docs: Doc[] }[], touched: ReadonlySet<Doc>): ManifestFile[] {
  return parsed.map(({ file, docs }) =>
    docs.some((d) => touched.has(d)) ? { name: file.name, text: docs.map((d) => d.toString({ lineWidth: 0, flowCollectionPadding: false })).join('') } : file,
  );
}

/**
 * The seed's "Scaling Replicas" procedure applied to the manifests: StatefulSet replicas N, the
 * sentinel quorum in sentinel.conf (the seed: "requires config update"), the PDB's minAvailable, and the
 * SENTINEL_HOSTS every container's start-up asks (one host per pod). Pure: text in, text out.
 */
export function scaleManifestFiles(files: readonly ManifestFile[], opts: ScaleOptions): ManifestFile[] {
  const { replicas } = opts;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 99)
    throw new HarnessError('USAGE', `--replicas must be an integer from 1 to 99, got ${replicas}`);
  const quorum = opts.quorum ?? majorityQuorum(replicas);
  const minAvailable = opts.pdbMinAvailable ?? quorum;
  const parsed = parseFiles(files);

  const sets = docsOfKind(parsed, 'StatefulSet');
  if (sets.length !== 1) throw invalid(files[0]?.name ?? '.', `expected exactly one StatefulSet, found ${sets.length}`);
  const { doc: sts, file: stsFile } = sets[0]!;
  const touched = new Set<Doc>([sts]);
  sts.setIn(['spec', 'replicas'], replicas);
  const name = String(sts.getIn(['metadata', 'name']));
  const namespace = String(sts.getIn(['metadata', 'namespace']) ?? 'default');
  const headless = String(sts.getIn(['spec', 'serviceName']) ?? '');
  const hosts = Array.from({ length: replicas }, (_, i) => `${name}-${i}.${headless}.${namespace}.svc.cluster.local`).join(' ');
  const containers = sts.getIn(['spec', 'template', 'spec', 'containers'], true);
  let hostLists = 0;
  if (isSeq(containers)) {
    for (const c of containers.items) {
      const env = isMap(c) ? c.get('env', true) : undefined;
      // An env list shared through a YAML alias is the same node: edited once, rendered once.
      if (!isSeq(env)) continue;
      for (const e of env.items) {
        if (isMap(e) && e.get('name') === 'SENTINEL_HOSTS') {
          const v = e.get('value', true);
          if (isScalar(v)) v.value = hosts;
          else e.set('value', hosts);
          hostLists++;
        }
      }
    }
  }
  if (hostLists === 0)
    throw invalid(stsFile, `StatefulSet ${name}: no container sets SENTINEL_HOSTS, so the start-up scripts would not ask the new pods' sentinels`);

  const sentinel = confKeys(parsed, isSentinelConf);
  if (sentinel.length === 0) throw invalid(files[0]?.name ?? '.', 'no ConfigMap holds a sentinel.conf (a "sentinel monitor" line)');
  for (const { doc, key, text } of sentinel) {
    const next = text.replace(/^(\s*sentinel\s+monitor\s+\S+\s+\S+\s+\S+\s+)\d+/m, `$1${quorum}`);
    setString(doc, ['data', key], next);
    touched.add(doc);
  }

  for (const { doc } of docsOfKind(parsed, 'PodDisruptionBudget')) {
    touched.add(doc);
    if (doc.hasIn(['spec', 'maxUnavailable'])) doc.setIn(['spec', 'maxUnavailable'], replicas - minAvailable);
    else doc.setIn(['spec', 'minAvailable'], minAvailable);
  }
  return render(parsed, touched);
}

/** redis.conf directives set in every ConfigMap key holding a redis.conf. Pure: text in, text out. */
export function overlayManifestFiles(files: readonly ManifestFile[], overlay: RedisOverlay): ManifestFile[] {
  const parsed = parseFiles(files);
  const confs = confKeys(parsed, isRedisConf);
  if (confs.length === 0) throw invalid(files[0]?.name ?? '.', 'no ConfigMap holds a redis.conf (an "appendonly" line)');
  for (const { doc, key, text } of confs) {
    let next = text;
    for (const [k, v] of Object.entries(overlay.redis)) next = setDirective(next, [k], v);
    setString(doc, ['data', key], next);
  }
  return render(parsed, new Set(confs.map((c) => c.doc)));
}

export async function readManifestFiles(dir: string): Promise<ManifestFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch {
    throw new HarnessError('MANIFEST_INVALID', `manifests directory ${dir} cannot be read (pass --manifests DIR)`);
  }
  if (names.length === 0) throw new HarnessError('MANIFEST_INVALID', `no *.yaml files in ${dir} (pass --manifests DIR)`);
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(path.join(dir, name), 'utf8') })));
}

/** Write the files into `outDir` (created); refuses to write into the source directory. */
export async function writeManifestFiles(files: readonly ManifestFile[], outDir: string, sourceDir: string): Promise<string[]> {
  if (path.resolve(outDir) === path.resolve(sourceDir)) {
    throw new HarnessError('USAGE', `--out ${outDir} is the manifests directory itself; choose another directory`);
  }
  try {
    await mkdir(outDir, { recursive: true });
    const out: string[] = [];
    for (const f of files) {
      const file = path.join(outDir, f.name);
      await writeFile(file, f.text);
      out.push(file);
    }
    return out;
  } catch (cause) {
    throw new HarnessError('REPORT_DIR_UNWRITABLE', `cannot write the rendered manifests to ${outDir}: ${(cause as Error).message} (pass --out DIR)`);
  }
}
