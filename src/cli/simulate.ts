import { dirname } from 'node:path';
import {
  resolveSimulationOptions,
  simulate,
  type SimulationOptions,
  type SimulationResult,
} from '../acquisition/simulate.js';
import { InputError, UsageError } from '../errors.js';
import { assertOutputsWritable } from '../io/atomic.js';
import { ACQUISITION_FUNCTIONS, BUILTIN_LOSSES, LOSS_OPTION_NAMES, type BuiltinLoss } from '../metrics/index.js';
import { PROPOSAL_ACQUISITIONS } from '../acquisition/adaptive/index.js';
import { loadCalibrationSet } from '../calibration/index.js';
import { DEMO_LABEL_COUNTS, rowsAtLabelCounts, runDemo, type DemoResult } from '../simulate/demo.js';
import { loadSimulationPool } from '../simulate/inputs.js';
import { SIMULATION_FILES, summarizeSimulation, writeSimulationOutputs, type SimulationSummary } from '../simulate/outputs.js';
import type { Command } from './command.js';
import { choiceOption, flag, integerOption, numberOption, parseOptions, requiredString, type OptionValues } from './options.js';
import { progressBar } from './progress.js';

const ESTIMATORS = ['lure', 'is', 'iid', 'ase'] as const;
const NUMERICS = ['default', 'reference'] as const;
const RISK_NAMES: Record<BuiltinLoss, string> = { 'cross-entropy': 'cross-entropy', 'zero-one': 'zero-one loss, the error rate', brier: 'Brier score' };

