import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { brierLossPerItem, expectedBrierLoss } from '../metrics/brier-loss.js';
import { lossPerItem } from '../metrics/cross-entropy.js';
import { rowCrossEntropy } from '../metrics/entropy.js';
import { classProbabilities } from '../metrics/probabilities.js';
import { EPS } from '../numerics.js';
import { expectedZeroOneLoss, zeroOneLossPerItem } from '../metrics/zero-one-loss.js';

/** The losses a session can estimate by name. */
export type BuiltinLoss = 'cross-entropy' | 'zero-one' | 'brier';

/**
 * A loss supplied through the API: the loss of one item from the target's logits (length K)
 * and the true class. Its acquisition value is the surrogate's expected loss,
 * `Σ_k π_k · itemLoss(f, k)`. The name is stored in the session file; reopening the session
 * needs the same loss again.
 */
export interface CustomLoss {
  name: string;
  itemLoss(scores: Float64Array, label: number): number;
}

export type SessionLoss = BuiltinLoss | CustomLoss;

/** A loss with the two forms a session needs. */
export interface ResolvedLoss {
  /** `cross-entropy`, `zero-one`, `brier`, or `custom:<name>`. */
  readonly id: string;
  /** Loss of each row against its label. */
  perItem(scores: Matrix, labels: Int32Array): Float64Array;
  /** The surrogate's expected loss of each row (the acquisition value). */
  expected(scores: Matrix, surrogateProbabilities: Matrix): Float64Array;
}

/** `−Σ_k π_k log p_k` with the corrected (clipped) softmax of the target: simulate's `surrogate-ce` value. */
function expectedCrossEntropy(scores: Matrix, surrogateProbabilities: Matrix): Float64Array {
  return rowCrossEntropy(classProbabilities(scores, null, EPS, 'stable'), surrogateProbabilities, false);
}

const BUILTIN: Record<BuiltinLoss, ResolvedLoss> = {
  'cross-entropy': { id: 'cross-entropy', perItem: lossPerItem, expected: expectedCrossEntropy },
  'zero-one': { id: 'zero-one', perItem: zeroOneLossPerItem, expected: expectedZeroOneLoss },
  brier: { id: 'brier', perItem: brierLossPerItem, expected: expectedBrierLoss },
};

function customLoss(loss: CustomLoss): ResolvedLoss {
  const itemLoss = (scores: Matrix, i: number, label: number): number => {
    const value = loss.itemLoss(scores.data.subarray(i * scores.cols, (i + 1) * scores.cols), label);
    if (!Number.isFinite(value)) {
      throw new InputError({ argument: `loss ${loss.name}`, expected: 'a finite loss', received: value, row: i });
    }
    return value;
  };
  return {
    id: `custom:${loss.name}`,
    perItem(scores, labels) {
      const out = new Float64Array(scores.rows);
      for (let i = 0; i < scores.rows; i++) out[i] = itemLoss(scores, i, labels[i] as number);
      return out;
    },
    expected(scores, probabilities) {
      const out = new Float64Array(scores.rows);
      for (let i = 0; i < scores.rows; i++) {
        let total = 0;
        for (let k = 0; k < scores.cols; k++) total += (probabilities.data[i * scores.cols + k] as number) * itemLoss(scores, i, k);
        out[i] = total;
      }
      return out;
    },
  };
}

/** Resolves a loss option; `argument` names it in errors. */
export function resolveLoss(loss: SessionLoss, argument = 'loss'): ResolvedLoss {
  if (typeof loss === 'object' && loss !== null && typeof loss.itemLoss === 'function' && typeof loss.name === 'string' && loss.name !== '') {
    return customLoss(loss);
  }
  if (typeof loss === 'string' && loss in BUILTIN) return BUILTIN[loss];
  throw new InputError({ argument, expected: "'cross-entropy', 'zero-one', 'brier' or { name, itemLoss }", received: typeof loss === 'string' ? loss : typeof loss });
}

/** The zero-one loss, through which sessions report accuracy. */
export const ZERO_ONE: ResolvedLoss = BUILTIN['zero-one'];
