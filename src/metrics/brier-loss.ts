import type { Matrix } from '../matrix.js';
import { softmaxRowInto } from './softmax.js';
import { checkLabels, checkMatrix, checkSameShape } from './validate.js';

/**
 * The Brier score of each item, `Σ_k (p_ik − 1[k = y_i])²` with `p = softmax(f)`, in [0, 2].
 *
 * @example
 * brierLossPerItem({ data: Float64Array.of(0, 0), rows: 1, cols: 2 }, Int32Array.of(0)); // [0.5]
 */
export function brierLossPerItem(scores: Matrix, labels: Int32Array): Float64Array {
  checkMatrix(scores, 'scores', true);
  checkLabels(scores, labels);
  // A row of the softmax at a time: the N×K probabilities are never all needed.
  const p = new Float64Array(scores.cols);
  const out = new Float64Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) {
    softmaxRowInto(scores, i, null, p, 0);
    let total = 0;
    for (let k = 0; k < scores.cols; k++) {
      const d = (p[k] as number) - (k === labels[i] ? 1 : 0);
      total += d * d;
    }
    out[i] = total;
  }
  return out;
}

/**
 * The surrogate's expected Brier score of the target, `Σ_k π_ik Σ_j (p_ij − 1[j = k])²
 * = Σπ·Σ_j p_ij² − 2 Σ_k π_ik p_ik + Σπ`: the acquisition value for estimating the Brier score.
 *
 * @example
 * const f = { data: Float64Array.of(0, 0), rows: 1, cols: 2 };
 * expectedBrierLoss(f, { data: Float64Array.of(0.3, 0.7), rows: 1, cols: 2 }); // [0.5]
 */
export function expectedBrierLoss(scores: Matrix, surrogateProbabilities: Matrix): Float64Array {
  checkMatrix(scores, 'scores', true);
  checkMatrix(surrogateProbabilities, 'surrogateProbabilities', true);
  checkSameShape(scores, surrogateProbabilities, 'surrogateProbabilities');
  const p = new Float64Array(scores.cols);
  const pi = surrogateProbabilities.data;
  const out = new Float64Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) {
    softmaxRowInto(scores, i, null, p, 0);
    const start = i * scores.cols;
    let squares = 0;
    let cross = 0;
    let mass = 0;
    for (let k = 0; k < scores.cols; k++) {
      const pk = p[k] as number;
      const pik = pi[start + k] as number;
      squares += pk * pk;
      cross += pik * pk;
      mass += pik;
    }
    out[i] = mass * squares - 2 * cross + mass;
  }
  return out;
}
