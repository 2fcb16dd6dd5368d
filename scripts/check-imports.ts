// The import rules in npm test: dependency-cruiser's layer and cycle rules (.dependency-cruiser.cjs) plus no cycle between folders at any depth.
import { createRequire } from 'node:module';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);
const require = createRequire(import.meta.url);
const config = require(path.join(root, '.dependency-cruiser.cjs')) as { forbidden: unknown[]; options: Record<string, unknown> };

interface Module {
  source: string;
  dependencies: { resolved: string; dependencyTypes: string[] }[];
}
interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

const result = await cruise(['src'], { ...config.options, ruleSet: { forbidden: config.forbidden }, validate: true } as never);
const output = result.output as unknown as { modules: Module[]; summary: { violations: Violation[]; totalCruised: number; totalDependenciesCruised: number } };
const { modules, summary } = output;

/** Folder edges at every depth: src/a/b/x.ts -> src/a/c/y.ts gives src/a/b -> src/a/c (their lowest distinct ancestors). */
function folderEdges(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const m of modules) {
    if (!m.source.startsWith('src/')) continue;
    for (const d of m.dependencies) {
      if (!d.resolved.startsWith('src/')) continue;
      const a = path.dirname(m.source).split('/');
      const b = path.dirname(d.resolved).split('/');
      let i = 0;
      while (i < a.length && i < b.length && a[i] === b[i]) i++;
      if (i === a.length || i === b.length) continue; // one folder contains the other: an edge inside a room
      const from = a.slice(0, i + 1).join('/');
      const to = b.slice(0, i + 1).join('/');
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return edges;
}

/** Pairs of folders that reach each other (Tarjan's strongly connected components with more than one folder). */
function folderCycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

const cycles = folderCycles(folderEdges());
const circular = summary.violations.filter((v) => v.rule.name === 'no-circular');
const layer = summary.violations.filter((v) => v.rule.name !== 'no-circular');
for (const v of summary.violations) console.log(`${v.rule.name}: ${v.from} -> ${v.to}`);
for (const c of cycles) console.log(`folder-cycle: ${c.join(' <-> ')}`);
console.log(
  `imports: ${summary.totalCruised} modules, ${summary.totalDependenciesCruised} dependencies; ${circular.length} file cycles, ${cycles.length} folder cycles, ${layer.length} layer violations`,
);
process.exitCode = summary.violations.length + cycles.length > 0 ? 1 : 0;
