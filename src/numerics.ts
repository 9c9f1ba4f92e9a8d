/**
 * Which numerical behaviour to use. `default` is the corrected behaviour (docs/reference-bugs.md);
 * `reference` reproduces the published code's numbers exactly, bugs included, so that the
 * paper's figures can be reproduced.
 */
export type Numerics = 'default' | 'reference';

/**
 * The individual switches behind a `Numerics` choice. The oracle's `corrected` fixtures combine
 * them differently (bug fixes with the reference's softmax), which is why they are separate.
 */
export interface NumericsFlags {
  /** `clamp`: the reference's softmax_clamp (no max-subtraction, saturates above 34.54); `stable`: max-subtracted, probabilities clipped to [eps, 1]. */
  softmax: 'clamp' | 'stable';
  /** `reference`: NLL acquisition against softmaxed one-hot labels (B-M1); `true`: −log π(y). */
  nll: 'reference' | 'true';
  /** `reference`: negative weights shifted by +min in place, all-zero weights give NaN (B-A1, B-A2); `corrected`: shift by −min, all-zero → uniform. */
  proposal: 'reference' | 'corrected';
}

/** The numerics flags of each `numerics` option value: `default` (corrected) and `reference` (the published code's numbers). */
export const NUMERICS_FLAGS: Readonly<Record<Numerics, Readonly<NumericsFlags>>> = {
  default: { softmax: 'stable', nll: 'true', proposal: 'corrected' },
  reference: { softmax: 'clamp', nll: 'reference', proposal: 'reference' },
};

/** The reference's eps; note that 1/eps is 999999999999999.9, not 1e15. */
export const EPS = 1e-15;
