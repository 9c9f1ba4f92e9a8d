import { checkDiagnosedSimulation, VarianceDiagnosticByRow } from '../acquisition/adaptive/variance-ratio.js';
import type { SimulationResult } from './simulate.js';
import type { CalibrationFit } from '../calibration/index.js';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ReceivedKind } from '../errors.js';
import { assertFolderWritable, assertOutputsWritable, checkInterruptedOutputs, writeOutputFolder, type OutputFile } from '../io/atomic.js';
import { int64NpyParts, npyParts } from '../io/npy.js';
import { checkArrayLike, checkObject, checkPath } from '../io/check-arguments.js';
import { checkKnownKeys } from '../io/suggest.js';
import { toJson } from '../io/json.js';
import { bootstrapRoundingPerUnit, coveredShare, pairwiseSum } from '../metrics/index.js';
import { selectedMedian } from '../metrics/percentile.js';
import { finitePopulationFactor } from '../estimators/bootstrap.js';
import { VERSION } from '../version.js';
import { INTERVAL_KINDS, type IntervalKind, type SimulationIntervals } from './intervals.js';

/** summary.json's per-row statistics across runs; `coverage` and the diagnostic only when asked for. */
interface RowStatistics {
  mse: Float64Array;
  medianSe: Float64Array;
  bias: Float64Array;
  coverage: Float64Array | null;
  diagnostic: { varianceRatio: Float64Array; undefinedRatios: number[]; verdicts: VerdictShares } | null;
}

/** Per row, the fraction of runs with each verdict (docs/adaptive.md). */
interface VerdictShares {
  helping: number[];
  hurting: number[];
  no_evidence_yet: number[];
}

/**
 * The per-row MSE, median squared error, bias, (given bootstrap variances) the coverage of the
 * approximate ±1.96σ interval with the finite-population factor of each row's label count, and
 * (given the diagnostic) the median variance ratio over the runs where it is defined, how many
 * runs it is undefined in, and the shares of verdicts: one pass over the rows with scratch rows of
 * `runs` values, no rows×runs table. The same operations in the same order as `mse`, `medianSe`,
 * `meanBias`, `coverage` and the median of each row's defined ratios of `varianceDiagnosticRows`
 * (pairwise sums, selection medians), so the same bits. A row per call of `addRow`, so that a
 * caller may give the event loop a turn between rows (`summarizeSimulationInTurns`).
 */
class RowStatisticsPass {
  readonly stats: RowStatistics;
  private row = 0;
  private readonly squared: Float64Array;
  private readonly ratios: Float64Array;
  private readonly verdicts: Uint8Array;

  constructor(
    private readonly result: SimulationResult,
    private readonly variance: { data: Float64Array; poolSize: number | undefined } | null,
    private readonly diagnostic: VarianceDiagnosticByRow | null,
  ) {
    const { rows, runs } = result;
    this.stats = {
      mse: new Float64Array(rows),
      medianSe: new Float64Array(rows),
      bias: new Float64Array(rows),
      coverage: variance === null ? null : new Float64Array(rows),
      diagnostic:
        diagnostic === null
          ? null
          : { varianceRatio: new Float64Array(rows), undefinedRatios: [], verdicts: { helping: [], hurting: [], no_evidence_yet: [] } },
    };
    this.squared = new Float64Array(runs);
    this.ratios = new Float64Array(diagnostic === null ? 0 : runs);
    this.verdicts = new Uint8Array(diagnostic === null ? 0 : runs);
  }

  /** Whether every row is done. */
  get done(): boolean {
    return this.row === this.result.rows;
  }

