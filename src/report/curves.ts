import { BOOTSTRAP_Z, correctedBootstrapVariance } from '../metrics/index.js';
import { finitePopulationFactor } from '../estimators/bootstrap.js';
import { InputError, ReceivedKind } from '../errors.js';
import type { Matrix } from '../matrix.js';
import {
  bootstrapRoundingPerUnit,
  coveredShare,
  rowMeans,
  rowMedian,
  rowPercentiles,
  se,
  sma,
  type ErrorSummary,
} from '../metrics/index.js';
import { checkArrayLike, checkObject } from '../io/check-arguments.js';
import { checkChoice } from '../io/suggest.js';
import { checkReportSetting, settingKind, type ReportSetting } from './setting.js';

/** Per-row error statistics of one setting, across its runs. */
export interface SettingCurves {
  setting: ReportSetting;
  /** Mean squared error of the estimate per row. */
  mse: Float64Array;
  /** Median squared error per row. */
  medianSe: Float64Array;
  /** 45th and 55th percentiles of the squared error per row: the paper's band around the median. */
  p45: Float64Array;
  p55: Float64Array;
  /** Mean bootstrap variance per row (finite-population corrected when the pool size is recorded); what the bootstrap thinks the MSE is. Absent without bootstrap and for ASE. */
  meanBootstrapVariance?: Float64Array;
  /**
   * Fraction of runs whose approximate bootstrap interval, estimate ± confidence·σ, contains the
   * true risk, per row; with the pool size recorded, widened by `simulate`'s rounding allowance.
   * Absent without bootstrap and for ASE.
   */
  coverage?: Float64Array;
}

/** Which per-row error a relative curve compares: the two of `ErrorSummary` a report draws. */
export type ErrorMetric = Extract<ErrorSummary, 'mse' | 'medianSe'>;
const ERROR_METRICS = ['mse', 'medianSe'] satisfies ErrorMetric[];

/**
 * Refuses a `value` that is not setting curves with their setting and per-row errors, what the
 * relative figures and the summary table read first.
 *
 * @throws {InputError} naming `argument` or the key at fault (`curves.setting.estimates`, `curves.mse`).
 * @example
 * checkSettingCurves(null, 'baseline'); // InputError: baseline: expected setting curves (what settingCurves returns), got null
 */
export function checkSettingCurves(value: unknown, argument: string): asserts value is SettingCurves {
  checkObject(value, argument, 'setting curves (what settingCurves returns)');
  const { setting, mse, medianSe } = value as Partial<SettingCurves>;
  checkReportSetting(setting, `${argument}.setting`);
  checkArrayLike(mse, `${argument}.mse`, 'a Float64Array, one error per row');
  checkArrayLike(medianSe, `${argument}.medianSe`, 'a Float64Array, one error per row');
}

/**
 * Error statistics of a setting per recorded row: MSE, median squared error with its 45–55%
 * percentile band and, when the simulation bootstrapped (and is not ASE, which has no such
 * interval), the mean bootstrap variance and the coverage of estimate ± `confidence`·σ (default the
 * paper's 1.96). When the pool size is recorded, the variance gets the finite-population factor
 * (N − M)/(N − 1) and the interval the rounding allowance 2ε·N·|estimate| (`bootstrapHalfWidth`),
 * as `simulate` and sessions apply them: at M = N, where σ is 0, the estimate is the pool mean
 * summed in another order than the true risk, and without the allowance no run would cover it.
 *
 * @example
 * const [setting] = await loadReportSettings(['runs/adaptive']); // one setting: a run's folder
 * const curves = settingCurves(setting!);
 * curves.mse[49]; // MSE after setting.labels[49] labels
 * @throws {InputError} when `setting` is not a report setting with its `estimates` and `labels`.
 */