const OPTIONS = {
  'model-scores': { type: 'string' },
  'surrogate-scores': { type: 'string' },
  labels: { type: 'string' },
  acquisition: { type: 'string' },
  loss: { type: 'string' },
  estimator: { type: 'string' },
  clip: { type: 'string' },
  temperature: { type: 'string' },
  runs: { type: 'string' },
  size: { type: 'string' },
  step: { type: 'string' },
  seed: { type: 'string' },
  bootstrap: { type: 'string' },
  threads: { type: 'string' },
  numerics: { type: 'string' },
  defensive: { type: 'string' },
  'calibration-scores': { type: 'string' },
  'calibration-labels': { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  demo: { type: 'boolean' },
} as const;

const DEMO_OPTIONS = new Set(['demo', 'out', 'force', 'runs', 'seed', 'threads']);

/** The command-line flag of each simulation option, so that errors name what the user typed. */
const FLAG_OF: Record<string, string> = {
  acquisition: '--acquisition',
  loss: '--loss',
  estimator: '--estimator',
  clipPercentage: '--clip',
  temperature: '--temperature',
  runs: '--runs',
  size: '--size',
  step: '--step',
  seed: '--seed',
  bootstrap: '--bootstrap',
  threads: '--threads',
  numerics: '--numerics',
  defensive: '--defensive',
  calibration: '--calibration-scores',
  modelScores: '--model-scores',
  surrogateScores: '--surrogate-scores',
};

const HELP = `Usage: active-testing simulate --model-scores f.npy --labels y.npy [options] --out DIR
       active-testing simulate --demo [--runs R] [--seed s] [--threads n] [--out DIR] [--force]

Runs the active-testing experiment many times on a pool of model scores and reports how well the
risk estimate tracks the true risk as labels are acquired.

Inputs (.npy, version 1-3, C or Fortran order, either endianness):
  --model-scores FILE      target-model label logits, float32/float64, N×K
  --surrogate-scores FILE  surrogate label logits, N×K (needed by surrogate-* acquisition)
  --labels FILE            class indices (N, integer or bool) or one-hot rows (N×K)

Options:
  --acquisition A   iid | true-loss | self-entropy | surrogate-ce | surrogate-pe | surrogate-nll
                    | surrogate-m2 (√E[ℓ²] under the surrogate) | adaptive (docs/adaptive.md)
                    (default adaptive with --surrogate-scores, else iid; surrogate-ce, the
                    paper's fixed proposal, with --numerics reference, --defensive or a --loss
                    other than ce)
  --loss L          ce | zero-one | brier (default ce): the loss whose pool mean (the true risk) is
                    estimated; zero-one estimates the error rate. With zero-one or brier, true-loss
                    is that loss and surrogate-ce the surrogate's expected value of it;
                    self-entropy and surrogate-pe stay entropies and surrogate-m2 and adaptive's
                    candidates stay cross-entropy proposals (all valid: LURE stays unbiased, and
                    adaptive picks among them by the chosen loss's variance); surrogate-nll is
                    ce only (an error otherwise); --estimator ase uses the surrogate's expected loss
  --estimator E     lure | is | iid | ase (default lure; iid for iid acquisition)
  --clip C          proposal floor, in [0, 1) (default 0.1; ignored by iid)
  --temperature T   temperature of the surrogate (surrogate-*) or target (self-entropy) (default none)
  --runs R          independent runs (default 1000)
  --size M          labels per run (default min(400, N))
  --step S          record an estimate every S labels (default 1)
  --seed s          seed of every random choice (default 0)
  --bootstrap B     exact | none | number of Monte Carlo resamples (default exact). exact is the
                    infinite-resample limit, O(1) per step; B resamples cost O(B·M) per step
                    (about 0.5 s per run at B = 200, M = 400, against well under 1 ms for exact)
  --threads n       at most n threads (default: available cores); small jobs run on one
  --numerics X      default | reference (reproduce the published code's numbers, bugs included)
  --defensive λ     mix the proposal with uniform: (1−λ)·q + λ·uniform, λ in [0, 1] (default none)
  --calibration-scores FILE, --calibration-labels FILE
                    held-out labelled surrogate scores: fit the surrogate temperature on them
                    (instead of --temperature); these labels count in your labelling budget
  --out DIR         output folder (created if missing)
  --force           replace existing output files in DIR
  --demo            run on the built-in synthetic LLM-like pool: active testing (adaptive + LURE)
                    vs random labelling (iid), into a new folder runs/demo-<time>/ unless --out

Outputs in DIR: estimates.npy (float64, rows×runs; row k = estimate after k·step+1 labels),
samples.npy (int64, size×runs), q.npy (float64, size×runs), bootstrap_variance.npy (rows×runs,
unless --bootstrap none) and summary.json (true_risk, labels, mse, median_se, bias, coverage, config,
version). Exit codes: 0 success, 1 bad input or failure, 2 usage error.`;

function bootstrapOption(values: OptionValues): SimulationOptions['bootstrap'] | undefined {
  const value = values.bootstrap;
  if (value === undefined || value === 'exact' || value === 'none') return value as 'exact' | 'none' | undefined;
  const resamples = integerOption(values, 'bootstrap');
  if (resamples === undefined || resamples < 1) throw new UsageError(`--bootstrap: expected exact, none or a number of resamples ≥ 1, got "${value}"`);
  return resamples;
}

function lossOption(values: OptionValues): BuiltinLoss | undefined {
  const name = choiceOption(values, 'loss', Object.keys(LOSS_OPTION_NAMES));
  return name === undefined ? undefined : LOSS_OPTION_NAMES[name];
}

/** The options given on the command line, as the engine names them; absent ones take the engine's defaults. */
function simulationOptions(values: OptionValues): Partial<SimulationOptions> {
  const given: Partial<SimulationOptions> = {
    acquisition: choiceOption(values, 'acquisition', [...ACQUISITION_FUNCTIONS, ...PROPOSAL_ACQUISITIONS]),
    loss: lossOption(values),
    defensive: numberOption(values, 'defensive'),
    estimator: choiceOption(values, 'estimator', ESTIMATORS),
    clipPercentage: numberOption(values, 'clip'),
    temperature: numberOption(values, 'temperature'),
    runs: integerOption(values, 'runs'),
    size: integerOption(values, 'size'),
    step: integerOption(values, 'step'),
    seed: integerOption(values, 'seed'),
    bootstrap: bootstrapOption(values),
    threads: integerOption(values, 'threads'),
    numerics: choiceOption(values, 'numerics', NUMERICS),
  };
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<SimulationOptions>;
}

/** Re-labels an engine error with the command-line flag of the option at fault. */
async function withFlagNames<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const flagName = error instanceof InputError ? FLAG_OF[error.argument] : undefined;
    if (error instanceof InputError && flagName !== undefined) {
      throw new InputError({ argument: flagName, expected: error.expected, received: error.received, row: error.row });
    }
    throw error;
  }
}