  /** The next row's statistics. */
  addRow(): void {
    const { result, variance, diagnostic, stats, squared, ratios, verdicts } = this;
    const { runs, estimates, trueRisk } = result;
    const row = this.row++;
    const start = row * runs;
    squaredErrors(estimates, start, trueRisk, squared);
    stats.mse[row] = pairwiseSum(squared, 0, runs) / runs;
    stats.bias[row] = pairwiseSum(estimates, start, start + runs) / runs - trueRisk;
    if (variance !== null && stats.coverage !== null) {
      stats.coverage[row] = rowCoverage(estimates, variance.data, start, runs, result.labelsPerRow[row], variance.poolSize, trueRisk);
    }
    // Last: selection reorders the scratch row.
    stats.medianSe[row] = selectedMedian(squared);
    if (diagnostic !== null && stats.diagnostic !== null) {
      diagnostic.nextRow(ratios, verdicts);
      addVerdictShares(verdicts, stats.diagnostic.verdicts);
      const defined = moveDefinedFirst(ratios);
      stats.diagnostic.undefinedRatios.push(runs - defined);
      stats.diagnostic.varianceRatio[row] = selectedMedian(ratios.subarray(0, defined));
    }
  }
}

/**
 * Moves the values that are not NaN to the front of `values`, in any order, and returns how many
 * there are: a run's variance ratio is NaN where its labels estimate random labelling's variance
 * as 0 (`variance_ratio_undefined_runs`), and one such run would make the row's median NaN.
 */
function moveDefinedFirst(values: Float64Array): number {
  let defined = 0;
  for (let r = 0; r < values.length; r++) {
    const value = values[r];
    if (Number.isNaN(value)) continue;
    values[r] = values[defined];
    values[defined++] = value;
  }
  return defined;
}

/** `out[r]` = the squared error of run r's estimate in the row starting at `start`. */
function squaredErrors(estimates: Float64Array, start: number, trueRisk: number, out: Float64Array): void {
  for (let r = 0; r < out.length; r++) {
    const error = estimates[start + r] - trueRisk;
    out[r] = error * error;
  }
}

/**
 * The fraction of the row's runs whose ±1.96σ interval contains the true risk (`coveredShare`):
 * finite-population corrected and widened for rounding (`bootstrapHalfWidth`) when the pool size is known.
 */
function rowCoverage(
  estimates: Float64Array,
  variances: Float64Array,
  start: number,
  runs: number,
  labels: number,
  poolSize: number | undefined,
  trueRisk: number,
): number {
  const factor = poolSize === undefined ? 1 : finitePopulationFactor(labels, poolSize);
  const rounding = poolSize === undefined ? 0 : bootstrapRoundingPerUnit(poolSize);
  return coveredShare(estimates, variances, start, runs, trueRisk, factor, rounding);
}

/**
 * Appends one row's shares of verdict codes (0 no evidence yet, 1 helping, 2 hurting). Counted
 * from the code's two bits without a branch: the runs' verdicts are mixed, and a branch per run
 * mispredicted often enough to cost three times as much.
 */
function addVerdictShares(verdicts: Uint8Array, shares: VerdictShares): void {
  let helping = 0;
  let hurting = 0;
  for (let r = 0; r < verdicts.length; r++) {
    const verdict = verdicts[r];
    helping += verdict & 1;
    hurting += verdict >> 1;
  }
  const runs = verdicts.length;
  shares.no_evidence_yet.push((runs - helping - hurting) / runs);
  shares.helping.push(helping / runs);
  shares.hurting.push(hurting / runs);
}

/** Every file a simulation output folder can hold; with `force`, all of them are replaced. */
export const SIMULATION_FILES = [
  'estimates.npy',
  'samples.npy',
  'q.npy',
  'bootstrap_variance.npy',
  'summary.json',
  ...INTERVAL_KINDS.flatMap((kind) => [`${kind}_lower.npy`, `${kind}_upper.npy`]),
] as const;

/**
 * The files `writeSimulationOutputs` writes for a run with or without a bootstrap and with these
 * interval kinds, `summary.json` last: what a finished run's folder must hold.
 *
 * @example
 * simulationOutputNames({ bootstrap: true, intervals: ['anytime'] }); // [..., 'anytime_lower.npy', 'anytime_upper.npy', 'summary.json']
 */
