import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { EPS, NUMERICS_FLAGS, type Numerics } from '../numerics.js';
import { lossPerItem, softLossPerItem } from '../metrics/cross-entropy.js';
import { pairwiseSum } from '../metrics/pairwise-sum.js';
import { softmaxClamp } from '../metrics/softmax-clamp.js';
import { softmaxRows } from '../metrics/softmax.js';
import { checkEps, checkLabels, checkMatrix, checkSameShape, checkTemperature } from '../metrics/validate.js';
import { checkObject } from '../io/index.js';
import { checkChoice, checkKnownKeys } from '../io/suggest.js';

/**
 * Which surrogate-based acquisition the estimator accompanies: `ce`, `pe` or `nll`. With
 * `numerics: 'default'` it does not change the estimate: ASE always estimates the target's risk from
 * the surrogate's expected loss of the target, whatever chose the labels. With `'reference'` it
 * reproduces the reference's `get_estimate` branches: `pe` scores unlabelled items by the surrogate's
 * own entropy and `nll` by the surrogate's NLL against every true label, neither of which estimates the
 * target's risk (docs/reference-bugs.md, B-S1).
 */
export type AseMode = 'ce' | 'pe' | 'nll';

/** The pool's scores that `ActiveSurrogateEstimator` reads. */
export interface AseInput {
  /** Target-model logits f (N×K). */
  modelScores: Matrix;
  /** Surrogate logits g (N×K). */
  surrogateScores: Matrix;
}

/** Options of `ActiveSurrogateEstimator`. */
export interface AseOptions {
  /** Divides the surrogate's logits before its softmax; null (default) for none. */
  temperature?: number | null;
  /** Default `'ce'`; see {@link AseMode}. */
  mode?: AseMode;
  /** `'default'` (corrected) or `'reference'` (the published numbers, bugs included). */
  numerics?: Numerics;
  /** The reference softmax's clip; default 1e-15. */
  eps?: number;
  /**
   * Every item's label: needed only by `numerics: 'reference'` with mode `nll`, whose unlabelled
   * term is the surrogate's NLL against the true label (the reference reads labels it should not have).
   */
  poolLabels?: Int32Array;
}

const ASE_MODES = ['ce', 'pe', 'nll'] satisfies AseMode[];

/**
 * Active Surrogate Estimator (Kossen et al. 2022; docs/concepts.md): the target's risk over the pool
 * estimated as the surrogate's expected loss of the target, `(1/N) Σ_i Σ_k π_g(k|x_i) ℓ(f(x_i), k)`,
 * with the true loss substituted for every item whose label has been acquired:
 * `R̂ = (1/N) [Σ_{i∈S} ℓ_i + Σ_{i∉S} e_i]`. Inputs are never modified (the reference's PE/NLL
 * branches overwrite the caller's surrogate scores).
 *
 * With `numerics: 'default'` the temperature applies to the surrogate everywhere, and the estimate with
 * no labels equals {@link zeroShotEstimate}. With `'reference'`, `zeroShotEstimate` is the reference's
 * (stable softmax of g/T) and `estimate` its `get_estimate` (softmax_clamp of g, temperature ignored).
 *
 * To maintain the estimate while labels arrive, keep `Σ_i e_i` and add `ℓ_i − e_i` for each new label
 * (`expectedLosses` holds e): that is O(1) per label.
 *
 * @example
 * const ase = new ActiveSurrogateEstimator({ modelScores: f, surrogateScores: g }, { temperature: 2 });
 * ase.zeroShotEstimate();              // no labels
 * ase.estimate([0, 3, 7], [1, 0, 1]); // items 0, 3 and 7 labelled 1, 0 and 1
 * @throws InputError (from the constructor) when `modelScores` or `surrogateScores` is not a Matrix
 * of rows × cols finite values, the two differ in shape, or an option is out of range.
 */
export class ActiveSurrogateEstimator {
  /** e_i: the surrogate's expected loss of the target for each item (the term used while i is unlabelled). */
  readonly expectedLosses: Float64Array;
  /** The term for unlabelled items when it differs from `expectedLosses` (reference `pe`, `nll`); null otherwise. */
  private readonly referenceUnlabelled: Float64Array | null;
  private readonly modelScores: Matrix;
  private readonly surrogateScores: Matrix;
  private readonly temperature: number | null;
  private readonly numerics: Numerics;

