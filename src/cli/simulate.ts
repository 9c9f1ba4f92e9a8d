import { realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  oversizedRunWarning,
  prepareResolvedSimulation,
  resolveSimulation,
  runPrepared,
  type SimulationOptions,
  type SimulationResult,
} from '../simulate/simulate.js';
import { InputError, ReceivedKind, UsageError } from '../errors.js';
import { median, type BuiltinLoss, zeroOneLossPerItem } from '../metrics/index.js';
import { optionHelp } from '../options/schema.js';
import { calibratesOnPool, calibrationOnPoolWarning, loadCalibrationSet } from '../calibration/index.js';
import type { DemoResult } from '../report/demo.js';
import { assertOutsideOtherResults } from '../report/results-around.js';
import { DEMO_LABEL_COUNTS, rowsAtLabelCounts } from '../report/label-rows.js';
import { loadSimulationPool, settledLater } from '../io/pool-files.js';
import { withOutputLock } from '../io/output-lock.js';
import { matrixView } from '../matrix.js';
import {
  poolFingerprint,
  prepareSimulationFolder,
  SIMULATION_FILES,
  summarizeIntervals,
  summarizeSimulationInTurns,
  writeSimulationOutputs,
  type SimulationSummary,
} from '../simulate/outputs.js';
import { assertFitsInMemory } from '../simulate/memory.js';
import { checkIntervalKinds, INTERVAL_KINDS, inIntervalOrder, type IntervalKind } from '../simulate/intervals.js';
import { intervalsNeedMixtureWeights, preparedSimulationIntervals } from '../simulate/prepared-intervals.js';
import { type Command, EXIT_CODES_HELP } from './command.js';
import {
  CALIBRATION_FILE_FLAGS,
  checkRequired,
  checkSurrogateGiven,
  commandFlags,
  commandValues,
  parseOptions,
  schemaValues,
  type OptionValues,
} from './options.js';
import { progressBar } from './progress.js';
import { warnOfProbabilities, warnOfTemperatureBound } from './score-warnings.js';
import { withInterrupts } from './interrupt.js';
import { formatCount } from '../io/format-count.js';

const RISK_NAMES: Record<BuiltinLoss, string> = {
  'cross-entropy': 'cross-entropy',
  'zero-one': 'zero-one loss, the error rate',
  brier: 'Brier score',
};

const DEMO_OPTIONS = new Set(['demo', 'out', 'force', 'runs', 'seed', 'threads']);

const HELP = `Usage: active-testing simulate --model-scores FILE --labels FILE [options] --out DIR
       active-testing simulate --demo [--runs N] [--seed N] [--threads N] [--out DIR] [--force]

Runs the active-testing experiment many times on a pool of model scores and reports how well the
risk estimate tracks the true risk as labels are acquired.

Inputs are .npy files (version 1-3, C or Fortran order, either endianness): scores float16,
float32 or float64 N×K, labels class indices (N or N×1; integer, bool, or float holding whole
numbers) or one-hot rows (N×K).

Options (docs/options.md describes each, and which acquisitions suit which loss):
${optionHelp('simulate', 26).join('\n')}
  -h, --help                 this help

Outputs in DIR: estimates.npy (float64, rows×runs; row k = estimate after k·step+1 labels, then a
last row after all --size labels where --step skips that count, not under --numerics reference),
samples.npy (int64, size×runs), q.npy (float64, size×runs), bootstrap_variance.npy (rows×runs,
unless --bootstrap none) and summary.json, with the keys true_risk, labels (each row's label
count), rows, runs, size, mse, median_se, bias, config and version; with a bootstrap (not
--bootstrap none) also coverage (of the approximate ±1.96σ bootstrap interval; not for ase),
variance_ratio, variance_ratio_undefined_runs and variance_verdict; with --interval, intervals;
with a calibration set, calibration (its fit; at_bound true when T is the search range's end).
summary.json is written last: a folder without it holds an interrupted run, which is refused
unless --force. Stopped by Ctrl-C (SIGTERM, SIGHUP), it removes its temporary files and its lock.

${EXIT_CODES_HELP}`;