export function simulationOutputNames(options: { bootstrap: boolean; intervals: readonly IntervalKind[] }): string[] {
  return [
    'estimates.npy',
    'samples.npy',
    'q.npy',
    ...(options.bootstrap ? ['bootstrap_variance.npy'] : []),
    ...options.intervals.flatMap((kind) => [`${kind}_lower.npy`, `${kind}_upper.npy`]),
    SIMULATION_COMMIT_MARKER,
  ];
}

/** summary.json's record of one interval kind (`--interval`). */
export interface IntervalSummary {
  /** Label counts of the rows recorded, when not every row (`simulate --demo` computes the intervals every 25 labels); absent: every row. */
  labels?: number[];
  /** Per row: the fraction of runs whose interval contains the true risk. */
  coverage: number[];
  /**
   * The fraction of runs whose interval contains the true risk at every row at once; absent for
   * `bootstrap`, which claims nothing about rows jointly (`SimulationIntervals.simultaneousCoverage`).
   */
  simultaneous_coverage?: number;
  /** Per row: the median half-width over the runs with an interval there (`SimulationIntervals.medianHalfWidth`). */
  median_half_width: number[];
}

/**
 * The summary.json form of computed intervals, per kind.
 *
 * @example
 * summary.intervals = summarizeIntervals(simulationIntervals(result, losses, bounds, ['anytime']));
 * @throws {InputError} when `intervals` is not a list of computed intervals.
 */
export function summarizeIntervals(intervals: readonly SimulationIntervals[]): Partial<Record<IntervalKind, IntervalSummary>> {
  const expected = 'computed intervals (what simulationIntervals returns)';
  checkArrayLike(intervals, 'intervals', `a list of ${expected}`);
  return Object.fromEntries(
    Array.from(intervals, (entry: unknown, k) => {
      checkObject(entry, `intervals[${k}]`, expected);
      const { kind, coverage, simultaneousCoverage, medianHalfWidth } = entry as SimulationIntervals;
      return [
        kind,
        {
          coverage,
          ...(simultaneousCoverage === null ? {} : { simultaneous_coverage: simultaneousCoverage }),
          median_half_width: medianHalfWidth,
        },
      ];
    }),
  );
}

/** The file written last: a simulation folder without it is unfinished, whatever else it holds. */
export const SIMULATION_COMMIT_MARKER = 'summary.json';

/**
 * The file at the root of an experiment's output folder that lists its settings. Named in this
 * layer, below the experiment's, so that a simulate run can refuse such a folder.
 */
export const EXPERIMENT_MANIFEST = 'experiment.json';

/**
 * Refuses an experiment's output folder: `report` reads it through its manifest alone, so a
 * simulate run written there would drop out of its reports without a word.
 */
function assertNotExperimentFolder(dir: string, argument: string): void {
  if (!existsSync(join(dir, EXPERIMENT_MANIFEST))) return;
  throw new InputError({
    argument,
    expected: `a folder that is not an experiment's output (report reads an experiment's folder through ${EXPERIMENT_MANIFEST} and would leave the run out)`,
    received: ReceivedKind.noted(dir, `it holds ${EXPERIMENT_MANIFEST}`),
  });
}

/**
 * The file at the root of `simulate --demo`'s output folder that compares its two runs; named in
 * this layer, as the experiment's manifest is, so that a simulate run can refuse a demo's folder.
 */
export const DEMO_COMPARISON = 'comparison.json';

/** The demo's two methods: active testing (adaptive acquisition, LURE) and random labelling. */
export type DemoMethodName = 'adaptive-lure' | 'iid';

/** The sub-folders of the demo's two runs, named by their methods, which its own checks tell of when a demo stopped part-way. */
export const DEMO_RUN_FOLDERS: readonly DemoMethodName[] = ['adaptive-lure', 'iid'];

/**
 * The sub-folders `simulate --demo` writes: its pool's files, its two runs, its report. Listed here,
 * beside its comparison file, so that `evaluate` and `simulate` can refuse them without loading the
 * demo and its report.
 */
