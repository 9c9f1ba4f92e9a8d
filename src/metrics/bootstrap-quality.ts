import { InputError } from '../errors.js';
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
 * (`finitePopulationFactor(labels, poolSize)`). With `poolSize` each interval is widened by the
 * rounding allowance `2ε·N·|estimate|` as `summary.json`'s is, so that a run that labelled the
 * whole pool (corrected variance exactly 0, estimate a few ulps from the true risk) counts as
 * covering, as `summary.json` counts it.
 *
 * @example
 * const estimates = { data: Float64Array.of(1, 2), rows: 1, cols: 2 };
 * const variances = { data: Float64Array.of(0.25, 0.04), rows: 1, cols: 2 };
 * coverage(estimates, variances, 1.5); // [0.5]: 1 ± 0.98 covers 1.5, 2 ± 0.392 does not
 * @throws InputError when `estimates` or `bootstrapVariance` is not a Matrix whose data holds rows × cols
 * values, `bootstrapVariance` is not the shape of `estimates`, `target` or `confidenceInterval` is not a
 * finite number, or `poolSize` is given and not an integer ≥ 1.
 */
export function coverage(
  estimates: Matrix,
  bootstrapVariance: Matrix,
  target: number,
  confidenceInterval = BOOTSTRAP_Z,
  smoothing = 1,
  poolSize?: number,
): Float64Array {
  checkIntervalInputs(estimates, bootstrapVariance, target);
  checkFinite(confidenceInterval, 'confidenceInterval');
  if (poolSize !== undefined && !(Number.isInteger(poolSize) && poolSize >= 1)) {
    throw new InputError({ argument: 'poolSize', expected: 'an integer ≥ 1', received: poolSize });
  }
  const roundingPerUnit = poolSize === undefined ? 0 : bootstrapRoundingPerUnit(poolSize);
  const { rows, cols } = estimates;
  const inside = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    inside[row] = coveredShare(estimates.data, bootstrapVariance.data, row * cols, cols, target, 1, roundingPerUnit, confidenceInterval);
  }
  return sma(inside, smoothing);
}

/**
 * The fraction of the `runs` runs from `start` whose interval `estimate ± bootstrapHalfWidthFrom(…)`
 * (closed at both ends) contains `target`: the one count behind `coverage`, `summary.json`'s
 * coverage and a report's. `factor` and `roundingPerUnit` are the row's finite-population factor
 * and rounding allowance, computed once per row; the runs inside are counted without a branch
 * (a third of the time).
 */
export function coveredShare(
  estimates: ArrayLike<number>,
  variances: ArrayLike<number>,
  start: number,
  runs: number,
  target: number,
  factor: number,
  roundingPerUnit: number,
  z: number = BOOTSTRAP_Z,
): number {
  let inside = 0;
  for (let j = start; j < start + runs; j++) {
    const estimate = estimates[j] as number;
    const half = bootstrapHalfWidthFrom(variances[j] as number, factor, roundingPerUnit, estimate, z);
    inside += +(estimate + half >= target) & +(estimate - half <= target);
  }
  return inside / runs;
}

/** The bootstrap interval's rounding allowance per unit of |estimate| over a pool of `poolSize`: 2ε·N (`bootstrapHalfWidthFrom`). */
export function bootstrapRoundingPerUnit(poolSize: number): number {
  return 2 * Number.EPSILON * poolSize;
}

/**
 * A bootstrap variance times its finite-population factor: 0 at M = N (factor 0) whatever the
 * variance, also an infinite one, where the product would be 0·∞ = NaN (a variance whose terms'
 * squares overflowed a double).
 *
 * @example
 * correctedBootstrapVariance(0.04, 0.5); // 0.02
 * correctedBootstrapVariance(Infinity, 0); // 0
 */
export function correctedBootstrapVariance(variance: number, factor: number): number {
  return factor === 0 ? 0 : variance * factor;
}

/**
 * Half-width of the approximate bootstrap interval `estimate ± half` from its two per-label-count
 * terms: z·σ with the finite-population factor, plus the rounding allowance per unit of |estimate|
 * (0: none) times |estimate|. At M = N σ is exactly 0 and the estimate is the pool mean summed in
 * draw order, which differs from R summed in another order by a few ulps; the margin (2ε·Σ|ℓ| for
 * nonnegative losses, as the confidence sequences allow) keeps R inside the point, and is
 * invisible before M = N. `z` (default 1.96) for a report drawn at another confidence. With no
 * allowance an infinite estimate adds nothing (not 0·∞ = NaN).
 */
export function bootstrapHalfWidthFrom(
  variance: number,
  factor: number,
  roundingPerUnit: number,
  estimate: number,
  z: number = BOOTSTRAP_Z,
): number {
  const spread = z * Math.sqrt(correctedBootstrapVariance(variance, factor));
  return spread + (roundingPerUnit === 0 ? 0 : roundingPerUnit * Math.abs(estimate));
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
