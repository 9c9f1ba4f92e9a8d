import { InputError, ReceivedKind } from '../errors.js';
import { checkArrayLike } from '../io/check-arguments.js';
import type { Matrix } from '../matrix.js';
import { meanLogMse, medianSe, mse } from './error-metrics.js';

/**
 * Which per-row error summary a comparison uses, named as its function: `mse`, `medianSe`,
 * `meanLogMse` (the reference's `metrics.mse`, `median_se`, `mean_log_mse`).
 */
export type ErrorSummary = 'mse' | 'medianSe' | 'meanLogMse';

/**
 * The per-row error of a results matrix (rows × runs) against the true risk, by summary name.
 *
 * @example
 * errorSummary({ data: Float64Array.of(1, 4), rows: 1, cols: 2 }, 2, 'mse'); // [2.5]
 */
export function errorSummary(pred: Matrix, target: number, summary: ErrorSummary): Float64Array {
  switch (summary) {
    case 'mse':
      return mse(pred, target);
    case 'medianSe':
      return medianSe(pred, target);
    case 'meanLogMse':
      return meanLogMse(pred, target);
    default:
      throw new InputError({ argument: 'loss', expected: "'mse' | 'medianSe' | 'meanLogMse'", received: summary });
  }
}

/**
 * The number of labels behind row k of a results matrix: k·step + 1 (the first row is after one label).
 *
 * @example
 * labelsAtRows(3, 5); // [1, 6, 11]
 */
export function labelsAtRows(rows: number, step = 1): Float64Array {
  if (!Number.isInteger(step) || step < 1) throw new InputError({ argument: 'step', expected: 'an integer ≥ 1', received: step });
  const out = new Float64Array(rows);
  for (let k = 0; k < rows; k++) out[k] = k * step + 1;
  return out;
}

/**
 * The labels behind each of a results matrix's `rows`: k·step + 1 for a `step`, or the labels given
 * (a simulation's `labelsPerRow`, whose last row is after all its labels where the step skips that
 * count), one per row.
 *
 * @example
 * rowLabels(3, 5); // [1, 6, 11]
 * rowLabels(3, [1, 6, 8]); // [1, 6, 8]
 * @throws {InputError} naming `step` when it is neither an integer ≥ 1 nor one label count per row.
 */
export function rowLabels(rows: number, step: number | ArrayLike<number>): ArrayLike<number> {
  if (typeof step === 'number') return labelsAtRows(rows, step);
  const expected = `an integer ≥ 1 (labels between rows) or the labels behind each of pred's ${rows} rows, whole numbers ≥ 1 rising row by row`;
  checkArrayLike(step, 'step', expected);
  if (step.length !== rows) throw new InputError({ argument: 'step', expected, received: new ReceivedKind(`${step.length} labels`) });
  for (let k = 0; k < rows; k++) {
    const labels = step[k];
    if (!(Number.isInteger(labels) && (labels as number) >= (k === 0 ? 1 : (step[k - 1] as number) + 1))) {
      throw new InputError({ argument: `step[${k}]`, expected, received: labels });
    }
  }
  return step;
}
