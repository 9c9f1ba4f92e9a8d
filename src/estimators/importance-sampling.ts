import { checkPoolSize } from './lure.js';
import { TermMeanEstimator } from './risk-estimator.js';

/**
 * Naive importance sampling, `R̂ = (1/M) Σ_m ℓ_m/(N q_m)` (the reference's `ISEstimator`). With
 * the conditional q of sampling without replacement it is biased for M > 1 (docs/reference-bugs.md B-A9): a
 * baseline only.
 *
 * @example
 * const is = new ISEstimator(4);
 * is.add(0.5, 0.5);
 * is.estimate(); // 0.25
 */
export class ISEstimator extends TermMeanEstimator {
  constructor(readonly poolSize: number) {
    super();
    checkPoolSize(poolSize);
  }

  protected override get capacity(): number {
    return this.poolSize;
  }

  protected primaryTerm(loss: number, q: number): number {
    return (1 / q / this.poolSize) * loss;
  }
}
