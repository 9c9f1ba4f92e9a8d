import type { Matrix } from '../matrix.js';
import { pairwiseMean } from './pairwise-sum.js';
import { rowMedian } from './percentile.js';
import { checkFinite, checkMatrix } from './validate.js';

/*
 * Error summaries of a results matrix (rows = label budgets, columns = runs) against the true risk,
 * as the reference's plotting helpers define them (docs/simulate.md). Means across runs use numpy's
 * pairwise summation, so values agree with the reference to the last bit.
 */

/**
 * Squared error (not standard error) of every estimate, `(pred − target)²` (rows × runs): the
 * entries behind `mse` and `medianSe`, e.g. for a percentile band of a row with `percentile`.
 *
 * @example
 * se({ data: Float64Array.of(1, 3), rows: 1, cols: 2 }, 2).data; // [1, 1]
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values, or `target` is not a finite number.
 */
export function se(pred: Matrix, target: number): Matrix {
  checkPrediction(pred, target);
  return mapEntries(pred, (v) => (v - target) * (v - target));
}

/**
 * Signed error of every estimate, `pred − target` (rows × runs). The bias of the estimator, one
 * value per row as `summary.json`'s `bias`, is `meanBias`.
 *
 * @example
 * bias({ data: Float64Array.of(1, 3), rows: 1, cols: 2 }, 2).data; // [−1, 1]
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values, or `target` is not a finite number.
 */
export function bias(pred: Matrix, target: number): Matrix {
  checkPrediction(pred, target);
  return mapEntries(pred, (v) => v - target);
}

/**
 * Log squared error of every estimate, `log((pred − target)²)` (the reference's `log_mse`, which
 * despite its name takes no mean). An exact estimate gives −Infinity.
 *
 * @example
 * logMse({ data: Float64Array.of(2, 2 + Math.E), rows: 1, cols: 2 }, 2).data; // [−Infinity, 1.9999999999999996]: 2 up to rounding
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values, or `target` is not a finite number.
 */
export function logMse(pred: Matrix, target: number): Matrix {
  checkPrediction(pred, target);
  return mapEntries(pred, (v) => Math.log((v - target) * (v - target)));
}

/**
 * Mean squared error per row (across runs), `summary.json`'s `mse`.
 *
 * @example
 * mse({ data: Float64Array.of(1, 4), rows: 1, cols: 2 }, 2); // [2.5]
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values, or `target` is not a finite number.
 */
export function mse(pred: Matrix, target: number): Float64Array {
  checkPrediction(pred, target);
  return rowMeans(se(pred, target));
}

/**
 * Median squared error per row (across runs), `summary.json`'s `median_se`: robust to the heavy
 * tails of importance weights.
 *
 * @example
 * medianSe({ data: Float64Array.of(1, 3, 10), rows: 1, cols: 3 }, 2); // [1]
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values, or `target` is not a finite number.
 */
export function medianSe(pred: Matrix, target: number): Float64Array {
  checkPrediction(pred, target);
  return rowMedian(se(pred, target));
}

/**
 * Mean log squared error per row (across runs).
 *
 * @example
 * meanLogMse({ data: Float64Array.of(2 + Math.E, 2 - Math.E), rows: 1, cols: 2 }, 2); // [1.9999999999999998]: 2 up to rounding
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values, or `target` is not a finite number.
 */
export function meanLogMse(pred: Matrix, target: number): Float64Array {
  checkPrediction(pred, target);
  return rowMeans(logMse(pred, target));
}

/**
 * Bias per row: mean estimate across runs minus the target, `summary.json`'s `bias`.
 *
 * @example
 * meanBias({ data: Float64Array.of(1, 5), rows: 1, cols: 2 }, 2); // [1]
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values, or `target` is not a finite number.
 */
export function meanBias(pred: Matrix, target: number): Float64Array {
  checkPrediction(pred, target);
  const means = rowMeans(pred);
  for (let i = 0; i < means.length; i++) means[i] = (means[i] as number) - target;
  return means;
}

/**
 * Squared deviation of every estimate from its row's mean across runs (rows × runs).
 *
 * @example
 * variance({ data: Float64Array.of(1, 3), rows: 1, cols: 2 }).data; // [1, 1]
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values.
 */
export function variance(pred: Matrix): Matrix {
  checkMatrix(pred, 'pred');
  const means = rowMeans(pred);
  const out = new Float64Array(pred.data.length);
  for (let i = 0; i < pred.rows; i++) {
    const mean = means[i] as number;
    for (let j = i * pred.cols; j < (i + 1) * pred.cols; j++) {
      const d = (pred.data[j] as number) - mean;
      out[j] = d * d;
    }
  }
  return { data: out, rows: pred.rows, cols: pred.cols };
}

/**
 * Variance of the estimates per row (across runs, population form, ddof 0), so that
 * `mse = meanVariance + meanBias²` row by row (up to rounding).
 *
 * @example
 * meanVariance({ data: Float64Array.of(1, 3), rows: 1, cols: 2 }); // [1]
 * @throws InputError when `pred` is not a Matrix whose data holds rows × cols values.
 */
export function meanVariance(pred: Matrix): Float64Array {
  checkMatrix(pred, 'pred');
  return rowMeans(variance(pred));
}

/**
 * Mean of each row, as `np.mean(m, axis=1)`.
 *
 * @example
 * rowMeans({ data: Float64Array.of(1, 2, 3, 5), rows: 2, cols: 2 }); // [1.5, 4]
 * @throws InputError when `m` is not a Matrix whose data holds rows × cols values.
 */
export function rowMeans(m: Matrix): Float64Array {
  checkMatrix(m, 'm');
  const out = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) out[i] = pairwiseMean(m.data, i * m.cols, (i + 1) * m.cols);
  return out;
}

function mapEntries(m: Matrix, fn: (value: number) => number): Matrix {
  const out = new Float64Array(m.data.length);
  for (let j = 0; j < out.length; j++) out[j] = fn(m.data[j] as number);
  return { data: out, rows: m.rows, cols: m.cols };
}

function checkPrediction(pred: Matrix, target: number): void {
  checkMatrix(pred, 'pred');
  checkFinite(target, 'target');
}