/** The simulation options given on the command line, as the engine names them; absent ones take the engine's defaults. */
function simulationOptions(given: Record<string, unknown>): Partial<SimulationOptions> {
  const { modelScores: _model, surrogateScores: _surrogate, labels: _labels, ...options } = schemaValues(given, 'simulate');
  return options as Partial<SimulationOptions>;
}

/** How the memory check names runs and size on the command line. */
const CLI_NAMES = { runs: '--runs', size: '--size' };

/** The demo's runs label 400 items of its 10,000-item pool (simulate's default size there). */
const DEMO_SIZE = 400;

/** At 1e21 and above `toFixed` gives every digit of the shortest round trip (`7.717305549506224e+29`), so those are written in exponent form with `digits` decimals. */
const TO_FIXED_LIMIT = 1e21;

const fixed = (value: number, digits = 4): string => {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= TO_FIXED_LIMIT ? value.toExponential(digits) : value.toFixed(digits);
};
const scientific = (value: number): string => (Number.isFinite(value) ? value.toExponential(2) : String(value));
const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** How the interval tables head each kind's column. */
const INTERVAL_COLUMNS: Readonly<Record<IntervalKind, string>> = {
  anytime: 'anytime-valid sequence',
  fixed: 'fixed-budget',
  bootstrap: 'bootstrap ±1.96σ (approx.)',
};

/**
 * What each sequence's 95% holds for, in the line of simultaneous coverage after `simulate
 * --interval`'s table; the bootstrap has no such line (`SimulationIntervals.simultaneousCoverage`).
 */
const SIMULTANEOUS_PROMISES: Readonly<Record<Exclude<IntervalKind, 'bootstrap'>, string>> = {
  anytime: '≥ 95% guaranteed at every label count at once',
  fixed: '≥ 95% guaranteed only at each label count on its own',
};

/** The line above an interval table, saying what its cells are. */
const INTERVAL_TABLE_TITLE = '95% intervals: the fraction of runs whose interval contains the true risk, and the median half-width (±)';

