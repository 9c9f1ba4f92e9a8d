import { InputError } from '../errors.js';
import { TermMeanEstimator } from './risk-estimator.js';

/**
 * LURE (Farquhar et al. 2021), unbiased under sampling without replacement:
 * `R̂ = (1/M) Σ_m v_m ℓ_m` with `v_m = 1 + (N−M)/(N−m)·(1/((N−m+1)q_m) − 1)` (docs/concepts.md),
 * kept as `(S₁ + (N−M)·S₂)/M` from running sums (docs/algorithms.md §1), O(1) per label.
 *
 * @example
 * const lure = new LUREEstimator(4);
 * lure.add(0.5, 0.25); // uniform first draw: v = 1
 * lure.estimate(); // 0.5
 */
export class LUREEstimator extends TermMeanEstimator {
  constructor(readonly poolSize: number) {
    super();
    checkPoolSize(poolSize);
  }

  protected override get capacity(): number {
    return this.poolSize;
  }

  protected primaryTerm(loss: number): number {
    return loss;
  }

  protected override secondaryTerm(loss: number, q: number, m: number): number {
    const n = this.poolSize;
    // At m = N the weight is 1 whatever q is (the reference's special case); b_N would be 0/0.
    if (m === n) return 0;
    return loss * ((1 / (n - m)) * (1 / ((n - m + 1) * q) - 1));
  }

  protected override scale(labels: number): number {
    return this.poolSize - labels;
  }
}

/** Throws unless `poolSize` is an integer ≥ 1. */
export function checkPoolSize(poolSize: number): void {
  if (!(Number.isInteger(poolSize) && poolSize >= 1)) {
    throw new InputError({ argument: 'poolSize', expected: 'an integer ≥ 1', received: poolSize });
  }
}