export const DEMO_FOLDERS: readonly string[] = ['pool', ...DEMO_RUN_FOLDERS, 'report'];

/**
 * The demo's comparison file if `dir` holds it, or undefined: the one file only a demo writes. (A
 * `pool/` of `.npy` files is also how a user may lay out their own project; a demo stopped after
 * a run but before its comparison holds that run in a sub-folder, which `runsInSubfolders` finds,
 * and one stopped before its first run holds no run at all.) A folder of that name is no demo's:
 * an experiment's setting may have been named so by an older version.
 */
export function demoFileIn(dir: string): string | undefined {
  return isFile(join(dir, DEMO_COMPARISON)) ? DEMO_COMPARISON : undefined;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** A simulate run's files, `summary.json` first: the one named when a folder holds several. */
const SIMULATION_FILES_MARKER_FIRST = [SIMULATION_COMMIT_MARKER, ...SIMULATION_FILES.filter((name) => name !== SIMULATION_COMMIT_MARKER)];

/**
 * The first of a simulate run's files found in `dir` (`summary.json`, what marks it finished,
 * before its arrays), or undefined: whether `dir` holds a simulate run, finished or not.
 */
export function simulationFileIn(dir: string): string | undefined {
  return SIMULATION_FILES_MARKER_FIRST.find((name) => existsSync(join(dir, name)));
}

/**
 * The files that mark a folder as holding a run: an experiment's manifest, or any of a simulate
 * run's arrays, finished or not. A `summary.json` alone is no run: `report DIR` writes its own into
 * `DIR/report`.
 */
const RUN_MARKS = [EXPERIMENT_MANIFEST, ...SIMULATION_FILES.filter((name) => name !== SIMULATION_COMMIT_MARKER)];

/**
 * The first of the files that mark a run (`RUN_MARKS`) found in `dir`, or undefined.
 *
 * @example
 * runMarkIn('runs/a'); // 'estimates.npy' for a simulate run's folder
 */
export function runMarkIn(dir: string): string | undefined {
  return RUN_MARKS.find((name) => existsSync(join(dir, name)));
}

/**
 * The sub-folders of `dir` (their names, in order) that hold a run (`runMarkIn`).
 *
 * @example
 * runsInSubfolders('runs/demo'); // a demo's two run folders, adaptive-lure and iid
 */
export function runsInSubfolders(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && runMarkIn(join(dir, entry.name)) !== undefined)
    .map((entry) => entry.name)
    .sort();
}

/**
 * Refuses a folder that holds other runs below it, as a demo's does: `report` reads a folder with
 * its own `summary.json` as that one simulate run, so the runs in its sub-folders would drop out
 * of its reports without a word.
 */
function assertNoRunsBelow(dir: string, argument: string): void {
  const [below] = runsInSubfolders(dir);
  const demo = demoFileIn(dir);
  if (below === undefined && demo === undefined) return;
  throw new InputError({
    argument,
    expected:
      "a folder without runs in its sub-folders, as a demo's (report reads a folder with its own summary.json as that one run and would leave the others out)",
    received: ReceivedKind.noted(dir, demo !== undefined ? `it holds a demo's ${demo}` : `its sub-folder ${below} holds a run`),
  });
}

/**
 * Gets a simulation output folder ready, before any work: refuses a folder that cannot be written
 * (`InputError` naming `argument`), removes the temporary files of an earlier run that was
 * killed, and refuses existing outputs unless `force`, saying when they are those of an
 * interrupted run (`.npy` files without `summary.json`). Returns lines to tell the user.
 *
 * @example
 * for (const note of await prepareSimulationFolder('runs/a', { force: false })) console.error(note);
 * @throws InputError when the folder cannot be written, is an experiment's output or holds runs in its sub-folders (a demo's); OutputExistsError when it holds outputs and `force` is not set.
 */