/** An interval table's cell: coverage ± median half-width, or '–' where that interval was not computed. */
function intervalCell(coverage: number | null, halfWidth: number | null): string {
  return coverage === null || halfWidth === null ? '–' : `${percent(coverage)} ±${fixed(halfWidth)}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => cell.padStart(widths[c]!)).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/**
 * The median variance ratio of a row, over the runs where it is defined, with how many it is
 * undefined in (random labelling's variance estimated as 0: e.g. every label so far of one loss);
 * 'n/a' where it is defined in none.
 */
function varianceRatioCell(summary: SimulationSummary, row: number): string {
  const ratio = summary.variance_ratio![row]!;
  if (Number.isNaN(ratio)) return 'n/a';
  const left = summary.variance_ratio_undefined_runs?.[row] ?? 0;
  return left === 0 ? fixed(ratio, 2) : `${fixed(ratio, 2)} (${formatCount(left, 'run')} n/a)`;
}

function verdictCell(verdict: NonNullable<SimulationSummary['variance_verdict']>, row: number): string {
  const shares = [verdict.helping[row]!, verdict.hurting[row]!, verdict.no_evidence_yet[row]!];
  return wholePercents(shares)
    .map((p) => `${p}%`)
    .join(' / ');
}

/**
 * Shares that sum to 1 as whole percentages that sum to 100 (largest remainder): rounding each
 * on its own can print 1% / 0% / 100%.
 *
 * @example
 * wholePercents([0.005, 0.002, 0.993]); // [1, 0, 99]
 */
export function wholePercents(shares: readonly number[]): number[] {
  const exact = shares.map((share) => share * 100);
  const whole = exact.map(Math.floor);
  const byRemainder = exact.map((_, i) => i).sort((a, b) => exact[b]! - whole[b]! - (exact[a]! - whole[a]!) || a - b);
  let missing = Math.round(exact.reduce((sum, value) => sum + value, 0)) - whole.reduce((sum, value) => sum + value, 0);
  for (const i of byRemainder) {
    if (missing <= 0) break;
    whole[i]! += 1;
    missing -= 1;
  }
  return whole;
}

function describeRun(summary: SimulationSummary, result: SimulationResult, dir: string, poolSize: number, classes: number): string {
  const { acquisition, estimator, runs } = result.options;
  const rows = rowsAtLabelCounts(summary.labels, [...DEMO_LABEL_COUNTS, summary.labels.at(-1)!]);
  const header = [
    'labels',
    'mean estimate',
    'RMSE',
    'median |error|',
    ...(summary.coverage ? ['coverage ±1.96σ (approx.)'] : []),
    ...(summary.variance_ratio ? ['variance ÷ random (est.)'] : []),
    ...(summary.variance_verdict ? ['runs helping / hurting / no evidence yet'] : []),
  ];
  const body = rows.map((r) => {
    const mean = summary.true_risk + summary.bias[r]!;
    return [
      String(summary.labels[r]),
      fixed(mean),
      fixed(rootMeanSquaredError(summary, result, r)),
      fixed(medianAbsoluteError(result, r)),
      ...(summary.coverage ? [percent(summary.coverage[r]!)] : []),
      ...(summary.variance_ratio ? [varianceRatioCell(summary, r)] : []),
      ...(summary.variance_verdict ? [verdictCell(summary.variance_verdict, r)] : []),
    ];
  });
  return [
    `${acquisition} acquisition + ${estimator} estimator: ${formatCount(runs, 'run')} of ${formatCount(result.size, 'label')} from a pool of ${formatCount(poolSize, 'item')} (K = ${classes})`,
    `true risk (mean ${RISK_NAMES[result.options.loss]} over the pool): ${fixed(summary.true_risk, 5)}`,
    table(header, body),
    ...(summary.intervals ? describeIntervals(summary.intervals, rows, summary.labels) : []),
    `wrote ${dir}`,
  ].join('\n');
}

/**
 * `simulate --interval`'s lines: each requested kind's coverage ± median half-width at the run
 * table's rows, then each sequence's simultaneous coverage (over every row of summary.json) beside
 * what its 95% is guaranteed for; the bootstrap claims nothing about rows jointly and has none.
 */
function describeIntervals(
  intervals: NonNullable<SimulationSummary['intervals']>,
  rows: readonly number[],
  labels: readonly number[],
): string[] {
  const kinds = INTERVAL_KINDS.filter((kind) => intervals[kind] !== undefined);
  const body = rows.map((r) => [
    String(labels[r]),
    ...kinds.map((kind) => intervalCell(intervals[kind]!.coverage[r]!, intervals[kind]!.median_half_width[r]!)),
  ]);
  const simultaneous = kinds.flatMap((kind) => {
    const share = intervals[kind]!.simultaneous_coverage;
    return kind === 'bootstrap' || share === undefined ? [] : [`${kind} ${percent(share)} (${SIMULTANEOUS_PROMISES[kind]})`];
  });
  return [
    '',
    INTERVAL_TABLE_TITLE,
    table(['labels', ...kinds.map((kind) => INTERVAL_COLUMNS[kind])], body),
    ...(simultaneous.length === 0
      ? []
      : [`runs whose interval contains the true risk at every label count at once: ${simultaneous.join(', ')}`]),
    '',
  ];
}

/**
 * The root of row `row`'s mean squared error over runs. √mse, except where mse overflows (errors
 * past about 1e154, from finite logits that far apart): the root is then taken relative to the
 * largest error, and stays finite where it is, as the median |error| beside it does.
 */
function rootMeanSquaredError(summary: SimulationSummary, result: SimulationResult, row: number): number {
  const root = Math.sqrt(summary.mse[row]!);
  if (root !== Infinity) return root;
  const { runs, estimates, trueRisk } = result;
  const errors = Float64Array.from(estimates.subarray(row * runs, (row + 1) * runs), (estimate) => Math.abs(estimate - trueRisk));
  let largest = 0;
  for (const error of errors) if (error > largest) largest = error;
  if (largest === Infinity) return root;
  let total = 0;
  for (const error of errors) total += (error / largest) ** 2;
  return largest * Math.sqrt(total / runs);
}

/**
 * The median over runs of |estimate − R| in row `row`. Not √median_se: with an even number of runs
 * the median averages the two middle values, and the root of their squares' average is larger.
 */
function medianAbsoluteError(result: SimulationResult, row: number): number {
  const { runs, estimates, trueRisk } = result;
  return median(Float64Array.from(estimates.subarray(row * runs, (row + 1) * runs), (estimate) => Math.abs(estimate - trueRisk)));
}

/** The demo's intervals per label count and method: coverage ± median half-width per kind, and the widths relative to the bootstrap's. */
function demoIntervalTable(demo: DemoResult): string {
  const { comparison } = demo;
  const methods = [
    ['adaptive-lure', 'active'],
    ['iid', 'random'],
  ] as const;
  const ratio = (width: number | null, bootstrap: number | null) =>
    width === null || bootstrap === null ? '–' : `${fixed(width / bootstrap, 2)}×`;
  const body = comparison.labels.flatMap((labels, i) =>
    methods.map(([method, label]) => {
      const rows = comparison.intervals[method];
      const half = (kind: IntervalKind) => rows[kind].medianHalfWidth[i] ?? null;
      return [
        String(labels),
        label,
        ...INTERVAL_KINDS.map((kind) => intervalCell(rows[kind].coverage[i] ?? null, half(kind))),
        ratio(half('anytime'), half('bootstrap')),
        ratio(half('fixed'), half('bootstrap')),
      ];
    }),
  );
  return table(
    ['labels', 'method', ...INTERVAL_KINDS.map((kind) => INTERVAL_COLUMNS[kind]), 'sequence ÷ bootstrap', 'fixed ÷ bootstrap'],
    body,
  );
}

function describeDemo(demo: DemoResult): string {
  const { comparison } = demo;
  const body = comparison.labels.map((labels, i) => [
    String(labels),
    scientific(comparison.mseActive[i]!),
    scientific(comparison.mseRandom[i]!),
    comparison.ratio[i]!.toFixed(2),
  ]);
  return [
    `Active testing vs random labelling on the built-in synthetic LLM-like pool (N = ${demo.poolSize}, K = ${demo.classCount}, ${formatCount(demo.active.result.runs, 'run')} each)`,
    `true risk (the cross-entropy loss: its mean for the target over this synthetic pool): ${fixed(demo.trueRisk, 5)}`,
    table(['labels', 'MSE active (adaptive + LURE)', 'MSE random (iid)', 'active ÷ random'], body),
    `A ratio r below 1: active testing's MSE is r times random labelling's, so random labelling needs about 1/r times as many labels for the same error (the report shows the same ratio).`,
    '',
    INTERVAL_TABLE_TITLE,
    demoIntervalTable(demo),
    `The confidence sequence holds at every label count at once, so you may stop whenever it is narrow enough; the fixed-budget interval holds at a label count chosen before labelling; the bootstrap is an approximation with no guarantee.`,
    `With cross-entropy the guaranteed intervals are much wider than the bootstrap, above all under active testing: an item the proposal rarely draws may still be one the model gets confidently wrong, at a loss many times the average, and a guarantee must allow for it (docs/concepts.md, "What no valid interval can beat").`,
    '',
    `wrote ${demo.dir}/ (pool/, ${demo.active.name}/, ${demo.random.name}/, comparison.json, report/)`,
    `report: ${demo.report.summaryPath}`,
    `figures (SVG, PNG, Vega-Lite): ${dirname(demo.report.summaryPath)}/`,
  ].join('\n');
}

/** What an interrupted demo leaves: nothing, or some of its files, which the next run refuses unless --force. */
const DEMO_INTERRUPTED = 'run it again to start over (with --force on the same --out if it wrote some of its outputs)';

async function runDemoCommand(values: OptionValues, given: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const extra = Object.keys(values).filter((name) => values[name] !== undefined && !DEMO_OPTIONS.has(name));
  if (extra.length > 0)
    throw new UsageError(`--demo uses the built-in pool and settings; it does not take ${extra.map((n) => `--${n}`).join(', ')}`);
  const { runs, seed, threads } = given as { runs?: number; seed?: number; threads?: number };
  // Both methods' results are held until they are written; refuse what cannot fit before any work.
  const demoRuns = runs ?? 1000;
  const demoRun = {
    runs: demoRuns,
    size: DEMO_SIZE,
    step: 1,
    bootstrap: 'exact',
    numerics: 'default',
    recordMixtureWeights: true,
  } as const;
  assertFitsInMemory(
    [
      { ...demoRun, acquisition: 'adaptive' },
      { ...demoRun, acquisition: 'iid' },
    ],
    0,
    CLI_NAMES,
  );
  const bars = { 'adaptive-lure': progressBar({ label: 'active testing' }), iid: progressBar({ label: 'random labelling' }) };
  // The demo's report (figures, the renderer) is loaded only for the demo.
  const { runDemo } = await import('../report/demo.js');
  const demo = await runDemo({
    ...(given.out === undefined ? {} : { out: given.out as string }),
    force: given.force === true,
    ...(runs === undefined ? {} : { runs }),
    ...(seed === undefined ? {} : { seed }),
    ...(threads === undefined ? {} : { threads }),
    signal,
    onProgress: (method, done, total) => {
      bars[method].update(done, total);
      if (done === total) bars[method].finish();
    },
  });
  console.log(describeDemo(demo));
  return 0;
}

/**
 * With ACTIVE_TESTING_TIMINGS=1, `simulate` prints the time of each phase to stderr (Node's start-up
 * and module loading, reading the inputs, the runs, the summary statistics, writing the outputs):
 * what `npm run bench` reports; then how many runs the worker threads ran. `performance.now()`
 * counts from the process's start. `mark(phase)` ends a stretch of `phase`; the stretches of a
 * phase marked more than once add up.
 */
function phaseTimer(): { mark: (phase: string) => void; report: (note: string) => void } {
  let last = performance.now();
  const phases = new Map<string, number>([['start-up', last]]);
  return {
    mark(phase) {
      const now = performance.now();
      phases.set(phase, (phases.get(phase) ?? 0) + (now - last));
      last = now;
    },
    /** Prints the phases, then `note` on a line of its own. */
    report(note) {
      if (process.env.ACTIVE_TESTING_TIMINGS !== '1') return;
      console.error(`timings (ms): ${[...phases].map(([phase, ms]) => `${phase} ${ms.toFixed(1)}`).join(', ')}\n${note}`);
    },
  };
}

async function runSimulation(given: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const timer = phaseTimer();
  checkRequired(given, ['modelScores', 'labels', 'out']);
  checkSurrogateGiven(given);
  const files = {
    modelScores: given.modelScores as string,
    labels: given.labels as string,
    ...(given.surrogateScores === undefined ? {} : { surrogateScores: given.surrogateScores as string }),
  };
  const out = given.out as string;
  const force = given.force === true;
  const options = simulationOptions(given);
  const intervalKinds = inIntervalOrder((given.interval as IntervalKind[] | undefined) ?? []);
  if (intervalsNeedMixtureWeights(intervalKinds)) options.recordMixtureWeights = true;
  assertOutsideOtherResults(out, '--out');
  assertInputsSpared(out, {
    '--model-scores': files.modelScores,
    '--labels': files.labels,
    '--surrogate-scores': files.surrogateScores,
    '--calibration-scores': given.calibrationScores as string | undefined,
    '--calibration-labels': given.calibrationLabels as string | undefined,
  });
  // The inputs are read while the output folder is checked; a folder at fault is still reported first.
  const loading = settledLater(
    loadSimulationPool(files, { modelScores: '--model-scores', surrogateScores: '--surrogate-scores', labels: '--labels' }),
  );
  // The folder is locked from its checks to the last rename: a second run on it is refused, never
  // let through to replace (or mix its files with) this one's results.
  await withOutputLock(out, async () => {
    for (const note of await prepareSimulationFolder(out, { force, argument: '--out' })) console.error(note);
    const pool = await loading;
    const calibrationFiles = {
      scores: given.calibrationScores as string | undefined,
      labels: given.calibrationLabels as string | undefined,
    };
    if ((calibrationFiles.scores === undefined) !== (calibrationFiles.labels === undefined)) {
      throw new UsageError('--calibration-scores and --calibration-labels go together');
    }
    const calibrationSet =
      calibrationFiles.scores !== undefined && calibrationFiles.labels !== undefined
        ? await loadCalibrationSet(calibrationFiles.scores, calibrationFiles.labels, CALIBRATION_FILE_FLAGS, pool.modelScores.cols)
        : undefined;
    if (calibrationSet !== undefined) options.calibration = calibrationSet;
    warnOfProbabilities({
      '--model-scores': pool.modelScores,
      '--surrogate-scores': pool.surrogateScores,
      '--calibration-scores': options.calibration && matrixView(options.calibration.scores, '--calibration-scores'),
    });
    const { rows, cols } = pool.modelScores;
    timer.mark('load');
    const { options: resolved, calibration } = resolveSimulation(options, rows, pool.surrogateScores !== undefined, cols);
    // After the options' checks, which may refuse the set: no warning about a set not used.
    if (calibrationSet !== undefined && calibratesOnPool(calibrationSet, pool)) {
      console.error(`warning: ${calibrationOnPoolWarning('--calibration-scores')}`);
    }
    warnOfTemperatureBound(calibration);
    if (options.size !== undefined && options.size > rows) console.error(`warning: ${oversizedRunWarning('--size', options.size, rows)}`);
    // A kind this simulation cannot give is refused now, not after its runs.
    checkIntervalKinds(resolved, intervalKinds);
    assertFitsInMemory([resolved], intervalKinds.length, CLI_NAMES);
    const input = {
      modelScores: { data: pool.modelScores.data, shape: [rows, cols] as [number, number] },
      ...(pool.surrogateScores ? { surrogateScores: { data: pool.surrogateScores.data, shape: [rows, cols] as [number, number] } } : {}),
      labels: pool.labels,
    };
    const progress = progressBar({ label: 'runs' });
    // Prepared here rather than through simulate(): the summary reads the per-item losses it computes.
    const prepared = prepareResolvedSimulation(input, {
      options: { ...resolved, signal, onProgress: (done, total) => progress.update(done, total) },
      calibration,
    });
    const result = await runPrepared(prepared).finally(() => progress.finish());
    timer.mark('simulate');
    const { losses } = prepared.pool;
    const intervals = await preparedSimulationIntervals(prepared, result, pool, intervalKinds, signal);
    timer.mark('summary');
    // The statistics from now on, in turns: the output folder is checked and the arrays written and
    // flushed to disk meanwhile (the turns are short, so the span counts as summary).
    const summary = settledLater(
      summarizeSimulationInTurns(
        result,
        {
          ...files,
          ...(calibrationFiles.scores === undefined
            ? {}
            : { calibrationScores: calibrationFiles.scores, calibrationLabels: calibrationFiles.labels }),
          poolSize: rows,
          classCount: cols,
          poolFingerprint: poolFingerprint(pool.modelScores.data, pool.labels),
        },
        losses,
        zeroOneLossPerItem(pool.modelScores, pool.labels),
      ).then((statistics) => {
        if (intervals.length > 0) statistics.intervals = summarizeIntervals(intervals);
        timer.mark('summary');
        return statistics;
      }),
    );
    await writeSimulationOutputs(out, result, () => summary, { force, intervals, signal });
    timer.mark('write');
    timer.report(`runs by worker threads: ${result.runsByWorkers} of ${result.runs}`);
    console.log(describeRun(await summary, result, out, rows, cols));
  });
  return 0;
}

/** The file's path with links resolved (as far as it exists), to compare two spellings of one file. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Refuses, even with --force, an --out where an output would replace one of the input files
 * (`--labels runs/a/q.npy --out runs/a`): the input would be lost, and a rerun would read the
 * outputs of the last one.
 */
function assertInputsSpared(out: string, inputs: Record<string, string | undefined>): void {
  const outputs = new Map(SIMULATION_FILES.map((name) => [realPath(join(out, name)), name]));
  for (const [flag, path] of Object.entries(inputs)) {
    const output = path === undefined ? undefined : outputs.get(realPath(path));
    if (output !== undefined) {
      throw new InputError({
        argument: '--out',
        expected: 'a folder whose outputs replace none of the input files',
        received: ReceivedKind.noted(out, `its ${output} is the ${flag} file`),
      });
    }
  }
}

/** `active-testing simulate`: the experiment from score files, or `--demo` on the built-in pool. */
export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'Simulate active testing on a pool of model scores (or --demo on a built-in pool)',
  help: HELP,
  async run(argv) {
    const values = parseOptions(argv, commandFlags('simulate'));
    const given = commandValues(values, 'simulate');
    return given.demo === true
      ? withInterrupts(DEMO_INTERRUPTED, (signal) => runDemoCommand(values, given, signal))
      : withInterrupts('nothing of its results was written', (signal) => runSimulation(given, signal));
  },
};
