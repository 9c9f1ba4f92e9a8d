import type { Matrix } from '../matrix.js';
import { pairwiseSum } from './pairwise-sum.js';
import { logSoftmaxRows, softmaxRowInto, softmaxRows } from './softmax.js';
import { checkLabels, checkMatrix, checkSameShape, checkTemperature, checkWeights } from './validate.js';

/** 2⁻¹⁰²², the smallest normal double: below it a probability keeps fewer bits and its log drifts. */
const SMALLEST_NORMAL = 2 ** -1022;

/**
 * The loss of each item, `ℓ_i = −log softmax(f_i)[y_i]`, computed as the row term of the
 * reference's `cross_entropy_loss` (the log of the stable, unclipped softmax probability), so that
 * estimators built on it reproduce the reference exactly. Where the reference is not finite this is:
 * a label probability that underflows to 0 gives `log Σ exp(f − max) − (f_y − max)` instead of +∞, and
 * another class's probability underflowing to 0 does not turn the row into 0·log 0 = NaN. The
 * same log-softmax serves a label probability below the smallest normal double (a loss above
 * about 708 nats), whose few significant bits would put its log off by up to a few percent.
 * A temperature T scores `f/T` (the reference's `nll(..., temperature=T)`).
 *
 * @example
 * lossPerItem({ data: Float64Array.of(0, Math.log(3)), rows: 1, cols: 2 }, Int32Array.of(1)); // [−ln 0.75]
 */
export function lossPerItem(scores: Matrix, labels: Int32Array, temperature: number | null = null): Float64Array {
  checkMatrix(scores, 'scores', true);
  checkLabels(scores, labels);
  checkTemperature(temperature);
  // A row at a time: the N×K probabilities are never all needed.
  const row = new Float64Array(scores.cols);
  const out = new Float64Array(scores.rows);
  for (let i = 0; i < scores.rows; i++) {
    softmaxRowInto(scores, i, temperature, row, 0);
    const py = row[labels[i] as number] as number;
    out[i] = py >= SMALLEST_NORMAL ? -Math.log(py) : -(logSoftmaxRow(scores, i, temperature)[labels[i] as number] as number);
  }
  return out;
}

function logSoftmaxRow(scores: Matrix, i: number, temperature: number | null): Float64Array {
  const row = { data: scores.data.subarray(i * scores.cols, (i + 1) * scores.cols), rows: 1, cols: scores.cols };
  return logSoftmaxRows(row, temperature).data;
}

/**
 * The loss of each item against probability targets, `−Σ_k t_ik log softmax(f_i)_k` (the row term
 * of the reference's `cross_entropy_loss` with soft targets, e.g. a surrogate's predictive
 * distribution; ASE uses it as the surrogate's expected loss of the target model). Where the
 * reference is not finite: a class with target 0 adds nothing, even where its probability
 * underflows (the reference's 0·log 0 = NaN), and a subnormal or underflowed probability takes its
 * log from the log-softmax.
 *
 * @example
 * const f = { data: Float64Array.of(0, 0), rows: 1, cols: 2 };
 * softLossPerItem(f, { data: Float64Array.of(0.3, 0.7), rows: 1, cols: 2 }); // [ln 2]
 */
export function softLossPerItem(scores: Matrix, targets: Matrix): Float64Array {
  checkMatrix(scores, 'scores', true);
  checkMatrix(targets, 'targets', true);
  checkSameShape(scores, targets, 'targets');
  const { rows, cols } = scores;
  const p = softmaxRows(scores, null).data;
  const terms = new Float64Array(cols);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const start = i * cols;
    let exact: Float64Array | null = null;
    for (let k = 0; k < cols; k++) {
      const t = targets.data[start + k] as number;
      const pk = p[start + k] as number;
      // A class with no target weight adds nothing (not 0·log 0 = NaN); a subnormal or underflowed
      // probability takes its log from the log-softmax, as in lossPerItem.
      if (t === 0) terms[k] = 0;
      else if (pk >= SMALLEST_NORMAL) terms[k] = t * Math.log(pk);
      else terms[k] = t * (exact ??= logSoftmaxRow(scores, i, null))[k]!;
    }
    out[i] = -pairwiseSum(terms);
  }
  return out;
}

/**
 * Mean cross-entropy of the scores against class labels, optionally weighted:
 * `(1/M) Σ_i w_i ℓ_i` (the reference's `cross_entropy_loss`: the mean is over the M rows, not
 * divided by Σw, which is what LURE and IS weights need). A temperature T scores `f/T`.
 *
 * @example
 * const f = { data: Float64Array.of(0, Math.log(3), 0, 0), rows: 2, cols: 2 };
 * crossEntropyLoss(f, Int32Array.of(1, 0)); // (−ln 0.75 + ln 2) / 2
 * crossEntropyLoss(f, Int32Array.of(1, 0), [2, 0]); // −ln 0.75
 */
export function crossEntropyLoss(
  scores: Matrix,
  labels: Int32Array,
  weights?: ArrayLike<number>,
  temperature: number | null = null,
): number {
  return weightedMean(lossPerItem(scores, labels, temperature), weights);
}

/**
 * Mean cross-entropy against probability targets (N×K rows summing to 1), optionally weighted.
 *
 * @example
 * const f = { data: Float64Array.of(0, 0), rows: 1, cols: 2 };
 * softCrossEntropyLoss(f, { data: Float64Array.of(0.5, 0.5), rows: 1, cols: 2 }); // ln 2
 */
export function softCrossEntropyLoss(scores: Matrix, targets: Matrix, weights?: ArrayLike<number>): number {
  return weightedMean(softLossPerItem(scores, targets), weights);
}

function weightedMean(losses: Float64Array, weights: ArrayLike<number> | undefined): number {
  if (weights !== undefined) {
    checkWeights(weights, losses.length);
    for (let i = 0; i < losses.length; i++) losses[i] = (weights[i] as number) * (losses[i] as number);
  }
  return pairwiseSum(losses) / losses.length;
}
