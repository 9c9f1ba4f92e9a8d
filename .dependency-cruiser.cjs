// The layer rule, enforced by `npm run lint:layers` (part of `npm test`): data flows one way,
// and no module imports from a layer above its own. docs/design.md explains the layers.
/** Lowest first; a folder may import from its own layer and the layers listed before it. */
const LAYERS = [
  // Base utilities, usable everywhere.
  ['src/(errors|numerics|random|matrix|version)\\.ts$', 'src/io/'],
  // Pure functions of score matrices: losses, softmax, entropy, error metrics.
  ['src/metrics/'],
  // The option schema and the registries of names: read by every layer above.
  ['src/options/'],
  ['src/dataset/'],
  ['src/model/'],
  ['src/calibration/'],
  ['src/evaluation/'],
  ['src/acquisition/(?!adaptive/)', 'src/estimators/', 'src/ase/'],
  ['src/acquisition/adaptive/'],
  ['src/simulate/', 'src/session/'],
  ['src/experiment/', 'src/reference/'],
  ['src/report/'],
  ['src/cli/'],
];

const pathOf = (patterns) => `^(${patterns.join('|')})`;

const layerRules = LAYERS.slice(0, -1).map((patterns, rank) => ({
  name: `layer-${rank}-imports-upward`,
  comment: `${patterns.join(', ')} may not import from a higher layer`,
  severity: 'error',
  from: { path: pathOf(patterns) },
  to: { path: pathOf(LAYERS.slice(rank + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/index\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