export async function prepareSimulationFolder(dir: string, options: { force?: boolean; argument?: string } = {}): Promise<string[]> {
  await assertFolderWritable(dir, options.argument ?? 'out');
  assertNotExperimentFolder(dir, options.argument ?? 'out');
  assertNoRunsBelow(dir, options.argument ?? 'out');
  const { removed, left } = await checkInterruptedOutputs(dir, SIMULATION_FILES, SIMULATION_COMMIT_MARKER, {
    force: options.force,
    what: 'run',
  });
  const notes: string[] = [];
  if (removed.length > 0)
    notes.push(`${dir}: an earlier run was interrupted while writing; removed its ${removed.length} temporary file(s)`);
  if (left.length > 0) notes.push(`${dir}: replacing an interrupted run (${left.join(', ')} without ${SIMULATION_COMMIT_MARKER})`);
  await assertOutputsWritable(dir, SIMULATION_FILES, { force: options.force });
  return notes;
}

/**
 * A short content hash of a pool (the target's scores and the labels), recorded in `summary.json`
 * as `config.poolFingerprint` so that a report can refuse to compare runs on different pools.
 *
 * @example
 * poolFingerprint(scores.data, labels); // 'sha256:3f1c…' (16 hex digits)
 */
export function poolFingerprint(scores: Float32Array | Float64Array, labels: ArrayLike<number>): string {
  const hash = createHash('sha256');
  hash.update(scores instanceof Float32Array ? Float64Array.from(scores) : scores);
  hash.update(Int32Array.from(labels));
  return `sha256:${hash.digest('hex').slice(0, 16)}`;
}

/** The contents of `summary.json`. Per-row arrays have one entry per row of `estimates.npy`. */
export interface SimulationSummary {
  version: string;
  /** Mean loss of the target model over the whole pool: what every run estimates. */
  true_risk: number;
  /** Labels acquired at each row: k·step + 1, and `size` in a last row where the step skips it (`SimulationResult.labelsPerRow`). */
  labels: number[];
  mse: number[];
  median_se: number[];
  /** Mean estimate across runs minus the true risk. */
  bias: number[];
  /** Fraction of runs whose approximate ±1.96σ bootstrap interval (finite-population corrected) contains the true risk; absent without bootstrap and for ASE. */
  coverage?: number[];
  /** Per interval kind (`--interval anytime,fixed,bootstrap`): coverage per row, simultaneous coverage (not for the bootstrap), median half-width. */
  intervals?: Partial<Record<IntervalKind, IntervalSummary>>;
  /**
   * Median over runs of each run's own estimate of its variance ÷ random labelling's (below 1:
   * active testing helps), over the runs where it is defined; NaN where it is defined in none.
   * Absent without bootstrap.
   */
  variance_ratio?: number[];
  /**
   * Per row, the number of runs left out of `variance_ratio`'s median: those whose labels so far
   * estimate random labelling's variance as 0 (all of the same loss, or an importance-weighted
   * E[ℓ²] − R² at or below 0, as after a single label of importance weight 1 or above), which
   * leaves the ratio undefined (0/0 or x/0). They read "no evidence yet" in `variance_verdict`.
   */
  variance_ratio_undefined_runs?: number[];
  /**
   * Per row, the fraction of runs whose own diagnostic says active testing is helping, hurting, or
   * has no evidence yet (docs/adaptive.md); absent without bootstrap.
   */
  variance_verdict?: { helping: number[]; hurting: number[]; no_evidence_yet: number[] };
  rows: number;
  runs: number;
  size: number;
  /**
   * The fit of the surrogate temperature (`config.temperature`) on the calibration set
   * (`SimulationResult.calibration`); `at_bound` true says it is an end of its search range, not a
   * fitted value. Absent without a calibration set.
   */
  calibration?: { rows: number; temperature: number; nll: number; at_bound: boolean };
  /** Every option, resolved, plus the inputs it ran on. */
  config: Record<string, unknown>;
}

