import type { Matrix } from '../matrix.js';
import { pairwiseSum } from './pairwise-sum.js';
import { checkEps, checkMatrix, checkTemperature } from './validate.js';

/**
 * Row-wise softmax, max-subtracted so that any finite logits are safe (scipy.special.softmax:
 * `exp(x − max) / Σ exp(x − max)`, not clipped). With a temperature T the logits are divided by T first.
 *
 * @example
 * stableSoftmax({ data: Float64Array.of(0, Math.log(3)), rows: 1, cols: 2 }).data; // [0.25, 0.75]
 * stableSoftmax({ data: Float64Array.of(800, 0), rows: 1, cols: 2 }).data;        // [1, 0] (no overflow)
 * @throws InputError when `logits` is not a Matrix whose data holds rows × cols finite values, or `temperature` is neither null nor a finite number > 0.
 */
export function stableSoftmax(logits: Matrix, temperature: number | null = null): Matrix {
  checkMatrix(logits, 'logits', true);
  checkTemperature(temperature);
  return softmaxRows(logits, temperature);
}

/**
 * {@link stableSoftmax} without its entry checks, for callers that checked the logits already or
 * that deal with a non-finite row's NaN probabilities downstream (the acquisition values do).
 */
export function softmaxRows(logits: Matrix, temperature: number | null): Matrix {
  const { rows, cols } = logits;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) softmaxRowInto(logits, i, temperature, out, i * cols);
  return { data: out, rows, cols };
}

/**
 * Row `i` of {@link stableSoftmax} written to `out` from `at`: the same values, for code that needs
 * a row at a time and not the N×K matrix. The temperature is not checked here.
 */
export function softmaxRowInto(m: Matrix, i: number, temperature: number | null, out: Float64Array, at: number): void {
  const cols = m.cols;
  shiftedExpsInto(m, i, temperature, out, at);
  const total = pairwiseSum(out, at, at + cols);
  for (let k = 0; k < cols; k++) out[at + k] = (out[at + k] as number) / total;
}

/**
 * Row-wise log-softmax, `s − log Σ exp(s)` with `s = x/T − max` (the form torch's cross-entropy uses).
 *
 * @example
 * logSoftmax({ data: Float64Array.of(0, 0), rows: 1, cols: 2 }).data; // [−ln 2, −ln 2]
 * @throws InputError when `logits` is not a Matrix whose data holds rows × cols finite values, or `temperature` is neither null nor a finite number > 0.
 */
export function logSoftmax(logits: Matrix, temperature: number | null = null): Matrix {
  checkMatrix(logits, 'logits', true);
  checkTemperature(temperature);
  return logSoftmaxRows(logits, temperature);
}

/** {@link logSoftmax} without its entry checks, as {@link softmaxRows}. */
export function logSoftmaxRows(logits: Matrix, temperature: number | null): Matrix {
  const { rows, cols } = logits;
  const out = new Float64Array(rows * cols);
  const exps = new Float64Array(cols);
  for (let i = 0; i < rows; i++) logSoftmaxRowInto(logits, i, temperature, out, i * cols, exps);
  return { data: out, rows, cols };
}

/**
 * Row `i` of {@link logSoftmax} written to `out` from `at`, with `exps` (K numbers) as scratch: the
 * same values, a row at a time. The temperature is not checked here.
 */
export function logSoftmaxRowInto(
  m: Matrix,
  i: number,
  temperature: number | null,
  out: Float64Array,
  at: number,
  exps: Float64Array,
): void {
  const cols = m.cols;
  const start = i * cols;
  const max = shiftedExpsInto(m, i, temperature, exps, 0);
  const logTotal = Math.log(pairwiseSum(exps, 0, cols));
  for (let k = 0; k < cols; k++) out[at + k] = scaled(m.data[start + k] as number, temperature) - max - logTotal;
}

/**
 * Row `i`'s {@link softmaxRowInto} into `probabilities` and {@link logSoftmaxRowInto} into `logs`
 * (both from 0), bit for bit, with one exp per class where the two take two: they exponentiate
 * the same shifted logits. With `exps`, those exponentials `exp(x/T − max)` too (from 0), for a
 * caller that sums them otherwise. The temperature is not checked here.
 */
export function softmaxAndLogSoftmaxRowInto(
  m: Matrix,
  i: number,
  temperature: number | null,
  probabilities: Float64Array,
  logs: Float64Array,
  exps: Float64Array | null = null,
): void {
  const cols = m.cols;
  const start = i * cols;
  const max = shiftedExpsInto(m, i, temperature, probabilities, 0);
  if (exps !== null) for (let k = 0; k < cols; k++) exps[k] = probabilities[k] as number;
  const total = pairwiseSum(probabilities, 0, cols);
  const logTotal = Math.log(total);
  for (let k = 0; k < cols; k++) {
    probabilities[k] = (probabilities[k] as number) / total;
    logs[k] = scaled(m.data[start + k] as number, temperature) - max - logTotal;
  }
}

/** Writes `exp(x/T − max)` of row `i` to `out` from `at`, the softmax's numerators; returns the max of x/T. */
function shiftedExpsInto(m: Matrix, i: number, temperature: number | null, out: Float64Array, at: number): number {
  const cols = m.cols;
  const start = i * cols;
  const max = rowMax(m.data, start, start + cols, temperature);
  for (let k = 0; k < cols; k++) out[at + k] = Math.exp(scaled(m.data[start + k] as number, temperature) - max);
  return max;
}

/**
 * The corrected softmax of `numerics: 'default'`: {@link stableSoftmax}, with every probability
 * clipped to [eps, 1] so that logs stay finite (rows are not renormalised after the clip).
 * Non-finite logits are not refused: a row holding NaN or +Infinity gives NaN probabilities, which
 * the acquisition values deal with.
 *
 * @example
 * clippedSoftmax({ data: Float64Array.of(800, 0), rows: 1, cols: 2 }, null, 1e-15).data; // [1, 1e-15]
 * @throws InputError when `logits` is not a Matrix whose data holds rows × cols values, `temperature` is neither null nor a finite number > 0, or `eps` is not in (0, 1).
 */
export function clippedSoftmax(logits: Matrix, temperature: number | null, eps: number): Matrix {
  checkMatrix(logits, 'logits');
  checkTemperature(temperature);
  checkEps(eps);
  return clipProbabilities(softmaxRows(logits, temperature), eps);
}

/**
 * Clips every probability of `p` to [eps, 1] in place (what {@link clippedSoftmax} does after the
 * softmax) and returns it, for a softmax already computed.
 *
 * @example
 * clipProbabilities({ data: Float64Array.of(1, 0), rows: 1, cols: 2 }, 1e-15).data; // [1, 1e-15]
 */
export function clipProbabilities(p: Matrix, eps: number): Matrix {
  const data = p.data;
  for (let j = 0; j < data.length; j++) {
    const v = data[j] as number;
    if (v < eps) data[j] = eps;
    else if (v > 1) data[j] = 1;
  }
  return p;
}

function scaled(x: number, temperature: number | null): number {
  return temperature === null ? x : x / temperature;
}

function rowMax(data: Float64Array, start: number, end: number, temperature: number | null): number {
  let max = -Infinity;
  for (let j = start; j < end; j++) {
    const v = scaled(data[j] as number, temperature);
    if (v > max || Number.isNaN(v)) max = v;
  }
  return max;
}
