import type { Matrix } from '../matrix.js';
import { EPS } from '../numerics.js';
import { brierLossPerItem, expectedBrierLoss } from './brier-loss.js';
import { lossPerItem } from './cross-entropy.js';
import { crossEntropyRow } from './entropy.js';
import { clipProbabilities, softmaxRowInto } from './softmax.js';
import { checkSameShape } from './validate.js';
import { expectedZeroOneLoss, zeroOneLossPerItem } from './zero-one-loss.js';

/** The losses the library estimates by name: the same names in TypeScript, on the command line (`--loss`) and in grids. */
export type BuiltinLoss = 'cross-entropy' | 'zero-one' | 'brier';

/** The built-in loss names, in `--help` order: what `loss` accepts. */
export const BUILTIN_LOSS_NAMES: readonly BuiltinLoss[] = ['cross-entropy', 'zero-one', 'brier'];

/** A loss in the two forms active testing needs. */
export interface LossFunctions {
  /** `cross-entropy`, `zero-one`, `brier` (or `custom:<name>` for a session's own loss). */
  readonly id: string;
  /** Loss of each row of the target's scores against its label. */
  perItem(scores: Matrix, labels: Int32Array): Float64Array;
  /** The surrogate's expected loss of the target's prediction per row: the acquisition value. */
  expected(scores: Matrix, surrogateProbabilities: Matrix): Float64Array;
}

/**
 * `−Σ_k π_k log p_k` with the corrected (clipped) softmax of the target: simulate's `surrogate-ce`
 * value, the same numbers as `rowCrossEntropy(clippedSoftmax(scores, null, EPS), π, false)`, a row
 * at a time (the N×K probabilities of the target are never all needed).
 */
function expectedCrossEntropy(scores: Matrix, surrogateProbabilities: Matrix): Float64Array {
  checkSameShape(scores, surrogateProbabilities, 'surrogateProbabilities');
  const { rows, cols } = scores;
  const target = { data: new Float64Array(cols), rows: 1, cols };
  const terms = new Float64Array(cols);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    softmaxRowInto(scores, i, null, target.data, 0);
    clipProbabilities(target, EPS);
    out[i] = crossEntropyRow(target.data, 0, surrogateProbabilities.data, i * cols, cols, terms);
  }
  return out;
}

/**
 * The per-item loss and the acquisition value of each built-in loss.
 *
 * @example
 * BUILTIN_LOSSES['zero-one'].perItem({ data: Float64Array.of(2, 1), rows: 1, cols: 2 }, Int32Array.of(1)); // [1]
 */
export const BUILTIN_LOSSES: Readonly<Record<BuiltinLoss, LossFunctions>> = {
  'cross-entropy': { id: 'cross-entropy', perItem: lossPerItem, expected: expectedCrossEntropy },
  'zero-one': { id: 'zero-one', perItem: zeroOneLossPerItem, expected: expectedZeroOneLoss },
  brier: { id: 'brier', perItem: brierLossPerItem, expected: expectedBrierLoss },
};