/**
 * Per-row statistics of a simulation across its runs. Given the pool's per-item losses (what the
 * runs estimate the mean of) and a bootstrap, it adds `variance_ratio` and `variance_verdict`, the
 * diagnostic of docs/adaptive.md, whose "helping" needs the target's errors per item
 * (`zeroOneLossPerItem(f, y)`) to tell when a run has drawn one; without them every item counts as one.
 * The diagnostic is left out where the estimator is biased under the proposal (`is`; `iid` with an
 * active acquisition) or is ASE: a variance ratio does not compare errors there.
 *
 * @example
 * const summary = summarizeSimulation(result, { modelScores: 'f.npy' }, lossPerItem(f, y), zeroOneLossPerItem(f, y));
 * summary.variance_ratio?.at(-1); // e.g. 0.76: active testing is helping
 * @throws InputError when `result` is not a simulation result, or `inputs` not an object of its
 * known keys (the input files, `pool`, `poolSeed`, `poolFingerprint`, `poolSize`, `classCount`).
 */
export function summarizeSimulation(
  result: SimulationResult,
  inputs: Record<string, unknown>,
  losses?: Float64Array,
  targetErrors?: Float64Array,
): SimulationSummary {
  const { pass, finish } = summaryPlan(result, inputs, losses, targetErrors);
  while (!pass.done) pass.addRow();
  return finish(pass.stats);
}

/** A turn for the event loop at most this often while `summarizeSimulationInTurns` works. */
const SUMMARY_TURN_MS = 2;

/**
 * `summarizeSimulation`, the same numbers, computed a few rows at a time with a turn for the event
 * loop every 2 ms, so that file writes in flight (`writeSimulationOutputs`) go on while it works:
 * each of their steps waits for this thread, and the disk's work then overlaps the statistics'.
 * Internal: the CLI's `simulate` uses it; library users call `summarizeSimulation`.
 */
export async function summarizeSimulationInTurns(
  result: SimulationResult,
  inputs: Record<string, unknown>,
  losses?: Float64Array,
  targetErrors?: Float64Array,
): Promise<SimulationSummary> {
  const { pass, finish } = summaryPlan(result, inputs, losses, targetErrors);
  let turn = -Infinity;
  while (!pass.done) {
    if (performance.now() - turn >= SUMMARY_TURN_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      turn = performance.now();
    }
    pass.addRow();
  }
  return finish(pass.stats);
}

/**
 * Whether the variance diagnostic means anything for these options. It compares the estimate's
 * variance with random labelling's, which says how its error compares only when the estimator is
 * unbiased under the proposal: LURE under any proposal, the plain mean under uniform draws. The
 * naive IS estimator (biased for M > 1 without replacement) and the plain mean of actively drawn
 * labels can have a small variance and a large error, and would read "helping" there; ASE has no
 * importance-weighted terms to compare.
 */
function diagnosable(options: Pick<SimulationResult['options'], 'estimator' | 'acquisition'>): boolean {
  return options.estimator === 'lure' || (options.estimator === 'iid' && options.acquisition === 'iid');
}

/** `summary.json`'s `calibration`, snake case as its other keys are; nothing without a calibration set. */
function calibrationRecord(fit: CalibrationFit | null): Pick<SimulationSummary, 'calibration'> {
  if (!fit) return {};
  const { rows, temperature, nll, atBound } = fit;
  return { calibration: { rows, temperature, nll, at_bound: atBound } };
}

/**
 * The keys of `summarizeSimulation`'s `inputs`, recorded in `summary.json`'s `config`: the files
 * (or a pool's name, its seed and fingerprint) it ran on, and the pool's size that a report's
 * coverage is corrected with. A misspelt one would be recorded where no reader looks for it.
 */
const SUMMARY_INPUT_KEYS = [
  'modelScores',
  'surrogateScores',
  'labels',
  'calibrationScores',
  'calibrationLabels',
  'pool',
  'poolSeed',
  'poolFingerprint',
  'poolSize',
  'classCount',
];

