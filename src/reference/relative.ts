import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { errorSummary, rowLabels, type ErrorSummary } from '../metrics/error-summary.js';
import { sma } from '../metrics/sma.js';
import { checkMatrix } from '../metrics/validate.js';
import { checkChoice, checkKnownKeys } from '../io/suggest.js';

/**
 * Where a curve's points sit on the x axis. `'labels'` (default): the number of labels behind each
 * row, k·step + 1 or as `step` lists them. `'reference'`: what the reference's plots use, 0-based positions (re-indexed after
 * dropping rows for the labelling cost; docs/reference-bugs.md, B-A3 and B-V3), kept to reproduce its figures.
 */
export type XAxis = 'labels' | 'reference';
const X_AXES = ['labels', 'reference'] satisfies XAxis[];

/** Options of `relativeError` and `relativeLabellingCost`. */
export interface RelativeOptions {
  /** Per-row error summary; default `'mse'`. */
  loss?: ErrorSummary;
  /** Trailing moving-average window; default 1 (none). */
  smoothing?: number;
  /**
   * Labels between recorded rows (default 1), or the labels behind each row: a simulation's
   * `labelsPerRow`, whose last row is after all its labels where the step skips that count.
   */
  step?: number | ArrayLike<number>;
  /** Default `'labels'`. */
  xAxis?: XAxis;
}

const RELATIVE_OPTIONS = ['loss', 'smoothing', 'step', 'xAxis'] satisfies (keyof RelativeOptions)[];

/** Refuses an unknown key of `options` (`extra`: the function's own keys) or an unknown `xAxis`. */
function checkRelativeOptions(options: RelativeOptions, extra: readonly string[]): void {
  checkKnownKeys(options, [...RELATIVE_OPTIONS, ...extra], null);
  if (options.xAxis !== undefined) checkChoice(options.xAxis, X_AXES, 'xAxis');
}

/** A curve: x positions and the values there. */
export interface Curve {
  x: Float64Array;
  values: Float64Array;
}

/**
 * The method's error relative to random (i.i.d.) labelling at each budget, `sma(loss(pred)/loss(iid))`
 * (the reference's `plot_relative_error`); below 1 means the method beats random labelling.
 * `xlim` keeps only the first `xlim` rows.
 *
 * @example
 * const iid = { data: Float64Array.of(2, 4, 1, 3), rows: 2, cols: 2 };
 * const pred = { data: Float64Array.of(1.5, 2.5, 1.5, 2.5), rows: 2, cols: 2 };
 * relativeError(pred, iid, 2).values; // [0.125, 0.25]
 * @throws {InputError} when `pred` or `iid` is not a matrix (or their row counts differ), `target`
 * not a finite number, or an option unknown or out of range.
 */
export function relativeError(pred: Matrix, iid: Matrix, target: number, options: RelativeOptions & { xlim?: number | null } = {}): Curve {
  checkRelativeOptions(options, ['xlim']);
  const { loss = 'mse', smoothing = 1, step = 1, xAxis = 'labels', xlim = null } = options;
  checkPredAndIid(pred, iid);
  if (xlim !== null && !(Number.isInteger(xlim) && xlim >= 0)) {
    throw new InputError({ argument: 'xlim', expected: 'a row count, an integer ≥ 0, or null for all rows', received: xlim });
  }
  const labels = rowLabels(pred.rows, step);
  const rows = Math.min(pred.rows, xlim ?? pred.rows);
  const p = errorSummary(pred, target, loss);
  const b = errorSummary(iid, target, loss);
  const ratio = new Float64Array(rows);
  for (let i = 0; i < rows; i++) ratio[i] = (p[i] as number) / (b[i] as number);
  const x = xAxis === 'labels' ? Float64Array.from({ length: rows }, (_, i) => labels[i] as number) : positions(rows);
  return { x, values: sma(ratio, smoothing) };
}

/**
 * Relative labelling cost (the reference's `plot_relative_cost`): for each budget i, the labels the
 * method needs to first reach random labelling's error at i, as a fraction of i. Budgets where the
 * method never gets there are left out; `x` says which budgets remain.
 *
 * @example
 * const iid = { data: Float64Array.of(4, 2, 1), rows: 3, cols: 1 };
 * const pred = { data: Float64Array.of(2, 1, 1), rows: 3, cols: 1 };
 * relativeLabellingCost(pred, iid, 0).values; // [1, 0.5, 0.6666666666666666]
 * @throws {InputError} when `pred` or `iid` is not a matrix (or their row counts differ), `target`
 * not a finite number, or an option unknown or out of range.
 */
export function relativeLabellingCost(pred: Matrix, iid: Matrix, target: number, options: RelativeOptions = {}): Curve {
  checkRelativeOptions(options, []);
  const { loss = 'mse', smoothing = 1, step = 1, xAxis = 'labels' } = options;
  checkPredAndIid(pred, iid);
  const p = errorSummary(pred, target, loss);
  const b = errorSummary(iid, target, loss);
  const labels = rowLabels(p.length, step);
  const keptLabels: number[] = [];
  const costs: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const j = p.findIndex((value) => value <= (b[i] as number));
    if (j === -1) continue;
    keptLabels.push(labels[i] as number);
    costs.push((labels[j] as number) / (labels[i] as number));
  }
  const x = xAxis === 'labels' ? Float64Array.from(keptLabels) : positions(costs.length);
  return { x, values: sma(costs, smoothing) };
}

/**
 * The stacked-bar values of the reference's `plot_barplots`: for each threshold T (a label budget,
 * row T − 1), the first row where the method's error is at most random labelling's error at T (the row
 * count if never), as successive differences divided by the last threshold. Assumes step 1, as the reference.
 *
 * @example
 * const iid = { data: Float64Array.of(4, 3, 2, 1), rows: 4, cols: 1 };
 * const pred = { data: Float64Array.of(2, 1, 1, 1), rows: 4, cols: 1 };
 * barplotValues(pred, iid, 0, [2, 4]); // [0, 0.25]: rows 0 and 1, over 4
 */
export function barplotValues(
  pred: Matrix,
  iid: Matrix,
  target: number,
  thresholds: readonly number[] = [50, 100, 200, 500, 800],
  loss: ErrorSummary = 'mse',
): Float64Array {
  const p = errorSummary(pred, target, loss);
  const b = errorSummary(iid, target, loss);
  const firstRows = thresholds.map((threshold, t) => {
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > b.length) {
      throw new InputError({ argument: `thresholds[${t}]`, expected: `a label budget in [1, ${b.length}]`, received: threshold });
    }
    const reached = p.findIndex((value) => value <= (b[threshold - 1] as number));
    return reached === -1 ? p.length : reached;
  });
  const last = thresholds[thresholds.length - 1] as number;
  return Float64Array.from(firstRows, (row, t) => (t === 0 ? row : row - (firstRows[t - 1] as number)) / last);
}

/** Refuses a `pred` or `iid` that is not a matrix, or an `iid` with another row count than `pred`'s. */
function checkPredAndIid(pred: Matrix, iid: Matrix): void {
  checkMatrix(pred, 'pred');
  checkMatrix(iid, 'iid');
  if (pred.rows !== iid.rows) {
    throw new InputError({ argument: 'iid', expected: `${pred.rows} rows, one per recorded budget of pred`, received: iid.rows });
  }
}

function positions(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i);
}