/** Aborts the work on Ctrl-C, so that nothing is written; the handler is removed afterwards. */
async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once('SIGINT', abort);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', abort);
  }
}

const fixed = (value: number, digits = 4): string => (Number.isFinite(value) ? value.toFixed(digits) : String(value));
const scientific = (value: number): string => (Number.isFinite(value) ? value.toExponential(2) : String(value));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padStart(widths[c]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function verdictCell(verdict: NonNullable<SimulationSummary['variance_verdict']>, row: number): string {
  const percent = (share: number) => `${Math.round(share * 100)}%`;
  return `${percent(verdict.helping[row]!)} / ${percent(verdict.hurting[row]!)} / ${percent(verdict.no_evidence_yet[row]!)}`;
}

function describeRun(summary: SimulationSummary, result: SimulationResult, dir: string, poolSize: number, classes: number): string {
  const { acquisition, estimator, runs } = result.options;
  const rows = rowsAtLabelCounts(summary.labels, [...DEMO_LABEL_COUNTS, summary.labels.at(-1)!]);
  const header = [
    'labels',
    'mean estimate',
    'RMSE',
    'median |error|',
    ...(summary.coverage ? ['coverage ±2σ'] : []),
    ...(summary.variance_ratio ? ['variance ÷ random (est.)'] : []),
    ...(summary.variance_verdict ? ['runs helping / hurting / no evidence yet'] : []),
  ];
  const body = rows.map((r) => {
    const mean = summary.true_risk + summary.bias[r]!;
    return [
      String(summary.labels[r]),
      fixed(mean),
      fixed(Math.sqrt(summary.mse[r]!)),
      fixed(Math.sqrt(summary.median_se[r]!)),
      ...(summary.coverage ? [`${(summary.coverage[r]! * 100).toFixed(1)}%`] : []),
      ...(summary.variance_ratio ? [fixed(summary.variance_ratio[r]!, 2)] : []),
      ...(summary.variance_verdict ? [verdictCell(summary.variance_verdict, r)] : []),
    ];
  });
  return [
    `${acquisition} acquisition + ${estimator} estimator: ${runs} runs of ${result.size} labels from a pool of ${poolSize} items (K = ${classes})`,
    `true risk (mean ${RISK_NAMES[result.options.loss]} over the pool): ${fixed(summary.true_risk, 5)}`,
    table(header, body),
    `wrote ${dir}`,
  ].join('\n');
}

function describeDemo(demo: DemoResult): string {
  const { comparison } = demo;
  const body = comparison.labels.map((labels, i) => [
    String(labels),
    scientific(comparison.mseActive[i]!),
    scientific(comparison.mseRandom[i]!),
    `${comparison.ratio[i]!.toFixed(2)}×`,
  ]);
  return [
    `Active testing vs random labelling on the built-in synthetic LLM-like pool (N = ${demo.poolSize}, K = ${demo.classes}, ${demo.active.result.runs} runs each)`,
    `true risk (mean cross-entropy of the target over the pool): ${fixed(demo.trueRisk, 5)}`,
    table(['labels', 'MSE active (adaptive + LURE)', 'MSE random (iid)', 'random/active'], body),
    `A ratio of r: random labelling's MSE is r times larger, so it needs about r times as many labels for the same error.`,
    `wrote ${demo.dir}/ (pool/, ${demo.active.name}/, ${demo.random.name}/, comparison.json, report/)`,
    `report: ${demo.report.summaryPath}`,
    `figures (SVG, PNG, Vega-Lite): ${dirname(demo.report.summaryPath)}/`,
  ].join('\n');
}

async function runDemoCommand(values: OptionValues): Promise<number> {
  const extra = Object.keys(values).filter((name) => values[name] !== undefined && !DEMO_OPTIONS.has(name));
  if (extra.length > 0) throw new UsageError(`--demo uses the built-in pool and settings; it does not take ${extra.map((n) => `--${n}`).join(', ')}`);
  const bars = { 'adaptive-lure': progressBar({ label: 'active testing' }), iid: progressBar({ label: 'random labelling' }) };
  const runs = integerOption(values, 'runs');
  const seed = integerOption(values, 'seed');
  const threads = integerOption(values, 'threads');
  const demo = await interruptible((signal) =>
    withFlagNames(() =>
      runDemo({
        ...(values.out === undefined ? {} : { out: requiredString(values, 'out') }),
        force: flag(values, 'force'),
        ...(runs === undefined ? {} : { runs }),
        ...(seed === undefined ? {} : { seed }),
        ...(threads === undefined ? {} : { threads }),
        signal,
        onProgress: (method, done, total) => {
          bars[method].update(done, total);
          if (done === total) bars[method].finish();
        },
      }),
    ),
  );
  console.log(describeDemo(demo));
  return 0;
}

async function runSimulation(values: OptionValues): Promise<number> {
  const files = {
    modelScores: requiredString(values, 'model-scores'),
    labels: requiredString(values, 'labels'),
    ...(values['surrogate-scores'] === undefined ? {} : { surrogateScores: requiredString(values, 'surrogate-scores') }),
  };
  const out = requiredString(values, 'out');
  const force = flag(values, 'force');
  const given = simulationOptions(values);
  await assertOutputsWritable(out, SIMULATION_FILES, { force });
  const pool = await loadSimulationPool(files);
  const calibrationFiles = { scores: values['calibration-scores'], labels: values['calibration-labels'] };
  if ((calibrationFiles.scores === undefined) !== (calibrationFiles.labels === undefined)) {
    throw new UsageError('--calibration-scores and --calibration-labels go together');
  }
  if (calibrationFiles.scores !== undefined) {
    given.calibration = await loadCalibrationSet(requiredString(values, 'calibration-scores'), requiredString(values, 'calibration-labels'));
  }
  const { rows, cols } = pool.modelScores;
  const options = await withFlagNames(() => resolveSimulationOptions(given, rows, pool.surrogateScores !== undefined));
  const input = {
    modelScores: { data: pool.modelScores.data, shape: [rows, cols] as [number, number] },
    ...(pool.surrogateScores ? { surrogateScores: { data: pool.surrogateScores.data, shape: [rows, cols] as [number, number] } } : {}),
    labels: pool.labels,
  };
  const progress = progressBar({ label: 'runs' });
  const result = await interruptible((signal) =>
    withFlagNames(() => simulate(input, { ...options, signal, onProgress: (done, total) => progress.update(done, total) })),
  ).finally(() => progress.finish());
  const summary = summarizeSimulation(result, {
    ...files,
    ...(calibrationFiles.scores === undefined ? {} : { calibrationScores: calibrationFiles.scores, calibrationLabels: calibrationFiles.labels }),
    poolSize: rows,
    classes: cols,
  }, BUILTIN_LOSSES[result.options.loss].perItem(pool.modelScores, pool.labels));
  await writeSimulationOutputs(out, result, summary, { force });
  console.log(describeRun(summary, result, out, rows, cols));
  return 0;
}

/** `active-testing simulate`: the experiment from score files, or `--demo` on the built-in pool. */
export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Simulate active testing on a pool of model scores (or --demo on a built-in pool)',
  help: HELP,
  async run(argv) {
    const values = parseOptions(argv, OPTIONS);
    return flag(values, 'demo') ? runDemoCommand(values) : runSimulation(values);
  },
};