/** The summary's pass over the rows, and what makes `summary.json` of its statistics. */
function summaryPlan(
  result: SimulationResult,
  inputs: Record<string, unknown>,
  losses: Float64Array | undefined,
  targetErrors: Float64Array | undefined,
): { pass: RowStatisticsPass; finish: (stats: RowStatistics) => SimulationSummary } {
  checkObject(result, 'result', 'a simulation result (what simulate returns)');
  checkObject(result.options, 'result.options', 'the options of a simulation result (what simulate returns)');
  checkObject(inputs, 'inputs', 'an object naming the inputs, e.g. { modelScores: "f.npy" }');
  checkKnownKeys(inputs, SUMMARY_INPUT_KEYS, 'inputs');
  const { random: _random, onProgress: _onProgress, signal: _signal, ...options } = result.options;
  // ASE's bootstrap ignores the unlabelled residual entirely: no interval, so no coverage to report.
  const withCoverage = result.bootstrapVariance !== null && result.options.estimator !== 'ase';
  const poolSize = losses?.length ?? (typeof inputs.poolSize === 'number' ? inputs.poolSize : undefined);
  const diagnostic =
    result.bootstrapVariance && losses !== undefined && diagnosable(result.options)
      ? new VarianceDiagnosticByRow(result, result.bootstrapVariance, losses, targetErrors)
      : null;
  const pass = new RowStatisticsPass(
    result,
    withCoverage ? { data: result.bootstrapVariance as Float64Array, poolSize } : null,
    diagnostic,
  );
  const finish = (stats: RowStatistics): SimulationSummary => {
    const summary: SimulationSummary = {
      version: VERSION,
      true_risk: result.trueRisk,
      labels: Array.from(result.labelsPerRow),
      mse: Array.from(stats.mse),
      median_se: Array.from(stats.medianSe),
      bias: Array.from(stats.bias),
      rows: result.rows,
      runs: result.runs,
      size: result.size,
      ...calibrationRecord(result.calibration),
      // The pool size the coverage was corrected with, so that a report of this folder corrects it alike.
      config: { ...inputs, ...(poolSize === undefined ? {} : { poolSize }), ...options },
    };
    if (stats.coverage !== null) summary.coverage = Array.from(stats.coverage);
    if (stats.diagnostic !== null) {
      summary.variance_ratio = Array.from(stats.diagnostic.varianceRatio);
      summary.variance_ratio_undefined_runs = stats.diagnostic.undefinedRatios;
      summary.variance_verdict = stats.diagnostic.verdicts;
    }
    return summary;
  };
  return { pass, finish };
}

/** The keys of `writeSimulationOutputs`' options. */
const WRITE_SIMULATION_OPTIONS = ['force', 'intervals', 'signal'];

/**
 * Refuses a `summary` that lacks what a report of its folder reads: `summary.json` is the folder's
 * commit marker, so a folder written with `{ hello: 1 }` would count as complete, and its report
 * fail later. `where` names it in errors (`summary`, or `summary()` for what a function returned).
 */
function checkSummaryShape(summary: object, result: SimulationResult, where: string): void {
  const fields = summary as Partial<Record<keyof SimulationSummary, unknown>>;
  const expected = (what: string) => `${what}, as in a summary from summarizeSimulation(result, inputs)`;
  if (typeof fields.true_risk !== 'number') {
    throw new InputError({
      argument: `${where}.true_risk`,
      expected: expected('a number'),
      received: ReceivedKind.given(fields.true_risk),
    });
  }
  if (!Array.isArray(fields.labels) || fields.labels.length !== result.rows) {
    throw new InputError({
      argument: `${where}.labels`,
      expected: expected(`the label count of each of the result's ${result.rows} rows`),
      received: ReceivedKind.given(fields.labels),
    });
  }
  if (typeof fields.config !== 'object' || fields.config === null || Array.isArray(fields.config)) {
    throw new InputError({ argument: `${where}.config`, expected: expected('an object'), received: ReceivedKind.given(fields.config) });
  }
}

