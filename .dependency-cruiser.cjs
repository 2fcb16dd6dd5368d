// Import rules: layers import downwards only (docs/architecture.md, "Layers"); no cycles between files or folders.
// Lowest first. A file may import its own layer and the layers before it; `checkers` stay pure (ground floor only).
const LAYERS = [
  ['ground', '^src/(model/|process/|errors\\.ts|clock\\.ts|version\\.ts)'],
  ['config', '^src/config/'],
  ['redis', '^src/redis/'],
  ['checkers', '^src/checkers/'],
  ['report', '^src/report/'],
  ['targets', '^src/targets/'],
  ['observers-workload', '^src/(observers|workload)/'],
  ['probes', '^src/probes/'],
  ['faults', '^src/faults/'],
  ['conformance', '^src/conformance/'],
  ['runner', '^src/runner/'],
  ['cli', '^src/cli/'],
];

const upward = LAYERS.flatMap(([name, from], i) => {
  const above = LAYERS.slice(i + 1).map(([, p]) => `(${p})`);
  return above.length === 0
    ? []
    : [{ name: `layer-${name}`, comment: `${name} may not import a layer above it`, severity: 'error', from: { path: from }, to: { path: above.join('|') } }];
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no file cycles', severity: 'error', from: {}, to: { circular: true } },
    ...upward,
    {
      name: 'checkers-pure',
      comment: 'checkers are pure functions of history, events and design: ground floor only',
      severity: 'error',
      from: { path: '^src/checkers/' },
      to: { path: '^src/', pathNot: '^src/(checkers/|model/|errors\\.ts|clock\\.ts)' },
    },
    {
      name: 'kube-vendor-types-stay-inside',
      comment: '@kubernetes/client-node is used only inside src/targets/kube/',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/targets/kube/' },
      to: { path: '@kubernetes/client-node' },
    },
    { name: 'src-not-test', severity: 'error', from: { path: '^src/' }, to: { path: '^(test|bench)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