export function settingCurves(setting: ReportSetting, confidence = BOOTSTRAP_Z): SettingCurves {
  const curves = emptyCurves(setting);
  fillCurveRows(curves, confidence, 0, setting.estimates.rows);
  return curves;
}

/** Cells (rows × runs) of the block of rows `settingCurvesInBlocks` computes between two pauses: a few MB. */
const BLOCK_CELLS = 1 << 18;

/**
 * `settingCurves` a block of rows at a time, awaiting `pause` after each block: a report stops
 * there on its signal instead of after a large setting's last row (seconds at 10,000 runs × 1,000
 * rows). Every statistic of a row depends on that row alone, so the curves are the same to the bit.
 */
export async function settingCurvesInBlocks(
  setting: ReportSetting,
  confidence: number,
  pause: () => Promise<void>,
): Promise<SettingCurves> {
  const curves = emptyCurves(setting);
  const { rows, cols } = setting.estimates;
  const blockRows = Math.max(1, Math.floor(BLOCK_CELLS / Math.max(1, cols)));
  for (let from = 0; from < rows; from += blockRows) {
    fillCurveRows(curves, confidence, from, Math.min(rows, from + blockRows));
    await pause();
  }
  return curves;
}

/** Curves of `setting` with every row still to be computed (`fillCurveRows`). */
function emptyCurves(setting: ReportSetting): SettingCurves {
  checkReportSetting(setting, 'setting');
  const rows = setting.estimates.rows;
  const curves: SettingCurves = {
    setting,
    mse: new Float64Array(rows),
    medianSe: new Float64Array(rows),
    p45: new Float64Array(rows),
    p55: new Float64Array(rows),
  };
  if (intervalVariance(setting)) {
    curves.meanBootstrapVariance = new Float64Array(rows);
    curves.coverage = new Float64Array(rows);
  }
  return curves;
}

/** Computes the curves' rows `from` to `to` (exclusive) from those rows of the setting's matrices alone. */
function fillCurveRows(curves: SettingCurves, confidence: number, from: number, to: number): void {
  const { setting } = curves;
  const { trueRisk } = setting;
  const estimates = rowBlock(setting.estimates, from, to);
  const variance = intervalVariance(setting);
  const bootstrapVariance = variance && correctedVariance(rowBlock(variance, from, to), setting, from);
  // The squared errors once for every statistic (`mse` and `medianSe` would each compute them
  // again), and each row sorted once for both percentiles: at 5,000 runs the sorts were most of a
  // report's time.
  const squaredErrors = se(estimates, trueRisk);
  curves.mse.set(rowMeans(squaredErrors), from);
  curves.medianSe.set(rowMedian(squaredErrors), from);
  const [p45, p55] = rowPercentiles(squaredErrors, [45, 55]);
  curves.p45.set(p45!, from);
  curves.p55.set(p55!, from);
  if (bootstrapVariance) {
    curves.meanBootstrapVariance?.set(rowMeans(bootstrapVariance), from);
    const roundingPerUnit = setting.pool?.size === undefined ? 0 : bootstrapRoundingPerUnit(setting.pool.size);
    curves.coverage?.set(coveredShares(estimates, bootstrapVariance, trueRisk, confidence, roundingPerUnit), from);
  }
}

/**
 * Per row, the fraction of runs whose interval contains R (`coveredShare`): `confidence`·σ plus
 * `roundingPerUnit`·|estimate| (0: none), the interval `summary.json`'s coverage counts. `variance`
 * already holds the finite-population factor, so the half-width takes a factor of 1.
 */
function coveredShares(estimates: Matrix, variance: Matrix, trueRisk: number, confidence: number, roundingPerUnit: number): Float64Array {
  const { rows, cols } = estimates;
  const shares = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    shares[row] = coveredShare(estimates.data, variance.data, row * cols, cols, trueRisk, 1, roundingPerUnit, confidence);
  }
  return shares;
}

