import type { Matrix } from '../matrix.js';
import { rowMedian } from './percentile.js';
import { sma } from './sma.js';
import { checkFinite, checkMatrix, checkSameShape } from './validate.js';

/** Half-width multiplier of the approximate bootstrap 95% interval, the paper's ±1.96σ: one constant everywhere. */
export const BOOTSTRAP_Z = 1.96;

/**
 * Coverage per row: the fraction of runs whose interval `estimate ± ci·sqrt(variance)` contains
 * the true risk, then a trailing moving average (the reference's `plot_bootstrap_error_estimation`).
 * A calibrated ±1.96σ interval (the default, `BOOTSTRAP_Z`) covers about 95 %. The variances are
 * used as given: `summary.json`'s `coverage` first multiplies each by the finite-population factor
 * (`finitePopulationFactor(labels, poolSize)`) and widens the interval by a rounding allowance.
 *
 * @example
 * const estimates = { data: Float64Array.of(1, 2), rows: 1, cols: 2 };
 * const variances = { data: Float64Array.of(0.25, 0.04), rows: 1, cols: 2 };
 * coverage(estimates, variances, 1.5); // [0.5]: 1 ± 0.98 covers 1.5, 2 ± 0.392 does not
 * @throws InputError when `estimates` or `bootstrapVariance` is not a Matrix whose data holds rows × cols
 * values, `bootstrapVariance` is not the shape of `estimates`, or `target` or `confidenceInterval` is not a finite number.
 */
export function coverage(
  estimates: Matrix,
  bootstrapVariance: Matrix,
  target: number,
  confidenceInterval = BOOTSTRAP_Z,
  smoothing = 1,
): Float64Array {
  checkIntervalInputs(estimates, bootstrapVariance, target);
  checkFinite(confidenceInterval, 'confidenceInterval');
  const { rows, cols } = estimates;
  const inside = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let count = 0;
    for (let j = i * cols; j < (i + 1) * cols; j++) {
      const s = estimates.data[j] as number;
      const half = confidenceInterval * Math.sqrt(bootstrapVariance.data[j] as number);
      if (s + half >= target && s - half <= target) count++;
    }
    inside[i] = count / cols;
  }
  return sma(inside, smoothing);
}

/**
 * How well the bootstrap variance estimates the actual squared error, per row:
 * `sma(median over runs of (variance − (estimate − target)²)²)` (the reference's `plot_bootstrap_mse`).
 *
 * @example
 * const estimates = { data: Float64Array.of(1, 2), rows: 1, cols: 2 };
 * const variances = { data: Float64Array.of(0.25, 1), rows: 1, cols: 2 };
 * bootstrapMse(estimates, variances, 1); // [0.03125]: median of (0.25 − 0)² and (1 − 1)²
 * @throws InputError when `estimates` or `bootstrapVariance` is not a Matrix whose data holds rows × cols
 * values, `bootstrapVariance` is not the shape of `estimates`, or `target` is not a finite number.
 */
export function bootstrapMse(estimates: Matrix, bootstrapVariance: Matrix, target: number, smoothing = 1): Float64Array {
  checkIntervalInputs(estimates, bootstrapVariance, target);
  const gap = new Float64Array(estimates.data.length);
  for (let j = 0; j < gap.length; j++) {
    const e = (estimates.data[j] as number) - target;
    const d = (bootstrapVariance.data[j] as number) - e * e;
    gap[j] = d * d;
  }
  return sma(rowMedian({ data: gap, rows: estimates.rows, cols: estimates.cols }), smoothing);
}

function checkIntervalInputs(estimates: Matrix, bootstrapVariance: Matrix, target: number): void {
  checkMatrix(estimates, 'estimates');
  checkMatrix(bootstrapVariance, 'bootstrapVariance');
  checkSameShape(estimates, bootstrapVariance, 'bootstrapVariance');
  checkFinite(target, 'target');
}
