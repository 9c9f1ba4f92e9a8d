import { TermMeanEstimator } from './risk-estimator.js';

/**
 * The unweighted mean loss, `R̂ = (1/M) Σ_m ℓ_m`: unbiased under uniform sampling, biased on
 * purpose under active sampling (the paper's "unw." baseline). q is ignored.
 *
 * @example
 * const iid = new IidEstimator();
 * iid.add(1, 0.1);
 * iid.add(3, 0.9);
 * iid.estimate(); // 2
 * iid.bootstrapVariance(); // 0.5: popvar([1, 3]) / 2
 */
export class IidEstimator extends TermMeanEstimator {
  protected primaryTerm(loss: number): number {
    return loss;
  }
}