  constructor(input: AseInput, options: AseOptions = {}) {
    checkObject(input, 'input', 'scores { modelScores, surrogateScores }');
    checkKnownKeys(options, ['temperature', 'mode', 'numerics', 'eps', 'poolLabels'] satisfies (keyof AseOptions)[], null);
    // Once per estimator, not per estimate: a NaN logit would otherwise become a NaN estimate.
    checkMatrix(input.modelScores, 'modelScores', true);
    checkMatrix(input.surrogateScores, 'surrogateScores', true);
    const { temperature = null, mode = 'ce', numerics = 'default', eps = EPS, poolLabels } = options;
    checkTemperature(temperature);
    checkEps(eps);
    checkChoice(mode, ASE_MODES, 'mode');
    checkChoice(numerics, Object.keys(NUMERICS_FLAGS) as Numerics[], 'numerics');
    checkSameShape(input.modelScores, input.surrogateScores, 'surrogateScores');
    this.modelScores = input.modelScores;
    this.surrogateScores = input.surrogateScores;
    this.temperature = temperature;
    this.numerics = numerics;
    this.expectedLosses =
      numerics === 'default'
        ? softLossPerItem(input.modelScores, softmaxRows(input.surrogateScores, temperature))
        : softLossPerItem(input.modelScores, softmaxClamp(input.surrogateScores, null, eps));
    this.referenceUnlabelled = numerics === 'reference' ? referenceUnlabelledTerms(input, mode, eps, poolLabels) : null;
  }

  /**
   * The estimate with no labels: the mean over the pool of the surrogate's expected loss of the target.
   *
   * @example
   * new ActiveSurrogateEstimator({ modelScores: f, surrogateScores: g }).zeroShotEstimate();
   */
  zeroShotEstimate(): number {
    if (this.numerics === 'default') return pairwiseSum(this.expectedLosses) / this.expectedLosses.length;
    // The reference's zero_shot_estimate: a stable softmax of g/T (any truthy T), always the CE form.
    const surrogate = softmaxRows(this.surrogateScores, this.temperature || null);
    const losses = softLossPerItem(this.modelScores, surrogate);
    return pairwiseSum(losses) / losses.length;
  }

  /**
   * The estimate once the items `samples` (pool indices) have been labelled `sampleLabels` (class
   * indices, in the same order): their true losses replace the surrogate's expectation. Labels of the
   * other items are not needed, except by the reference's `nll` mode (see `poolLabels`).
   *
   * @example
   * ase.estimate([], []);            // = zeroShotEstimate() with numerics 'default'
   * ase.estimate([0, 3, 7], [1, 0, 1]);
   */
  estimate(samples: ArrayLike<number>, sampleLabels: ArrayLike<number>): number {
    const { rows: n, cols: k } = this.modelScores;
    if (sampleLabels.length !== samples.length) {
      throw new InputError({
        argument: 'sampleLabels',
        expected: `${samples.length} labels, one per sample`,
        received: sampleLabels.length,
      });
    }
    const terms = Float64Array.from(this.unlabelledTerms());
    for (let m = 0; m < samples.length; m++) {
      const i = samples[m] as number;
      if (!Number.isInteger(i) || i < 0 || i >= n) {
        throw new InputError({ argument: 'samples', expected: `a pool index in [0, ${n - 1}]`, received: i, row: m });
      }
      const item = { data: this.modelScores.data.subarray(i * k, (i + 1) * k), rows: 1, cols: k };
      const label = sampleLabels[m] as number;
      if (!Number.isInteger(label) || label < 0 || label >= k) {
        throw new InputError({ argument: 'sampleLabels', expected: `a class index in [0, ${k - 1}]`, received: label, row: m });
      }
      terms[i] = lossPerItem(item, Int32Array.of(label))[0] as number;
    }
    return pairwiseSum(terms) / n;
  }

  private unlabelledTerms(): Float64Array {
    return this.referenceUnlabelled ?? this.expectedLosses;
  }
}

/**
 * The reference's get_estimate term for unlabelled items in its pe and nll branches: the surrogate's
 * self-entropy (softmax_clamp targets against the stable softmax of the same logits), or the surrogate's
 * NLL of the true label. Neither estimates the target's risk (B-S1).
 */
function referenceUnlabelledTerms(input: AseInput, mode: AseMode, eps: number, poolLabels: Int32Array | undefined): Float64Array | null {
  const g = input.surrogateScores;
  if (mode === 'pe') return softLossPerItem(g, softmaxClamp(g, null, eps));
  if (mode === 'nll') {
    if (poolLabels === undefined) {
      throw new InputError({ argument: 'poolLabels', expected: "every item's label, for the reference's nll mode" });
    }
    checkLabels(g, poolLabels, 'poolLabels');
    return lossPerItem(g, poolLabels);
  }
  return null;
}
