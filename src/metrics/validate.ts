import { InputError, ReceivedKind } from '../errors.js';
import type { Matrix } from '../matrix.js';

/**
 * Throws unless `value` is a `Matrix` whose `data` (a Float64Array) holds `rows × cols` values and,
 * with `finite`, only finite ones: the check of a plain-JS call, made once at entry (the finite
 * check is a pass over the data, for functions that pass over it anyway).
 */
export function checkMatrix(value: unknown, argument: string, finite = false): asserts value is Matrix {
  const expected = "a Matrix { data: Float64Array, rows, cols } (toMatrix converts nested arrays, readNpy's { data, shape } and ndarrays)";
  if (typeof value !== 'object' || value === null) throw new InputError({ argument, expected, received: value });
  const { data, rows, cols } = value as Partial<Matrix>;
  if (!(data instanceof Float64Array) || !Number.isInteger(rows) || !Number.isInteger(cols) || rows! < 0 || cols! < 0) {
    throw new InputError({ argument, expected, received: value });
  }
  if (data.length !== rows! * cols!) {
    throw new InputError({ argument, expected: `${rows! * cols!} values in data for ${rows}×${cols}`, received: data.length });
  }
  if (!finite) return;
  for (let j = 0; j < data.length; j++) {
    if (!Number.isFinite(data[j])) {
      throw new InputError({ argument, expected: 'finite values', received: data[j], row: Math.floor(j / cols!) });
    }
  }
}

/**
 * Throws unless no score of `scores` is NaN: for argmax-based metrics (accuracy, the zero-one
 * loss), where ±∞ still names a most probable class and NaN names none.
 */
export function checkNoNaN(scores: Matrix, argument: string): void {
  const nan = scores.data.findIndex((v) => Number.isNaN(v));
  if (nan >= 0) throw new InputError({ argument, expected: 'numbers, not NaN', received: NaN, row: Math.floor(nan / scores.cols) });
}

/** Throws unless `value` is a finite number. */
export function checkFinite(value: unknown, argument: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError({ argument, expected: 'a finite number', received: value });
}

/** Throws unless `temperature` is null/undefined or a finite number > 0. */
export function checkTemperature(temperature: number | null | undefined, argument = 'temperature'): void {
  if (temperature === null || temperature === undefined) return;
  if (!Number.isFinite(temperature) || temperature <= 0) {
    throw new InputError({ argument, expected: 'a finite number > 0 or null', received: temperature });
  }
}

/** Throws unless `eps` is a number in (0, 1). */
export function checkEps(eps: number, argument = 'eps'): void {
  if (!(eps > 0 && eps < 1)) throw new InputError({ argument, expected: 'a number in (0, 1)', received: eps });
}

/** Throws unless `labels` holds one class index in [0, cols) per row of `scores`. */
export function checkLabels(scores: Matrix, labels: ArrayLike<number>, argument = 'labels'): void {
  if (typeof labels !== 'object' || labels === null) {
    throw new InputError({ argument, expected: `${scores.rows} class indices, one per row of the scores`, received: labels });
  }
  if (labels.length !== scores.rows) {
    throw new InputError({ argument, expected: `${scores.rows} labels, one per row of the scores`, received: labels.length });
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= scores.cols) {
      throw new InputError({ argument, expected: `a class index in [0, ${scores.cols - 1}]`, received: y, row: i });
    }
  }
}

/** Throws unless `other` has the same shape as `reference`. */
export function checkSameShape(reference: Matrix, other: Matrix, argument: string): void {
  if (other.rows !== reference.rows || other.cols !== reference.cols) {
    throw new InputError({
      argument,
      expected: `shape [${reference.rows}, ${reference.cols}]`,
      received: new ReceivedKind(`shape [${other.rows}, ${other.cols}]`),
    });
  }
}

/** Throws unless `weights` has `n` entries. */
export function checkWeights(weights: ArrayLike<number>, n: number, argument = 'weights'): void {
  if (weights.length !== n) {
    throw new InputError({ argument, expected: `${n} weights, one per row`, received: weights.length });
  }
}
