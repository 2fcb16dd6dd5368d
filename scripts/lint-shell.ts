// Shellchecks the pods' scripts (every *.sh key of the ConfigMaps in manifests/, POSIX sh) and the repo's own shell.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { BACKUP_SCRIPT, RESTORE_SCRIPT, TRUNCATE_SCRIPT, WIPE_SCRIPT } from '../src/targets/kube/volumes.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MANIFESTS = path.join(ROOT, 'manifests');
/** The repo's own shell scripts (bash, by their shebang). */
const REPO_SCRIPTS = [
  ...readdirSync(path.join(ROOT, 'scripts'))
    .filter((n) => n.endsWith('.sh'))
    .map((n) => `scripts/${n}`),
  '.ci/run',
];

interface Finding {
  file: string;
  line: number;
  column: number;
  level: string;
  code: number;
  message: string;
}

/** A script taken out of a ConfigMap, with where its first line sits in the YAML file. */
interface EmbeddedScript {
  yamlFile: string;
  configMap: string;
  key: string;
  text: string;
  /** YAML line of the script's line 1, and the block's indentation (added to columns). */
  firstLine: number;
  indent: number;
}

function embeddedScripts(): EmbeddedScript[] {
  const out: EmbeddedScript[] = [];
  for (const name of readdirSync(MANIFESTS)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const yamlFile = path.join('manifests', name);
    const source = readFileSync(path.join(ROOT, yamlFile), 'utf8');
    const lines = source.split('\n');
    const lineCounter = new LineCounter();
    for (const doc of parseAllDocuments(source, { lineCounter })) {
      if (doc.get('kind') !== 'ConfigMap') continue;
      const data = doc.get('data', true);
      if (!isMap(data)) continue;
      for (const pair of data.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!key.endsWith('.sh') || !isScalar(pair.value) || !pair.value.range) continue;
        const header = lineCounter.linePos(pair.value.range[0]).line;
        const body = lines.slice(header).find((l) => l.trim() !== '') ?? '';
        out.push({
          yamlFile,
          configMap: String(doc.getIn(['metadata', 'name'])),
          key,
          text: String(pair.value.value),
          // A block scalar (`key: |`) starts on the line after its header; a flow scalar on the key's line.
          firstLine: pair.value.type === 'BLOCK_LITERAL' || pair.value.type === 'BLOCK_FOLDED' ? header + 1 : header,
          indent: body.length - body.trimStart().length,
        });
      }
    }
  }
  return out;
}

function shellcheck(cwd: string, args: string[]): Finding[] {
  const r = spawnSync('shellcheck', ['-f', 'json1', ...args], { cwd, encoding: 'utf8' });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    console.error(
      missing
        ? 'lint:shell: shellcheck is not installed: run ./scripts/setup.sh (or apt-get install shellcheck)'
        : `lint:shell: shellcheck failed to start: ${r.error.message}`,
    );
    process.exit(2);
  }
  // 0: clean, 1: findings; anything else is shellcheck itself failing (bad flag, unreadable file).
  if (r.status !== 0 && r.status !== 1) {
    console.error(`lint:shell: shellcheck ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    process.exit(2);
  }
  return (JSON.parse(r.stdout) as { comments: Finding[] }).comments;
}

const problems: string[] = [];
const scripts = embeddedScripts();
const tmp = mkdtempSync(path.join(tmpdir(), 'lint-shell-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

// One directory per ConfigMap, as mounted at /scripts: `. "$(dirname "$0")/common.sh"` is followed (-x) from there.
const byConfigMap = Map.groupBy(scripts, (s) => `${s.yamlFile}\0${s.configMap}`);
for (const [id, group] of byConfigMap) {
  const dir = mkdtempSync(path.join(tmp, 'cm-'));
  for (const s of group) writeFileSync(path.join(dir, s.key), s.text);
  for (const f of shellcheck(dir, ['-s', 'sh', '-x', '-P', 'SCRIPTDIR', ...group.map((s) => s.key)])) {
    const s = group.find((g) => g.key === f.file);
    const where = s
      ? `${s.yamlFile}:${s.firstLine + f.line - 1}:${s.indent + f.column}: ConfigMap ${s.configMap}, ${s.key}:${f.line}:${f.column}`
      : `${id.split('\0')[0]}: ${f.file}:${f.line}:${f.column}`;
    problems.push(`${where}: ${f.level} SC${f.code}: ${f.message}`);
  }
}
for (const f of shellcheck(ROOT, ['-x', ...REPO_SCRIPTS])) problems.push(`${f.file}:${f.line}:${f.column}: ${f.level} SC${f.code}: ${f.message}`);

// The kube volume helper's scripts (src/targets/kube/volumes.ts), run by the redis image's sh.
const HELPER_SCRIPTS = {
  'WIPE_SCRIPT.sh': WIPE_SCRIPT,
  'TRUNCATE_SCRIPT.sh': TRUNCATE_SCRIPT,
  'BACKUP_SCRIPT.sh': BACKUP_SCRIPT,
  'RESTORE_SCRIPT.sh': RESTORE_SCRIPT,
};
const helperDir = mkdtempSync(path.join(tmp, 'helper-'));
for (const [name, text] of Object.entries(HELPER_SCRIPTS)) writeFileSync(path.join(helperDir, name), text);
for (const f of shellcheck(helperDir, ['-s', 'sh', ...Object.keys(HELPER_SCRIPTS)]))
  problems.push(`src/targets/kube/volumes.ts: ${f.file.replace(/\.sh$/, '')}:${f.line}:${f.column}: ${f.level} SC${f.code}: ${f.message}`);

for (const p of problems) console.error(p);
console.log(
  `lint:shell: ${scripts.length} manifest scripts, ${REPO_SCRIPTS.length} repo scripts and ${Object.keys(HELPER_SCRIPTS).length} helper pod scripts checked, ${problems.length} finding(s)`,
);
process.exitCode = problems.length === 0 ? 0 : 1;
