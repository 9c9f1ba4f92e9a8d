import { InputError } from '../errors.js';
import { checkArrayLike } from '../io/index.js';
import { CompensatedSum } from './compensated-sum.js';
import { TermMeanEstimator } from './risk-estimator.js';

/**
 * The active surrogate estimate maintained as labels arrive (docs/concepts.md): the surrogate's
 * expected loss E_i for every unlabelled item and the true loss for every labelled one,
 * `R̂ = (Σ_i E_i + Σ_{m≤M} (ℓ_m − E_{i_m}))/N`, O(1) per label. Written as the mean of
 * `x_m = ΣE/N + (M/N)(ℓ_m − E_{i_m})`, its bootstrap variance resamples the corrections.
 *
 * @example
 * const ase = new RunningAseEstimator(Float64Array.of(0.2, 0.4));
 * ase.estimate(); // NaN until the first label; the zero-shot value is ase.zeroShot = 0.3
 * ase.add(1, 0.5, 0);
 * ase.estimate(); // (0.6 + 0.8) / 2 = 0.7
 * @throws InputError when `expectedLosses` is not an array, is empty or one is not finite.
 */
export class RunningAseEstimator extends TermMeanEstimator {
  /** The zero-label estimate, the mean expected loss. */
  readonly zeroShot: number;
  private readonly totalExpected: number;

  constructor(private readonly expectedLosses: Float64Array) {
    super();
    checkArrayLike(expectedLosses, 'expectedLosses');
    if (expectedLosses.length === 0) throw new InputError({ argument: 'expectedLosses', expected: 'a non-empty pool', received: 0 });
    const total = new CompensatedSum();
    for (let i = 0; i < expectedLosses.length; i++) {
      // A NaN would turn every estimate NaN from the zero-shot value on, not only its item's.
      if (!Number.isFinite(expectedLosses[i])) {
        throw new InputError({ argument: 'expectedLosses', expected: 'a finite expected loss', received: expectedLosses[i], row: i });
      }
      total.add(expectedLosses[i]);
    }
    this.totalExpected = total.value;
    this.zeroShot = this.totalExpected / expectedLosses.length;
  }

  protected override get capacity(): number {
    return this.expectedLosses.length;
  }

  protected primaryTerm(): number {
    return this.zeroShot;
  }

  protected override secondaryTerm(loss: number, _q: number, _m: number, index: number | undefined): number {
    if (index === undefined || !(index >= 0 && index < this.expectedLosses.length)) {
      throw new InputError({
        argument: 'index',
        expected: `the pool index of the labelled item, in [0, ${this.expectedLosses.length - 1}]`,
        received: index,
      });
    }
    return loss - this.expectedLosses[index];
  }

  protected override scale(labels: number): number {
    return labels / this.expectedLosses.length;
  }
}
