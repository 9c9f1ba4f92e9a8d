import type { Matrix } from '../matrix.js';
import { checkLabels, checkMatrix, checkNoNaN, checkSameShape } from './validate.js';

/** Index of the largest score in row `i` (ties go to the first, as the reference's argmax). */
export function predictedClass(scores: Matrix, i: number): number {
  const start = i * scores.cols;
  let best = 0;
  for (let k = 1; k < scores.cols; k++) if ((scores.data[start + k] as number) > (scores.data[start + best] as number)) best = k;
  return best;
}

/**
 * The zero-one loss of each item, `1[argmax f_i ≠ y_i]`; its mean is the error rate (1 − accuracy).
 *
 * @example
 * zeroOneLossPerItem({ data: Float64Array.of(2, 1, 0, 3), rows: 2, cols: 2 }, Int32Array.of(1, 1)); // [1, 0]
 */
export function zeroOneLossPerItem(scores: Matrix, labels: Int32Array): Float64Array {
  checkMatrix(scores, 'scores');
  checkLabels(scores, labels);
  checkNoNaN(scores, 'scores');
  const out = new Float64Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) out[i] = predictedClass(scores, i) === labels[i] ? 0 : 1;
  return out;
}

/**
 * The surrogate's expected zero-one loss of the target's prediction, `1 − π_i(argmax f_i)`:
 * the acquisition value for estimating the error rate. `surrogateProbabilities` are the
 * surrogate's class probabilities (e.g. from `classProbabilities`).
 *
 * @example
 * const f = { data: Float64Array.of(2, 1), rows: 1, cols: 2 };
 * expectedZeroOneLoss(f, { data: Float64Array.of(0.3, 0.7), rows: 1, cols: 2 }); // [0.7]
 */
export function expectedZeroOneLoss(scores: Matrix, surrogateProbabilities: Matrix): Float64Array {
  checkMatrix(scores, 'scores');
  checkNoNaN(scores, 'scores');
  checkMatrix(surrogateProbabilities, 'surrogateProbabilities', true);
  checkSameShape(scores, surrogateProbabilities, 'surrogateProbabilities');
  const out = new Float64Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) out[i] = expectedZeroOneRow(scores, i, surrogateProbabilities.data, i * scores.cols);
  return out;
}

/**
 * Row `i` of {@link expectedZeroOneLoss}, from that row's probabilities in `probabilities` from
 * `at`, unchecked: the same number, for a caller that has the probabilities a row at a time.
 */
export function expectedZeroOneRow(scores: Matrix, i: number, probabilities: Float64Array, at: number): number {
  let total = 0;
  for (let k = 0; k < scores.cols; k++) total += probabilities[at + k] as number;
  return total - (probabilities[at + predictedClass(scores, i)] as number);
}
