import { InputError } from '../errors.js';
import { bootstrapHalfWidthFrom, bootstrapRoundingPerUnit, pairwiseSum } from '../metrics/index.js';
import type { RandomSource } from '../random.js';
import { checkPoolSize } from './lure.js';

/**
 * One bootstrap replicate as the reference computes it: M indices drawn with replacement,
 * `j = min(floor(u·M), M − 1)` for each uniform u, and the pairwise mean of the resampled terms.
 * `scratch` (length ≥ M) receives the resampled terms, so the call allocates nothing; `picks`, when
 * given, receives the resampled positions.
 *
 * @example
 * bootstrapReplicate(Float64Array.of(1, 2, 3), 3, () => 0.5, new Float64Array(3)); // 2
 */
export function bootstrapReplicate(
  terms: ArrayLike<number>,
  m: number,
  random: RandomSource,
  scratch: Float64Array,
  picks?: Int32Array,
): number {
  for (let j = 0; j < m; j++) {
    let pick = Math.floor(random() * m);
    if (pick > m - 1) pick = m - 1;
    scratch[j] = terms[pick];
    if (picks !== undefined) picks[j] = pick;
  }
  return pairwiseSum(scratch, 0, m) / m;
}

/**
 * Population variance (ddof 0) of `values[0..n)` as `np.var` computes it: pairwise mean, then
 * the pairwise mean of squared deviations. Overwrites `values` with the squared deviations.
 *
 * @example
 * populationVarianceInPlace(Float64Array.of(1, 3)); // 1
 */
export function populationVarianceInPlace(values: Float64Array, n: number = values.length): number {
  const mean = pairwiseSum(values, 0, n) / n;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    values[i] = d * d;
  }
  return pairwiseSum(values, 0, n) / n;
}

/**
 * The Monte Carlo bootstrap variance of the mean of `terms[0..M)` with `B` replicates (the
 * reference's `run_bootstrap` + `np.var`), O(B·M). Converges to the exact variance
 * `RiskEstimator.bootstrapVariance()` with relative error about sqrt(2/B). `scratch` needs
 * length ≥ M and `replicates` ≥ B.
 *
 * @example
 * const terms = Float64Array.of(0.2, 0.9, 0.4);
 * monteCarloBootstrapVariance(terms, 3, 1000, randomStream(0, [0, 1]), new Float64Array(3), new Float64Array(1000));
 */
export function monteCarloBootstrapVariance(
  terms: ArrayLike<number>,
  m: number,
  b: number,
  random: RandomSource,
  scratch: Float64Array,
  replicates: Float64Array,
): number {
  for (let i = 0; i < b; i++) replicates[i] = bootstrapReplicate(terms, m, random, scratch);
  return populationVarianceInPlace(replicates, b);
}

/**
 * The finite-population factor (N − M)/(N − 1) of a mean of M draws without replacement from N,
 * applied to the bootstrap variance: 1 at M = 1, exactly 0 at M = N (every loss is known).
 *
 * @example
 * finitePopulationFactor(7, 7); // 0
 * finitePopulationFactor(1, 7); // 1
 * @throws InputError when `poolSize` is not an integer ≥ 1, or `labels` is not an integer in [1, poolSize].
 */
export function finitePopulationFactor(labels: number, poolSize: number): number {
  checkPoolSize(poolSize);
  // Outside [1, N] the formula gives a factor above 1 or below 0, which would silently rescale a variance.
  if (!(Number.isInteger(labels) && labels >= 1 && labels <= poolSize)) {
    throw new InputError({ argument: 'labels', expected: `an integer in [1, ${poolSize}] (the pool size)`, received: labels });
  }
  if (labels === poolSize) return 0;
  return (poolSize - labels) / (poolSize - 1);
}

/**
 * Half-width of the approximate bootstrap interval `estimate ± half`: 1.96σ with the
 * finite-population factor, plus 2ε·N·|estimate| for rounding. At M = N σ is exactly 0 and the
 * estimate is the pool mean summed in draw order, which differs from R summed in another order by
 * a few ulps; the margin (2ε·Σ|ℓ| for nonnegative losses, as the confidence sequences allow) keeps
 * R inside the point, and is invisible before M = N.
 *
 * @example
 * bootstrapHalfWidth(0.04, 1, 7, 0.5); // 1.96 · 0.2 + 7ε
 * bootstrapHalfWidth(0.04, 7, 7, 0.5); // 7ε: the point, widened for rounding
 */
export function bootstrapHalfWidth(variance: number, labels: number, poolSize: number, estimate: number): number {
  return bootstrapHalfWidthFrom(variance, finitePopulationFactor(labels, poolSize), bootstrapRoundingPerUnit(poolSize), estimate);
}
