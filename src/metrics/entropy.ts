import type { Matrix } from '../matrix.js';
import { EPS, NUMERICS_FLAGS, type NumericsFlags } from '../numerics.js';
import { pairwiseSum } from './pairwise-sum.js';
import { classProbabilities } from './probabilities.js';
import { checkSameShape } from './validate.js';
import { checkChoice, checkKnownKeys } from '../io/suggest.js';

/** How logits become probabilities for the entropy forms. */
export interface ProbabilityOptions {
  /** Divide the logits by T first; null for none. */
  temperature?: number | null;
  /** Probability floor (and, for `'clamp'`, the exp clip). Default 1e-15. */
  eps?: number;
  /** `'stable'` (default, corrected) or `'clamp'` (the reference's softmax_clamp). */
  softmax?: NumericsFlags['softmax'];
}

/**
 * Predictive entropy of each row's softmax, `H_i = −Σ_k p_ik log p_ik` (in nats).
 *
 * @example
 * predictiveEntropy({ data: Float64Array.of(0, 0), rows: 1, cols: 2 }); // [ln 2]
 * predictiveEntropy(logits, { temperature: 2, softmax: 'clamp' });     // the reference's self-entropy
 */
export function predictiveEntropy(logits: Matrix, options: ProbabilityOptions = {}): Float64Array {
  checkKnownKeys(options, ['temperature', 'eps', 'softmax'] satisfies (keyof ProbabilityOptions)[], null);
  const { temperature = null, eps = EPS, softmax = NUMERICS_FLAGS.default.softmax } = options;
  checkChoice(softmax, ['stable', 'clamp'] satisfies NumericsFlags['softmax'][], 'softmax');
  const p = classProbabilities(logits, temperature, eps, softmax);
  return rowCrossEntropy(p, p, temperature !== null);
}

/**
 * Cross-entropy between two rows of probabilities, `−Σ_k t_ik log p_ik`, where `p` are the
 * predictions and `t` the targets (both already probabilities, same shape). NaN rows are replaced by
 * the largest finite value when `replaceNaN` is set (the reference does this whenever a temperature
 * was given).
 *
 * @example
 * const half = { data: Float64Array.of(0.5, 0.5), rows: 1, cols: 2 };
 * rowCrossEntropy(half, half, false); // [ln 2]
 */
export function rowCrossEntropy(predictions: Matrix, targets: Matrix, replaceNaN: boolean): Float64Array {
  checkSameShape(predictions, targets, 'targets');
  const { rows, cols } = predictions;
  const terms = new Float64Array(cols);
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = crossEntropyRow(predictions.data, i * cols, targets.data, i * cols, cols, terms);
  if (replaceNaN) replaceNaNByMax(out);
  return out;
}

/**
 * One row of {@link rowCrossEntropy} (before NaN rows are replaced): `−Σ_k t_k log p_k` over the
 * `cols` predictions from `predictionAt` and targets from `targetAt`, with `terms` (K numbers) as scratch.
 */
export function crossEntropyRow(
  predictions: Float64Array,
  predictionAt: number,
  targets: Float64Array,
  targetAt: number,
  cols: number,
  terms: Float64Array,
): number {
  for (let k = 0; k < cols; k++) terms[k] = (targets[targetAt + k] as number) * Math.log(predictions[predictionAt + k] as number);
  return -pairwiseSum(terms, 0, cols);
}

/**
 * {@link crossEntropyRow} from the logs of the predictions (`logPredictions`, K numbers from 0),
 * bit for bit: for predictions scored against several targets, each log is taken once. `terms`
 * (K numbers) is scratch. (`crossEntropyRow` keeps its one loop: through this it is slower.)
 */
export function crossEntropyOfLogs(
  logPredictions: Float64Array,
  targets: Float64Array,
  targetAt: number,
  cols: number,
  terms: Float64Array,
): number {
  for (let k = 0; k < cols; k++) terms[k] = (targets[targetAt + k] as number) * (logPredictions[k] as number);
  return -pairwiseSum(terms, 0, cols);
}

/** Replaces each NaN by the largest other value, as {@link rowCrossEntropy} does with `replaceNaN`. */
export function replaceNaNByMax(values: Float64Array): void {
  let max = -Infinity;
  let anyNaN = false;
  for (const v of values) {
    if (Number.isNaN(v)) anyNaN = true;
    else if (v > max) max = v;
  }
  if (!anyNaN) return;
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) values[i] = max;
}
