// The layer rule, enforced by `npm run lint:layers` (part of `npm test`): data flows one way,
// and no module imports from a layer above its own. docs/design.md explains the layers.
/** Lowest first; a folder may import from its own layer and the layers listed before it. */
const LAYERS = [
  // Base utilities, usable everywhere.
  ['src/(errors|numerics|random|matrix|version)\\.ts$', 'src/io/'],
  // Pure functions of score matrices: losses, softmax, entropy, error metrics.
  ['src/metrics/'],
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
  to: {
    path: pathOf(LAYERS.slice(rank + 1).flat()),
    // The grid's evaluate steps are written in the evaluate command's flag vocabulary and read
    // with its flag table, until the option schema gives them one home below the CLI.
    pathNot: '^src/cli/(evaluate|options|openai-backend|progress)\\.ts$',
  },
}));

// The exception above holds for experiment/evaluate-steps.ts only.
const onlyEvaluateSteps = {
  name: 'cli-flag-tables-only-from-evaluate-steps',
  comment: 'only experiment/evaluate-steps.ts may use the CLI flag tables from below the CLI',
  severity: 'error',
  from: { path: '^src/', pathNot: '^src/(cli/|experiment/evaluate-steps\\.ts$)' },
  to: { path: '^src/cli/' },
};

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    onlyEvaluateSteps,
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
