import { InputError } from '../errors.js';
import { checkArrayLike } from '../io/index.js';
import { pairwiseSum } from '../metrics/index.js';

/**
 * How the floored proposal treats negative and all-zero weights. `reference` reproduces the
 * published `get_pmf_distr` (negative weights shifted by +min, all-zero weights with clip 0 give
 * NaN; docs/reference-bugs.md B-A1, B-A2); `corrected` shifts by −min and falls back to the uniform distribution.
 */
export type ProposalVariant = 'reference' | 'corrected';

/**
 * The proposal over the remaining pool: each weight normalised, floored at `clip / n` and the
 * result renormalised, `p_i = max(clip/n, w_i/Σw) / Z` (docs/concepts.md, The proposal). Sums follow numpy's
 * pairwise `np.sum`, so the result matches the reference bit for bit. The input is not mutated.
 *
 * @example
 * floorProposal([0, 1, 3], 0.3, 'corrected'); // [0.1/1.1, 0.25/1.1, 0.75/1.1]
 * @throws InputError when `weights` is not an array or a weight is not finite.
 */
export function floorProposal(weights: ArrayLike<number>, clip: number, variant: ProposalVariant): Float64Array {
  checkArrayLike(weights, 'weights');
  const out = Float64Array.from(weights);
  // One NaN weight would make every probability NaN (the normaliser is their sum).
  const bad = out.findIndex((weight) => !Number.isFinite(weight));
  if (bad !== -1) throw new InputError({ argument: 'weights', expected: 'a finite weight', received: out[bad], row: bad });
  floorProposalInPlace(out, out.length, clip, variant);
  return out;
}

/**
 * `floorProposal` on the first `n` entries of `buffer`, in place (no allocation), for the
 * O(N)-per-step reference sampler.
 *
 * @example
 * const buffer = Float64Array.of(2, 2, 0, 9);
 * floorProposalInPlace(buffer, 3, 0, 'reference'); // buffer → [0.5, 0.5, 0, 9]
 */
export function floorProposalInPlace(buffer: Float64Array, n: number, clip: number, variant: ProposalVariant): void {
  let min = Infinity;
  for (let i = 0; i < n; i++) if (buffer[i] < min) min = buffer[i];
  if (min < 0) {
    // The reference adds the (negative) minimum (B-A1); the correction subtracts it.
    const shift = variant === 'reference' ? min : -min;
    for (let i = 0; i < n; i++) buffer[i] += shift;
  }
  const total = pairwiseSum(buffer, 0, n);
  if (total !== 0) {
    for (let i = 0; i < n; i++) buffer[i] = buffer[i] / total;
  } else if (variant === 'corrected') {
    for (let i = 0; i < n; i++) buffer[i] = 1 / n;
  }
  const floor = clip / n;
  for (let i = 0; i < n; i++) {
    const value = buffer[i];
    // np.maximum propagates NaN, as Math.max does.
    buffer[i] = Math.max(floor, value);
  }
  const normaliser = pairwiseSum(buffer, 0, n);
  for (let i = 0; i < n; i++) buffer[i] = buffer[i] / normaliser;
}

/**
 * Inverse-CDF position of the uniform `u` in `pmf` (the oracle's replacement for
 * `rng.multinomial(1, pmf).argmax()`): the first `j` whose sequential cumulative sum exceeds `u`
 * (or is NaN);
 * if rounding leaves none, the last `j` with positive mass (or the last item when none has any).
 *
 * @example
 * inverseCdfIndex([0.2, 0.3, 0.5], 0.25); // 1
 */
export function inverseCdfIndex(pmf: ArrayLike<number>, u: number, n: number = pmf.length): number {
  let cumulative = 0;
  for (let j = 0; j < n; j++) {
    cumulative += pmf[j];
    // numpy's searchsorted orders NaN above every number, so a NaN proposal stops at once.
    if (cumulative > u || Number.isNaN(cumulative)) return j;
  }
  for (let j = n - 1; j >= 0; j--) if (pmf[j] > 0) return j;
  return n - 1;
}