/**
 * The bootstrap variance the approximate interval is made of, as `simulate` has it: none for ASE,
 * whose bootstrap ignores the unlabelled items (its `summary.json` has no coverage either).
 */
function intervalVariance(setting: ReportSetting): Matrix | undefined {
  return settingKind(setting) === 'ase' ? undefined : setting.bootstrapVariance;
}

/** Rows `from` to `to` (exclusive) of `m`, sharing its data. */
function rowBlock(m: Matrix, from: number, to: number): Matrix {
  if (from === 0 && to === m.rows) return m;
  return { data: m.data.subarray(from * m.cols, to * m.cols), rows: to - from, cols: m.cols };
}

/** The bootstrap variance times each row's finite-population factor; unchanged when the pool size is unknown. `firstRow`: the setting's row of the block's first. */
function correctedVariance(variance: Matrix, setting: ReportSetting, firstRow = 0): Matrix {
  const poolSize = setting.pool?.size;
  if (poolSize === undefined) return variance;
  const data = new Float64Array(variance.data.length);
  for (let row = 0; row < variance.rows; row++) {
    const factor = finitePopulationFactor(setting.labels[firstRow + row], poolSize);
    for (let j = row * variance.cols; j < (row + 1) * variance.cols; j++) data[j] = correctedBootstrapVariance(variance.data[j], factor);
  }
  return { data, rows: variance.rows, cols: variance.cols };
}

/**
 * The setting's error divided by random labelling's error at the same total number of labels:
 * k active labels (row labels) plus the setting's `labelOffset` against that many random ones.
 * One value per row of the setting; `null` where the baseline has no row with that many labels,
 * or where its error is rounding (`roundingError`): a pool whose items all have the same loss, or
 * every item labelled, where a ratio of two rounding errors would read as a gain or a loss.
 *
 * @example
 * const [random, active] = (await loadReportSettings(['runs/iid', 'runs/adaptive'])).map((s) => settingCurves(s));
 * relativeToRandom(active!, random!, 'mse')[99]; // e.g. 0.47 at 100 labels: below 1, active testing's error is smaller
 * @throws {InputError} when `curves` or `baseline` is not setting curves, or `metric` not `mse` or `medianSe`.
 */
export function relativeToRandom(curves: SettingCurves, baseline: SettingCurves, metric: ErrorMetric): (number | null)[] {
  checkCurvesAndBaseline(curves, baseline, metric);
  const baselineRow = rowByLabels(baseline.setting.labels);
  const rounding = roundingError(baseline.setting);
  const { labels, labelOffset } = curves.setting;
  return Array.from(labels, (l, r) => {
    const b = baselineRow.get(l + labelOffset);
    if (b === undefined) return null;
    const error = baseline[metric][b];
    return error <= rounding ? null : curves[metric][r] / error;
  });
}

/**
 * Relative labelling cost (the paper's figure; docs/reports.md): for each budget B of random
 * labelling (each baseline row), the labels the setting needs, its `labelOffset` included, to reach
 * an error no larger than random labelling's at B, as a fraction of B. `null` where the setting
 * never gets there within its recorded rows, or where random labelling's error at B is rounding
 * (`roundingError`: every label count reaches it). Unlike the reference, unmatched budgets stay in place
 * (docs/reference-bugs.md, B-V3), so the x value is always the budget.
 *
 * @example
 * const { budgets, cost } = labellingCostVsRandom(activeCurves, randomCurves, 'mse');
 * // cost[i] = 0.5: half of budgets[i] labels reach random labelling's error at budgets[i]
 * @throws {InputError} when `curves` or `baseline` is not setting curves, or `metric` not `mse` or `medianSe`.
 */
