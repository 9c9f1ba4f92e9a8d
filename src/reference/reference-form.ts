import { InputError } from '../errors.js';
import { checkChoice } from '../io/suggest.js';
import { pairwiseSum } from '../metrics/index.js';
import { checkPoolSize } from '../estimators/lure.js';
import { MAX_PROBABILITY } from '../estimators/risk-estimator.js';

/** Throws unless every q is a proposal probability in (0, 1] (as `RiskEstimator.add` requires). */
function checkProbabilities(q: ArrayLike<number>): void {
  for (let j = 0; j < q.length; j++) {
    const value = q[j];
    if (typeof value !== 'number' || !(value > 0 && value <= MAX_PROBABILITY)) {
      throw new InputError({
        argument: 'q',
        expected: 'proposal probabilities in (0, 1]',
        received: typeof value === 'number' ? value : typeof value,
        row: j,
      });
    }
  }
}

/** Throws unless there is one finite loss per probability. */
function checkLosses(losses: ArrayLike<number>, count: number): void {
  if (losses.length !== count)
    throw new InputError({ argument: 'losses', expected: `${count} losses, one per q`, received: losses.length });
  for (let j = 0; j < count; j++) {
    if (!Number.isFinite(losses[j]))
      throw new InputError({
        argument: 'losses',
        expected: 'finite numbers',
        received: typeof losses[j] === 'number' ? losses[j] : typeof losses[j],
        row: j,
      });
  }
}

/** The estimators of the reference's `estimators.py`. */
export type ReferenceEstimatorName = 'iid' | 'lure' | 'is';

/**
 * The reference's LURE weights for the M labels so far, `v_m = 1 + (N−M)/(N−m)·(1/((N−m+1)q_m) − 1)`,
 * or all ones when M = N, with the reference's order of operations (O(M); for replay and tests).
 *
 * @example
 * lureWeights([0.5, 0.5], 4); // [2/3, 2/3]
 * @throws {InputError} when a q is not a probability in (0, 1], or there are more q than pool items.
 */
export function lureWeights(q: ArrayLike<number>, poolSize: number): Float64Array {
  checkPoolSize(poolSize);
  checkProbabilities(q);
  // Draws without replacement: past M = N the weights' N − m turns 0 and negative (±Infinity weights).
  if (q.length > poolSize) {
    throw new InputError({ argument: 'q', expected: `at most ${poolSize} probabilities (the pool size)`, received: q.length });
  }
  const m = q.length;
  const out = new Float64Array(m);
  if (m === poolSize) return out.fill(1);
  for (let j = 1; j <= m; j++) {
    out[j - 1] = 1 + ((poolSize - m) / (poolSize - j)) * (1 / ((poolSize - j + 1) * q[j - 1]) - 1);
  }
  return out;
}

/**
 * The reference's IS weights `1/q_m/N`.
 *
 * @example
 * isWeights([0.5, 0.25], 4); // [0.5, 1]
 */
export function isWeights(q: ArrayLike<number>, poolSize: number): Float64Array {
  checkPoolSize(poolSize);
  checkProbabilities(q);
  const out = new Float64Array(q.length);
  for (let j = 0; j < q.length; j++) out[j] = 1 / q[j] / poolSize;
  return out;
}

/**
 * The weights an estimator applies to the losses (all ones for i.i.d.).
 *
 * @example
 * referenceWeights('is', [0.5, 0.25], 4); // [0.5, 1]
 * @throws {InputError} when `estimator` is not `iid`, `lure` or `is`, or as `lureWeights` and `isWeights`.
 */
export function referenceWeights(estimator: ReferenceEstimatorName, q: ArrayLike<number>, poolSize: number): Float64Array {
  // Any other name would be weighted as i.i.d. without a word.
  checkChoice(estimator, ['iid', 'lure', 'is'], 'estimator');
  if (estimator === 'lure') return lureWeights(q, poolSize);
  if (estimator === 'is') return isWeights(q, poolSize);
  checkProbabilities(q);
  return new Float64Array(q.length).fill(1);
}

/**
 * The estimate exactly as the reference computes it: `np.mean(w · ℓ)` over the M acquired items
 * with numpy's pairwise sum, O(M). Matches the reference bit for bit; the incremental estimators
 * agree with it to rounding.
 *
 * @example
 * referenceEstimate('lure', [0.3, 0.9], [0.5, 0.5], 4); // (2/3)(0.3 + 0.9)/2 = 0.4
 * @throws {InputError} as `weightedTerms`, and when there is no acquired item (M = 0).
 */
export function referenceEstimate(
  estimator: ReferenceEstimatorName,
  losses: ArrayLike<number>,
  q: ArrayLike<number>,
  poolSize: number,
): number {
  const terms = weightedTerms(estimator, losses, q, poolSize);
  // numpy's mean of nothing is NaN (with a warning): here the caller hears why.
  if (terms.length === 0) throw new InputError({ argument: 'q', expected: 'at least one acquired item (M ≥ 1)', received: 0 });
  return pairwiseSum(terms) / terms.length;
}

/**
 * The terms `w_m·ℓ_m` whose mean is the estimate (and which the bootstrap resamples).
 *
 * @example
 * weightedTerms('iid', [0.3, 0.9], [0.5, 0.5], 4); // [0.3, 0.9]
 * @throws {InputError} when a q is not a probability in (0, 1], or a loss is missing or not finite,
 *   or as `referenceWeights`.
 */
export function weightedTerms(
  estimator: ReferenceEstimatorName,
  losses: ArrayLike<number>,
  q: ArrayLike<number>,
  poolSize: number,
): Float64Array {
  const weights = referenceWeights(estimator, q, poolSize);
  checkLosses(losses, weights.length);
  for (let j = 0; j < weights.length; j++) weights[j] = weights[j] * losses[j];
  return weights;
}