/**
 * Writes a simulation's output folder as one unit: `estimates.npy` (float64, rows×runs),
 * `samples.npy` (int64, size×runs), `q.npy` (float64, size×runs), `bootstrap_variance.npy`
 * (float64, rows×runs, when bootstrapped) and `summary.json`. An experiment's output folder (one
 * holding `experiment.json`) and a folder holding runs in its sub-folders (a demo's) are refused,
 * whatever `force`. Existing output files are refused
 * unless `force`, which replaces all of them (and removes a stale `bootstrap_variance.npy`).
 * `summary.json` is the commit marker: it is removed first and renamed into place last, so a
 * folder with it is complete, and temporary files left by a killed earlier run are removed.
 * `summary` may be a function, called as the arrays' writes start; when it returns a promise and
 * gives the event loop turns while it works (as the CLI's summary does), the arrays are written
 * and flushed to disk meanwhile, so that the summary's statistics and the disk's work overlap.
 *
 * @example
 * const result = await simulate(pool, { runs: 100 });
 * await writeSimulationOutputs('runs/a', result, summarizeSimulation(result, {}), { force: false });
 * await writeSimulationOutputs('runs/b', result, () => summarizeSimulation(result, {}), { force: false });
 * @throws {InputError} on an unknown option, or a summary without `summarizeSimulation`'s
 * `true_risk`, `labels` (one per row) and `config` (checked before `summary.json`, the folder's
 * commit marker, is written); OutputExistsError when the folder holds outputs and `force` is not set.
 */
export async function writeSimulationOutputs(
  dir: string,
  result: SimulationResult,
  summary: SimulationSummary | (() => SimulationSummary | Promise<SimulationSummary>),
  options: { force?: boolean; intervals?: readonly SimulationIntervals[]; signal?: AbortSignal } = {},
): Promise<string[]> {
  checkPath(dir, 'dir');
  checkDiagnosedSimulation(result);
  if (typeof summary !== 'function') {
    checkObject(summary, 'summary', 'a summary (from summarizeSimulation) or a function that returns one');
    checkSummaryShape(summary, result, 'summary');
  }
  checkObject(options, 'options');
  checkKnownKeys(options, WRITE_SIMULATION_OPTIONS, null, { overwrite: 'force' });
  assertNotExperimentFolder(dir, 'dir');
  assertNoRunsBelow(dir, 'dir');
  const rowsByRuns: [number, number] = [result.rows, result.runs];
  const files: OutputFile[] = [
    { name: 'estimates.npy', data: npyParts({ data: result.estimates, shape: rowsByRuns, dtype: 'f8' }) },
    { name: 'samples.npy', data: int64NpyParts(result.samples, [result.size, result.runs]) },
    { name: 'q.npy', data: npyParts({ data: result.q, shape: [result.size, result.runs], dtype: 'f8' }) },
  ];
  if (result.bootstrapVariance) {
    files.push({ name: 'bootstrap_variance.npy', data: npyParts({ data: result.bootstrapVariance, shape: rowsByRuns, dtype: 'f8' }) });
  }
  for (const interval of options.intervals ?? []) {
    files.push({ name: `${interval.kind}_lower.npy`, data: npyParts({ data: interval.lower, shape: rowsByRuns, dtype: 'f8' }) });
    files.push({ name: `${interval.kind}_upper.npy`, data: npyParts({ data: interval.upper, shape: rowsByRuns, dtype: 'f8' }) });
  }
  const summaryJson = async (): Promise<string> => {
    if (typeof summary !== 'function') return toJson(summary);
    const made = await summary();
    checkObject(made, 'summary()', 'a summary (what summarizeSimulation returns)');
    checkSummaryShape(made, result, 'summary()');
    return toJson(made);
  };
  files.push({ name: 'summary.json', data: summaryJson });
  return writeOutputFolder(dir, files, {
    force: options.force,
    managed: SIMULATION_FILES,
    commitMarker: SIMULATION_COMMIT_MARKER,
    signal: options.signal,
  });
}