export function labellingCostVsRandom(
  curves: SettingCurves,
  baseline: SettingCurves,
  metric: ErrorMetric,
): { budgets: Float64Array; cost: (number | null)[] } {
  checkCurvesAndBaseline(curves, baseline, metric);
  const error = curves[metric];
  const { labels, labelOffset } = curves.setting;
  // Running minimum of the error: the first row reaching a level is found by binary search.
  const runningMin = new Float64Array(error.length);
  let min = Infinity;
  for (let j = 0; j < error.length; j++) runningMin[j] = min = Math.min(min, error[j]);
  const budgets = baseline.setting.labels;
  const rounding = roundingError(baseline.setting);
  const cost = Array.from(baseline[metric], (level, i) => {
    if (level <= rounding) return null;
    const j = firstAtMost(runningMin, level);
    return j === -1 ? null : (labels[j] + labelOffset) / budgets[i];
  });
  return { budgets, cost };
}

/**
 * Trailing moving average over the non-null values of a curve (window `length`, truncated at the
 * start as in the reference's `sma`), leaving gaps in place.
 *
 * @example
 * smoothCurve([1, null, 3, 5], 2); // [1, null, 2, 4]
 */
export function smoothCurve(values: readonly (number | null)[], length: number): (number | null)[] {
  if (length <= 1) return [...values];
  const present = values.flatMap((v, i) => (v === null ? [] : [i]));
  const smoothed = sma(
    Float64Array.from(present, (i) => values[i] as number),
    length,
  );
  const out: (number | null)[] = values.map(() => null);
  present.forEach((i, k) => (out[i] = smoothed[k] as number));
  return out;
}

/** The row with labels nearest to `count` (the lower one on a tie). */
export function nearestRow(labels: Float64Array, count: number): number {
  let best = 0;
  for (let r = 1; r < labels.length; r++) if (Math.abs(labels[r] - count) < Math.abs(labels[best] - count)) best = r;
  return best;
}

/** The arguments of the comparisons with random labelling (`relativeToRandom`, `labellingCostVsRandom`). */
function checkCurvesAndBaseline(curves: SettingCurves, baseline: SettingCurves, metric: ErrorMetric): void {
  checkSettingCurves(curves, 'curves');
  checkSettingCurves(baseline, 'baseline');
  checkChoice(metric, ERROR_METRICS, 'metric');
}

/**
 * The squared error a setting's estimates can have from rounding alone: (2ε·n·|R|)², with n the
 * pool size (or, unrecorded, the most labels of a row), the allowance the intervals take at M = N.
 * Random labelling on a pool whose items all have the same loss is that far from R at every row
 * (1e-32 where the allowance is 1e-25), as is any estimate at M = N; 0 when R = 0.
 */
function roundingError(setting: ReportSetting): number {
  const n = setting.pool?.size ?? setting.labels.reduce((most, l) => Math.max(most, l), 0);
  return (bootstrapRoundingPerUnit(n) * setting.trueRisk) ** 2;
}

function rowByLabels(labels: ArrayLike<number>): Map<number, number> {
  const rows = new Map<number, number>();
  for (let r = 0; r < labels.length; r++) rows.set(labels[r]!, r);
  return rows;
}

/** Index of the first value ≤ level in a non-increasing array, or −1. */
function firstAtMost(nonIncreasing: Float64Array, level: number): number {
  let lo = 0;
  let hi = nonIncreasing.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nonIncreasing[mid] <= level) hi = mid;
    else lo = mid + 1;
  }
  return lo === nonIncreasing.length ? -1 : lo;
}

/** Checks that all settings estimate the same pool's risk, which the relative figures assume. */
export function checkSamePool(settings: readonly ReportSetting[]): void {
  const [first] = settings;
  for (const s of settings) {
    if (first && Math.abs(s.trueRisk - first.trueRisk) > 1e-12 * Math.max(1, Math.abs(first.trueRisk))) {
      throw new InputError({
        argument: s.dir,
        expected: `a simulation of the same pool as ${first.dir} (true risk ${first.trueRisk})`,
        received: new ReceivedKind(`true risk ${s.trueRisk}`),
      });
    }
  }
}
