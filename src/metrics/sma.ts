import { InputError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { pairwiseMean } from './pairwise-sum.js';

/**
 * Trailing simple moving average over rows with a window of `length`, shortened at the start:
 * `out[i] = mean(scores[max(0, i + 1 − length) .. i])` (the reference's `sma`). A series is averaged
 * with numpy's pairwise sum; a matrix (rows × runs) column by column, summing rows in order, as numpy
 * reduces over axis 0.
 *
 * @example
 * sma([1, 2, 3, 4], 2); // [1, 1.5, 2.5, 3.5]
 * sma([1, 2, 3, 4], 1); // [1, 2, 3, 4]
 */
export function sma(scores: ArrayLike<number>, length: number): Float64Array;
export function sma(scores: Matrix, length: number): Matrix;
export function sma(scores: ArrayLike<number> | Matrix, length: number): Float64Array | Matrix {
  if (!Number.isInteger(length) || length < 1) {
    throw new InputError({ argument: 'length', expected: 'a window length (an integer ≥ 1)', received: length });
  }
  if (isMatrix(scores)) return smaColumns(scores, length);
  const out = new Float64Array(scores.length);
  for (let i = 0; i < out.length; i++) out[i] = pairwiseMean(scores, Math.max(0, i + 1 - length), i + 1);
  return out;
}

function smaColumns(m: Matrix, length: number): Matrix {
  const { rows, cols, data } = m;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const first = Math.max(0, i + 1 - length);
    const count = i + 1 - first;
    for (let c = 0; c < cols; c++) {
      let sum = 0;
      for (let r = first; r <= i; r++) sum += data[r * cols + c] as number;
      out[i * cols + c] = sum / count;
    }
  }
  return { data: out, rows, cols };
}

function isMatrix(value: ArrayLike<number> | Matrix): value is Matrix {
  return (value as Matrix).data instanceof Float64Array && typeof (value as Matrix).rows === 'number';
}
